"""sitekit_printers (plugins/modules): network printers and their TCP/IP ports, in one call.

Printing lives in state["printing"]: installed drivers, printers (name -> driver, port,
comment, location) and ports (name -> address, port_number), as Get-PrinterDriver,
Get-Printer and Get-PrinterPort show them.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.seed_stations import ensure
from sitekit.lab.state import find, host_state

_RAW_PORT = 9100


def port_name(address: str, number: int) -> str:
    """The Standard TCP/IP port's name: IP_<address>, with the port number unless 9100."""
    return f"IP_{address}" if number == _RAW_PORT else f"IP_{address}_{number}"


def _record(printing: dict[str, Any], name: str) -> dict[str, Any]:
    """A printer as the module reports it."""
    printer = printing["printers"][name]
    port = printing["ports"].get(printer["port"], {})
    return {"name": name, "port": printer["port"], "address": port.get("address"),
            "port_number": port.get("port_number"), "driver": printer["driver"],
            "location": printer["location"], "comment": printer["comment"]}


def _check(printers: list[dict[str, Any]], drivers: list[str]) -> None:
    """Fail, before anything changes, on a printer listed twice, no address or no driver."""
    seen: set[str] = set()
    for wanted in printers:
        if wanted["name"].lower() in seen:
            raise ModuleFailedError(f"the printer {wanted['name']} is listed twice")
        seen.add(wanted["name"].lower())
        if wanted["state"] == "absent":
            continue
        if not wanted["address"]:
            raise ModuleFailedError(f"address is required to add the printer {wanted['name']}")
        if wanted["driver"].lower() not in (d.lower() for d in drivers):
            raise ModuleFailedError(
                f"the printer driver '{wanted['driver']}' of {wanted['name']} is not installed"
                " on this host: install it first (pnputil /add-driver, then Add-PrinterDriver)"
                " or name an installed driver")


@register("ansible.legacy.sitekit_printers", supports_check_mode=True)
def sitekit_printers(host: LabHost, args: dict[str, Any], check_mode: bool,
                     diff: bool) -> dict[str, Any]:
    """Add, update and remove printers; purge marked printers the list no longer has."""
    printing = ensure(host_state(host))["printing"]
    _check(args["printers"], printing["drivers"])
    before = [_record(printing, name) for name in printing["printers"]]
    work = {"printers": {k: dict(v) for k, v in printing["printers"].items()},
            "ports": {k: dict(v) for k, v in printing["ports"].items()}}
    marker = args["marker"]
    changes: list[dict[str, str]] = []
    listed: list[dict[str, Any]] = []
    doomed: list[str] = []
    for wanted in args["printers"]:
        current = find(work["printers"], wanted["name"])
        if wanted["state"] == "absent":
            if current is not None:
                doomed.append(current)
            continue
        port = port_name(wanted["address"], wanted["port_number"])
        after = {"driver": wanted["driver"], "port": port, "comment": marker,
                 "location": wanted["location"]}
        port_after = {"address": wanted["address"], "port_number": wanted["port_number"]}
        listed.append({"name": wanted["name"], "port": port, "address": wanted["address"],
                       "port_number": wanted["port_number"], "driver": wanted["driver"],
                       "location": wanted["location"], "comment": marker})
        if current is not None and work["printers"][current] == after and \
                work["ports"].get(port) == port_after:
            continue
        changes.append({"name": wanted["name"],
                        "action": "added" if current is None else "changed"})
        work["ports"][port] = port_after
        work["printers"][current or wanted["name"]] = after
    if args["purge"]:
        names = {w["name"].lower() for w in args["printers"]}
        doomed += [name for name, printer in work["printers"].items()
                   if printer["comment"] == marker and name.lower() not in names]
    for name in doomed:
        changes.append({"name": name, "action": "removed"})
        port = work["printers"].pop(name)["port"]
        if port.startswith("IP_") and all(p["port"] != port for p in work["printers"].values()):
            work["ports"].pop(port, None)
    if changes and not check_mode:
        printing["printers"], printing["ports"] = work["printers"], work["ports"]
    result: dict[str, Any] = {"changed": bool(changes), "printers": listed, "changes": changes}
    if changes:
        result["diff"] = {"before": {"printers": before},
                          "after": {"printers": listed, "removed": doomed}}
    return result
