"""The baseline policy: a versioned YAML file of controls and waivers per fleet.

`inventories/<fleet>/audit-policy.yml`, defined by `schemas/policy.schema.json`. Loading
never raises on bad input: every problem names the file, its line and the field, as the
site loader's do.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sitekit.audit.checks import PASS, RELEASE_OPS, Check, CheckError
from sitekit.audit.published import schema
from sitekit.audit.references import table as references_table
from sitekit.audit.releases import ReleaseTable, load_releases, releases_file
from sitekit.problems import Problem, display_path
from sitekit.site import sqlserver, strict_yaml
from sitekit.site.model import STATION_KINDS, dotted
from sitekit.site.schema import explained

POLICY_FILE = "audit-policy.yml"
SEVERITIES = ("critical", "high", "medium", "low")
# A waiver says why in this many characters or more (not counting surrounding spaces), and
# expires at most this far after the day the policy is read: it is reviewed once a year.
MIN_REASON = 20
MAX_WAIVER = dt.timedelta(days=366)
# Characters a reviewer cannot see: C0/C1 controls (a line break aside) and bidi overrides.
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_WHERE = "(policy)"


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlFields:
    """What a control says of itself: its one definition.

    The policy's `Control` and the reports' `ControlInfo` (a control as a run kept it in
    the history) both extend it.
    """

    id: str
    title: str
    area: str
    severity: str
    pci_dss: tuple[str, ...]
    cis: tuple[str, ...]
    applies_to: tuple[str, ...]
    suggestion: str
    # The configuration standard's deviation (CS-01) for a CIS value it passes less than.
    deviation: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Control(ControlFields):
    """One line of the baseline: what must be true of every host it applies to."""

    check: Check

    @property
    def expected(self) -> str:
        """What the check expects, as text."""
        return self.check.expected


@dataclass(frozen=True, slots=True)
class Waiver:
    """A control that may fail at a site (or one host, or some kinds), why, and until when."""

    site: str  # a code, or * for every site
    host: str | None  # computer name in lower case
    kinds: tuple[str, ...] | None
    control: str
    reason: str
    approved_by: str
    expires: dt.date
    # What makes up for the control while it fails: PCI DSS has no waivers, so a waived
    # control is not compliant; an assessor weighs this (PCI DSS v4.0.1 Appendix B).
    compensating_control: str = ""

    def covers(self, site: str, host: str, kind: str) -> bool:
        """Whether it is about this host (whatever its expiry)."""
        return ((self.site in ("*", site)) and (self.host is None or self.host == host)
                and (self.kinds is None or kind in self.kinds))

    def describe(self) -> str:
        """Its reason and approval, as the reports quote it."""
        return (f"{self.reason} Compensating control: {self.compensating_control} (approved by "
                f"{self.approved_by}, expires {self.expires})")


@dataclass
class Policy:
    """A loaded policy: controls in file order, and waivers."""

    file: str
    version: str
    fleet: str
    description: str
    controls: tuple[Control, ...]
    waivers: tuple[Waiver, ...] = ()
    by_kind: dict[str, tuple[Control, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_kind = {kind: tuple(c for c in self.controls if kind in c.applies_to)
                        for kind in STATION_KINDS}


def policy_file(fleet_dir: Path) -> Path:
    """Where a fleet keeps its policy."""
    return fleet_dir / POLICY_FILE if fleet_dir.is_dir() else fleet_dir.parent / POLICY_FILE


def load_policy(path: Path, fleet: dict[str, Any] | None = None,
                sites: Iterable[str] | None = None,
                today: dt.date | None = None,
                releases_path: Path | None = None) -> tuple[Policy | None, list[Problem]]:
    """Read and check a policy file; the policy (None if any problem) and every problem.

    `fleet` is the fleet file's `fleet:` mapping (for `value_from: fleet.*` and the fleet
    name); `sites` the fleet's site codes, which waivers must name; `today` (default:
    planning_date()) bounds how far ahead a waiver may expire. The release table
    (`releases_path`, default: release-table.yml beside the policy) is read when a control
    judges by it.
    """
    shown = display_path(path)
    data, problems = _read(path, shown)
    if data is None:
        return None, problems
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - slow to import

    # `value` may be any type, so the schema cannot catch a YAML 1.1 surprise there.
    coerced = list(_coerced(data, ())) if getattr(data, "coerced", False) else []
    for where, value in coerced:
        problems.append(_problem(shown, data, where, value.explain()))
    if not coerced:
        for where, message in explained(Draft202012Validator(schema("policy")), data):
            problems.append(_problem(shown, data, where, message))
    if problems:
        return None, problems
    if fleet is not None and data["fleet"] != fleet.get("name"):
        problems.append(_problem(shown, data, ("fleet",), (
            f"this policy is for fleet {data['fleet']}, but the fleet file names "
            f"{fleet.get('name')}; use the fleet's own policy or fix `fleet:`")))
    releases = None
    if any(item["check"]["op"] in RELEASE_OPS for item in data["controls"]):
        releases, found = load_releases(releases_path or releases_file(path))
        problems.extend(found)
    controls = _controls(shown, data, _with_sql(fleet), problems, releases)
    ids = {control.id for control in controls}
    if today is None:
        from sitekit.plan.fleet import planning_date  # noqa: PLC0415 - plan imports much

        today = planning_date()
    waivers = _waivers(shown, data, ids, set(sites) if sites is not None else None, problems,
                       fleet=fleet or {}, today=today)
    if problems:
        return None, problems
    return Policy(shown, data["version"], data["fleet"], data.get("description", ""),
                  tuple(controls), tuple(waivers)), []


def _read(path: Path, shown: str) -> tuple[Any, list[Problem]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [Problem(shown, None, _WHERE, "", (
            "no audit policy here; copy inventories/example/audit-policy.yml and adapt it"))]
    except (OSError, UnicodeDecodeError) as error:
        return None, [Problem(shown, None, _WHERE, "", f"cannot read the file: {error}")]
    try:
        data = strict_yaml.load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        return None, [Problem(shown, mark.line + 1 if mark else None, _WHERE, "",
                              f"YAML syntax: {error.problem or 'invalid YAML'}")]
    except yaml.YAMLError as error:
        return None, [Problem(shown, None, _WHERE, "", f"YAML syntax: {error}")]
    if not isinstance(data, strict_yaml.Mapping):
        return None, [Problem(shown, 1, _WHERE, "", "must be a mapping of keys to values")]
    return data, []


def _coerced(node: Any, where: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...],
                                                                       strict_yaml.Coerced]]:
    if isinstance(node, strict_yaml.Coerced):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _coerced(value, (*where, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _coerced(value, (*where, index))


def _problem(shown: str, data: Any, where: tuple[str | int, ...], message: str) -> Problem:
    return Problem(shown, strict_yaml.line_of(data, where), _WHERE, dotted(where), message)


def _with_sql(fleet: dict[str, Any] | None) -> dict[str, Any] | None:
    """The fleet mapping and, as `sql`, its SQL Server instance's names and installed version."""
    sql = ((fleet or {}).get("software") or {}).get("sql_server", {})
    if fleet is None or not isinstance(sql.get("instance"), str):
        return fleet
    return {**fleet, "sql": sqlserver.inventory_vars(sql)}


def _controls(shown: str, data: Any, fleet: dict[str, Any] | None,
              problems: list[Problem], releases: ReleaseTable | None) -> list[Control]:
    controls: list[Control] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(data["controls"]):
        where = ("controls", index)
        if item["id"] in seen:
            problems.append(_problem(shown, data, (*where, "id"), (
                f"{item['id']} is also the id of controls[{seen[item['id']]}]; every control "
                "needs its own id")))
            continue
        seen[item["id"]] = index
        spec = item["check"]
        try:
            check = Check(spec["fact"], spec["op"], value=spec.get("value"),
                          value_from=spec.get("value_from"), where=spec.get("where"),
                          unit=spec.get("unit", ""), fleet=fleet, releases=releases)
        except CheckError as error:
            problems.append(_problem(shown, data, (*where, "check", error.field), str(error)))
            continue
        references = item.get("references", {})
        applies_to = tuple(item.get("applies_to", STATION_KINDS))
        found = len(problems)
        for at, message in _reference_problems(item["id"], references, applies_to, check):
            problems.append(_problem(shown, data, (*where, "references", *at), message))
        if len(problems) > found:
            continue
        controls.append(Control(
            id=item["id"], title=item["title"], area=item["area"], severity=item["severity"],
            pci_dss=tuple(references.get("pci_dss", ())),
            cis=_cited(references.get("cis", ()), applies_to, check,
                       references.get("deviation")),
            applies_to=applies_to, check=check, suggestion=item["suggestion"],
            deviation=references.get("deviation")))
    return controls


def _reference_problems(control: str, references: dict[str, Any], kinds: tuple[str, ...],
                        check: Check) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Each reference the table does not hold, and a CIS value the check passes less than.

    A control that passes a value a cited CIS item fails (a weaker threshold) names the
    deviation the written configuration standard records (PCI DSS 2.2.1); one that names a
    deviation must have one.
    """
    table = references_table()
    for index, number in enumerate(references.get("pci_dss", ())):
        if number not in table.pci:
            yield ("pci_dss", index), (
                f"PCI DSS v{table.pci_version} has no requirement {number} among those "
                "src/sitekit/audit/references.yml lists; check the number in the standard "
                "and add it to the table with its title if it is right")
    weaker = []
    for index, number in enumerate(references.get("cis", ())):
        for benchmark in table.for_kinds(kinds):
            item = benchmark.items.get(number)
            if item is None:
                yield ("cis", index), (
                    f"the {benchmark.title} v{benchmark.version} has no item {number} among "
                    "those src/sitekit/audit/references.yml lists; cite the number this "
                    "benchmark version gives the setting")
            elif "recommended" in item and _weaker(check, item["recommended"]):
                weaker.append(f"{number} ({item['title']})")
    deviation = references.get("deviation")
    if weaker and deviation is None:
        yield ("cis",), (
            f"{control} passes values that CIS {', '.join(sorted(set(weaker)))} fails: "
            "meet the benchmark's value, or record the deviation in the configuration "
            "standard (docs/configuration-standard.md) and name it as references.deviation")
    elif deviation is not None and not weaker:
        yield ("deviation",), (
            f"{control} meets every CIS item it cites; remove the deviation {deviation}")


def _weaker(check: Check, recommended: dict[str, Any]) -> bool:
    """Whether the check passes a boundary value of its own that the CIS value fails."""
    parts = check.fact.split(".")
    if any(set(part) & set("*{}$") for part in parts):
        return False
    cis = Check(check.fact, recommended["op"], value=recommended["value"])
    for value in check.boundary():
        facts: dict[str, Any] = {}
        node = facts
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
        if check.evaluate(facts, None)[0] == PASS and cis.evaluate(facts, None)[0] != PASS:
            return True
    return False


def _cited(numbers: Iterable[str], kinds: tuple[str, ...], check: Check,
           deviation: str | None) -> tuple[str, ...]:
    """Each CIS item as the reports print it: number, title, the benchmarks, any deviation."""
    out: list[str] = []
    for number in numbers:
        by_text: dict[str, list[str]] = {}
        for benchmark in references_table().for_kinds(kinds):
            item = benchmark.items[number]
            text = f"{number} {item['title']}"
            if deviation and "recommended" in item and _weaker(check, item["recommended"]):
                text += f" [deviation {deviation}, configuration standard]"
            by_text.setdefault(text, []).append(benchmark.short())
        out.extend(f"{text} ({', '.join(names)})" for text, names in by_text.items())
    return tuple(out)


def _waivers(shown: str, data: Any, ids: set[str], sites: set[str] | None,
             problems: list[Problem], *, fleet: dict[str, Any], today: dt.date) -> list[Waiver]:
    waivers = []
    for index, raw in enumerate(data.get("waivers", ())):
        where = ("waivers", index)
        found = len(problems)
        item = _from_fleet(shown, data, where, raw, fleet=fleet, problems=problems)
        if item is None:
            continue
        if item["control"] not in ids:
            problems.append(_problem(shown, data, (*where, "control"), (
                f"there is no control {item['control']} in this policy")))
        if sites is not None and item["site"] != "*" and item["site"] not in sites:
            problems.append(_problem(shown, data, (*where, "site"), (
                f"there is no site {item['site']} in the fleet")))
        host = item.get("host")
        if host is not None and item["site"] != "*" and not host.upper().startswith(
                item["site"] + "-"):
            problems.append(_problem(shown, data, (*where, "host"), (
                f"{host} is not a host of site {item['site']}: host names start with the "
                "site code")))
        reason, approved_by = str(item["reason"]).strip(), str(item["approved_by"]).strip()
        compensating = str(item.get("compensating_control", "")).strip()
        for key, message in _text_problems(item, reason, approved_by, compensating):
            problems.append(_problem(shown, data, (*where, key), message))
        try:
            expires = dt.date.fromisoformat(item["expires"])
        except ValueError:
            problems.append(_problem(shown, data, (*where, "expires"), (
                f"{item['expires']} is not a date; write YYYY-MM-DD")))
            continue
        if expires > today + MAX_WAIVER:
            problems.append(_problem(shown, data, (*where, "expires"), (
                f"{expires} is more than {MAX_WAIVER.days} days ahead (after "
                f"{today + MAX_WAIVER}): a waiver is reviewed at least once a year; set an "
                "earlier date and renew it then")))
        if len(problems) > found:
            continue
        waivers.append(Waiver(
            site=item["site"], host=host.lower() if host else None,
            kinds=tuple(item["kinds"]) if "kinds" in item else None, control=item["control"],
            reason=reason, approved_by=approved_by, expires=expires,
            compensating_control=compensating))
    return waivers


def _text_problems(item: dict[str, Any], reason: str, approved_by: str,
                   compensating: str) -> Iterator[tuple[str, str]]:
    """(field, message) for a waiver's reason, compensating control and approver."""
    if len(compensating) < MIN_REASON:
        said = (f"compensating_control is {len(compensating)} characters" if compensating
                else "add compensating_control")
        where = "every site" if item["site"] == "*" else item["site"]
        yield "compensating_control", (
            f"{said}: PCI DSS has no waivers, a waived control is not compliant; say in "
            f"{MIN_REASON} characters or more what makes up for {item['control']} failing at "
            f"{where} (PCI DSS Appendix B)")
    if len(reason) < MIN_REASON:
        yield "reason", (
            f"the reason is {len(reason)} characters without its surrounding spaces; say "
            f"why the control may fail here in {MIN_REASON} characters or more")
    if not approved_by:
        yield "approved_by", "say who approved the waiver (a name, and a role or team)"
    for key, text in (("reason", reason), ("approved_by", approved_by),
                      ("compensating_control", compensating)):
        if _CONTROL.search(text):
            yield key, ("holds control characters (escape codes, bidi overrides ...); write "
                        "plain text")


def _from_fleet(shown: str, data: Any, where: tuple[str | int, ...], item: Any, *,
                fleet: dict[str, Any], problems: list[Problem]) -> dict[str, Any] | None:
    """A waiver with its reason and approval: its own, or the fleet file's exception's.

    `from_fleet: autologon` waives what opening day records on the stations: the kinds,
    reason and approval stay in the fleet file, said once.
    """
    source = item.get("from_fleet")
    if source is None:
        missing = [key for key in ("reason", "approved_by") if key not in item]
        if missing:
            problems.append(_problem(shown, data, where, (
                f"add {' and '.join(missing)}: a waiver says why and who approved it (or use "
                "from_fleet: autologon for the fleet file's exception)")))
            return None
        return dict(item)
    extra = [key for key in ("kinds", "reason", "approved_by") if key in item]
    if extra:
        problems.append(_problem(shown, data, (*where, extra[0]), (
            f"from_fleet: {source} takes {', '.join(extra)} from the fleet file; leave "
            f"{'them' if len(extra) > 1 else 'it'} out here")))
        return None
    exception = fleet.get(source)
    if not exception or not exception.get("kinds"):
        problems.append(_problem(shown, data, (*where, "from_fleet"), (
            f"the fleet file has no {source} exception to take the waiver from; add "
            f"fleet.{source} there or write reason and approved_by here")))
        return None
    approver = str(exception.get("approved_by") or "").strip()
    since = exception.get("since")
    return {**item, "kinds": list(exception["kinds"]), "reason": exception.get("reason") or "",
            "approved_by": f"{approver}, since {since}" if approver and since else approver}

