"""One module run over WinRM with the real `ansible` CLI, its result as JSON."""

from __future__ import annotations

import json
from typing import Any

from tests.lab.conftest import CliLab


def adhoc(lab: CliLab, host: str, module: str, args: dict[str, Any],
          *options: str) -> dict[str, Any]:
    """Run `ansible <host> -m <module> -a <json>`; return the host's result."""
    env = lab.env() | {"ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                       "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    result = lab.ansible(host, module, json.dumps(args), *options, env=env)
    assert result.stdout, result.stderr
    return json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"][host]


def modelled(lab: CliLab, host: str) -> dict[str, Any]:
    """A host's state without the lab's bookkeeping (call counts, faults)."""
    state = lab.state(host)
    state.pop("lab")
    return state


def without_temp_dirs(state: dict[str, Any]) -> dict[str, Any]:
    """A state without ansible's remote temp dirs (win_template leaves one, as on Windows).

    Their NTFS times go with them: every run makes its own.
    """
    for table in ("dirs", "times"):
        state["fs"][table] = {k: v for k, v in state["fs"].get(table, {}).items()
                              if "\\ansible-tmp-" not in k}
    return state


def playbook(lab: CliLab, path: Any, *options: str) -> dict[str, Any]:
    """Run a playbook with the JSON callback; return its report and the raw output."""
    env = lab.env() | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    result = lab.playbook(path, *options, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return {"report": json.loads(result.stdout), "output": result.stdout + result.stderr}


def calls(lab: CliLab, host: str) -> dict[str, int]:
    """Module calls the lab counted on a host, by module."""
    return dict(lab.state(host)["lab"]["module_calls"])


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    """Calls made between two counts, by module (modules not called left out)."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
