"""sitekit_account_policy (plugins/modules): password and lockout policy in one call."""

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


def as_options(policy: dict[str, int]) -> dict[str, Any]:
    """A secedit [System Access] section as the module's option names and types."""
    options: dict[str, Any] = {name: 0 if key in NEVER and policy[key] == -1 else policy[key]
                               for name, (key, _, _) in KEYS.items()}
    options["password_complexity"] = bool(options["password_complexity"])
    return options


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
    duration, reset = max(policy["LockoutDuration"], 0), policy["ResetLockoutCount"]
    if policy["LockoutBadCount"] and duration and reset > duration:
        raise ModuleFailedError(f"lockout_reset_minutes ({reset}) must not be longer than"
                                f" lockout_duration_minutes ({duration})")
    max_age, min_age = max(policy["MaximumPasswordAge"], 0), policy["MinimumPasswordAge"]
    if max_age and min_age >= max_age:
        raise ModuleFailedError(f"min_password_age_days ({min_age}) must be less than"
                                f" max_password_age_days ({max_age})")
    return policy


@register("ansible.legacy.sitekit_account_policy", supports_check_mode=True)
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
