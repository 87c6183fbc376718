# Documentation of the PowerShell module sitekit_printers.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_printers."""

DOCUMENTATION = r"""
---
module: sitekit_printers
short_description: Network printers and their TCP/IP ports, many in one call
description:
  - Brings a list of network printers (raw TCP/IP, e.g. receipt and kitchen printers on
    port 9100) to their wanted port, driver, location and comment in one module call. No
    module in ansible.windows, community.windows or chocolatey.chocolatey manages printers.
  - Each printer gets a Standard TCP/IP port named C(IP_<address>) (or C(IP_<address>_<port>)
    for a port other than 9100), created when missing.
  - Printers this module adds carry I(marker) as their comment. With I(purge), printers
    that carry the marker but are not listed are removed, with their ports when no other
    printer uses them; printers without the marker (added by hand, or by Windows) are never
    touched.
  - A driver that is not installed is installed from the driver store by name
    (Add-PrinterDriver); a fresh Windows has C(Generic / Text Only) in its store, not
    installed. A driver that is in neither fails the module before any printer changes.
options:
  printers:
    description:
      - The printers.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The printer's name, as applications choose it.
        type: str
        required: true
      address:
        description:
          - The printer's IP address or host name. Required when I(state=present).
        type: str
      port_number:
        description:
          - The printer's raw TCP port.
        type: int
        default: 9100
      driver:
        description:
          - The name of an installed printer driver, or of one in the host's driver store.
        type: str
        default: Generic / Text Only
      location:
        description:
          - Where the printer stands.
        type: str
        default: ""
      state:
        description:
          - C(present) adds or updates the printer; C(absent) removes it (whoever added it).
        type: str
        choices: [present, absent]
        default: present
  marker:
    description:
      - The comment that marks a printer as added by this module.
    type: str
    default: Managed by sitekit
  purge:
    description:
      - Remove printers that carry I(marker) and are not listed.
    type: bool
    default: false
notes:
  - Supports check mode and diff mode.
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Map the station's receipt printer
  sitekit_printers:
    printers:
      - name: LIS01-PRN01
        address: 10.41.7.16
        driver: Generic / Text Only
        location: receipt printer
    purge: true
"""

RETURN = r"""
printers:
  description: The listed printers that are present, as they are (in check mode, would be).
  returned: always
  type: list
  elements: dict
  sample:
    - name: LIS01-PRN01
      port: IP_10.41.7.16
      address: 10.41.7.16
      port_number: 9100
      driver: Generic / Text Only
      location: receipt printer
      comment: Managed by sitekit
drivers_installed:
  description: Drivers installed (in check mode, that would be) from the driver store.
  returned: always
  type: list
  elements: str
  sample: [Generic / Text Only]
changes:
  description: What was (in check mode, would be) done, one entry per printer.
  returned: always
  type: list
  elements: dict
  sample:
    - name: LIS01-PRN01
      action: added
"""
