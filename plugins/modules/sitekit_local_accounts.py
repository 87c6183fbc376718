# Documentation of the PowerShell module sitekit_local_accounts.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_local_accounts."""

DOCUMENTATION = r"""
---
module: sitekit_local_accounts
short_description: Local users and groups of a user plan, in one call
description:
  - Brings the local users and groups of a host to a plan in one module call, where
    M(ansible.windows.win_user) and M(ansible.windows.win_group) take one account per call.
  - B(Users.) A listed user that does not exist is created with its initial password,
    which must be changed at the first logon. The password of an existing user is never
    set again. Every listed user is enabled, carries I(managed_description) as its
    description (which marks it as managed by this module) and the full name given.
  - B(Users the plan no longer has.) A user that carries I(managed_description) but is not
    listed is handled by I(unlisted_users), by default disabled (PCI DSS 8.2.5 and 8.2.6 -
    access of people who left is revoked, their account kept for the audit trail). Users
    without the marker (built-in accounts, the automation account) are never touched.
  - B(Groups.) A listed group is created when missing and gets its description. When
    I(members) is given it is exact - members not listed are removed, whoever they are.
  - B(member_of.) Windows local groups cannot hold local groups, so the members of a
    listed group are made members of each group in its I(member_of) directly. In a group
    named in some I(member_of) (e.g. the built-in Administrators) the module owns the
    membership of managed users only - it adds the ones that should be there and removes
    managed users that should not; other members (Administrator, the automation account)
    stay.
  - B(Built-in groups by SID.) A I(member_of) group may be a SID (C(S-1-5-32-544)); the
    English name of a built-in group (Administrators, Users, Guests, Power Users, Backup
    Operators, Remote Desktop Users, Remote Management Users) is resolved through its SID,
    so it names the same group on a Windows in any language.
  - A new account is a member of Users as soon as Windows creates it; the module plans
    with that, and an orphaned SID (an account deleted elsewhere) can be removed from a
    group like any member.
  - Groups that are not listed are not touched (list one with I(state=absent) to remove it).
  - Account names are compared case-insensitively; C(.\name) and C(HOST\name) are the local
    account C(name); other principals are written C(DOMAIN\name) (C(NT AUTHORITY\INTERACTIVE)).
options:
  users:
    description:
      - The local users.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The account name (at most 20 characters).
        type: str
        required: true
      fullname:
        description:
          - The full name shown at logon.
        type: str
      password:
        description:
          - The initial password of this user, used only when the account is created;
            I(initial_password) when not given.
        type: str
        no_log: true
      state:
        description:
          - C(present) creates or updates the user, C(absent) removes the account.
        type: str
        choices: [present, absent]
        default: present
  groups:
    description:
      - The local groups.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description:
          - The group name.
        type: str
        required: true
      description:
        description:
          - The group's description.
        type: str
      members:
        description:
          - Exactly the members the group has; omit to leave its members alone.
        type: list
        elements: str
      member_of:
        description:
          - Groups the members of this group also join (see the description), by name or SID.
        type: list
        elements: str
        default: []
      state:
        description:
          - C(present) creates or updates the group, C(absent) removes it.
        type: str
        choices: [present, absent]
        default: present
  initial_password:
    description:
      - The initial password of users created without a password of their own. Keep it in
        an ansible-vault file. The account must change it at its first logon.
    type: str
    no_log: true
  managed_description:
    description:
      - The description every listed user carries; it marks the accounts this module manages.
    type: str
    default: Managed by sitekit
  unlisted_users:
    description:
      - What happens to a user that carries I(managed_description) but is not listed.
      - C(disable) disables it and takes it out of the groups the module manages,
        C(remove) removes the account, C(keep) leaves it alone.
    type: str
    choices: [disable, remove, keep]
    default: disable
notes:
  - Supports check mode and diff mode. In check mode a user that would be created is
    reported in the groups it would join.
  - Fails, changing nothing, when a user must be created and has no password, or when a
    member names an account that does not exist and is not created in the same call.
seealso:
  - module: ansible.windows.win_user
  - module: ansible.windows.win_group
  - module: ansible.windows.win_group_membership
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Create the site's local groups and users
  sitekit_local_accounts:
    users:
      - name: acosta
        fullname: Ana Costa
      - name: rmatos
        fullname: Rui Matos
    groups:
      - name: POS Administrators
        description: System administrators
        members: [acosta]
        member_of: [Administrators]
      - name: POS Cashier Operators
        description: Trained operators of the Cashier module
        members: [acosta, rmatos]
        member_of: [Users]
    initial_password: "{{ vault_initial_password }}"
  no_log: true
"""

RETURN = r"""
users_created:
  description: Users created.
  returned: always
  type: list
  elements: str
  sample: [acosta, rmatos]
users_updated:
  description: Existing users whose full name, description or enabled state was changed.
  returned: always
  type: list
  elements: str
users_disabled:
  description: Managed users no longer listed that were disabled.
  returned: always
  type: list
  elements: str
users_removed:
  description: Users removed (state=absent, or unlisted with unlisted_users=remove).
  returned: always
  type: list
  elements: str
groups_created:
  description: Groups created.
  returned: always
  type: list
  elements: str
groups_updated:
  description: Existing groups whose description was changed.
  returned: always
  type: list
  elements: str
groups_removed:
  description: Groups removed.
  returned: always
  type: list
  elements: str
members_added:
  description: Memberships added.
  returned: always
  type: list
  elements: dict
  sample: [{group: POS Administrators, member: acosta}]
members_removed:
  description: Memberships removed.
  returned: always
  type: list
  elements: dict
  sample: [{group: Administrators, member: jdoe}]
"""
