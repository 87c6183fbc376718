"""Version floors by release date: the release table, current_update and supported_release."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from sitekit.audit.checks import FAIL, PASS, UNKNOWN, Check
from sitekit.audit.policy import load_policy
from sitekit.audit.releases import load_releases
from tests.conftest import EXAMPLE
from tests.unit.test_audit_policy import POLICY, TEXT, fleet_data

TABLE = EXAMPLE / "release-table.yml"
TABLE_TEXT = TABLE.read_text()


def _at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=2, tzinfo=dt.UTC)


def _check(product: str, days: int = 62) -> Check:
    releases, problems = load_releases(TABLE)
    assert problems == []
    return Check("os.version", "current_update", value={"product": product, "max_age_days": days},
                 releases=releases)


@pytest.mark.parametrize(("product", "observed", "day", "status", "note"), [
    # Within the window: at least the oldest update of the last 62 days.
    ("windows_server_2022", "10.0.20348.5499", "2026-08-20", PASS, ""),
    ("windows_server_2022", "10.0.20348.5256", "2026-08-08", PASS, ""),  # June's, 60 days on
    ("windows_server_2022", "10.0.20348.5256", "2026-08-20", FAIL,
     "older than 10.0.20348.5386 (KB5099540, released 2026-07-14)"),
    ("windows_server_2022", "10.0.20348.2762", "2026-08-20", FAIL, "older than"),  # Oct 2024
    # An update released after the facts were gathered does not count.
    ("windows_server_2022", "10.0.20348.5386", "2026-08-10", PASS, ""),
    # 24H2 and 25H2 are judged on their own build's updates.
    ("windows_11", "10.0.26200.9168", "2026-08-20", PASS, ""),
    ("windows_11", "10.0.26100.8875", "2026-08-20", PASS, ""),
    ("windows_11", "10.0.22631.4317", "2026-08-20", FAIL, "older than 10.0.22631.7376"),
    ("sql_server_2022", "16.0.1000.6", "2026-08-20", FAIL, "older than 16.0.4262.2"),  # RTM
    ("sql_server_2022", "16.0.4265.3", "2026-08-20", PASS, ""),
    ("defender_engine", "1.1.26080.3", "2026-08-20", PASS, ""),
    ("defender_platform", "4.18.24090.11", "2026-06-01", FAIL, "older than 4.18.26040.7"),
    # A table older than the run never passes: unknown, and it says so ...
    ("windows_server_2022", "10.0.20348.5499", "2026-12-07", UNKNOWN,
     "has no Windows Server 2022 update released from 2026-10-06 to 2026-12-07 (newest: "
     "KB5120242 10.0.20348.5499 of 2026-08-11): the table is older than the run"),
    # ... unless the host lacks even the newest release it knows: that fails either way.
    ("windows_server_2022", "10.0.20348.5386", "2026-12-07", FAIL,
     "older than 10.0.20348.5499 (KB5120242, released 2026-08-11), the newest update"),
    ("windows_11", "10.0.19045.5000", "2026-08-20", UNKNOWN, "has no Windows 11 update of build"),
    ("windows_11", None, "2026-08-20", FAIL, ""),
    ("windows_11", "latest", "2026-08-20", UNKNOWN, "not a version"),
])
def test_current_update_judges_by_release_date(product: str, observed: str | None, day: str,
                                               status: str, note: str) -> None:
    facts = {"os": {"version": observed}}
    result = _check(product).evaluate(facts, _at(day))
    assert result[0] == status, result
    assert note in result[3], result


def test_without_gathered_at_nothing_is_current() -> None:
    status, _, _, note = _check("windows_11").evaluate({"os": {"version": "10.0.26200.9168"}},
                                                      None)
    assert status == UNKNOWN
    assert note == "the facts have no valid gathered_at to date the releases by"


@pytest.mark.parametrize(("build", "caption", "day", "status", "note"), [
    (22631, "Microsoft Windows 11 Enterprise", "2026-11-10", PASS, ""),
    (22631, "Microsoft Windows 11 Enterprise", "2026-11-11", FAIL,
     "23H2 left servicing for this edition on 2026-11-10"),
    (22631, "Microsoft Windows 11 Pro", "2026-08-20", FAIL, "on 2025-11-11"),
    (26100, "Microsoft Windows 11 Pro", "2026-10-14", FAIL, "24H2 left servicing"),
    (26100, "Microsoft Windows 11 Enterprise", "2026-12-07", PASS, ""),
    (26200, "Microsoft Windows 11 Education", "2028-10-10", PASS, ""),
    (22000, "Microsoft Windows 11 Enterprise", "2026-08-20", UNKNOWN,
     "no Windows 11 feature release of build 22000"),
])
def test_supported_release_by_edition(build: int, caption: str, day: str, status: str,
                                      note: str) -> None:
    releases, _ = load_releases(TABLE)
    check = Check("os", "supported_release", value={"product": "windows_11"}, releases=releases)
    result = check.evaluate({"os": {"build": build, "caption": caption}}, _at(day))
    assert result[0] == status, result
    assert note in result[3], result


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ('released: "2026-08-11"}', 'released: "2026-02-30"}',
     "products.windows_server_2022.updates[6].released", "2026-02-30 is not a date"),
    ('{version: "10.0.20348.5499"', '{version: "10.0.20348.5386"',
     "products.windows_server_2022.updates[6].version", "is also updates[5]"),
    ('{version: "10.0.26200.9168"', '{version: "10.0.26300.9168"',
     "products.windows_11.updates", "build 26300 is not among this product's feature_releases"),
    ("      - {version: \"1.1.26040.8\"", "      - {versoin: \"1.1.26040.8\"",
     "products.defender_engine.updates[0]", ""),
])
def test_a_bad_release_table_names_the_file_line_and_field(
        tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    assert old in TABLE_TEXT
    path = tmp_path / "release-table.yml"
    path.write_text(TABLE_TEXT.replace(old, new, 1))
    table, problems = load_releases(path)
    assert table is None
    assert [p for p in problems if p.field.startswith(field) and message in p.message
            and p.line is not None], [str(p) for p in problems]


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("product: windows_server_2022, max_age_days: 62", "product: windows_2025, max_age_days: 62",
     "controls[0].check.value", "has no product windows_2025"),
    ("product: windows_server_2022, max_age_days: 62",
     "product: windows_server_2022, max_age_days: 0",
     "controls[0].check.value", "max_age_days is a whole number of days from 1 to 366"),
    ("value: {product: windows_11}}", "value: {product: windows_11, max_age_days: 30}}",
     "controls[2].check.value", "supported_release needs {product: KEY}"),
])
def test_a_policy_check_on_the_release_table_is_checked(
        tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    assert old in TEXT
    path = tmp_path / "audit-policy.yml"
    path.write_text(TEXT.replace(old, new, 1))
    shutil.copy(TABLE, tmp_path / "release-table.yml")
    policy, problems = load_policy(path, fleet_data())
    assert policy is None
    assert [p for p in problems if p.field == field and message in p.message], problems


def test_a_policy_without_its_release_table_says_where_it_belongs(tmp_path: Path) -> None:
    path = tmp_path / "audit-policy.yml"
    path.write_text(TEXT)
    policy, problems = load_policy(path, fleet_data())
    assert policy is None
    assert any(p.file.endswith("release-table.yml") and "no release table here" in p.message
               for p in problems), problems


def test_the_example_policy_judges_os_antivirus_and_sql_by_release_date() -> None:
    policy, problems = load_policy(POLICY, fleet_data())
    assert problems == [] and policy is not None
    by_date = {c.id for c in policy.controls if c.check.op == "current_update"}
    assert by_date == {"OS-01", "OS-02", "AV-04", "AV-05", "SQL-01"}
    assert next(c for c in policy.controls if c.id == "OS-03").check.op == "supported_release"
