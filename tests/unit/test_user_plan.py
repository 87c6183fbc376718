"""The user plan: groups from the staff list, and the service plan's staffing rule."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from sitekit.site.model import Fleet
from tests.conftest import messages, plan


def test_groups_members_and_permissions(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is not None, messages(problems)
    groups = {g.name: g for g in site_plan.users.groups}
    admins = groups["POS Administrators"]
    assert admins.members == ("jweber", "mschulz")
    assert admins.member_of == ("Administrators",)
    assert admins.kinds == ("server", "cashier", "kitchen", "office")
    kitchen = groups["POS Kitchen Display Operators"]
    assert kitchen.members == ("nwagner", "lhoffmann")
    assert kitchen.app_role == "Kitchen"
    assert kitchen.kinds == ("server", "kitchen")  # not on cashier stations
    hosts = {h.computer_name: h for h in site_plan.hosts}
    assert hosts["BER02-KDS01"].local_groups == ("POS Administrators",
                                                 "POS Kitchen Display Operators")
    users = {u.user: u for u in site_plan.users.users}
    assert users["jweber"].groups == ("POS Administrators", "POS Cashier Operators",
                                      "POS Back Office Operators")


def test_handheld_module_is_in_use_only_with_handhelds(site_data: dict[str, Any],
                                                       fleet: Fleet) -> None:
    for person in site_data["staff"]:
        person["modules"] = [m for m in person.get("modules", []) if m != "ordering"]
    site_data["handhelds"] = 0
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is not None, messages(problems)
    assert "ordering" not in site_plan.users.modules_in_use
    site_data["handhelds"] = 4
    _, problems = plan(site_data, fleet)
    assert "module ordering (Handheld Ordering) has 0 trained operator(s)" in messages(problems)


def test_missing_administrator(site_data: dict[str, Any], fleet: Fleet) -> None:
    for person in site_data["staff"]:
        person.pop("administrator", None)
    _, problems = plan(site_data, fleet)
    assert any(p.field == "staff" and "needs at least 1 system administrator" in p.message
               for p in problems), messages(problems)


def test_one_operator_fails_and_a_waiver_with_a_reason_allows_it(site_data: dict[str, Any],
                                                                  fleet: Fleet) -> None:
    site_data["staff"] = [p for p in site_data["staff"] if p["user"] != "lhoffmann"]
    _, problems = plan(site_data, fleet)
    assert "module kitchen (Kitchen Display) has 1 trained operator(s) (nwagner)" in (
        messages(problems))
    site_data["waivers"] = [{"rule": "min_operators", "module": "kitchen",
                             "reason": "Second cook starts next month after training.",
                             "approved_by": "Regional operations", "expires": "2027-01-31"}]
    site_plan, problems = plan(site_data, fleet)
    assert site_plan is not None, messages(problems)
    assert site_plan.users.waived == ("min_operators:kitchen",)
    # The same waiver no longer counts once it has expired.
    _, problems = plan(site_data, fleet, today=dt.date(2027, 2, 1))
    assert "its waiver expired on 2027-01-31" in messages(problems)


@pytest.mark.parametrize(
    ("waiver", "field", "expect"),
    [
        ({"rule": "min_operators", "reason": "x" * 30}, "waivers[0]", "needs `module:`"),
        ({"rule": "min_operators", "module": "bar", "reason": "x" * 30}, "waivers[0].module",
         "module bar is not in use at this site"),
        ({"rule": "min_operators", "module": "kitchen", "reason": "x" * 30,
          "approved_by": "ops", "expires": "2026-02-30"}, "waivers[0].expires", "is not a date"),
        # A reason of spaces says nothing; an approver of spaces approves nothing.
        ({"rule": "min_operators", "module": "kitchen", "reason": " " * 30 + "x",
          "approved_by": "ops", "expires": "2027-01-31"}, "waivers[0].reason",
         "too short: write at least 20 characters"),
        ({"rule": "min_operators", "module": "kitchen", "reason": "x" * 30,
          "approved_by": "   ", "expires": "2027-01-31"}, "waivers[0].approved_by",
         "name who approved the waiver"),
        ({"rule": "min_operators", "module": "kitchen", "reason": "x" * 30,
          "expires": "2027-01-31"}, "waivers[0].approved_by", "name who approved the waiver"),
        ({"rule": "min_operators", "module": "kitchen", "reason": "x" * 30,
          "approved_by": "ops"}, "waivers[0]", "add `expires:`"),
        ({"rule": "min_operators", "module": "kitchen", "reason": "x" * 30,
          "approved_by": "ops", "expires": "9999-12-31"}, "waivers[0].expires",
         "is more than 366 days ahead"),
    ],
)
def test_bad_waivers(site_data: dict[str, Any], fleet: Fleet, waiver: dict[str, Any],
                     field: str, expect: str) -> None:
    site_data["waivers"] = [waiver]
    _, problems = plan(site_data, fleet)
    assert any(p.field == field and expect in p.message for p in problems), messages(problems)


def test_unknown_module_and_duplicate_user(site_data: dict[str, Any], fleet: Fleet) -> None:
    site_data["staff"][2]["modules"] = ["cashier", "kitchn"]
    site_data["staff"][3]["user"] = "lbecker"
    _, problems = plan(site_data, fleet)
    text = messages(problems)
    assert "staff[2].modules[1]: unknown module 'kitchn'; did you mean 'kitchen'?" in text
    assert "staff[3].user: user name lbecker is already used by staff[2]" in text


def test_planning_is_linear_in_the_staff(site_data: dict[str, Any], fleet: Fleet) -> None:
    # 8,000 staff took 12.5 s when each person's groups were found by scanning every
    # group's member list; it is one pass now (about 0.1 s). The bound leaves room for
    # a busy machine and still fails the quadratic plan.
    modules = ["cashier", "kitchen", "ordering", "back_office"]
    site_data["staff"] = [{"name": f"Person {i}", "user": f"user{i}", "administrator": i == 0,
                           "modules": modules} for i in range(8000)]
    started = time.perf_counter()
    site_plan, problems = plan(site_data, fleet)
    elapsed = time.perf_counter() - started
    assert site_plan is not None, messages(problems)
    assert site_plan.users.users[7999].groups == (
        "POS Cashier Operators", "POS Kitchen Display Operators",
        "POS Handheld Ordering Operators", "POS Back Office Operators")
    assert elapsed < 2.0
