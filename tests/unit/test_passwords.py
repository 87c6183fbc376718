"""Windows' password complexity rule, case by case: what it refuses and what it accepts."""

from __future__ import annotations

import pytest

from sitekit.plan.passwords import complexity_problems

ACCOUNTS = {"acosta": "Ana Costa", "jo": "Jo Li", "rmatos": "Rui Matos-Silva"}

CASES = [
    # (password, what the problems must mention; [] = Windows accepts it)
    ("Lisbon-Opening-2026", []),
    ("lisbonopening2026", ["2 of the character categories"]),     # letters and digits only
    ("LISBON OPENING", ["1 of the character categories"]),        # a space is no special
    ("Short-1a", ["8 characters"]),
    ("Acosta-Opening-2026", ["account name acosta", "'Costa' of acosta's full name"]),
    ("Welcome-Costa-2026", ["'Costa' of acosta's full name"]),
    ("Welcome-Silva-2026", ["'Silva' of rmatos's full name"]),   # a token after a hyphen
    ("Welcome-Ana-Jo-2026", ["'Ana' of acosta's full name"]),     # "Jo": under 3, ignored
    ("Ølhus-Kaffe-2026", []),                                       # European uppercase
    ("日本語パスワード2026!x", []),                                  # other letters count
]


@pytest.mark.parametrize(("password", "mentions"), CASES, ids=[c[0] for c in CASES])
def test_windows_complexity(password: str, mentions: list[str]) -> None:
    problems = complexity_problems(password, ACCOUNTS, 12)
    assert len(problems) == len(mentions), problems
    for mention, problem in zip(mentions, problems, strict=True):
        assert mention in problem
        assert password not in problem  # never echo the password
