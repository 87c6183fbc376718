"""What a control checks: a path into a host's facts, an operator and the expected value.

Plain Python, compiled once per policy: each check becomes a `Check` whose `evaluate`
takes a host's facts and gives the status, the observed value and the expected value as
text (the evidence), and a note. A fact that is absent was not gathered: the control is
unknown, never pass. A fact that is null means the host has none of it (never backed up,
not installed); the operators say what none means for them.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from sitekit import timestamps
from sitekit.audit.netchecks import in_subnet, scopes_within
from sitekit.audit.releases import ReleaseTable
from sitekit.backup.schedule import chain_intervals

PASS, FAIL, WAIVED, UNKNOWN = "pass", "fail", "waived", "unknown"
STATUSES = (PASS, FAIL, WAIVED, UNKNOWN)

_MISSING: Any = object()
_DURATION = re.compile(r"^([0-9]+)([dhm])$")
_DURATION_WORDS = {"d": ("day", 86400), "h": ("hour", 3600), "m": ("minute", 60)}
_NAMED = re.compile(r"^\{([^{}]+)\}$")
# A name the fleet gives, in a fact path: services.{${fleet.sql.service},WinRM}.state
_FROM_FLEET = re.compile(r"\$\{fleet\.([A-Za-z0-9_.]+)\}")

# An operator: (observed, expected, gathered at) -> (True/False/None for unknown, shown, note)
Verdict = tuple[bool | None, str, str]
Operator = Callable[[Any, Any, "dt.datetime | None"], Verdict]


class CheckError(ValueError):
    """A check that cannot work: the message says which field and what to change."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(message)


def show(value: Any) -> str:
    """A fact value as the reports print it."""
    if type(value) is str:
        return value
    if value is None:
        return "none"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        return ", ".join(show(item) for item in value) if value else "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{key}={show(item)}" for key, item in value.items())
    return str(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@lru_cache(maxsize=4096)
def version(text: str) -> tuple[int, ...]:
    """A dotted version as numbers, trailing zeros dropped: 8.4.2.0 == 8.4.2."""
    parts = [int(part) for part in text.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _version(value: Any) -> tuple[int, ...] | None:
    if not isinstance(value, str):
        return None
    try:
        return version(value)
    except ValueError:
        return None


def duration(text: str) -> dt.timedelta:
    """A duration as the policy writes it: 2d, 36h, 90m."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(text)
    return dt.timedelta(seconds=int(match.group(1)) * _DURATION_WORDS[match.group(2)][1])


def _duration_words(text: str) -> str:
    match = _DURATION.match(text)
    assert match is not None  # noqa: S101 - checked when the check was compiled
    count, (word, _) = int(match.group(1)), _DURATION_WORDS[match.group(2)]
    return f"{count} {word}{'s' if count != 1 else ''}"


def timestamp(text: str) -> dt.datetime:
    """A fact's time, as every own module writes it (sitekit.timestamps).

    UTC to the second with Z; any other form is a ValueError, never guessed at.
    """
    return timestamps.parse(text)


def _age(seconds: float) -> str:
    if seconds < 0:
        return "in the future"
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days old"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.1f} hours old"
    return f"{seconds / 60:.0f} minutes old"


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


# The operators. Each returns None (unknown) for an observed value of the wrong type.

def _equals(observed: Any, expected: Any, _: Any) -> Verdict:
    if isinstance(expected, bool) != isinstance(observed, bool) and observed is not None:
        return None, show(observed), f"expected true or false, got {show(observed)}"
    return observed == expected, show(observed), ""


def _not_equals(observed: Any, expected: Any, at: Any) -> Verdict:
    verdict, shown, note = _equals(observed, expected, at)
    return (None if verdict is None else not verdict), shown, note


def _one_of(observed: Any, expected: Any, _: Any) -> Verdict:
    return observed in expected, show(observed), ""


def _numeric(test: Callable[[float, Any], bool]) -> Operator:
    def operator(observed: Any, expected: Any, _: Any) -> Verdict:
        if observed is None:
            return False, "none", ""
        if not _number(observed):
            return None, show(observed), f"not a number: {show(observed)}"
        return test(observed, expected), show(observed), ""
    return operator


def _versioned(test: Callable[[tuple[int, ...], tuple[int, ...]], bool]) -> Operator:
    def operator(observed: Any, expected: Any, _: Any) -> Verdict:
        if observed is None:
            return False, "not installed", ""
        found, wanted = _version(observed), _version(expected)
        if found is None:
            return None, show(observed), f"not a version: {show(observed)}"
        if wanted is None:
            return None, show(observed), f"the expected value is not a version: {show(expected)}"
        return test(found, wanted), observed, ""
    return operator


# How far a host's dates may run ahead of its own gathered_at (clock steps, rounding).
_SKEW = 300.0


def _max_age(observed: Any, expected: dt.timedelta, at: dt.datetime | None) -> Verdict:
    if observed is None:
        return False, "never", ""
    if not isinstance(observed, str):
        return None, show(observed), f"not a date: {show(observed)}"
    try:
        when = timestamp(observed)
    except ValueError:
        return None, observed, f"not a date: {observed}"
    if at is None:
        return None, observed, "the facts have no valid gathered_at to measure the age from"
    seconds = (at - when).total_seconds()
    if seconds < -_SKEW:
        return None, f"{observed} ({_age(seconds)})", (
            f"dated after the facts were gathered ({at:%Y-%m-%dT%H:%M:%SZ}): not evidence; "
            "check the host's clock")
    return seconds <= expected.total_seconds(), f"{observed} ({_age(seconds)})", ""


def _restorable_chain(observed: Any, expected: tuple[dt.timedelta, dict[str, str] | None],
                      at: dt.datetime | None) -> Verdict:
    """A database's backups (last_full, last_differential) make a chain the schedule keeps.

    The full backup at most the schedule's full interval old, and the newest backup of the
    chain (that full, or a differential taken since) at most its backup interval old; each
    plus the time a run may take. `expected` is that time and the host's own schedule from
    its facts (`backup_schedule`; None: db_backup's default). The intervals are the
    schedule's (sitekit.backup.schedule.chain_intervals), never a second number here.
    """
    if not isinstance(observed, dict):
        return None, show(observed), f"not a database's backups: {show(observed)}"
    run_time, schedule = expected
    try:
        full_every, backup_every = chain_intervals(schedule)
    except (KeyError, ValueError, AttributeError):
        return None, show(observed), f"the facts' backup_schedule cannot be read: {show(schedule)}"
    full, shown, note = _max_age(observed.get("last_full"), full_every + run_time, at)
    if full is not True:
        return full, f"full {shown}", note or "no full backup within the schedule's interval"
    newest = observed["last_full"]
    differential = observed.get("last_differential")
    if isinstance(differential, str) and _later(differential, newest):
        newest = differential
    fresh, shown_newest, note = _max_age(newest, backup_every + run_time, at)
    kind = "full" if newest == observed["last_full"] else "differential"
    text = f"full {shown}" + ("" if kind == "full" else f", differential {shown_newest}")
    if fresh is not True:
        return fresh, text, note or f"no backup within {backup_every.days} day(s)"
    return True, text, ""


def _chain_text(schedule: dict[str, str] | None, run_time: Any) -> str:
    """What restorable_chain expects of a host with this schedule, in words."""
    try:
        full_every, backup_every = chain_intervals(schedule)
    except (KeyError, ValueError, AttributeError):
        return f"a chain by the backup schedule {show(schedule)} (cannot be read)"
    whose = "db_backup's schedule" if schedule is None else \
        f"db_backup's schedule on this host: full {schedule.get('full_day')}"
    return (f"a full backup at most {full_every.days} days old and a backup since at"
            f" most {backup_every.days} day{'s' if backup_every.days != 1 else ''} old"
            f" ({whose}), +{_duration_words(run_time)} for a run")


def _later(first: str, second: str) -> bool:
    try:
        return timestamp(first) > timestamp(second)
    except ValueError:
        return False


def _inactive_at_most(observed: Any, expected: dt.timedelta, at: dt.datetime | None) -> Verdict:
    """Enabled accounts ([{name, last_logon, first_seen}]) used within `expected` (PCI DSS 8.2.6).

    Each account is aged from its last logon or, when it never logged on, from when the
    audit history first saw it (`first_seen`, which the audit adds): Windows keeps no
    creation time, and an account created for someone who never came is inactive too.
    """
    if observed is None:
        observed = []
    if not isinstance(observed, list) or not all(isinstance(item, dict) and "name" in item
                                                 for item in observed):
        return None, show(observed), f"not a list of accounts: {show(observed)}"
    if at is None:
        return None, show([item["name"] for item in observed]), \
            "the facts have no valid gathered_at to measure the inactivity from"
    inactive, unknown, shown = [], [], []
    for item in observed:
        name, logon, seen = item["name"], item.get("last_logon"), item.get("first_seen")
        since, what = (logon, "last logon") if logon else (seen, "first seen, never logged on")
        if not isinstance(since, str):
            unknown.append(name)
            shown.append(f"{name} never logged on, first sighting not recorded")
            continue
        try:
            seconds = (at - timestamp(since)).total_seconds()
        except ValueError:
            unknown.append(name)
            shown.append(f"{name} {what} {since} (not a date)")
            continue
        shown.append(f"{name} {what} {since[:10]}")
        if seconds > expected.total_seconds():
            inactive.append(f"{name} ({what} {seconds / 86400:.0f} days ago)")
    text = "; ".join(shown) if shown else "(no enabled account)"
    if inactive:
        return False, text, f"inactive: {', '.join(inactive)}"
    if unknown:
        return None, text, f"cannot age: {', '.join(unknown)}"
    return True, text, ""


def _inspected_within(observed: Any, expected: dt.timedelta, at: dt.datetime | None) -> Verdict:
    """Card terminals whose newest inspection passed at most `expected` ago (PCI DSS 9.5.1.2).

    {name: {serial, inspected, outcome}}; a site file without card terminals passes.
    `inspected` is the day (YYYY-MM-DD) of the newest inspection of the terminal with that
    serial, None when it was never inspected; `outcome` passed or failed.
    """
    if not isinstance(observed, dict):
        return None, show(observed), f"not card terminals: {show(observed)}"
    if at is None:
        return None, show(sorted(observed)), \
            "the facts have no valid gathered_at to measure the inspections' age from"
    if not observed:
        return True, "no card terminal in the site file", ""
    due, shown = [], []
    for name, terminal in sorted(observed.items()):
        serial = terminal.get("serial") if isinstance(terminal, dict) else None
        day = terminal.get("inspected") if isinstance(terminal, dict) else None
        outcome = terminal.get("outcome") if isinstance(terminal, dict) else None
        if not isinstance(day, str):
            shown.append(f"{name} ({serial}) never inspected")
            due.append(f"{name} never inspected")
            continue
        try:
            days = (at.date() - dt.date.fromisoformat(day)).days
        except ValueError:
            return None, show(observed), f"{name}: not a day: {day}"
        shown.append(f"{name} ({serial}) {outcome} on {day}")
        if outcome != "passed":
            due.append(f"{name} {outcome} its inspection on {day}")
        elif days > expected.days:
            due.append(f"{name} last inspected {days} days ago")
    return not due, "; ".join(shown), "; ".join(due)


def _zero_or_at_least(observed: Any, expected: Any, _: Any) -> Verdict:
    """0 (never ends by itself: the strictest setting) or a number at least `expected`."""
    if not _number(observed):
        return None, show(observed), f"not a number: {show(observed)}"
    return observed == 0 or observed >= expected, show(observed), ""


def _contains(observed: Any, expected: Any, _: Any) -> Verdict:
    if observed is None:
        observed = []
    if not isinstance(observed, list):
        return None, show(observed), f"not a list: {show(observed)}"
    have = {_fold(item) for item in observed}
    absent = [item for item in _as_list(expected) if _fold(item) not in have]
    return not absent, show(observed), f"missing: {show(absent)}" if absent else ""


def _not_contains(observed: Any, expected: Any, _: Any) -> Verdict:
    if observed is None:
        observed = []
    if not isinstance(observed, list):
        return None, show(observed), f"not a list: {show(observed)}"
    banned = {_fold(item) for item in _as_list(expected)}
    found = [item for item in observed if _fold(item) in banned]
    return not found, show(observed), f"must not be there: {show(found)}" if found else ""


def _subset_of(observed: Any, expected: Any, _: Any) -> Verdict:
    if observed is None:
        observed = []
    if not isinstance(observed, list) or not isinstance(expected, list):
        return None, show(observed), "not a list"
    allowed = {_fold(item) for item in expected}
    extra = [item for item in observed if _fold(item) not in allowed]
    return not extra, show(observed), f"not expected: {show(extra)}" if extra else ""


def _count_at_most(where: dict[str, Any] | None) -> Operator:
    def operator(observed: Any, expected: Any, _: Any) -> Verdict:
        if observed is None:
            observed = []
        if not isinstance(observed, list):
            return None, show(observed), f"not a list: {show(observed)}"
        items = observed
        if where:
            items = [item for item in observed if isinstance(item, dict)
                     and all(item.get(key) == value for key, value in where.items())]
        names = [_item_name(item) for item in items]
        shown = f"{len(items)}: {', '.join(names)}" if items else "0"
        return len(items) <= expected, shown, ""
    return operator


def _item_name(item: Any) -> str:
    if isinstance(item, dict):
        for key in ("kb", "name", "title", "transport"):
            if key in item:
                return show(item[key]) + (f" port {item['port']}" if key == "transport"
                                          and "port" in item else "")
    return show(item)


OPERATORS = ("equals", "not_equals", "one_of", "at_least", "at_most", "between",
             "abs_at_most", "version_at_least", "version_at_most", "max_age", "contains",
             "not_contains", "subset_of", "count_at_most", "restorable_chain",
             "zero_or_at_least", "version_equals", "current_update", "supported_release",
             "in_subnet", "scopes_within", "inactive_at_most", "inspected_within")
# The operators that judge by the fleet's release table (releases.py).
RELEASE_OPS = ("current_update", "supported_release")


def _operator(op: str, where: dict[str, Any] | None) -> Operator:
    table: dict[str, Operator] = {
        "equals": _equals,
        "not_equals": _not_equals,
        "one_of": _one_of,
        "at_least": _numeric(lambda found, wanted: found >= wanted),
        "at_most": _numeric(lambda found, wanted: found <= wanted),
        "between": _numeric(lambda found, wanted: wanted[0] <= found <= wanted[1]),
        "abs_at_most": _numeric(lambda found, wanted: abs(found) <= wanted),
        "version_at_least": _versioned(lambda found, wanted: found >= wanted),
        "version_at_most": _versioned(lambda found, wanted: found <= wanted),
        "max_age": _max_age,
        "inactive_at_most": _inactive_at_most,
        "inspected_within": _inspected_within,
        "restorable_chain": _restorable_chain,
        "zero_or_at_least": _zero_or_at_least,
        "version_equals": _versioned(lambda found, wanted: found == wanted),
        "contains": _contains,
        "not_contains": _not_contains,
        "subset_of": _subset_of,
        "count_at_most": _count_at_most(where),
        "current_update": lambda observed, expected, at: expected[0].current(observed, at,
                                                                             expected[1]),
        "supported_release": lambda observed, expected, at: expected[0].supported(observed, at),
        "in_subnet": in_subnet,
        "scopes_within": scopes_within,
    }
    return table[op]


def _release_value(op: str, value: Any, releases: ReleaseTable | None) -> Any:
    """(product, days) from {product, max_age_days}: the release table's product, checked."""
    wanted = "{product: KEY, max_age_days: N}" if op == "current_update" else "{product: KEY}"
    keys = {"product", "max_age_days"} if op == "current_update" else {"product"}
    if not isinstance(value, dict) or set(value) != keys or not isinstance(value["product"], str):
        raise CheckError("value", f"{op} needs {wanted}, got {show(value)}")
    days = value.get("max_age_days", 0)
    if op == "current_update" and (not isinstance(days, int) or isinstance(days, bool)
                                   or not 1 <= days <= 366):
        raise CheckError("value", f"max_age_days is a whole number of days from 1 to 366, got "
                                  f"{show(days)}")
    if releases is None:
        raise CheckError("op", f"{op} judges by the fleet's release table (release-table.yml "
                               "beside the policy), which was not loaded")
    product = releases.products.get(value["product"])
    if product is None:
        raise CheckError("value", f"{releases.file} has no product {value['product']}; use one "
                                  f"of {', '.join(sorted(releases.products))}")
    return product, days


def _check_value(op: str, value: Any) -> Any:
    """The literal expected value of `op`, checked and prepared; CheckError if unusable."""
    numeric = op in ("at_least", "at_most", "abs_at_most", "count_at_most", "zero_or_at_least")
    if numeric and not _number(value):
        raise CheckError("value", f"{op} needs a number, got {show(value)}")
    if op == "count_at_most" and (not isinstance(value, int) or value < 0):
        raise CheckError("value", f"count_at_most needs a whole number, got {show(value)}")
    if op == "between" and not (isinstance(value, list) and len(value) == 2
                                and all(_number(item) for item in value) and value[0] <= value[1]):
        raise CheckError("value", f"between needs [low, high], two numbers, got {show(value)}")
    if op in ("version_at_least", "version_at_most", "version_equals") and \
            _version(value) is None:
        raise CheckError("value", f"{op} needs a dotted version such as 16.0.1000.6, "
                                  f"got {show(value)}")
    if op in ("max_age", "restorable_chain", "inactive_at_most", "inspected_within"):
        if not isinstance(value, str) or not _DURATION.match(value):
            raise CheckError("value", f"{op} needs a duration such as 2d, 36h or 90m, "
                                      f"got {show(value)}")
        return duration(value)
    if op in ("one_of", "subset_of") and not isinstance(value, list):
        raise CheckError("value", f"{op} needs a list, got {show(value)}")
    if op in ("equals", "not_equals", "contains", "not_contains") and isinstance(value, dict):
        raise CheckError("value", f"{op} needs text, a number, true/false or a list")
    return value


def _with_unit(number: Any, unit: str) -> str:
    return f"{show(number)}{unit if unit == '%' else (' ' + unit if unit else '')}"


def _expected_text(  # noqa: PLR0912 - one case per operator
        op: str, value: Any, raw: Any, unit: str, where: dict[str, Any] | None) -> str:
    def num(number: Any) -> str:
        return _with_unit(number, unit)
    match op:
        case "equals":
            return show(value)
        case "not_equals":
            return f"not {show(value)}"
        case "one_of":
            return f"one of: {show(value)}"
        case "at_least":
            return f">= {num(value)}"
        case "at_most":
            return f"<= {num(value)}"
        case "between":
            return f"{show(value[0])}..{num(value[1])}"
        case "abs_at_most":
            return f"within ±{num(value)}"
        case "version_at_least":
            return f">= {value}"
        case "version_at_most":
            return f"<= {value}"
        case "max_age":
            return f"at most {_duration_words(raw)} old"
        case "inspected_within":
            return (f"each card terminal's newest inspection passed, at most "
                    f"{_duration_words(raw)} ago")
        case "inactive_at_most":
            return (f"each enabled account's last logon (or first sighting, if it never "
                    f"logged on) at most {_duration_words(raw)} ago")
        case "restorable_chain":
            return _chain_text(None, raw)
        case "zero_or_at_least":
            return f"0 or >= {num(value)}"
        case "version_equals":
            return f"= {value}"
        case "current_update":
            return f"a {value[0].title} update released within {value[1]} days ({value[0].file})"
        case "supported_release":
            return f"a {value[0].title} feature release still serviced for its edition"
        case "contains":
            return f"includes {show(value)}"
        case "not_contains":
            return f"none of {show(value)}"
        case "subset_of":
            return f"only {show(value)}"
        case "count_at_most":
            which = f" ({show(where)})" if where else ""
            return f"at most {value}{which}"
        case "in_subnet":
            return f"within {show(value)}"
        case "scopes_within":
            return "each port open to at most: " + "; ".join(
                f"{e['port']} from {', '.join(e['sources']) or 'nothing'}"
                for e in value) if isinstance(value, list) else show(value)
    raise AssertionError(op)


def _label(label: str) -> str:
    return label if label.endswith(":") else f"{label}:"


def _parse_path(text: str) -> tuple[Any, ...]:
    """A fact path: each part a key, `*` (every entry) or a tuple of named entries."""
    parts: list[Any] = []
    for part in text.split("."):
        named = _NAMED.match(part)
        if part == "*":
            parts.append(None)
        elif named:
            parts.append(tuple(name.strip() for name in named.group(1).split(",")))
        else:
            parts.append(part)
    return tuple(parts)


def _fleet_names(fact: str, fleet: dict[str, Any] | None) -> str:
    """The fact path with each ${fleet.<key>} replaced by the fleet's name for it."""
    def name(match: re.Match[str]) -> str:
        found = _get(fleet or {}, tuple(match.group(1).split(".")))
        if fleet is None or not isinstance(found, str) or not found:
            raise CheckError("fact", f"the fleet file has no name at {match.group(1)} for "
                                     f"${{fleet.{match.group(1)}}}; name a text key under "
                                     "`fleet:` in sitekit.yml (or sql.service, sql.connect)")
        if set(found) & set(".,{}*"):
            raise CheckError("fact", f"fleet.{match.group(1)} is {found!r}: a name in a fact "
                                     "path cannot hold . , { } or *")
        return found
    return _FROM_FLEET.sub(name, fact)


def _get(node: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        if node is None:
            return None  # a section the host has none of: sql_server is null
        try:
            node = node[part]
        except (KeyError, TypeError, IndexError):
            return _MISSING
    return node


def _leaves(node: Any, parts: tuple[Any, ...],
            labels: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (labels, value) a wildcard path reaches; _MISSING where a named entry is absent."""
    for index, part in enumerate(parts):
        if isinstance(part, str):
            if node is None:
                yield labels, None
                return
            try:
                node = node[part]
            except (KeyError, TypeError, IndexError):
                yield labels, _MISSING
                return
            continue
        rest = parts[index + 1:]
        if part is None:  # `*`
            if isinstance(node, dict):
                for key, child in node.items():
                    yield from _leaves(child, rest, (*labels, str(key)))
            elif isinstance(node, list):
                for number, child in enumerate(node):
                    yield from _leaves(child, rest, (*labels, str(number)))
            return
        for name in part:  # {a,b}
            child = node.get(name, _MISSING) if isinstance(node, dict) else _MISSING
            if child is _MISSING:
                yield (*labels, name), _MISSING
            else:
                yield from _leaves(child, rest, (*labels, name))
        return
    yield labels, node


def _substitute(parts: tuple[Any, ...], labels: tuple[str, ...]) -> tuple[str, ...] | None:
    """A value_from path with its wildcards bound to the entry being checked."""
    out, given = [], iter(labels)
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        else:
            label = next(given, None)
            if label is None:
                return None
            out.append(label)
    return tuple(out)


class Check:
    """One control's check, compiled: `evaluate(facts, at)` gives the evidence."""

    __slots__ = ("_expected", "_expected_shown", "_from_facts", "_leafy", "_operator",
                 "_parts", "_raw", "fact", "op", "unit", "value_from", "where")

    def __init__(self, fact: str, op: str, *, value: Any = _MISSING, value_from: str | None = None,
                 where: dict[str, Any] | None = None, unit: str = "",
                 fleet: dict[str, Any] | None = None,
                 releases: ReleaseTable | None = None) -> None:
        if op not in OPERATORS:
            raise CheckError("op", f"unknown operator {op}; use one of {', '.join(OPERATORS)}")
        if where and op != "count_at_most":
            raise CheckError("where", "`where` only works with count_at_most")
        self.fact, self.op, self.value_from = fact, op, value_from
        self.where, self.unit = where, unit
        self._parts = _parse_path(_fleet_names(fact, fleet))
        self._leafy = any(not isinstance(part, str) for part in self._parts)
        self._operator = _operator(op, where)
        self._from_facts: tuple[Any, ...] | None = None
        self._raw = value
        if op in RELEASE_OPS:
            if value_from is not None:
                raise CheckError("value_from", f"{op} takes its product from `value`")
            self._expected = _release_value(op, value, releases)
            self._expected_shown = _expected_text(op, self._expected, value, unit, where)
        elif value_from is None:
            self._expected = _check_value(op, value)
            self._expected_shown = _expected_text(op, self._expected, value, unit, where)
        elif value_from.startswith("fleet."):
            found = _get(fleet or {}, tuple(value_from.split(".")[1:]))
            if found is _MISSING or fleet is None:
                raise CheckError("value_from", f"the fleet file has no {value_from[6:]}; "
                                               "name a key under `fleet:` in sitekit.yml")
            self._expected = _check_value(op, found)
            self._expected_shown = _expected_text(op, self._expected, found, unit, where)
        elif value_from.startswith("facts."):
            if op in ("max_age", "inactive_at_most", "inspected_within"):
                raise CheckError("value_from", f"{op} takes its duration from `value`")
            self._from_facts = _parse_path(value_from[6:])
            self._expected = None
            self._expected_shown = f"{op.replace('_', ' ')} {value_from}"
        else:
            raise CheckError("value_from", "value_from starts with fleet. or facts.")

    def with_fleet_value(self, value: Any) -> Check:
        """A copy judging by `value` instead of the fleet file's (a site's own value).

        E.g. the application version of the release the site's rollout ring is on.
        """
        if self.value_from is None or not self.value_from.startswith("fleet."):
            raise CheckError("value_from", f"{self.fact} takes no value from the fleet file")
        other = copy.copy(self)
        other._expected = _check_value(self.op, value)
        other._expected_shown = _expected_text(self.op, other._expected, value, self.unit,
                                               self.where)
        return other

    @property
    def expected(self) -> str:
        """The expected value as text, when it does not depend on the host."""
        return self._expected_shown

    @property
    def threshold(self) -> Any:
        """The compiled expected value (a timedelta for max_age), None when from the facts.

        Other judges of the same rule (the monitoring's alert rules) read it from here.
        """
        return self._expected

    def boundary(self) -> tuple[Any, ...]:
        """The edge values this check still passes (empty where the operator has none).

        Compared with a benchmark's recommended value: the check is weaker than it when it
        passes an edge the benchmark fails.
        """
        if self._from_facts is not None:
            return ()
        value = self._expected
        match self.op:
            case "at_least" | "at_most" | "equals":
                return (value,)
            case "between":
                return tuple(value)
            case "zero_or_at_least":
                return (0, value)
        return ()

    def evaluate(self, facts: dict[str, Any], at: dt.datetime | None) -> tuple[str, str, str, str]:
        """(status, observed, expected, note) for one host's facts."""
        if not self._leafy:
            observed = _get(facts, self._parts)
            return self._one(facts, observed, (), at)
        outcomes = []
        for labels, observed in _leaves(facts, self._parts):
            outcomes.append((" ".join(labels), self._one(facts, observed, labels, at)))
        if not outcomes:
            return UNKNOWN, "(nothing)", self._expected_shown, f"no entries at {self.fact}"
        statuses = {status for _, (status, _, _, _) in outcomes}
        status = FAIL if FAIL in statuses else UNKNOWN if UNKNOWN in statuses else PASS
        observed_text = "; ".join(f"{_label(label)} {shown}"
                                  for label, (_, shown, _, _) in outcomes)
        expected_texts = {expected for _, (_, _, expected, _) in outcomes}
        expected_text = (expected_texts.pop() if len(expected_texts) == 1 else
                         "; ".join(f"{_label(label)} {expected}"
                                   for label, (_, _, expected, _) in outcomes))
        if status == PASS:
            return status, observed_text, expected_text, ""
        which = [label for label, (status_, _, _, _) in outcomes if status_ == status]
        notes = [f"{_label(label)} {note}" for label, (status_, _, _, note) in outcomes
                 if status_ == status and note]
        head = f"{'failing' if status == FAIL else 'unknown'}: {', '.join(which)}"
        return status, observed_text, expected_text, "; ".join([head, *notes])

    def _one(self, facts: dict[str, Any], observed: Any, labels: tuple[str, ...],
             at: dt.datetime | None) -> tuple[str, str, str, str]:
        expected, expected_text = self._expected, self._expected_shown
        if self._from_facts is not None:
            path = _substitute(self._from_facts, labels)
            expected = _MISSING if path is None else _get(facts, path)
            if expected is _MISSING:
                if observed is _MISSING:
                    return UNKNOWN, "(not gathered)", "(not gathered)", f"{self.fact} not gathered"
                return (UNKNOWN, show(observed), "(not gathered)",
                        f"{self.value_from} was not gathered")
            try:
                expected = _check_value(self.op, expected)
            except CheckError as error:
                return UNKNOWN, show(observed), show(expected), str(error)
            expected_text = _expected_text(self.op, expected, expected, self.unit, self.where)
        if self.op == "restorable_chain":
            # Each server by its own db_backup schedule, which its facts carry.
            schedule = facts.get("backup_schedule") if isinstance(facts, dict) else None
            expected = (expected, schedule)
            if schedule is not None:
                expected_text = _chain_text(schedule, self._raw)
        if observed is _MISSING:
            return UNKNOWN, "(not gathered)", expected_text, f"{self.fact} was not gathered"
        verdict, shown, note = self._operator(observed, expected, at)
        if self.unit and _number(observed):
            shown = _with_unit(observed, self.unit)
        if verdict is None:
            return UNKNOWN, shown, expected_text, note
        return (PASS if verdict else FAIL), shown, expected_text, note
