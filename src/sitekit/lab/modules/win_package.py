"""ansible.windows.win_package: MSI packages identified by product_id.

The lab cannot run an installer, so it knows what one installs from where it is: an
installer on the fleet's share (see shares.py) is what the fleet file says it is; any
other's name and version come from its file name, `<Name>-<version>.msi` (e.g.
LotusPOS-8.4.2.msi), which must exist on the host (copied there first) or be a URL.
A setup program that is no MSI (SQL Server's) is known by creates_service; what the
share's installers leave behind (services, an SQL instance, the client's program file
with its file version) is in installers.py. Whether a package is installed follows
win_package.ps1's Get-InstalledStatus: creates_path, creates_version (the file version of
creates_path) and creates_service override the product code.
"""

from __future__ import annotations

import ntpath
import re
from typing import Any

from sitekit.lab import faults, filesystem, installers, shares, sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleCrashError, ModuleFailedError, register
from sitekit.lab.state import find, host_state

_FILE_NAME = re.compile(r"^(?P<name>.+?)[-_ ]v?(?P<version>\d+(?:\.\d+)+)\.(msi|msp|exe)$", re.I)


@register("ansible.windows.win_package", supports_check_mode=True,
          implements=("arguments", "path", "product_id", "state", "creates_path", "creates_version",
                      "creates_service"))
def win_package(host: LabHost, args: dict[str, Any], check_mode: bool,
                diff: bool) -> dict[str, Any]:
    """Install or remove a package, installed or not as win_package.ps1's Get-InstalledStatus."""
    state = host_state(host)
    packages = state["packages"]
    if not args["product_id"] and args["creates_service"] and args["state"] != "absent":
        return _install_by_service(host, args, check_mode)
    if not args["product_id"] and not args["creates_path"] and args["state"] != "absent":
        return _run_update(host, args, check_mode)
    if not args["product_id"]:
        raise ModuleFailedError("the sitekit lab models win_package with product_id only"
                                " (or, to install, creates_service)")
    path = args["path"]
    if path and not path.lower().startswith("http") and not check_mode and \
            not _reachable(host, path):
        # Tested before anything else on a real run, installed or not.
        raise ModuleFailedError(f"the file at the path '{path}' cannot be reached")
    product = find(packages, args["product_id"])
    result: dict[str, Any] = {"reboot_required": False}
    installed = _installed(host, args, product is not None)
    if args["state"] == "absent":
        if installed and not check_mode:
            _remove(host, args["product_id"], product)
        return result | ({"changed": True, "rc": 0} if installed else {"changed": False})
    if installed:
        return result | {"changed": False}
    if check_mode and _unreachable_share(state, args["path"]):
        return result | {"changed": True, "rc": 0}  # the module tests the path on a real run only
    name, version = _identity(host, args["path"], args["product_id"])
    if not check_mode:
        entry = shares.installer(state, args["path"]) if shares.is_unc(args["path"]) else None
        replaced = _major_upgrade(host, args, entry, version)
        if entry is not None:  # first: a setup that fails leaves no product registered
            installers.run_setup(host, entry, args["arguments"], check_mode)
        packages[args["product_id"].upper()] = {"name": name, "version": version,
                                                "publisher": "sitekit lab"}
        if product is not None and product != args["product_id"].upper():
            del packages[product]
        for older in replaced:
            del packages[older]
    return result | {"changed": True, "rc": 0}


# Windows Installer's exit codes (Microsoft Learn, "MsiExec.exe and InstMsi.exe error
# messages"): 1603 a fatal error during installation, 1638 another version of this
# product is already installed. win_package.ps1 fails on any rc outside
# expected_return_code (0, 3010) with this message and the rc.
_FATAL, _OTHER_VERSION = 1603, 1638


def _fail_install(args: dict[str, Any], rc: int, stderr: str) -> ModuleFailedError:
    command = f'msiexec.exe /i "{args["path"]}" /qn /norestart'
    return ModuleFailedError(
        f"unexpected rc from '{command}': see rc, stdout, and stderr for more details",
        rc=rc, stdout="", stderr=stderr, reboot_required=False)


def _major_upgrade(host: LabHost, args: dict[str, Any], entry: dict[str, Any] | None,
                   version: str) -> list[str]:
    """The products of the same kind this install removes (older versions: a major upgrade).

    A newer version of the kind already installed refuses the install (1638): a rollback
    removes the newer product first. The installer-fails fault ends a release's install in 1603.
    """
    state = host_state(host)
    if entry is not None and entry.get("release") and \
            faults.active(state, "installer-fails") is not None:
        raise _fail_install(args, _FATAL, "Product: installation failed (lab fault "
                                          "installer-fails). Error status: 1603.")
    if entry is None or not entry.get("package"):
        return []
    older = []
    for code in shares.family(state, entry["package"]) - {args["product_id"].upper()}:
        installed = state["packages"].get(code)
        if installed is None:
            continue
        if _version(installed["version"]) > _version(version):
            raise _fail_install(args, _OTHER_VERSION, f"Another version of this product is "
                                f"already installed ({installed['name']} "
                                f"{installed['version']}).")
        older.append(code)
    return older


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


def _installed(host: LabHost, args: dict[str, Any], product_installed: bool) -> bool:
    """Get-InstalledStatus: the product, overridden by creates_path/_version/_service.

    With creates_path the file's existence decides; with creates_version too, the file's
    version: `$CreatesVersion -eq [System.Version]` of FileVersionInfo's four parts, a
    string comparison with the four-part form (so "8.4.2" never equals 8.4.2.0). The
    product's own version plays no part.
    """
    installed = product_installed
    if args["creates_path"]:
        path = filesystem.expand(host, args["creates_path"])
        exists = filesystem.is_file(host, path) or filesystem.is_dir(host, path)
        installed = exists
        if args["creates_version"] and exists:
            if not filesystem.is_file(host, path):
                raise ModuleCrashError("creates_path must be a file not a directory when"
                                       " creates_version is set")
            existing = ".".join(str(p) for p in filesystem.file_version(host, path))
            installed = str(args["creates_version"]).lower() == existing
    if args["creates_service"]:
        installed = find(host_state(host)["services"], args["creates_service"]) is not None
    return installed


def _remove(host: LabHost, product_id: str, product: str | None) -> None:
    """Uninstall: the product, and the program file its installer left behind."""
    state = host_state(host)
    if product is not None:
        del state["packages"][product]
    for entry in state.get("shares", {}).values():
        if (entry.get("product_id") or "").upper() == product_id.upper() and \
                entry.get("executable"):
            path = f"{entry['install_dir']}\\{entry['executable']}"
            if filesystem.is_file(host, path):
                filesystem.remove(host, path, recurse=False)


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


def _run_update(host: LabHost, args: dict[str, Any], check_mode: bool) -> dict[str, Any]:
    """An executable with no product code nor creates_*: win_package always runs it.

    The registry provider finds nothing installed without an Id (win_package.ps1), so the
    package runs every time: the caller decides whether it is needed. Only a SQL Server CU
    from the share is modelled; rc 3010 is success with reboot_required, as Invoke-Executable.
    win_package.ps1 (Invoke-Executable) is the source of each answer.
    """
    path = args["path"] or ""
    found = shares.installer(host_state(host), path) if shares.is_unc(path) else None
    if found is None:
        if check_mode and _unreachable_share(host_state(host), path):
            return {"changed": True, "rc": 0, "reboot_required": False}
        raise ModuleFailedError(f"the file at the path '{path}' cannot be reached"
                                if path else "path must be set when state=present")
    if found.get("package") != "sql_server_cu":
        raise ModuleFailedError("the sitekit lab models win_package without product_id only"
                                " for a SQL Server cumulative update on the share")
    rc = sqlserver.patch_instance(host, found, args["arguments"], check_mode)
    if check_mode:  # the package is not run
        return {"changed": True, "rc": 0, "reboot_required": False}
    # Invoke-Executable sets failed=false for an expected rc: ansible would otherwise take
    # any rc but 0 for a failure (TaskExecutor), 3010 included.
    return {"changed": True, "rc": rc, "failed": False,
            "reboot_required": rc == sqlserver.RESTART_REQUIRED}


def _unreachable_share(state: dict[str, Any], path: str | None) -> bool:
    """Tell whether a path is on the share and this logon finds nothing there."""
    return path is not None and shares.is_unc(path) and shares.installer(state, path) is None


def _reachable(host: LabHost, path: str) -> bool:
    """Test-Path of an installer: on the share for this logon, or a file on the host."""
    if shares.is_unc(path):
        return shares.installer(host_state(host), path) is not None
    return filesystem.is_file(host, filesystem.expand(host, path))


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
