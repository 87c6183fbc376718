"""The Windows Event Forwarding client (the forwarder, in the WinRM service): its own log.

What Microsoft-Windows-Forwarding/Operational shows, by the provider's event IDs (its
manifest; `wevtutil gp Microsoft-Windows-Forwarding /ge /gm`):

  100  the subscription is created successfully
  101  created, but one or more channels in its query cannot be read
  102  the subscription cannot be created
  104  the forwarder connected to the subscription manager
  105  the forwarder has a problem communicating with the subscription manager
  106  the subscription policy changed
  107  a subscription policy is invalid

The forwarder reads the Event Forwarding policy (SubscriptionManager, "Server=...,Refresh=
...,IssuerCA=...") when the WinRM service starts and when the policy changes. The lab stands
for the fleet's collector: it answers a policy naming an HTTPS subscription manager with an
IssuerCA (Microsoft's "Setting up a source initiated subscription": workgroup sources
authenticate by certificate) unless the `collector-unreachable` fault is injected. The
collector's subscription reads the Security log (docs/compliance.md, Requirement 10), which
the forwarder, running as NETWORK SERVICE, can read only as a member of Event Log Readers
(S-1-5-32-573): without it the subscription is created with event 101, not 100.

Looking at the log catches it up to now: a policy written since the last look, or a boot
since, makes the forwarder subscribe again (at the boot, or now: Group Policy's refresh
reaches it before any reader looks). The `collector-unreachable` fault is the collector
gone quiet: the next look finds one 105, and each refresh interval after it one more (at most
a day's worth per look); once it answers again, the next refresh subscribes anew.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sitekit.lab import faults
from sitekit.lab.state import find

POLICY_KEY = ("HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\EventLog\\EventForwarding"
              "\\SubscriptionManager")
LOG = "Microsoft-Windows-Forwarding/Operational"
SUCCESS, CHANNELS_UNREADABLE, CANNOT_CREATE = 100, 101, 102
CONNECTED, UNREACHABLE, POLICY_CHANGED, POLICY_INVALID = 104, 105, 106, 107
PROBLEMS = (CHANNELS_UNREADABLE, CANNOT_CREATE, UNREACHABLE, POLICY_INVALID)
EVENT_LOG_READERS = "S-1-5-32-573"
NETWORK_SERVICE = "NT AUTHORITY\\NETWORK SERVICE"
_SERVER = re.compile(r"(?:^|,)\s*Server=(?P<url>[^,]+)", re.IGNORECASE)
_REFRESH = re.compile(r"(?:^|,)\s*Refresh=(?P<seconds>\d+)", re.IGNORECASE)
_ISSUER = re.compile(r"(?:^|,)\s*IssuerCA=(?P<thumb>[0-9A-Fa-f]{40})\b")
# The forwarder's refresh interval when the policy names none (seconds).
_DEFAULT_REFRESH = 900


def policy(state: dict[str, Any]) -> list[str]:
    """The subscription managers the policy names (its values 1, 2, ... in order)."""
    found = find(state["registry"], POLICY_KEY)
    values = state["registry"][found] if found is not None else {}
    return [str(values[name]["data"]) for name in sorted(values, key=str)
            if values[name].get("type") in ("string", "expandstring")]


def manager_url(text: str) -> str | None:
    """The Server= URL of one SubscriptionManager value, or None."""
    found = _SERVER.search(text)
    return found.group("url").strip() if found else None


def _valid(text: str) -> bool:
    url = manager_url(text) or ""
    return url.lower().startswith("https://") and _ISSUER.search(text) is not None


def _refresh(text: str) -> dt.timedelta:
    found = _REFRESH.search(text)
    return dt.timedelta(seconds=int(found.group("seconds")) if found else _DEFAULT_REFRESH)


def security_readable(state: dict[str, Any]) -> bool:
    """NETWORK SERVICE is a member of Event Log Readers (found by SID, any language)."""
    group = next((g for g in state["groups"].values() if g.get("sid") == EVENT_LOG_READERS),
                 None)
    return group is not None and any(m.upper() == NETWORK_SERVICE for m in group["members"])


def _subscribe(state: dict[str, Any], text: str, at: dt.datetime,
               log: list[dict[str, Any]]) -> None:
    url = manager_url(text) or ""
    if not _valid(text):
        log.append(_event(POLICY_INVALID, at, f"The subscription policy {text} is invalid: "
                          "the lab models an HTTPS Server= with an IssuerCA"))
    elif faults.active(state, "collector-unreachable") is not None:
        log.append(_event(UNREACHABLE, at, "The forwarder is having a problem communicating "
                          f"with subscription manager at address {url}. Error code is 12029."))
    else:
        log.append(_event(CONNECTED, at, "The forwarder has successfully connected to the "
                          f"subscription manager at address {url}."))
        if security_readable(state):
            log.append(_event(SUCCESS, at, "The subscription sitekit is created successfully."))
        else:
            log.append(_event(CHANNELS_UNREADABLE, at, "The subscription sitekit is created, "
                              "but one or more channels in the query could not be read at "
                              "this time."))


def _event(event_id: int, at: dt.datetime, message: str) -> dict[str, Any]:
    return {"id": event_id, "time": at.isoformat(), "message": message}


def look(state: dict[str, Any], now: dt.datetime) -> list[dict[str, Any]]:
    """Catch the forwarder's log up to now and return it, oldest first."""
    current = policy(state)
    if not current and "forwarding" not in state:
        return []  # no policy ever: the forwarder has logged nothing
    fwd = state.setdefault("forwarding", {"policy": [], "looked": None, "log": []})
    log: list[dict[str, Any]] = fwd["log"]
    winrm = (state.get("services") or {}).get("WinRM") or {}
    running = winrm.get("state") == "running"
    boot = dt.datetime.fromisoformat(state["boot_time"])
    looked = dt.datetime.fromisoformat(fwd["looked"]) if fwd["looked"] else None
    if running and current:
        if current != fwd["policy"]:
            log.append(_event(POLICY_CHANGED, now, "Subscription policy has changed. Forwarder"
                              " is adjusting its subscriptions according to the subscription "
                              "manager(s) in the updated policy."))
            _subscribe(state, current[0], now, log)
        elif looked is not None and looked < boot <= now:
            _subscribe(state, current[0], boot, log)
        elif looked is not None and faults.active(state, "collector-unreachable") is not None:
            if not log or log[-1]["id"] != UNREACHABLE:
                _subscribe(state, current[0], now, log)  # the collector stopped answering
            else:
                # One 105 per refresh interval since the last look, at most a day's worth.
                step = _refresh(current[0])
                at = looked + step
                while at <= now and at - looked <= dt.timedelta(days=1):
                    _subscribe(state, current[0], at, log)
                    at += step
        elif looked is not None and log and log[-1]["id"] in PROBLEMS:
            # The forwarder tries again at its next refresh.
            at = looked + _refresh(current[0])
            if at <= now:
                _subscribe(state, current[0], at, log)
    fwd["policy"], fwd["looked"] = current, now.isoformat()
    del log[:-1000]  # the log's own size limit: the oldest events go
    return log
