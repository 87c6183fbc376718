"""sitekit_printers (plugins/modules): network printers and their TCP/IP ports, in one call.

Printing lives in state["printing"]: installed drivers, the driver store (what
Add-PrinterDriver can install by name; seed_base.py says what a fresh Windows has),
printers (name -> driver, port, comment, location) and ports (name -> address,
port_number), as Get-PrinterDriver, Get-Printer and Get-PrinterPort show them.
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


def _check(printers: list[dict[str, Any]], printing: dict[str, Any]) -> list[str]:
    """The drivers to install from the store; fail before anything changes.

    A printer listed twice, with no address, or on a driver neither installed nor in the
    store fails.
    """
    installed = {d.lower() for d in printing["drivers"]}
    store = {d.lower() for d in printing["driver_store"]}
    missing: list[str] = []
    seen: set[str] = set()
    for wanted in printers:
        if wanted["name"].lower() in seen:
            raise ModuleFailedError(f"the printer {wanted['name']} is listed twice")
        seen.add(wanted["name"].lower())
        if wanted["state"] == "absent":
            continue
        if not wanted["address"]:
            raise ModuleFailedError(f"address is required to add the printer {wanted['name']}")
        driver = wanted["driver"]
        if driver.lower() in installed or driver in missing:
            continue
        if driver.lower() not in store:
            # Add-PrinterDriver -Name fails for a driver that is not in the store.
            raise ModuleFailedError(
                f"the printer driver '{driver}' is neither installed nor in this host's driver"
                " store: add its package first (pnputil /add-driver <driver>.inf /install) or"
                f" name another driver: The specified driver does not exist in the driver"
                " store.")
        missing.append(driver)
    return missing


@register("ansible.legacy.sitekit_printers", supports_check_mode=True,
          implements=("printers", "marker", "purge"))
def sitekit_printers(host: LabHost, args: dict[str, Any], check_mode: bool,
                     diff: bool) -> dict[str, Any]:
    """Add, update and remove printers; purge marked printers the list no longer has."""
    printing = ensure(host_state(host))["printing"]
    missing = _check(args["printers"], printing)
    if missing and not check_mode:
        printing["drivers"] = printing["drivers"] + missing
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
    result: dict[str, Any] = {"changed": bool(changes or missing), "printers": listed,
                              "changes": changes, "drivers_installed": missing}
    if changes:
        result["diff"] = {"before": {"printers": before},
                          "after": {"printers": listed, "removed": doomed}}
    return result
