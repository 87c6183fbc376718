# Documentation of the PowerShell module sitekit_registry.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_registry."""

DOCUMENTATION = r"""
---
module: sitekit_registry
short_description: Set or remove many registry values in one call
description:
  - Brings a list of registry values to their wanted data and type, or removes them, in
    one module call, so a role that sets many policy values makes one WinRM round trip
    instead of one per value (as a loop over M(ansible.windows.win_regedit) would).
  - Keys that do not exist are created, with their parents, when a value in them is set.
  - Paths are PowerShell registry paths; C(HKLM:\x), C(HKLM\x) and
    C(HKEY_LOCAL_MACHINE\x) name the same key.
  - Values are compared with the data the registry holds for their type; a value with the
    right data but the wrong type is replaced.
options:
  values:
    description:
      - The registry values to manage.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - The key that holds the value,
            e.g. C(HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service).
        type: str
        required: true
      name:
        description:
          - The value's name. An empty string is the key's default value.
        type: str
        required: true
      type:
        description:
          - The value's type.
        type: str
        choices: [string, expandstring, multistring, dword, qword, binary]
        default: string
      data:
        description:
          - The value's data. Numbers for C(dword) and C(qword) (decimal or C(0x) hex),
            a list of strings for C(multistring), a list of bytes (or a comma separated
            hex string) for C(binary).
          - Required when I(state=present).
        type: raw
      state:
        description:
          - C(present) sets the value, C(absent) removes it (the key stays).
        type: str
        choices: [present, absent]
        default: present
notes:
  - Supports check mode and diff mode.
  - A value is named by its key and name; the same value listed twice is an error.
seealso:
  - module: ansible.windows.win_regedit
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Harden WinRM and set the Windows Update policy
  sitekit_registry:
    values:
      - path: HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service
        name: AllowBasic
        type: dword
        data: 0
      - path: HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU
        name: AUOptions
        type: dword
        data: 4
      - path: HKLM:\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate
        name: WUServer
        state: absent
"""

RETURN = r"""
changes:
  description: The values that were (or in check mode would be) changed, with their
    data before and after (C(null) for a value that did not exist or was removed).
  returned: always
  type: list
  elements: dict
  sample:
    - path: HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service
      name: AllowBasic
      before: null
      after: {type: dword, data: 0}
"""
