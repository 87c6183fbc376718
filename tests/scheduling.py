"""How scripts/test spreads the suite over its pytest-xdist workers (`-n auto`).

A test module's lab is a module-scoped fixture, so a module's tests stay together on one
worker and its lab opens once. The tests in OWN_LAB open a lab of their own on every call:
they are the longest of the suite, and kept together they would leave one worker running
them all while the other idles, so each is spread on its own.
(`--dist loadgroup` would say this with marks, but its node-id rewrite no longer takes
effect on pytest 9.2's node ids: the scheduler says it instead.)
"""

from __future__ import annotations

from xdist.scheduler import LoadScopeScheduling

OWN_LAB = frozenset({
    "tests/molecule/test_roles.py::test_molecule_scenario_passes",
    "tests/lab/test_opening_day.py::test_fault_fails_with_what_to_do_and_a_rerun_converges",
    "tests/lab/test_opening_day.py::test_unreachable_workstation_stops_its_site_only",
    "tests/lab/test_opening_day.py::test_reboot_in_the_middle_stops_the_site_and_a_rerun_converges",
})


class LabScheduling(LoadScopeScheduling):
    """Scope = the test's module, or the test itself when it opens its own lab."""

    def _split_scope(self, nodeid: str) -> str:
        if nodeid.split("[", 1)[0] in OWN_LAB:
            return nodeid
        return nodeid.split("::", 1)[0]
