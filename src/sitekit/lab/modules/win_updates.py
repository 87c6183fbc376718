"""ansible.windows.win_updates: the module side of the win_updates action plugin.

The plugin calls `start`, then `poll` until an `exit` record, then `cancel`. The lab
searches the host's pending updates at `start` (installing them unless check mode or
state=searched), and hands the progress records to the next `poll`. Installing a
Defender definition update refreshes the signatures, unless the stale-signatures fault
makes it fail (0x80070643, as a broken Defender update does).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sitekit.lab import faults
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.modules._common import utcnow
from sitekit.lab.modules.argspec import OptionSpec
from sitekit.lab.state import host_state

_HIDDEN = (OptionSpec("_operation", default="start", choices=("start", "cancel", "poll")),
           OptionSpec("_operation_options", type="dict"))
_DEFINITIONS = "Definition Updates"
_E_INSTALL_FAILURE = -2147023293  # 0x80070643, "Fatal error during installation"


# reboot and reboot_timeout are the action plugin's (plugins/action/win_updates.py reboots
# through the connection, as the lab models reboots); the module passes them by.
@register("ansible.windows.win_updates", supports_check_mode=True, hidden=_HIDDEN,
          implements=("accept_list", "category_names", "reject_list", "state", "reboot",
                      "reboot_timeout"))
def win_updates(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """start, poll or cancel an update run."""
    state = host_state(host)
    runs = state["lab"].setdefault("update_runs", {})
    options = args["_operation_options"] or {}
    if args["_operation"] == "poll":
        output = runs.pop(str(options.get("pipe_name")), None)
        if output is None:
            raise ModuleFailedError("Failed to connect to the update task pipe")
        return {"changed": False, "output": output}
    if args["_operation"] == "cancel":
        return {"changed": False}
    pipe = f"ansible-update-{uuid.uuid4()}"
    runs[pipe] = _run(state, args, check_mode)
    return {"changed": False, "poll_options": {"pipe_name": pipe},
            "cancel_options": {"cancel_id": str(uuid.uuid4()), "task_pid": 4242}}


def _reasons(update: dict[str, Any], args: dict[str, Any]) -> list[str]:
    """Why an update is filtered out: category_names, accept_list, reject_list."""
    reasons = []
    categories = {c.replace(" ", "").lower() for c in update["categories"]}
    wanted = {c.replace(" ", "").lower() for c in args["category_names"] or []}
    if "*" not in wanted and not categories & wanted:
        reasons.append("category_names")
    names = [update["title"], *update["kb"]]
    if args["accept_list"] and not any(re.search(p, n, re.I) for p in args["accept_list"]
                                       for n in names):
        reasons.append("accept_list")
    if args["reject_list"] and any(re.search(p, n, re.I) for p in args["reject_list"]
                                   for n in names):
        reasons.append("reject_list")
    return reasons


def _run(state: dict[str, Any], args: dict[str, Any], check_mode: bool) -> list[dict[str, Any]]:
    """Search, and install what is selected; return the progress records for poll."""
    pending = state["updates"]["pending"]
    if state["updates"].get("search_error"):
        # No update source reachable: the search itself fails, and so does the module.
        return [{"task": "exit", "result": {"changed": False, "reboot_required": False,
                                            "failed": True, "exception": {
            "message": f"Failed to search for updates: {state['updates']['search_error']}"}}}]
    filtered = [{"id": u["id"], "reasons": r} for u in pending if (r := _reasons(u, args))]
    skip = {f["id"] for f in filtered}
    selected = [u for u in pending if u["id"] not in skip]
    output: list[dict[str, Any]] = [{"task": "search_result", "result": {
        "updates": pending, "filtered": filtered}}]
    install = args["state"] != "searched" and not check_mode and bool(selected)
    if install and state["reboot_pending"]:
        output.append({"task": "exit", "result": {"changed": False, "reboot_required": True,
                                                  "failed": True, "exception": {
            "message": "A reboot is required before more updates can be installed"}}})
        return output
    info = [{"id": u["id"], "result_code": 2, "hresult": 0} for u in selected]
    if install:
        output.append({"task": "download_result", "result": {"info": info}})
    installing = install and args["state"] == "installed"
    failing = {u["id"] for u in selected if _fails(state, u)} if installing else set()
    installed = [u for u in selected if u["id"] not in failing]
    reboot = installing and any(u["reboot_required"] for u in installed)
    if installing:
        results = [{"id": u["id"], "result_code": 4, "hresult": _E_INSTALL_FAILURE}
                   if u["id"] in failing else i for u, i in zip(selected, info, strict=True)]
        output.append({"task": "install_result", "result": {"info": results}})
        state["updates"]["installed"] += installed
        state["updates"]["pending"] = [u for u in pending if u["id"] in skip | failing]
        state["reboot_pending"] |= reboot
        if any(_DEFINITIONS in u["categories"] for u in installed):
            _refresh_signatures(state)
    # As win_updates.ps1: check mode predicts a change whenever something is selected.
    changed = bool(selected) and args["state"] != "searched"
    output.append({"task": "exit", "result": {"changed": changed, "reboot_required": reboot,
                                              "failed": False}})
    return output


def _fails(state: dict[str, Any], update: dict[str, Any]) -> bool:
    """Tell whether installing an update fails: definitions, under stale-signatures."""
    return _DEFINITIONS in update["categories"] and \
        faults.active(state, "stale-signatures") is not None


def _refresh_signatures(state: dict[str, Any]) -> None:
    """A definition update installed: Defender's signatures are new."""
    now = utcnow()
    state["defender"]["antivirus_signature_last_updated"] = now.isoformat()
