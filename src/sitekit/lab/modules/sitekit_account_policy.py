"""sitekit_account_policy (plugins/modules): password and lockout policy in one call.

The Python twin of plugins/module_utils/Ansible.ModuleUtils.SitekitSecurityPolicy.psm1,
which the module and sitekit_facts load: the same tables (a contract test reads them out of
the PowerShell and compares) and the same rules (both run tests/data/vectors/account_policy.json).
"""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.seed_base import ensure
from sitekit.lab.state import host_state

# Option -> the secedit [System Access] key, and the range Windows accepts.
KEYS = {
    "min_password_length": ("MinimumPasswordLength", 0, 14),
    "password_complexity": ("PasswordComplexity", 0, 1),
    "max_password_age_days": ("MaximumPasswordAge", 0, 999),
    "min_password_age_days": ("MinimumPasswordAge", 0, 998),
    "password_history_size": ("PasswordHistorySize", 0, 24),
    "lockout_threshold": ("LockoutBadCount", 0, 999),
    "lockout_duration_minutes": ("LockoutDuration", 0, 99999),
    "lockout_reset_minutes": ("ResetLockoutCount", 1, 99999),
}
# The policy's 0 ("passwords never expire", "locked until an administrator unlocks it") is
# -1 in secedit's [System Access]: "Maximum password age" and "Account lockout duration",
# https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/security-policy-settings/maximum-password-age
# https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/security-policy-settings/account-lockout-duration
NEVER = {"MaximumPasswordAge", "LockoutDuration"}
# What Windows uses while secedit leaves a lockout value out (no lockout threshold set).
UNSET = {"LockoutDuration": 30, "ResetLockoutCount": 30}
# The audit's facts subsets (facts.schema.json): fact -> option, as sitekit_facts reports.
FACTS = {
    "password_policy": {"min_length": "min_password_length", "complexity": "password_complexity",
                        "history": "password_history_size",
                        "max_age_days": "max_password_age_days",
                        "min_age_days": "min_password_age_days"},
    "lockout_policy": {"threshold": "lockout_threshold",
                       "duration_minutes": "lockout_duration_minutes",
                       "window_minutes": "lockout_reset_minutes"},
}


def as_options(policy: dict[str, int]) -> dict[str, Any]:
    """A secedit [System Access] section as the module's option names and types."""
    options: dict[str, Any] = {}
    for name, (key, _, _) in KEYS.items():
        value = int(policy.get(key, UNSET.get(key, 0)))
        options[name] = 0 if key in NEVER and value == -1 else value
    options["password_complexity"] = bool(options["password_complexity"])
    return options


def fact(policy: dict[str, int], subset: str) -> dict[str, Any]:
    """One of the audit's facts subsets (password_policy, lockout_policy) of a section."""
    options = as_options(policy)
    return {name: options[option] for name, option in FACTS[subset].items()}


def merged(current: dict[str, int], args: dict[str, Any]) -> dict[str, int]:
    """The policy with the given options applied; a value Windows refuses fails the module."""
    policy = dict(current)
    for name, (key, low, high) in KEYS.items():
        if args.get(name) is None:
            continue
        value = int(args[name])
        if not low <= value <= high:
            raise ModuleFailedError(f"{name} must be between {low} and {high}, got {value}")
        policy[key] = -1 if key in NEVER and value == 0 else value
    after = as_options(policy)
    duration, reset = after["lockout_duration_minutes"], after["lockout_reset_minutes"]
    if after["lockout_threshold"] and duration and reset > duration:
        raise ModuleFailedError(f"lockout_reset_minutes ({reset}) must not be longer than"
                                f" lockout_duration_minutes ({duration})")
    max_age, min_age = after["max_password_age_days"], after["min_password_age_days"]
    if max_age and min_age >= max_age:
        raise ModuleFailedError(f"min_password_age_days ({min_age}) must be less than"
                                f" max_password_age_days ({max_age})")
    return policy


@register("ansible.legacy.sitekit_account_policy", supports_check_mode=True,
          implements=("min_password_length", "password_complexity", "max_password_age_days",
                      "min_password_age_days", "password_history_size", "lockout_threshold",
                      "lockout_duration_minutes", "lockout_reset_minutes"))
def sitekit_account_policy(host: LabHost, args: dict[str, Any], check_mode: bool,
                           diff: bool) -> dict[str, Any]:
    """Set the given policy options (secedit /configure); report what changed."""
    state = ensure(host_state(host))
    before = as_options(state["account_policy"])
    policy = merged(state["account_policy"], args)
    after = as_options(policy)
    changes = [name for name in KEYS if before[name] != after[name]]
    if changes and not check_mode:
        state["account_policy"] = policy
    result: dict[str, Any] = {"changed": bool(changes), "policy": after, "changes": changes}
    if changes:
        result["diff"] = {"before": {n: before[n] for n in changes},
                          "after": {n: after[n] for n in changes}}
    return result
