"""Put a SQL Server instance into a lab host's state, until pos_server's role and model land.

The db_backup role runs after pos_server, which installs the instance and creates the
application database. Until roles/pos_server exists, tests (and the db_backup molecule
scenario's prepare) seed what it would leave, in the shape of sitekit.lab.sqlserver.
Switch `seed_instance` to that model's own seeding when it lands.

    python -m tests.lab.sql_seed LAB_DIR HOST [--fleet DIR --site CODE --port PORT]

stops the lab, seeds the host's state and starts the lab again (a running lab keeps its
state in memory and would write over an edited state file).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from sitekit.site.sqlserver import service_name

INSTANCE = "SQLEXPRESS"
DATABASE = "LotusPOS"


def seed_instance(state: dict[str, Any], instance: str = INSTANCE,
                  database: str = DATABASE, recovery_model: str = "FULL") -> dict[str, Any]:
    """Add an installed instance with one database (as pos_server leaves it); return it."""
    root = f"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.{instance}\\MSSQL"
    sql = {
        "name": instance, "version": "16.0.1000.6", "edition": "Express Edition (64-bit)",
        "service": service_name(instance), "tcp_port": 1433, "data_dir": f"{root}\\DATA",
        "log_dir": f"{root}\\DATA", "backup_dir": f"{root}\\Backup",
        "sysadmins": ["BUILTIN\\Administrators", "NT AUTHORITY\\SYSTEM"],
        "databases": {database: {
            "recovery_model": recovery_model, "data_file": f"{root}\\DATA\\{database}.mdf",
            "log_file": f"{root}\\DATA\\{database}_log.ldf", "data_size_mb": 64,
            "log_size_mb": 16, "tables": {"menu_items": 0, "tables": 0}, "owner": "sa"}},
        "backups": [], "restore_tests": [],
    }
    state.setdefault("sql_instances", {})[instance] = sql
    # Its service, running, as setup leaves it: the modules reach the instance through it.
    state.setdefault("services", {})[sql["service"]] = {
        "display_name": f"SQL Server ({instance})", "state": "running", "start_mode": "auto",
        "path": f'"{root}\\Binn\\sqlservr.exe" -s{instance}',
        "username": f"NT Service\\{sql['service']}", "description": f"SQL Server ({instance})",
        "dependencies": [], "desktop_interact": False}
    return sql


def seed_lab(lab_dir: Path, host: str, fleet: str, site: str, port: int) -> None:
    """Stop the lab, seed the host's state, start the lab again."""
    sitekit = str(Path(sys.executable).parent / "sitekit")
    subprocess.run([sitekit, "lab", "down", "--lab-dir", str(lab_dir)], check=True,
                   capture_output=True)
    state_file = lab_dir / "hosts" / host / "state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    seed_instance(state)
    state_file.write_text(json.dumps(state, sort_keys=True), encoding="utf-8")
    subprocess.run([sitekit, "lab", "up", fleet, "--site", site, "--port", str(port),
                    "--lab-dir", str(lab_dir)], check=True, capture_output=True)


def main() -> None:
    """Seed one host of a running lab."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lab_dir", type=Path)
    parser.add_argument("host")
    parser.add_argument("--fleet", default="inventories/example")
    parser.add_argument("--site", default="LIS01")
    parser.add_argument("--port", type=int, default=5986)
    args = parser.parse_args()
    seed_lab(args.lab_dir, args.host, args.fleet, args.site, args.port)


if __name__ == "__main__":
    main()
