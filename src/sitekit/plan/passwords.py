"""Windows' "Password must meet complexity requirements", as a check the preflight can run.

A password Windows will refuse must fail before the run creates the first account, with a
reason that says what to change (never the password itself). The rules, from
https://learn.microsoft.com/en-us/previous-versions/windows/it-pro/windows-10/security/threat-protection/security-policy-settings/password-must-meet-complexity-requirements
- at least the policy's minimum length;
- not the account name (sAMAccountName, when it has three characters or more), and none of
  the full name's tokens (split at , . - _ # space and tab; tokens under three characters
  ignored), compared case-insensitively;
- characters from three of five categories: uppercase letters, lowercase letters, digits
  0-9, the special characters below, and other Unicode letters (neither upper nor lower).
"""

from __future__ import annotations

import re

SPECIAL = set("~!@#$%^&*_-+=`|\\(){}[]:;\"'<>,.?/")
_TOKEN_SEPARATORS = re.compile(r"[,.\-_#\s]+")
CATEGORIES_NEEDED = 3


def categories(password: str) -> set[str]:
    """The character categories the password uses."""
    found = set()
    for char in password:
        if char.isupper():
            found.add("uppercase")
        elif char.islower():
            found.add("lowercase")
        elif char in "0123456789":
            found.add("digits")
        elif char in SPECIAL:
            found.add("special")
        elif char.isalpha():
            found.add("other letters")
    return found


def complexity_problems(password: str, accounts: dict[str, str],
                        min_length: int) -> list[str]:
    """Why Windows would refuse `password` for any of `accounts` ({name: full name})."""
    problems = []
    if len(password) < min_length:
        problems.append(f"it has {len(password)} characters, the policy needs {min_length}")
    used = categories(password)
    if len(used) < CATEGORIES_NEEDED:
        problems.append(f"it uses {len(used)} of the character categories (uppercase, "
                        "lowercase, digits, special characters), Windows needs 3")
    lowered = password.lower()
    for name, full_name in sorted(accounts.items()):
        if len(name) >= 3 and name.lower() in lowered:
            problems.append(f"it contains the account name {name}")
        tokens = [t for t in _TOKEN_SEPARATORS.split(full_name or "") if len(t) >= 3]
        problems += [f"it contains '{t}' of {name}'s full name" for t in tokens
                     if t.lower() in lowered]
    return problems
