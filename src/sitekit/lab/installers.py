"""What running an installer from the fleet's share does to a host, beyond registering it.

win_package records an MSI product itself; the packages below also leave services,
folders or an SQL Server instance behind, as their real installers do.
"""

from __future__ import annotations

from typing import Any

from sitekit.lab import exporter, filesystem, sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.state import created_service_config, host_state


def run_setup(host: LabHost, entry: dict[str, Any], arguments: str | list[str] | None,
              check_mode: bool) -> None:
    """Apply what the share's installer `entry` installs (nothing in check mode)."""
    if entry.get("package") == "sql_server":
        sqlserver.install_instance(host, entry, arguments, check_mode)
        return
    if check_mode:
        return
    if entry.get("package") == "windows_exporter":  # its service, from the MSI's properties
        exporter.install(host, arguments)
        return
    if entry.get("package") == "application_client":
        # The MSI's program file carries the vendor's file version (not the product's).
        filesystem.make_dirs(host, entry["install_dir"])
        filesystem.write_file(host, f"{entry['install_dir']}\\{entry['executable']}",
                              f"{entry['name']} {entry['file_version']}".encode(),
                              file_version=entry["file_version"])
        return
    if entry.get("package") == "application_server":
        install_dir = entry["install_dir"]
        filesystem.make_dirs(host, install_dir)
        service = entry["service"]
        # The MSI registers the service stopped and automatic; the role configures and
        # starts it once its configuration is in place.
        host_state(host)["services"].setdefault(service, {
            "display_name": entry["name"], "state": "stopped", "start_mode": "auto",
            "path": f'"{install_dir}\\{service}.exe"', "username": "LocalSystem",
            "description": f"{entry['name']} {entry['version']}", "dependencies": [],
            "desktop_interact": False, "ports": [entry["port"]] if "port" in entry else [],
            "scm": created_service_config()})
        # An upgrade replaces the program: the registered service now runs the new version.
        host_state(host)["services"][service]["description"] = f"{entry['name']} {entry['version']}"
        if entry.get("upgrade_step"):  # the release's database upgrade program
            filesystem.write_file(host, f"{install_dir}\\{entry['upgrade_step']}",
                                  f"{entry['name']} {entry['version']} database upgrade".encode())
