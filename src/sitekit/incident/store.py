"""Incidents kept in the audit history, next to the maintenance records they lead to.

Tables `incidents` and `incident_events` (sitekit.audit.history.SCHEMA); times are kept
as ISO 8601 in UTC, to the second.
"""

from __future__ import annotations

import datetime as dt
import json

from sitekit.audit.history import History
from sitekit.incident.records import Event, Incident


def stamp(moment: dt.datetime) -> str:
    """A moment as the history keeps it (sorts as text)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class IncidentStore:
    """One fleet's incidents in a history."""

    def __init__(self, history: History, fleet: str) -> None:
        self.db = history.db
        self.fleet = fleet

    def open(self, incident: Incident) -> int:
        """Keep a new incident; its id."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            cursor = self.db.execute(
                "INSERT INTO incidents (fleet, site, hosts, source, caller, contact, reported, "
                "alert_group, opened) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.fleet, incident.site, json.dumps(list(incident.hosts)), incident.source,
                 incident.caller, incident.contact, incident.reported, incident.alert_group,
                 stamp(incident.opened)))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return int(cursor.lastrowid or 0)

    def add(self, incident: int, event: Event) -> None:
        """Keep a step of an incident."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT INTO incident_events (incident, action, at, engineer, text) "
                "VALUES (?, ?, ?, ?, ?)",
                (incident, event.action, stamp(event.at), event.engineer,
                 json.dumps(event.fields, ensure_ascii=False)))
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def get(self, number: int) -> Incident | None:
        """One incident with its steps, None if the fleet has none by that number."""
        found = self._incidents("AND id = ?", (number,))
        return found[0] if found else None

    def all(self, since: dt.datetime | None = None,
            until: dt.datetime | None = None) -> list[Incident]:
        """The fleet's incidents opened in [since, until), oldest first."""
        where, values = "", []
        if since is not None:
            where += " AND opened >= ?"
            values.append(stamp(since))
        if until is not None:
            where += " AND opened < ?"
            values.append(stamp(until))
        return self._incidents(where, tuple(values))

    def open_for_group(self, group: str) -> Incident | None:
        """The incident an alert group opened, while it is not closed."""
        for incident in self._incidents("AND alert_group = ?", (group,)):
            if incident.step("close") is None:
                return incident
        return None

    def _incidents(self, where: str, values: tuple[object, ...]) -> list[Incident]:
        rows = self.db.execute(
            "SELECT id, fleet, site, hosts, source, caller, contact, reported, opened, "
            f"alert_group FROM incidents WHERE fleet = ? {where} ORDER BY opened, id",
            (self.fleet, *values)).fetchall()
        incidents = {row[0]: Incident(row[0], row[1], row[2], tuple(json.loads(row[3])), row[4],
                                      row[5], row[6], row[7], _time(row[8]), row[9])
                     for row in rows}
        if incidents:
            marks = ", ".join("?" * len(incidents))
            for number, action, at, engineer, text in self.db.execute(
                    "SELECT incident, action, at, engineer, text FROM incident_events "
                    f"WHERE incident IN ({marks}) ORDER BY at, id", tuple(incidents)):
                incidents[number].events.append(Event(action, _time(at), engineer,
                                                      json.loads(text)))
        return list(incidents.values())
