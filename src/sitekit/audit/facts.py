"""The facts format: what the gather step records, one JSON document per host per run.

A run directory holds `<SITE>/<host>.json` for every host of the fleet, each valid
against `schemas/facts.schema.json` (docs/audit.md describes every field). A document
that is missing, unreadable or invalid makes every control on its host unknown.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from sitekit import timestamps
from sitekit.audit.published import schema
from sitekit.site.model import dotted
from sitekit.site.schema import explained

FORMAT = 1

# The run window of an audited month: evidence gathered in it is evidence of that month.
# It opens on the month's first day at 00:00 UTC and closes GRACE into the next month, for
# a run that starts on the month's last evening and crosses midnight; nothing gathered
# after the evaluation itself (beyond CLOCK_SKEW between a host's clock and ours) counts.
GRACE = dt.timedelta(days=1)
CLOCK_SKEW = dt.timedelta(minutes=5)


def run_window(month: str) -> tuple[dt.datetime, dt.datetime]:
    """[opens, closes) in UTC: the times a facts document of `month` (YYYY-MM) may carry."""
    year, number = (int(part) for part in month.split("-"))
    opens = dt.datetime(year, number, 1, tzinfo=dt.UTC)
    following = (dt.datetime(year + 1, 1, 1, tzinfo=dt.UTC) if number == 12
                 else dt.datetime(year, number + 1, 1, tzinfo=dt.UTC))
    return opens, following + GRACE


def stale(gathered_at: object, month: str, now: dt.datetime) -> str | None:
    """Why a document's `gathered_at` is not evidence of `month` (as of `now`); None if it is."""
    if not isinstance(gathered_at, str):
        return f"gathered_at: expected a UTC time (yyyy-MM-ddTHH:mm:ssZ), got {gathered_at!r}"
    try:
        at = timestamps.parse(gathered_at)
    except ValueError as error:
        return f"gathered_at: {error}"
    if at > now + CLOCK_SKEW:
        return (f"gathered_at {gathered_at} is in the future (now {now:%Y-%m-%dT%H:%MZ}): "
                "check the host's clock, then gather again")
    opens, closes = run_window(month)
    if not opens <= at < closes:
        return (f"gathered_at {gathered_at} is outside the {month} run window "
                f"({opens:%Y-%m-%d} to {closes - dt.timedelta(seconds=1):%Y-%m-%dT%H:%M:%SZ} "
                f"UTC): evidence of another month; gather the host again")
    return None


@cache
def _fast() -> Any:
    return jsonschema_rs.validator_for(schema("facts"))


@cache
def _explaining() -> Any:
    from jsonschema import Draft202012Validator  # noqa: PLC0415 - slow to import

    return Draft202012Validator(schema("facts"))


def problems(document: Any) -> list[str]:
    """What is wrong with a facts document, each as `field: what to change`; [] if valid."""
    if _fast().is_valid(document):
        return []
    found = [f"{dotted(path) or '(document)'}: {message}"
             for path, message in explained(_explaining(), document)]
    return found or [error.message for error in _fast().iter_errors(document)]


def path_of(run_dir: Path, site: str, host: str) -> Path:
    """Where a host's facts live in a run directory."""
    return run_dir / site / f"{host}.json"


def site_files(run_dir: Path, site: str) -> dict[str, str]:
    """The facts files of one site in a run: host name -> path (one directory listing)."""
    try:
        entries = os.scandir(os.path.join(run_dir, site))  # noqa: PTH118 - hot path
    except FileNotFoundError:
        return {}
    with entries:
        return {entry.name[:-5]: entry.path for entry in entries
                if entry.name.endswith(".json") and entry.is_file()}


_KINDS = frozenset(("server", "cashier", "kitchen", "office"))


def envelope_problems(document: Any) -> list[str]:
    """What is wrong with a document's envelope (host, site, kind, reachable, ...); fast."""
    if not isinstance(document, dict):
        return ["(document): expected a mapping"]
    found = []
    if document.get("format") != FORMAT:
        found.append(f"format: expected {FORMAT}, got {document.get('format')!r}")
    for key in ("host", "site", "gathered_at"):
        if not isinstance(document.get(key), str):
            found.append(f"{key}: expected text, got {document.get(key)!r}")
    kind = document.get("kind")
    if not isinstance(kind, str) or kind not in _KINDS:
        found.append(f"kind: expected one of {', '.join(sorted(_KINDS))}")
    if not isinstance(document.get("reachable"), bool):
        found.append("reachable: expected true or false")
    if not isinstance(document.get("facts"), dict):
        found.append("facts: expected a mapping")
    return found


def _not_json(constant: str) -> Any:
    """NaN and Infinity: Python reads them, JSON has no such numbers (they would pass checks)."""
    raise ValueError(f"{constant} is not a number JSON allows")


def read(path: str, validate: bool = False) -> tuple[dict[str, Any] | None, str | None]:
    """A facts document, or None and why it cannot be used.

    The envelope is always checked; `validate` checks the whole document against the
    schema as well. Without it a fact of the wrong type still never passes: the
    operators make it unknown.
    """
    try:
        with open(path, "rb") as file:  # noqa: PTH123 - hot path: 20,000 files a run
            document = json.load(file, parse_constant=_not_json)
    except OSError as error:
        return None, f"cannot read {path}: {error.strerror}"
    except ValueError as error:
        return None, f"{path} is not JSON: {error}"
    wrong = problems(document) if validate else envelope_problems(document)
    if wrong:
        return None, f"{path} does not match the facts format: {'; '.join(wrong[:3])}"
    return document, None


def write(run_dir: Path, document: dict[str, Any]) -> Path:
    """Store one host's facts where the audit reads them (the gather step's last act)."""
    wrong = problems(document)
    if wrong:
        raise ValueError(f"facts of {document.get('host')} are not valid: {'; '.join(wrong)}")
    path = path_of(run_dir, document["site"], document["host"])
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # whole or not at all
    staged.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    staged.replace(path)
    return path
