# Documentation of the PowerShell module sitekit_account_policy.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_account_policy."""

DOCUMENTATION = r"""
---
module: sitekit_account_policy
short_description: Set the local password and account lockout policy in one call
description:
  - Sets the local security policy's password and account lockout settings (the
    C([System Access]) section that C(secedit.exe) exports) together, in one module call
    and one C(secedit /configure), where M(community.windows.win_security_policy) takes one
    key per call.
  - Only the options given are managed; the others keep their current value.
  - On a domain member the domain's policy wins for domain accounts; this module sets the
    local policy, which applies to local accounts.
options:
  min_password_length:
    description:
      - Minimum password length (C(MinimumPasswordLength)), 0 to 14.
    type: int
  password_complexity:
    description:
      - Whether passwords must meet the complexity requirements (C(PasswordComplexity)) -
        three of upper case, lower case, digits and symbols, and not the account name.
    type: bool
  max_password_age_days:
    description:
      - Days before a password must be changed (C(MaximumPasswordAge)); 0 never expires.
        At most 999.
    type: int
  min_password_age_days:
    description:
      - Days a password must be kept before it may be changed again
        (C(MinimumPasswordAge)). Must be less than I(max_password_age_days) unless that is 0.
    type: int
  password_history_size:
    description:
      - Number of previous passwords that may not be reused (C(PasswordHistorySize)), 0 to 24.
    type: int
  lockout_threshold:
    description:
      - Failed logons before the account is locked out (C(LockoutBadCount)), 0 to 999;
        0 never locks out.
    type: int
  lockout_duration_minutes:
    description:
      - Minutes an account stays locked out (C(LockoutDuration)); 0 until an administrator
        unlocks it. Ignored by Windows while I(lockout_threshold) is 0.
    type: int
  lockout_reset_minutes:
    description:
      - Minutes after a failed logon before the failed-logon counter resets
        (C(ResetLockoutCount)); at most I(lockout_duration_minutes) unless that is 0.
    type: int
notes:
  - Supports check mode and diff mode.
  - Fails, changing nothing, when the values given break Windows' own rules (ranges, reset
    counter longer than the lockout, minimum age not below the maximum age).
seealso:
  - module: community.windows.win_security_policy
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Set a PCI DSS v4.0.1 password and lockout policy
  sitekit_account_policy:
    min_password_length: 12
    password_complexity: true
    max_password_age_days: 90
    min_password_age_days: 1
    password_history_size: 4
    lockout_threshold: 10
    lockout_duration_minutes: 30
    lockout_reset_minutes: 30
"""

RETURN = r"""
policy:
  description: The policy after the module ran (in check mode, as it would be), by option name.
  returned: always
  type: dict
  sample:
    min_password_length: 12
    password_complexity: true
    max_password_age_days: 90
    min_password_age_days: 1
    password_history_size: 4
    lockout_threshold: 10
    lockout_duration_minutes: 30
    lockout_reset_minutes: 30
changes:
  description: The options whose value changed (or in check mode would change).
  returned: always
  type: list
  elements: str
  sample: [min_password_length, lockout_threshold]
"""
