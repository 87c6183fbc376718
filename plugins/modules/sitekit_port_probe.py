# Documentation of the PowerShell module sitekit_port_probe.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_port_probe."""

DOCUMENTATION = r"""
---
module: sitekit_port_probe
short_description: Probe many TCP ports from a Windows host at once
description:
  - Tries a TCP connection to each of a list of host and port pairs from the host it runs
    on, all at the same time, and reports which connected. A connection nothing answers (a
    firewall that drops it) costs O(connect_timeout) once for the whole list, where a loop
    over M(ansible.windows.win_wait_for) pays it, and a module run, per port.
  - Reads only; it changes nothing and runs the same in check mode.
  - Made for acceptance's flow-matrix probes and the segmentation test (PCI DSS 11.4.5).
options:
  probes:
    description:
      - The connections to try.
    type: list
    elements: dict
    required: true
    suboptions:
      host:
        description: The address or name to connect to.
        type: str
        required: true
      port:
        description: The TCP port.
        type: int
        required: true
  connect_timeout:
    description:
      - How long to wait, in seconds, for the connections to be answered.
      - Must be 0 or more.
    type: int
    default: 2
notes:
  - Supports check mode.
seealso:
  - module: ansible.windows.win_wait_for
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Probe the server's SQL Server and application ports
  sitekit_port_probe:
    probes:
      - {host: 10.41.7.4, port: 1433}
      - {host: 10.41.7.4, port: 8443}
    connect_timeout: 2
"""

RETURN = r"""
probes:
  description: Each probe, in the order given, with whether it connected and why not.
  returned: always
  type: list
  elements: dict
  sample:
    - {host: 10.41.7.4, port: 1433, open: true, error: null}
    - {host: 10.41.7.4, port: 5986, open: false, error: no answer within 2 s}
"""
