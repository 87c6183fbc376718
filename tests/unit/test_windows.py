"""One maintenance window, one reader: every role's filter reads a window text the same way.

The inventory writes `Window.text`; backups (db_backup), Defender's scans (antivirus) and
Windows Update (windows_base) all read it with plan.schedule.parse_window, so a text is
either accepted by all three or refused by all three, with the same message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
from ansible.errors import AnsibleFilterError

from sitekit.backup.schedule import backup_schedule
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.plan.scans import scan_schedule
from sitekit.plan.schedule import Window, WindowError, parse_window
from sitekit.plan.updates import update_schedule
from tests.conftest import EXAMPLE, ROOT

CALLERS: dict[str, Callable[[list[str]], Any]] = {
    "db_backup": backup_schedule,
    "antivirus": lambda windows: scan_schedule(windows, offset=0, duration=1),
    "windows_base": lambda windows: update_schedule(windows, 1),
}

_WEEK = 7 * 1440


@pytest.mark.parametrize(("text", "expected"), [
    ("sun 23:00-tue 10:00", Window("sun", "23:00", "10:00", 35 * 60)),
    ("mon 02:00-mon 06:00", Window("mon", "02:00", "06:00", 240)),
    ("sat 22:00-sun 06:30", Window("sat", "22:00", "06:30", 510)),
    ("sun 23:30-mon 01:00", Window("sun", "23:30", "01:00", 90)),
    ("wed 00:00-wed 00:00", Window("wed", "00:00", "00:00", _WEEK)),  # ends as it starts
    ("fri 23:59-sat 00:01", Window("fri", "23:59", "00:01", 2)),
])
def test_a_window_is_read_once_the_same_for_every_role(text: str, expected: Window) -> None:
    window = parse_window(text)
    assert window == expected
    assert window.text == text
    for caller in CALLERS.values():
        caller([text])  # accepted by every role


@pytest.mark.parametrize("text", [
    "sun 02:00-06:00",          # the end's day left out
    "mon 25:00-tue 01:00",      # no 25th hour
    "Sun 23:00-Tue 10:00",      # days in lower case, as the plan writes them
    "sun 23:60-mon 01:00",      # no 60th minute
    "sun 24:00-mon 01:00",
    "sunday 23:00-mon 06:00",
    "xyz 23:00-mon 06:00",
    "sun 23:00-mon 6:00",
    "sun 23:00 - mon 06:00",
    " sun 23:00-mon 06:00",
    "sun 23:00",
    "",
    "sun 23:00-mon 06:00\n",
])
def test_a_bad_window_is_refused_by_every_role_alike(text: str) -> None:
    with pytest.raises(WindowError) as parsed:
        parse_window(text)
    assert "is not a maintenance window like 'sun 23:00-tue 10:00'" in str(parsed.value)
    for role, caller in CALLERS.items():
        with pytest.raises(WindowError) as refused:
            caller([text])
        assert str(refused.value) == str(parsed.value), role


@pytest.mark.parametrize("value", [None, 5, ["sun 23:00-mon 06:00"]])
def test_a_window_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(WindowError, match="is not a maintenance window like"):
        parse_window(value)


@pytest.mark.parametrize("role", sorted(CALLERS))
def test_no_window_is_refused_by_every_role(role: str) -> None:
    with pytest.raises(WindowError, match="no maintenance window"):
        CALLERS[role]([])


def test_every_window_the_plan_writes_reads_back() -> None:
    plan = plan_fleet_dir(EXAMPLE)
    windows = [window for site in plan.sites for window in site.schedule.windows]
    assert len(plan.sites) == 3
    assert windows
    for window in windows:
        assert parse_window(window.text) == window


@pytest.mark.parametrize(("module", "name"), [
    ("db_backup", "db_backup_schedule"), ("antivirus", "sitekit_scan_schedule"),
    ("windows_base", "windows_base_update_schedule")])
def test_each_role_filter_refuses_a_bad_or_missing_window(module: str, name: str) -> None:
    sys.path.insert(0, str(ROOT / "roles" / module / "filter_plugins"))
    try:
        filters = __import__(module).FilterModule().filters()
    finally:
        sys.path.pop(0)
    for windows in ([], ["sun 02:00-06:00"]):
        with pytest.raises(AnsibleFilterError, match=f"^{name}: "):
            filters[name](windows)
