"""Payment terminals in the site file: make, model and serial (PCI DSS 9.5.1.1)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from sitekit.plan.fleet import plan_fleet_dir
from sitekit.render.plan import RENDERERS
from sitekit.site.load import load_fleet_dir
from tests.conftest import EXAMPLE, TODAY

TERMINAL = 'card_terminal: {make: Verifone, model: V400m, serial: "401-372-118"}'


def test_the_terminal_list_has_every_example_terminal_with_its_place() -> None:
    plan = plan_fleet_dir(EXAMPLE, today=TODAY)
    assert not plan.problems
    rows = list(csv.DictReader(io.StringIO(RENDERERS["terminals-csv"](plan))))
    assert len(rows) == 6
    assert rows[2] == {"site": "LIS01", "name": "card-terminal-1", "make": "Verifone",
                       "model": "V400m", "serial": "401-372-118", "location": "counter",
                       "mac": "00:1a:2b:3c:4d:01", "address": "10.41.7.22"}
    json_text = RENDERERS["json"](plan)
    assert '"card_terminal": {"make": "Verifone", "model": "V400m", "serial": "401-372-118"}' \
        in json_text


@pytest.mark.parametrize(("terminal", "field", "says"), [
    ('card_terminal: {make: Verifone, model: V400m}', "network.reservations[0].card_terminal",
     "missing required key 'serial'"),
    ('card_terminal: {make: Verifone, model: V400m, serial: "401 372"}',
     "network.reservations[0].card_terminal.serial", "letters, digits"),
    ('card_terminal: {make: "", model: V400m, serial: "1"}',
     "network.reservations[0].card_terminal.make", "must not be empty"),
    ('card_terminal: {make: Verifone, model: V400m, serial: "1", colour: black}',
     "network.reservations[0].card_terminal", "unknown key 'colour'"),
])
def test_a_terminal_without_what_9_5_1_1_needs_is_refused(fleet_copy: Path, terminal: str,
                                                          field: str, says: str) -> None:
    site = fleet_copy / "sites" / "lis01.yml"
    site.write_text(site.read_text().replace(TERMINAL, terminal))
    problems = load_fleet_dir(fleet_copy).problems
    assert [(p.file.endswith("sites/lis01.yml"), p.site, p.field) for p in problems] == [
        (True, "LIS01", field)], problems
    assert says in problems[0].message
    assert problems[0].line == 35
