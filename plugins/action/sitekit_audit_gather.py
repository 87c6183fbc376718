# Copyright: sitekit contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sitekit_audit_gather action: one sitekit_facts call on the host, its facts file here.

The monthly audit used to register sitekit_facts and then write each host's facts file with
a copy task delegated to localhost: a second task execution per host, 20,000 at 20,000
hosts. This action runs the module and writes the file within the same task: the controller
pays for the module call and nothing else per host. Thin over sitekit.audit.gather.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure
from ansible.plugins.action import ActionBase

from sitekit.audit.gather import document
from sitekit.audit.render import write

DOCUMENTATION = r"""
action: sitekit_audit_gather
short_description: Read the audit's facts from a host and keep them as its facts file
description:
  - Runs the sitekit_facts module on the host with every option but C(run_dir) and
    C(document), and writes the host's facts document
    (src/sitekit/audit/schemas/facts.schema.json) to C(run_dir/<site>/<host>.json) on the
    controller, atomically (a reader sees the old file or the new one), replacing only
    that host's file.
  - An unreachable host gets a document that says so (reachable false, the error) and the
    task is unreachable as before; a failed module call gets one with the error.
  - Check mode reads and writes nothing on the controller.
options:
  run_dir: {type: path, required: true, description: the run's facts folder}
  document:
    type: dict
    required: true
    description: >-
      site, kind, plan_groups, built_in, backup_schedule, planned_network,
      never_expires_allowed, as sitekit.audit.gather.document takes them.
"""

_DOCUMENT_KEYS = frozenset({"site", "kind", "plan_groups", "built_in", "backup_schedule",
                            "planned_network", "never_expires_allowed"})


class ActionModule(ActionBase):
    """Run sitekit_facts, write the facts document on the controller."""

    TRANSFERS_FILES = False
    _VALID_ARGS: ClassVar[frozenset[str]] = frozenset()  # the module checks its own options

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None
            ) -> dict[str, Any]:
        """The module's result, with `facts_file` (the file written)."""
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        run_dir, options = args.pop("run_dir", None), args.pop("document", None)
        if not run_dir or not isinstance(options, Mapping) or not {"site", "kind"} <= set(options):
            raise AnsibleActionFail("sitekit_audit_gather: set run_dir and document "
                                    "(with at least site and kind)")
        unknown = set(options) - _DOCUMENT_KEYS
        if unknown:
            raise AnsibleActionFail(f"sitekit_audit_gather: document has no option "
                                    f"{', '.join(sorted(unknown))}")
        host = task_vars["inventory_hostname"]
        try:
            # ansible.legacy: the playbook's own library, as a task naming sitekit_facts finds it.
            module = self._execute_module(module_name="ansible.legacy.sitekit_facts",
                                          module_args=args, task_vars=task_vars)
        except AnsibleConnectionFailure as error:
            # As the task executor reports it; the document records it first.
            module = {"unreachable": True, "msg": str(error), "changed": False}
        result.update(module)
        if self._task.check_mode:
            return result
        facts = document(module, host=host, **options)
        path = Path(run_dir) / str(options["site"]) / f"{host}.json"
        write([json.dumps(facts, indent=1, sort_keys=True), "\n"], path)
        result["facts_file"] = str(path)
        return result
