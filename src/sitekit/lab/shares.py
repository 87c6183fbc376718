"""The fleet's installer share as the lab's hosts see it.

The share is outside every host: it holds what the fleet file's `software` lists, at
the pinned versions. `sitekit lab up` writes its listing into each host's state
(state["shares"]: normalised UNC path -> what the installer installs), refreshed on every
`up`, so a fleet that pins a new version finds the new installer and a misspelled path
fails as it would on Windows. Nothing else on a UNC path exists.

Reaching the share needs network credentials, which a WinRM logon over NTLM does not
have (the "double hop"): as on Windows, a module that reads the share works only under
`become` (runas) with the user's password, and otherwise finds nothing there.
"""

from __future__ import annotations

import contextlib
import contextvars
import ntpath
from collections.abc import Iterable, Iterator
from typing import Any

from sitekit.lab.filesystem import path_key
from sitekit.site.model import Fleet


def share_listing(fleet: Fleet, releases: Iterable[dict[str, Any]] = ()
                  ) -> dict[str, dict[str, Any]]:
    """The installers on the fleet's share: path key -> path, package, name, version, product.

    `releases` are the release files' `release` mappings: their application installers are
    on the share too, each with the SHA-256 its release names (what Get-FileHash answers).
    """
    software = fleet.software
    share = software["share"]
    sql = software["sql_server"]
    application = fleet.application
    entries = [
        {"package": "sql_server", "installer": sql["installer"], "name": sql["name"],
         "version": sql["version"], "product_id": None},
        {"package": "application_server", "installer": software["application_server"]["installer"],
         "name": f"{application['name']} Server", "version": application["version"],
         "product_id": software["application_server"]["product_id"],
         "service": software["application_server"]["service"],
         "install_dir": software["application_server"]["install_dir"],
         "port": application["server_port"]},  # its service listens there (network.py)
        {"package": "application_client", "installer": software["application_client"]["installer"],
         "name": f"{application['name']} Client", "version": application["version"],
         "product_id": software["application_client"]["product_id"],
         # The program it installs, with the file version win_package's creates_version reads.
         "install_dir": software["application_client"]["install_dir"],
         "executable": software["application_client"]["executable"],
         "file_version": software["application_client"]["file_version"]},
    ]
    if sql.get("update"):  # the CU or GDR setup slipstreams, in a folder of its own
        update = sql["update"]
        entries.append({"package": "sql_server_update", "installer": update["installer"],
                        "name": f"{sql['name']} {update['kb']}", "version": update["version"],
                        "kb": update["kb"], "sha256": update["sha256"], "product_id": None})
    if "dbatools" in software:  # a zip of Save-Module's output: module\<version>\...
        dbatools = software["dbatools"]
        entries.append({
            "package": "dbatools", "installer": dbatools["archive"], "name": "dbatools",
            "version": dbatools["version"], "product_id": None,
            "archive_files": [f"dbatools\\{dbatools['version']}\\dbatools.psd1",
                              f"dbatools\\{dbatools['version']}\\dbatools.psm1",
                              f"dbatools.library\\{dbatools['library_version']}"
                              "\\dbatools.library.psd1"]})
    if "windows_exporter" in software:  # the monitoring role's MSI (installers.py)
        exporter = software["windows_exporter"]
        entries.append({"package": "windows_exporter", "installer": exporter["installer"],
                        "name": f"windows_exporter {exporter['version']}",
                        "version": exporter["version"], "product_id": exporter["product_id"],
                        "sha256": exporter["sha256"]})
    for release in releases:
        entries += _release_entries(fleet, release)
    listing = {}
    for entry in entries:
        path = ntpath.join(share, entry.pop("installer"))
        listing[path_key(path)] = {"path": path, **entry}
    return listing


def _release_entries(fleet: Fleet, release: dict[str, Any]) -> list[dict[str, Any]]:
    """A release's Windows updates (.msu), SQL Server CU and application installers.

    Each is a major upgrade of its kind: its MSI removes the fleet's product of the same
    kind (the same UpgradeCode, another ProductCode), as Windows Installer's major
    upgrades do. The server's install folder gains the release's schema upgrade program.
    """
    updates = [{"package": "windows_update", "installer": update["installer"],
                "name": f"Update for Windows ({update['kb']})", "version": update["kb"],
                "kb": update["kb"], "sha256": update["sha256"], "product_id": None}
               for update in release.get("components", {}).get("windows_updates", {}).get(
                   "kbs", [])]
    sql = release.get("components", {}).get("sql_server")
    if sql:  # a CU's own package, run with /Action=Patch (sqlserver.patch_instance)
        updates.append({"package": "sql_server_cu", "installer": sql["installer"],
                        "name": f"{fleet.software['sql_server']['name']} "
                                f"{sql['cumulative_update']}",
                        "version": sql["version"], "cumulative_update": sql["cumulative_update"],
                        "sha256": sql["sha256"], "product_id": None})
    application = release.get("components", {}).get("application")
    if not application:
        return updates
    software, name = fleet.software, fleet.application["name"]
    server, client = application["server"], application["client"]
    step = release.get("database", {}).get("upgrade_step")
    return [*updates,
        {"package": "application_server", "installer": server["installer"],
         "name": f"{name} Server", "version": application["version"],
         "product_id": server["product_id"], "sha256": server["sha256"], "release": True,
         "service": software["application_server"]["service"],
         "install_dir": software["application_server"]["install_dir"],
         "port": fleet.application["server_port"],
         "upgrade_step": step["executable"] if step else None},
        {"package": "application_client", "installer": client["installer"],
         "name": f"{name} Client", "version": application["version"],
         "product_id": client["product_id"], "sha256": client["sha256"], "release": True,
         "install_dir": software["application_client"]["install_dir"],
         "executable": software["application_client"]["executable"],
         "file_version": client["file_version"]},
    ]


def family(state: dict[str, Any], package: str) -> set[str]:
    """The product codes of every version of one kind of package on the share (upper case)."""
    return {str(entry["product_id"]).upper() for entry in state.get("shares", {}).values()
            if entry.get("package") == package and entry.get("product_id")}


# Whether the running module's logon can reach the share; None outside a WinRM session
# (models called directly, as unit tests do).
_network_credentials: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "network_credentials", default=None)


@contextlib.contextmanager
def logon(*, network_credentials: bool) -> Iterator[None]:
    """Run a module under a logon that has (or lacks) credentials for the network."""
    token = _network_credentials.set(network_credentials)
    try:
        yield
    finally:
        _network_credentials.reset(token)


def installer(state: dict[str, Any], path: str) -> dict[str, Any] | None:
    """What the installer at a UNC path installs, or None if there is none to reach.

    None when the share has no such file or the logon cannot reach the share: Windows'
    Test-Path answers false for both.
    """
    if _network_credentials.get() is False:
        return None
    return state.get("shares", {}).get(path_key(path))


def folder(state: dict[str, Any], path: str) -> list[dict[str, Any]] | None:
    """The installers in a folder of the share, or None if the folder cannot be reached.

    A folder exists when something the share lists is in it; as `installer`, a logon
    without network credentials reaches none.
    """
    if _network_credentials.get() is False:
        return None
    key = path_key(path)
    found = [entry for entry in state.get("shares", {}).values()
             if path_key(ntpath.dirname(entry["path"])) == key]
    return found or None


def is_unc(path: str) -> bool:
    r"""Tell whether a path is on a network share (\\server\share\...)."""
    return path.replace("/", "\\").startswith("\\\\")
