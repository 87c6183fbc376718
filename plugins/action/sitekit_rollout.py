# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sitekit_rollout action: the rollout's work now, and each site's outcome in the history.

Runs on the controller only (no module is sent to any host); thin over sitekit.rollout.run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from sitekit.audit.history import HistoryError
from sitekit.plan.fleet import planning_now
from sitekit.problems import ProblemsFound
from sitekit.rollout.run import record, ring_application, work

DOCUMENTATION = r"""
action: sitekit_rollout
short_description: Ask the rollout what to do now; keep a site's outcome in the history
description:
  - C(op=work) returns the sites the ring rule makes eligible now whose maintenance window is
    open with the release's upgrade time left (C(go)), the eligible sites that wait and why
    (C(waiting)), the rings' states, and the release's components.
  - C(op=record) keeps one site's state (upgrading, done, deferred, failed, rolled_back) in
    the audit history with the engineer, the time (SITEKIT_NOW or the clock) and the error.
  - C(op=ring_application) returns, per site (C(sites)), the application its ring's release
    installs, as sitekit.rollout.rings decides it (the release, its version, the server's and
    the client's installer, product code and file version; the fleet's pinned ones before any
    release reaches the ring). Opening day installs that.
  - Never changes a host; check mode changes nothing, not even the history.
options:
  op: {type: str, required: true, choices: [work, record, ring_application]}
  fleet_dir: {type: path, required: true}
  release: {type: str, description: "op=work and op=record"}
  history: {type: path, required: true}
  site: {type: str, description: op=record}
  state: {type: str, description: op=record}
  engineer: {type: str, description: op=record}
  reason: {type: str, default: ""}
  error: {type: str, default: ""}
  step:
    type: str
    default: ""
    description: op=record, the step of the site's upgrade just done (backup, schema, server,
      stations), kept with the state so a re-run resumes after it
  detail: {type: str, default: "", description: "op=record, step=backup: the backup's file"}
"""


class ActionModule(ActionBase):
    """Plan or record on the controller."""

    TRANSFERS_FILES = False
    _VALID_ARGS: ClassVar[frozenset[str]] = frozenset((
        "op", "fleet_dir", "release", "history", "site", "state", "engineer", "reason",
        "error", "step", "detail"))
    _requires_connection = False

    def run(self, tmp: str | None = None,
            task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        """Return the work now (op=work) or keep a site's state (op=record)."""
        result = super().run(tmp, task_vars)
        args = self._task.args
        try:
            fleet_dir, history = Path(args["fleet_dir"]), Path(args["history"])
            now = planning_now()
            if args["op"] == "ring_application":
                return result | {"changed": False, "sites": ring_application(fleet_dir, history,
                                                                              now)}
            if args["op"] == "work":
                return result | {"changed": False, **work(fleet_dir, args["release"], history,
                                                          now)}
            if args["op"] != "record":
                raise AnsibleActionFail("op must be work, record or ring_application, not "
                                        f"{args['op']!r}")
            if self._task.check_mode:
                return result | {"changed": False, "skipped_reason": "check mode: nothing kept"}
            kept = record(history, fleet_dir, args["release"], args["site"], args["state"],
                          engineer=str(args.get("engineer") or ""), now=now,
                          reason=str(args.get("reason") or ""), error=str(args.get("error") or ""),
                          step=str(args.get("step") or ""), detail=str(args.get("detail") or ""))
            return result | {"changed": True, "kept": {"site": kept.site, "state": kept.state,
                                                       "at": kept.at}}
        except KeyError as missing:
            raise AnsibleActionFail(f"sitekit_rollout needs the option {missing}") from None
        except ProblemsFound as problems:
            raise AnsibleActionFail(problems.report()) from None
        except (HistoryError, OSError, ValueError) as error:  # busy, unreadable: say so
            raise AnsibleActionFail(str(error)) from None
