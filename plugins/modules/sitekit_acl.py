# Documentation of the PowerShell module sitekit_acl.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_acl."""

DOCUMENTATION = r"""
---
module: sitekit_acl
short_description: Exactly these access rules on folders, many in one call
description:
  - Gives each folder in I(paths) exactly the access rules in I(rules), inherited by its
    subfolders and files, and nothing else. With I(inherit_parent=false) (the default) the
    folder no longer inherits its parent's rules, so a folder created under C(C:\), whose
    rules let every local user (Users) read and every signed-in user (Authenticated Users)
    write, is closed to them.
  - Principals are SIDs (C(S-1-5-18) SYSTEM, C(S-1-5-32-544) Administrators; names of
    built-in principals are localised) or account names such as C(NT SERVICE\MSSQL$SQLEXPRESS).
  - ansible.windows.win_acl sets one rule per call and cannot drop inherited rules without
    a second module; this sets a whole access list per folder in one call.
options:
  paths:
    description:
      - Existing folders (in check mode a missing one is reported as one to change).
    type: list
    elements: str
    required: true
  rules:
    description:
      - The access rules each folder gets.
    type: list
    elements: dict
    required: true
    suboptions:
      principal:
        description:
          - A SID, or an account name Windows can translate to one.
        type: str
        required: true
      rights:
        description:
          - The file system rights.
        type: str
        choices: [FullControl, Modify, ReadAndExecute, Read, Write]
        required: true
      type:
        description:
          - Allow or deny.
        type: str
        choices: [allow, deny]
        default: allow
  inherit_parent:
    description:
      - Keep the rules the folders inherit from their parents as well.
    type: bool
    default: false
notes:
  - Supports check mode and diff mode.
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Keep the backups from every local user
  sitekit_acl:
    paths: ['C:\SQLBackup']
    rules:
      - {principal: S-1-5-18, rights: FullControl}
      - {principal: S-1-5-32-544, rights: FullControl}
      - {principal: NT SERVICE\MSSQL$SQLEXPRESS, rights: Modify}
"""

RETURN = r"""
changed_paths:
  description: The folders whose access rules were (in check mode, would be) replaced.
  returned: always
  type: list
  elements: str
  sample: ['C:\SQLBackup']
"""
