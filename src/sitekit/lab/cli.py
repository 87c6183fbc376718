"""`sitekit lab up | status | down | reset | advance | fault`: virtual sites over WinRM."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Any, TextIO

from sitekit.lab import control, faults
from sitekit.lab.clock import CLOCK_FILE
from sitekit.lab.labdir import LabLayout, prepare, read_inventory
from sitekit.lab.server import read_config, read_metrics_port
from sitekit.plan.fleet import plan_fleet_dir
from sitekit.problems import ProblemsFound

HELP = "virtual sites over real WinRM, on loopback"
# In the directory the lab starts from: the kit's checkout, where ansible.cfg is and
# Ansible runs (the package installed elsewhere has no such place of its own).
DEFAULT_LAB_DIR = Path(".cache") / "lab"


def main(argv: list[str]) -> int:
    """Run `sitekit lab ...` (argv without "lab"); returns the exit status."""
    return run(_parser().parse_args(argv))


def _parser() -> argparse.ArgumentParser:
    lab = argparse.ArgumentParser(prog="sitekit lab", description=HELP)
    commands = lab.add_subparsers(dest="lab_command", required=True, metavar="LAB_COMMAND")
    up = commands.add_parser("up", help="start the virtual hosts of a fleet's sites")
    up.add_argument("fleet", type=Path, help="fleet directory, e.g. inventories/example")
    up.add_argument("--site", action="append", default=[], metavar="CODE",
                    help="only this site (repeat for more; default: every site)")
    up.add_argument("--port", type=int, help="WinRM port (default: the fleet's)")
    up.add_argument("--metrics-port", type=int,
                    help="serve every host's windows_exporter on this port (default: the port "
                    "it was installed with); lets two labs of the same sites run at once")
    for name, text in (("status", "show the lab's hosts, process and module calls"),
                       ("down", "stop the lab; host state is kept"),
                       ("reset", "forget host state and faults (restarts a running lab)")):
        commands.add_parser(name, help=text)
    advance = commands.add_parser(
        "advance", help="move the lab's clock on (restarts a running lab): days pass for "
                        "the hosts, their scheduled jobs run by their schedules")
    advance.add_argument("--days", type=float, default=0.0)
    advance.add_argument("--hours", type=float, default=0.0)
    fault = commands.add_parser(
        "fault", help="inject a fault into a host (kept until `reset`), or `clear` them",
        description="faults: " + "; ".join(f"{k}: {v}" for k, v in faults.FAULTS.items()))
    fault.add_argument("host", help="inventory host name, e.g. lis01-srv01")
    fault.add_argument("fault", choices=[*faults.FAULTS, "clear"])
    fault.add_argument("params", nargs="*", metavar="KEY=VALUE",
                       help="fault parameters, e.g. service=Spooler or seconds=3")
    for command in commands.choices.values():
        command.add_argument("--lab-dir", type=Path, default=DEFAULT_LAB_DIR,
                             help=f"the lab's directory (default {DEFAULT_LAB_DIR})")
    return lab


def run(args: argparse.Namespace) -> int:
    """Run a `sitekit lab` subcommand; returns the exit status."""
    layout = LabLayout(args.lab_dir.absolute())
    try:
        if args.lab_command == "up":
            return up(layout, args.fleet, args.site, args.port, args.metrics_port)
        if args.lab_command == "status":
            return status(layout)
        if args.lab_command == "down":
            return down(layout)
        if args.lab_command == "reset":
            return reset(layout)
        if args.lab_command == "advance":
            return advance_clock(layout, dt.timedelta(days=args.days, hours=args.hours))
        if args.lab_command == "fault":
            return inject(layout, args.host, args.fault, args.params)
    except BrokenPipeError:  # `sitekit lab status | head`: main() handles it
        raise
    except (control.LabProcessError, ProblemsFound, OSError, ValueError) as error:
        text = error.report() if isinstance(error, ProblemsFound) else str(error)
        _say(f"sitekit lab {args.lab_command}: {text}", sys.stderr)
        return 1
    raise AssertionError(args.lab_command)


def up(layout: LabLayout, fleet: Path, sites: list[str], port: int | None = None,
       metrics_port: int | None = None) -> int:
    """Plan the fleet, write the lab directory and start the lab process in the background."""
    plan = plan_fleet_dir(fleet, only=sites)
    plan.raise_for_problems()
    if plan.fleet is None or not plan.sites:
        raise ValueError(f"{fleet}: no site to serve")
    control.stop(layout.root)  # `up` again serves what was asked now
    hosts = prepare(layout, fleet, plan, sites, port or int(plan.fleet.winrm["port"]),
                    metrics_port=metrics_port)
    pid = control.start(layout.root)
    _say(f"lab up: {len(hosts)} hosts of {', '.join(s.site.code for s in plan.sites)}, pid {pid}")
    _print_paths(layout)
    return 0


def status(layout: LabLayout) -> int:
    """Print the lab's process, paths and hosts; exit 3 when it is not running."""
    if not layout.exists():
        _say(f"no lab in {layout.root}; start one with `sitekit lab up <fleet dir>`")
        return 3
    pid = control.running_pid(layout.root)
    hosts, port = read_config(layout.root)
    source = read_inventory(layout)
    metrics_port = read_metrics_port(layout.root)
    exporters = f", exporters on {metrics_port}" if metrics_port else ""
    _say(f"lab {layout.root}: {'running, pid ' + str(pid) if pid else 'stopped'}, port {port}"
         f"{exporters},"
         f" fleet {source.get('source')} sites {', '.join(source.get('sites', []))}")
    _print_paths(layout)
    _say(f"{'host':<16}{'address':<16}{'computer name':<17}{'calls':>6}  faults")
    for host in hosts:
        state = _read_state(layout, host.hostname)
        calls = sum(state.get("lab", {}).get("module_calls", {}).values())
        injected = ", ".join(sorted(faults.read(layout.host_dir(host.hostname)))) or "-"
        _say(f"{host.hostname:<16}{host.address:<16}{state.get('hostname', '?'):<17}"
             f"{calls:>6}  {injected}")
    return 0 if pid else 3


def down(layout: LabLayout) -> int:
    """Stop the lab process; state stays for the next `up`."""
    pid = control.stop(layout.root)
    _say(f"lab down (pid {pid} stopped)" if pid else "lab was not running")
    return 0


def reset(layout: LabLayout) -> int:
    """Forget every host's state and faults; a running lab restarts fresh."""
    was_running = control.stop(layout.root) is not None
    shutil.rmtree(layout.root / "hosts", ignore_errors=True)
    _say(f"lab reset: host state and faults removed from {layout.root / 'hosts'}")
    if was_running and layout.exists():
        return _restart(layout)
    return 0


def _restart(layout: LabLayout) -> int:
    """`up` again with what the lab was started with: its fleet, sites and ports."""
    source = read_inventory(layout)
    _, port = read_config(layout.root)
    return up(layout, Path(source["source"]), list(source.get("sites", [])), port,
              read_metrics_port(layout.root))


def advance_clock(layout: LabLayout, by: dt.timedelta) -> int:
    """Move the lab's clock on by `by`; a running lab restarts with it, its state kept."""
    if not layout.exists():
        raise ValueError(f"no lab in {layout.root}")
    if by < dt.timedelta(0):
        raise ValueError("the lab's clock only moves on: give --days or --hours of 0 or more")
    clock = layout.root / CLOCK_FILE
    offset = json.loads(clock.read_text(encoding="utf-8"))["offset_seconds"] if \
        clock.exists() else 0
    offset += int(by.total_seconds())
    was_running = control.stop(layout.root) is not None
    clock.write_text(json.dumps({"offset_seconds": offset}), encoding="utf-8")
    _say(f"lab clock: {dt.timedelta(seconds=offset)} ahead of the controller's")
    if was_running:
        return _restart(layout)
    return 0


def inject(layout: LabLayout, host: str, fault: str, params: list[str]) -> int:
    """Inject a fault into one host, or clear its faults; a running lab picks it up at once."""
    if not layout.exists():
        raise ValueError(f"no lab in {layout.root}")
    names = [h.hostname for h in read_config(layout.root)[0]]
    if host not in names:
        raise ValueError(f"no host {host} in the lab; hosts: {', '.join(names)}")
    host_dir = layout.host_dir(host)
    if fault == "clear" and params:
        raise ValueError(f"clear takes no parameters (got {' '.join(params)})")
    injected = {} if fault == "clear" else faults.read(host_dir)
    if fault != "clear":
        injected[fault] = faults.parameters(fault, params)
    faults.write(host_dir, injected)
    _say(f"{host}: faults now {', '.join(sorted(injected)) or 'none'}")
    return 0


def _print_paths(layout: LabLayout) -> None:
    """Say where the inventory, the vault password and the log are."""
    _say(f"  inventory  ansible-playbook -i {layout.inventory} ...  (run from the kit's checkout)")
    _say(f"  vault      export ANSIBLE_VAULT_PASSWORD_FILE={layout.vault_password_file}")
    _say(f"  log        {layout.root / control.LOG_FILE}")


def _say(text: str, stream: TextIO | None = None) -> None:
    """Write one line for the user (the CLI's output, not a log); stdout by default."""
    (stream or sys.stdout).write(text + "\n")


def _read_state(layout: LabLayout, name: str) -> dict[str, Any]:
    """A host's persisted state, or {} before its first `up`."""
    try:
        data = json.loads(layout.state_file(name).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}
