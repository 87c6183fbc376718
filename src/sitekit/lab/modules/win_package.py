"""ansible.windows.win_package: MSI packages identified by product_id.

The lab cannot run an installer, so it knows what one installs from where it is: an
installer on the fleet's share (see shares.py) is what the fleet file says it is; any
other's name and version come from its file name, `<Name>-<version>.msi` (e.g.
LotusPOS-8.4.2.msi), which must exist on the host (copied there first) or be a URL.
A setup program that is no MSI (SQL Server's) is known by creates_service; what the
share's installers leave behind (services, an SQL instance) is in installers.py.
"""

from __future__ import annotations

import ntpath
import re
from typing import Any

from sitekit.lab import filesystem, installers, shares
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find, host_state

_FILE_NAME = re.compile(r"^(?P<name>.+?)[-_ ]v?(?P<version>\d+(?:\.\d+)+)\.(msi|msp|exe)$", re.I)


@register("ansible.windows.win_package", supports_check_mode=True)
def win_package(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Install or remove a package; creates_version compares the installed version."""
    state = host_state(host)
    packages = state["packages"]
    if not args["product_id"] and args["creates_service"] and args["state"] != "absent":
        return _install_by_service(host, args, check_mode)
    if not args["product_id"]:
        raise ModuleFailedError("the sitekit lab models win_package with product_id only"
                                " (or, to install, creates_service)")
    product = find(packages, args["product_id"])
    result: dict[str, Any] = {"reboot_required": False}
    if args["state"] == "absent":
        if product is not None and not check_mode:
            del packages[product]
        return result | ({"changed": True, "rc": 0} if product else {"changed": False})
    if check_mode and _unreachable_share(state, args["path"]):
        # The module tests that the path can be reached on a real run only.
        wanted = args["creates_version"]
        if product is not None and wanted in (None, packages[product]["version"]):
            return result | {"changed": False}
        return result | {"changed": True, "rc": 0}
    name, version = _identity(host, args["path"], args["product_id"])
    wanted = args["creates_version"] or version
    if product is not None and packages[product]["version"] == wanted:
        return result | {"changed": False}
    if not check_mode:
        packages[args["product_id"].upper()] = {"name": name, "version": version,
                                                "publisher": "sitekit lab"}
        if product is not None and product != args["product_id"].upper():
            del packages[product]
        if shares.is_unc(args["path"]):
            installers.run_setup(host, shares.installer(state, args["path"]) or {},
                                 args["arguments"], check_mode)
    return result | {"changed": True, "rc": 0}


def _install_by_service(host: LabHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """A setup program that is no MSI (SQL Server's setup.exe): installed = its service exists.

    Only the share's installers are known; what one leaves behind is in installers.py.
    """
    result: dict[str, Any] = {"reboot_required": False}
    if find(host_state(host)["services"], args["creates_service"]) is not None:
        return result | {"changed": False}
    path = args["path"] or ""
    if check_mode and _unreachable_share(host_state(host), path):
        return result | {"changed": True, "rc": 0}  # tested on a real run only, as above
    found = shares.installer(host_state(host), path) if shares.is_unc(path) else None
    if found is None:
        raise ModuleFailedError(f"the file at the path '{path}' cannot be reached"
                                if path else "path must be set when state=present")
    installers.run_setup(host, found, args["arguments"], check_mode)
    return result | {"changed": True, "rc": 0}


def _unreachable_share(state: dict[str, Any], path: str | None) -> bool:
    """Tell whether a path is on the share and this logon finds nothing there."""
    return bool(path) and shares.is_unc(path) and shares.installer(state, path) is None


def _identity(host: LabHost, path: str | None, product_id: str) -> tuple[str, str]:
    """Name and version of an installer: the share's listing, or its file name."""
    if not path:
        raise ModuleFailedError("path must be set when state=present")
    if shares.is_unc(path):
        found = shares.installer(host_state(host), path)
        if found is None:
            raise ModuleFailedError(f"the file at the path '{path}' cannot be reached")
        if (found["product_id"] or "").upper() != product_id.upper():
            raise ModuleFailedError(f"the installer {path} installs the product "
                                    f"{found['product_id']}, not {product_id}")
        return found["name"], found["version"]
    if not path.lower().startswith(("http://", "https://")) and not filesystem.is_file(
            host, filesystem.expand(host, path)):
        raise ModuleFailedError(f"the file at the path '{path}' cannot be reached")
    match = _FILE_NAME.match(ntpath.basename(path.replace("/", "\\")))
    if match is None:
        raise ModuleFailedError(f"the sitekit lab reads a package's version from its file "
                                f"name, <Name>-<version>.msi; got {path}")
    return match["name"], match["version"]
