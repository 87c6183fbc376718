# Copyright: sitekit contributors
# MIT License (see LICENSE)
"""Documentation of the sitekit_facts Windows module (the code is sitekit_facts.ps1)."""

DOCUMENTATION = r"""
module: sitekit_facts
short_description: What preflight and the monthly audit read from a Windows host, in one call
description:
  - Returns the requested subsets of facts about the host under C(facts). It reads only,
    so it runs the same in check mode.
  - One call per host instead of one per fact keeps a fleet-wide check to one WinRM round
    trip per host.
options:
  gather:
    description:
      - The subsets to return.
      - C(os) the Windows build, update build revision (UBR), computer name and last boot.
      - C(disks) size and free space of each fixed volume.
      - C(clock) the host's UTC time and Windows time zone, to compare with the controller.
    type: list
    elements: str
    default: [os, disks, clock]
    choices: [os, disks, clock]
author:
  - sitekit contributors
"""

EXAMPLES = r"""
- name: Read the host's build, free disk and clock
  sitekit_facts:
    gather: [os, disks, clock]
  register: preflight_register_facts
"""

RETURN = r"""
facts:
  description: The requested subsets.
  returned: always
  type: dict
  contains:
    os:
      description: Build, update build revision (ubr), display version, installation type, computer name, last boot (UTC).
      returned: when os is gathered
      type: dict
      sample: {build: 20348, ubr: 2762, display_version: 21H2, computer_name: LIS01-SRV01}
    disks:
      description: One entry per fixed volume with drive letter, size_bytes and free_bytes.
      returned: when disks is gathered
      type: list
      elements: dict
      sample: [{drive: C, size_bytes: 274877906944, free_bytes: 214748364800}]
    clock:
      description: The host's time in UTC (ISO 8601) and its Windows time zone id.
      returned: when clock is gathered
      type: dict
      sample: {utc: "2026-11-25T23:00:00Z", time_zone: GMT Standard Time}
"""
