"""Real facts documents, mutated: never a traceback, never a pass without its evidence.

Each example takes the facts a healthy host of the example fleet reports (as the audit
tests make them), changes them as a broken gather step, a hand edit or a hostile host
might (a section or a fact removed, a value of another type, the envelope changed, the
document truncated) and runs it through what `sitekit report` runs: the facts file read
from a run directory, then every control of the example policy.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitekit.audit.checks import PASS, STATUSES, UNKNOWN
from sitekit.audit.evaluate import Evaluator, SiteInfo
from sitekit.audit.policy import Policy, load_policy
from sitekit.site.load import load_fleet_dir
from sitekit.site.strict_yaml import plain
from tests.auditdata import RELEASES, healthy
from tests.conftest import EXAMPLE

TODAY = dt.date(2026, 12, 1)
NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
HOSTS = (("lis01-srv01", "server"), ("lis01-pos01", "cashier"), ("lis01-kds01", "kitchen"))


def _policy() -> Policy:
    loaded = load_fleet_dir(EXAMPLE)
    assert loaded.fleet is not None
    policy, problems = load_policy(EXAMPLE / "audit-policy.yml",
                                   plain(loaded.fleet.source["fleet"]), today=TODAY,
                                   releases_path=RELEASES)
    assert policy is not None, problems
    return policy


POLICY = _policy()
SITE = SiteInfo("LIS01", "Lisbon", "Lisbon", 1, list(HOSTS))


def _paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every path into a facts mapping (sections, entries, leaves)."""
    out = []
    if isinstance(node, dict):
        for key, child in node.items():
            out.append((*prefix, key))
            out += _paths(child, (*prefix, key))
    return out


def _reads_exactly(fact: str, path: tuple[str, ...]) -> bool:
    """Whether a control's fact path reads at or under `path` with no `*` on the way."""
    parts = fact.split(".")
    if len(parts) < len(path):
        return False
    for part, key in zip(parts, path, strict=False):
        if part == "*":
            return False
        if part.startswith("{"):
            names = part.strip("{}").split(",")
            if len(names) != 1 or names[0] != key:  # other named entries may still pass
                return False
        elif part != key:
            return False
    return True


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                   st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                   st.lists(st.text(max_size=5), max_size=3),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, dict[str, Any], str, tuple[str, ...], Any]:
    """A healthy document and one mutation: (host, kind, document, how, path, new value)."""
    host, kind = draw(st.sampled_from(HOSTS))
    document = healthy(host, "LIS01", kind)
    how = draw(st.sampled_from(["delete", "retype", "gathered_at", "envelope", "truncate"]))
    if how in ("delete", "retype"):
        path = draw(st.sampled_from(_paths(document["facts"])))
        node = document["facts"]
        for key in path[:-1]:
            node = node[key]
        if how == "delete":
            del node[path[-1]]
            return host, kind, document, how, path, None
        value = draw(VALUES)
        node[path[-1]] = value
        return host, kind, document, how, path, value
    if how == "gathered_at":
        moment = draw(st.datetimes(min_value=dt.datetime(1990, 1, 1),
                                   max_value=dt.datetime(2100, 1, 1),
                                   timezones=st.just(dt.UTC)))
        text = draw(st.sampled_from([moment.isoformat(), moment.date().isoformat(),
                                     moment.isoformat().replace("+00:00", "Z")]))
        document["gathered_at"] = draw(st.one_of(st.just(text), VALUES))
        return host, kind, document, how, (), document["gathered_at"]
    if how == "envelope":
        key = draw(st.sampled_from(["format", "host", "site", "kind", "reachable", "facts"]))
        if draw(st.booleans()):
            del document[key]
            return host, kind, document, how, (key,), ...
        value = draw(VALUES)
        document[key] = value
        return host, kind, document, how, (key,), value
    return host, kind, document, how, (), draw(st.integers(0, 4000))


def _in_window(text: Any, now: dt.datetime = NOW) -> bool:
    if not isinstance(text, str):
        return False
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return (dt.datetime(2026, 12, 1, tzinfo=dt.UTC) <= at <= now + dt.timedelta(minutes=5)
            and at < dt.datetime(2027, 1, 2, tzinfo=dt.UTC))


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def _evaluate(tmp_path: Path, host: str, text: str) -> dict[str, str]:
    run = tmp_path / "run"
    (run / "LIS01").mkdir(parents=True, exist_ok=True)
    (run / "LIS01" / f"{host}.json").write_text(text)
    evaluator = Evaluator(POLICY, TODAY, month="2026-12", now=NOW)
    result = next(h for h in evaluator.site(SITE, run).hosts if h.host == host)
    return {r.control: r.status for r in result.results}


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mutated())
def test_a_mutated_facts_document_never_passes_without_evidence(
        case: tuple[str, str, dict[str, Any], str, tuple[str, ...], Any],
        tmp_path: Path) -> None:
    host, kind, document, how, path, value = case
    original = healthy(host, "LIS01", kind)
    whole = json.dumps(document, allow_nan=True)
    statuses = _evaluate(tmp_path, host, whole[:value] if how == "truncate" else whole)
    assert set(statuses.values()) <= set(STATUSES)
    assert set(statuses) == {c.id for c in POLICY.by_kind[kind]}
    passed = sorted(c for c, s in statuses.items() if s == PASS)
    if how == "truncate" and value < len(whole):
        assert not passed, "a truncated document is not evidence"
    if how == "envelope" and (value is ... or value != original[path[0]]):
        assert not passed, f"envelope {path[0]}={value!r} still passed {passed}"
    if how == "gathered_at" and not _in_window(value):
        assert set(statuses.values()) == {UNKNOWN}, f"gathered_at {value!r}: {passed}"
    if how == "delete":
        for control in POLICY.by_kind[kind]:
            reads = [control.check.fact]
            if control.check.value_from and control.check.value_from.startswith("facts."):
                reads.append(control.check.value_from[6:])
            if any(_reads_exactly(fact, path) for fact in reads):
                assert statuses[control.id] != PASS, (control.id, path)
    if how == "retype" and value is not None:
        before = _at(original["facts"], path)
        numbers = (int, float)
        same = type(before) is type(value) or (
            isinstance(before, numbers) and isinstance(value, numbers)
            and not isinstance(value, bool) and not isinstance(before, bool))
        if not same:
            for control in POLICY.by_kind[kind]:
                if control.check.fact.split(".") == list(path):
                    assert statuses[control.id] != PASS, (control.id, path, value)


@pytest.mark.parametrize(("host", "kind"), HOSTS)
def test_the_unmutated_documents_pass(tmp_path: Path, host: str, kind: str) -> None:
    statuses = _evaluate(tmp_path, host, json.dumps(healthy(host, "LIS01", kind)))
    assert set(statuses.values()) <= {PASS, "waived"}
    assert PASS in statuses.values()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=mutated())
def test_sitekit_report_takes_any_mutated_document(
        case: tuple[str, str, dict[str, Any], str, tuple[str, ...], Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from sitekit.cli import main  # noqa: PLC0415

    host, _kind, document, how, _path, value = case
    monkeypatch.setenv("SITEKIT_TODAY", "2026-12-07")
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        run = work / "run" / "LIS01"
        run.mkdir(parents=True)
        for other, other_kind in HOSTS:
            if other != host:
                (run / f"{other}.json").write_text(json.dumps(healthy(other, "LIS01",
                                                                      other_kind)))
        whole = json.dumps(document, allow_nan=True)
        (run / f"{host}.json").write_text(whole[:value] if how == "truncate" else whole)
        status = main(["report", str(EXAMPLE), "--releases", str(RELEASES),
                       "--facts", str(work / "run"), "--site", "LIS01",
                       "--month", "2026-12", "--engineer", "Ana Costa", "--history",
                       str(work / "h.sqlite"), "--out", str(work / "out"), "--format", "json"])
        assert status == 0
        kept = json.loads((work / "out" / "results.json").read_text())
    hosts = {h["host"]: h for site in kept["sites"] for h in site["hosts"]}
    assert set(hosts) == {h for h, _ in HOSTS}
    statuses = {r["status"] for r in hosts[host]["results"]}
    # sitekit report measures "the future" from the clock.
    if how == "gathered_at" and not _in_window(value, dt.datetime.now(dt.UTC)):
        assert statuses == {UNKNOWN}
    if how == "truncate" and value < len(whole):
        assert PASS not in statuses
