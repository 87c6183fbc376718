"""The alert rules' thresholds, read from the fleet's audit policy and the backup schedule.

The monthly audit and the monitoring judge by the same numbers: a threshold is found as
the control that checks the same fact (BAK-01's restorable chain, AV-03's signature age,
...), never copied here. A policy without such a control is a problem naming the policy
file and the control to add.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sitekit.audit.policy import Control, Policy
from sitekit.backup.schedule import chain_intervals
from sitekit.problems import Problem

# The weekly integrity job (DBCC CHECKDB) and a day's grace: the "8 days".
CHECKDB_MAX_AGE = dt.timedelta(days=8)


@dataclass(frozen=True, slots=True)
class Threshold:
    """One alert's limit and the audit control it comes from."""

    value: float  # seconds, percent or seconds of clock offset
    control: str  # the policy's control id, quoted in the alert
    text: str  # what the control expects, as the audit words it


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every limit the alert rules need."""

    full_backup_age: Threshold
    backup_age: Threshold
    log_backup_age: Threshold
    restore_test_age: Threshold
    signature_age: Threshold
    disk_free_percent: Threshold
    clock_offset: Threshold
    checkdb_age: float = CHECKDB_MAX_AGE.total_seconds()


# (fact, operator) of the control each threshold comes from, and what to add when missing.
_WANTED = {
    "chain": ("backups.*", "restorable_chain", "{fact: 'backups.*', op: restorable_chain, "
              "value: 2h}"),
    "log": ("backups.*.last_log", "max_age", "{fact: backups.*.last_log, op: max_age, value: 4h}"),
    "restore": ("backups.*.last_restore_test", "max_age",
                "{fact: backups.*.last_restore_test, op: max_age, value: 31d}"),
    "signatures": ("defender.signature_last_updated", "max_age",
                   "{fact: defender.signature_last_updated, op: max_age, value: 2d}"),
    "disk": ("disks.*.free_percent", "at_least",
             "{fact: disks.*.free_percent, op: at_least, value: 15}"),
    "clock": ("clock.offset_seconds", "abs_at_most",
              "{fact: clock.offset_seconds, op: abs_at_most, value: 5}"),
}


def thresholds(policy: Policy, problems: list[Problem]) -> Thresholds | None:
    """The limits from `policy`; None, with a problem per missing control, if any is missing."""
    found: dict[str, Control] = {}
    for key, (fact, op, example) in _WANTED.items():
        control = next((c for c in policy.controls
                        if c.check.fact == fact and c.check.op == op), None)
        if control is None:
            problems.append(Problem(policy.file, None, "(policy)", "controls", (
                f"no control checks {fact} with {op}, and the monitoring's alert takes its "
                f"limit from one; add a control with check {example}")))
        else:
            found[key] = control
    if problems:
        return None

    def seconds(key: str, extra: dt.timedelta = dt.timedelta()) -> Threshold:
        control = found[key]
        return Threshold((control.check.threshold + extra).total_seconds(), control.id,
                         control.expected)

    def number(key: str) -> Threshold:
        control = found[key]
        return Threshold(float(control.check.threshold), control.id, control.expected)

    # The audit's restorable chain: a full within the schedule's full interval, a backup of
    # any kind within its backup interval, each plus the control's run time.
    full_every, backup_every = chain_intervals()
    return Thresholds(
        full_backup_age=seconds("chain", full_every),
        backup_age=seconds("chain", backup_every),
        log_backup_age=seconds("log"),
        restore_test_age=seconds("restore"),
        signature_age=seconds("signatures"),
        disk_free_percent=number("disk"),
        clock_offset=number("clock"),
    )
