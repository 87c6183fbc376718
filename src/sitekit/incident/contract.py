"""The fleet's service contract: `inventories/<fleet>/service-contract.yml`.

Checked against `schemas/contract.schema.json`; every problem names the file, its line
and the field, as the site loader's do.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from sitekit.incident.calendar import WorkingCalendar
from sitekit.problems import Problem, display_path
from sitekit.site import strict_yaml
from sitekit.site.model import DAYS, dotted
from sitekit.site.schema import explained

CONTRACT_FILE = "service-contract.yml"
_WHERE = "(contract)"


@dataclass(frozen=True, slots=True)
class Contract:
    """The promises and the calendar they are counted on."""

    file: str
    response: dt.timedelta
    onsite: dt.timedelta  # working time
    calendar: WorkingCalendar


def contract_schema() -> dict[str, Any]:
    """The published contract schema."""
    text = (resources.files("sitekit.incident") / "schemas" / "contract.schema.json").read_text(
        encoding="utf-8")
    return dict(json.loads(text))


def load_contract(fleet_dir: Path) -> tuple[Contract | None, list[Problem]]:
    """Read and check the fleet's contract; the contract (None on any problem), the problems."""
    path = fleet_dir / CONTRACT_FILE
    shown = display_path(path)
    try:
        data = strict_yaml.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Problem(shown, None, _WHERE, "", (
            "no service contract here; copy inventories/example/service-contract.yml and set "
            "the fleet's promises and working calendar"))]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        return None, [Problem(shown, None, _WHERE, "", f"cannot read the file: {error}")]
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - slow to import

    problems = [Problem(shown, strict_yaml.line_of(data, where), _WHERE, dotted(where), message)
                for where, message in explained(Draft202012Validator(contract_schema()), data)]
    if problems:
        return None, problems
    calendar = data["calendar"]

    def problem(where: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(shown, strict_yaml.line_of(data, where), _WHERE, dotted(where),
                                message))

    try:
        zoneinfo.ZoneInfo(calendar["time_zone"])
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problem(("calendar", "time_zone"), f"unknown time zone {calendar['time_zone']!r}; use "
                "an IANA name like Europe/Lisbon")
    start, end = (dt.time.fromisoformat(part) for part in calendar["hours"].split("-"))
    if end <= start:
        problem(("calendar", "hours"), f"{calendar['hours']} ends before it starts; working "
                "hours are one span of a day, like 09:00-18:00")
    holidays = set()
    for index, text in enumerate(calendar.get("holidays", ())):
        try:
            holidays.add(dt.date.fromisoformat(text))
        except ValueError:
            problem(("calendar", "holidays", index), f"{text!r} is not a date; write YYYY-MM-DD")
    if problems:
        return None, problems
    return Contract(
        shown, dt.timedelta(minutes=data["response_minutes"]),
        dt.timedelta(hours=data["onsite_working_hours"]),
        WorkingCalendar(calendar["time_zone"], start, end,
                        frozenset(DAYS.index(day) for day in calendar["weekdays"]),
                        frozenset(holidays))), []
