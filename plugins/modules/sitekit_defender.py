# Documentation of the PowerShell module sitekit_defender.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_defender."""

DOCUMENTATION = r"""
---
module: sitekit_defender
short_description: Microsoft Defender Antivirus preferences, exclusions and signatures in one call
description:
  - Brings Microsoft Defender Antivirus to the wanted protection, scan schedule, signature
    update interval and exclusions, and its signatures up to date, in one module call. No
    module in ansible.windows, community.windows or chocolatey.chocolatey manages Defender.
  - Protection and schedule are Defender's preferences (C(Set-MpPreference)); an option
    left out (null) is left as it is.
  - Exclusions are written where Group Policy writes them
    (C(HKLM:\SOFTWARE\Policies\Microsoft\Windows Defender\Exclusions)), so they hold when
    C(DisableLocalAdminMerge) makes Defender ignore exclusions that local administrators
    set with C(Set-MpPreference). A list given is the exact list, compared
    case-insensitively; exclusions not in it are removed. Paths may use environment
    variables as Defender reads them.
  - With I(signature_max_age_hours), signatures older than that are updated
    (C(Update-MpSignature)); an update that fails fails the module with what to do.
  - Tamper protection cannot be set on the host (Microsoft Defender for Endpoint or Intune
    turns it on); the module reports it in I(status).
options:
  realtime_protection:
    description:
      - Whether real-time protection is on (C(DisableRealtimeMonitoring) is its opposite).
    type: bool
  behavior_monitoring:
    description:
      - Whether behaviour monitoring is on (C(DisableBehaviorMonitoring) is its opposite).
    type: bool
  scan_day:
    description:
      - The day of the scheduled scan (C(ScanScheduleDay)).
    type: str
    choices: [everyday, sunday, monday, tuesday, wednesday, thursday, friday, saturday, never]
  scan_time:
    description:
      - The local time of day of the scheduled scan, C(HH:MM) (C(ScanScheduleTime)).
    type: str
  scan_type:
    description:
      - The kind of the scheduled scan (C(ScanParameters)).
    type: str
    choices: [quick, full]
  quick_scan_time:
    description:
      - The local time of day of the daily quick scan, C(HH:MM)
        (C(ScanScheduleQuickScanTime)).
    type: str
  check_signatures_before_scan:
    description:
      - Whether a scheduled scan first checks for new signatures
        (C(CheckForSignaturesBeforeRunningScan)).
    type: bool
  signature_update_interval:
    description:
      - Hours between signature update checks, 1 to 24; 0 leaves updates to Windows Update
        alone (C(SignatureUpdateInterval)).
    type: int
  exclusion_paths:
    description:
      - Exactly the folders and files Defender does not scan.
    type: list
    elements: str
  exclusion_processes:
    description:
      - Exactly the processes whose file activity Defender does not scan.
    type: list
    elements: str
  exclusion_extensions:
    description:
      - Exactly the file extensions Defender does not scan, without the dot.
    type: list
    elements: str
  signature_max_age_hours:
    description:
      - Update the signatures when they are older than this many hours; omit to leave them.
    type: int
notes:
  - Supports check mode and diff mode; in check mode an update that is due is reported as
    a change and not run.
seealso:
  - name: Set-MpPreference
    description: The cmdlet behind the preferences.
    link: https://learn.microsoft.com/powershell/module/defender/set-mppreference
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Configure Defender for a point-of-sale server
  sitekit_defender:
    realtime_protection: true
    behavior_monitoring: true
    scan_day: sunday
    scan_time: "23:30"
    scan_type: full
    quick_scan_time: "23:30"
    check_signatures_before_scan: true
    signature_update_interval: 4
    exclusion_paths:
      - C:\SQLData
      - C:\SQLLogs
    exclusion_processes: []
    exclusion_extensions: [mdf, ldf]
    signature_max_age_hours: 12

- name: Read Defender's state without changing it
  sitekit_defender:
  check_mode: true
  register: defender
"""

RETURN = r"""
preferences:
  description: Defender's preferences as they are (in check mode, as they would be).
  returned: always
  type: dict
  sample:
    realtime_protection: true
    behavior_monitoring: true
    scan_day: sunday
    scan_time: "23:30"
    scan_type: full
    quick_scan_time: "23:30"
    check_signatures_before_scan: true
    signature_update_interval: 4
exclusions:
  description: The policy's exclusions as they are (in check mode, as they would be).
  returned: always
  type: dict
  sample: {paths: ['C:\SQLData'], processes: [], extensions: [mdf]}
status:
  description: Defender's status (Get-MpComputerStatus) after the run.
  returned: always
  type: dict
  sample:
    antivirus_enabled: true
    realtime_protection_enabled: true
    is_tamper_protected: true
    antivirus_signature_version: 1.419.200.0
    antivirus_signature_last_updated: "2026-03-01T10:00:00Z"
    antivirus_signature_age_hours: 2
signatures_updated:
  description: Whether the signatures were (in check mode, would be) updated.
  returned: always
  type: bool
  sample: true
changes:
  description: The names of the options that were (in check mode, would be) changed.
  returned: always
  type: list
  elements: str
  sample: [scan_day, exclusion_paths]
"""
