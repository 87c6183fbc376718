"""ansible.windows.setup: the facts gather_facts and `-m setup` return, from the host state.

gather_subset works as in setup.ps1: groups min/network/hardware/external, '!name'
excludes, and the min subsets are always gathered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from sitekit.lab import filesystem
from sitekit.lab.host import LabHost
from sitekit.lab.modules import register
from sitekit.lab.modules._common import filetime, utcnow, zone
from sitekit.lab.modules._listener import listener_certificate, thumbprint
from sitekit.lab.modules.argspec import OptionSpec
from sitekit.lab.state import host_state

_GROUPS = {
    "min": ["date_time", "distribution", "dns", "env", "local", "platform",
            "powershell_version", "user"],
    "network": ["all_ipv4_addresses", "all_ipv6_addresses", "interfaces", "windows_domain",
                "winrm"],
    "hardware": ["bios", "memory", "processor", "uptime", "virtual"],
    "external": ["facter"],
}
_ALL = {name for names in _GROUPS.values() for name in names}


def subsets(requested: list[str]) -> tuple[set[str], list[str]]:
    """The subsets to gather and warnings for unknown names, as setup.ps1 computes them."""
    explicit: set[str] = set()
    exclude: set[str] = set()
    warnings = []
    for item in requested:
        name = item.removeprefix("!")
        names = (_ALL - set(_GROUPS["min"]) if name == "all" else
                 set(_GROUPS.get(name, [name] if name in _ALL else [])))
        if item.startswith("!"):
            exclude |= names
        elif names:
            explicit |= names
        else:
            warnings.append(f"invalid value {item} specified in gather_subset")
    return (_ALL - exclude) | explicit, warnings


def _date_time(state: dict[str, Any]) -> dict[str, Any]:
    """ansible_date_time in the host's time zone."""
    utc = utcnow()
    local = utc.astimezone(zone(state["time_zone"]))
    offset = local.strftime("%z")
    return {
        "date": local.strftime("%Y-%m-%d"), "day": local.strftime("%d"),
        "epoch": str(int(utc.timestamp())), "epoch_int": int(utc.timestamp()),
        "epoch_local": str(int(utc.timestamp() + local.utcoffset().total_seconds())),  # type: ignore[union-attr]
        "hour": local.strftime("%H"), "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso8601_basic": local.strftime("%Y%m%dT%H%M%S%f"),
        "iso8601_basic_short": local.strftime("%Y%m%dT%H%M%S"),
        "iso8601_micro": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "minute": local.strftime("%M"),
        "month": local.strftime("%m"), "second": local.strftime("%S"),
        "time": local.strftime("%H:%M:%S"), "tz": state["time_zone"],
        "tz_offset": f"{offset[:3]}:{offset[3:]}", "weekday": local.strftime("%A"),
        "weekday_number": local.strftime("%w"), "weeknumber": local.strftime("%W"),
        "year": local.strftime("%Y"),
    }


def _winrm(host: LabHost, state: dict[str, Any]) -> dict[str, Any]:
    r"""The HTTPS listener's certificate, as setup.ps1's winrm subset reads it.

    setup.ps1 takes the certificate of each WSMan HTTPS listener from Cert:\LocalMachine\My
    and returns the one expiring first: NotAfter (local time) as 'yyyy-MM-dd HH:mm:ss' and
    its Thumbprint. With no HTTPS listener it returns neither key.
    """
    cert = listener_certificate(host)
    if cert is None:
        return {}
    local = cert.not_valid_after_utc.astimezone(zone(state["time_zone"]))
    return {"ansible_win_rm_certificate_expires": local.strftime("%Y-%m-%d %H:%M:%S"),
            "ansible_win_rm_certificate_thumbprint": thumbprint(cert)}


def _distribution(state: dict[str, Any]) -> dict[str, Any]:
    """OS name, version and product type."""
    os_info = state["os"]
    return {
        "ansible_distribution": os_info["name"],
        "ansible_distribution_version": f"{os_info['version']}.0",
        "ansible_distribution_major_version": os_info["version"].split(".")[0],
        "ansible_os_family": "Windows", "ansible_os_name": os_info["name"],
        "ansible_os_product_type": os_info["product_type"],
        "ansible_os_installation_type": os_info["installation_type"],
        "ansible_os_install_date": dt.datetime.fromisoformat(state["install_time"]).strftime(
            "%Y-%m-%dT%H:%M:%SZ"),
    }


def _platform(host: LabHost, state: dict[str, Any]) -> dict[str, Any]:
    """Host names, kernel, architecture and reboot status."""
    name = state["hostname"]
    return {
        "ansible_architecture": "64-bit", "ansible_architecture2": "x86_64",
        "ansible_domain": "", "ansible_fqdn": name, "ansible_hostname": name,
        "ansible_netbios_name": name, "ansible_nodename": name,
        "ansible_kernel": f"{state['os']['version']}.0", "ansible_system": "Win32NT",
        "ansible_machine_id": state["machine_sid"], "ansible_owner_contact": "",
        "ansible_owner_name": "", "ansible_reboot_pending": bool(state["reboot_pending"]),
        "ansible_system_description": "", "ansible_system_vendor": "sitekit lab",
        "ansible_lastboot": dt.datetime.fromisoformat(state["boot_time"]).strftime(
            "%Y-%m-%d %H:%M:%SZ"),
        "ansible_user_id": host.username,
    }


def _interfaces(host: LabHost, state: dict[str, Any]) -> list[dict[str, Any]]:
    """The one Ethernet adapter, at the address the controller reaches."""
    mac = hashlib.sha1(host.hostname.encode(), usedforsecurity=False).hexdigest()[:10]
    dns = state["network"]["Ethernet"]["dns_servers"]
    return [{
        "connection_name": "Ethernet", "interface_index": 6,
        "interface_name": "Intel(R) 82574L Gigabit Network Connection",
        "macaddress": ":".join(["00", *(mac[i:i + 2] for i in range(0, 10, 2))]).upper(),
        "default_gateway": None, "dns_domain": None, "mtu": 1500, "speed": 1000,
        "ipv4": {"address": host.address, "prefix": "24"}, "dns_servers": dns,
    }]


def facts(host: LabHost, gather: set[str]) -> dict[str, Any]:
    """The ansible_facts of the gathered subsets."""
    state = host_state(host)
    result: dict[str, Any] = {}
    env = filesystem.environment(host)
    boot = dt.datetime.fromisoformat(state["boot_time"])
    sections = {
        "date_time": lambda: {"ansible_date_time": _date_time(state)},
        "distribution": lambda: _distribution(state),
        "env": lambda: {"ansible_env": env},
        "platform": lambda: _platform(host, state),
        "powershell_version": lambda: {"ansible_powershell_version": 5},
        "user": lambda: {"ansible_user_dir": env["USERPROFILE"], "ansible_user_gecos": "",
                         "ansible_user_sid": state["users"].get(host.username, {}).get("sid")},
        "all_ipv4_addresses": lambda: {"ansible_ip_addresses": [host.address]},
        "interfaces": lambda: {"ansible_interfaces": _interfaces(host, state)},
        "windows_domain": lambda: {"ansible_windows_domain": state["domain"],
                                   "ansible_windows_domain_member": False,
                                   "ansible_windows_domain_role": "Stand-alone server"
                                   if state["kind"] == "server" else "Stand-alone workstation"},
        "winrm": lambda: _winrm(host, state),
        "bios": lambda: {"ansible_bios_date": "11/12/2020", "ansible_bios_version": "lab-1.0",
                         "ansible_product_name": "sitekit virtual host",
                         "ansible_product_serial": state["machine_sid"][-10:],
                         "ansible_product_uuid": None},
        "memory": lambda: {"ansible_memtotal_mb": state["memory_mb"],
                           "ansible_memfree_mb": state["memory_mb"] // 2,
                           "ansible_swaptotal_mb": 0},
        "processor": lambda: {"ansible_processor_count": 1,
                              "ansible_processor_cores": state["processors"],
                              "ansible_processor_vcpus": state["processors"],
                              "ansible_processor_threads_per_core": 1,
                              "ansible_processor": ["GenuineIntel", "Intel(R) Xeon(R) CPU"]},
        "uptime": lambda: {"ansible_uptime_seconds": int((utcnow() - boot).total_seconds()),
                           "ansible_lastboot_filetime": filetime(boot)},
        "virtual": lambda: {"ansible_virtualization_role": "guest",
                            "ansible_virtualization_type": "sitekit-lab"},
    }
    for name in sorted(gather):
        if name in sections:
            result.update(sections[name]())
    result.pop("ansible_lastboot_filetime", None)
    return result


# setup.ps1 turns any option it is given into a raw one (gather_facts may pass more).
@register("ansible.windows.setup", supports_check_mode=True,
          hidden=(OptionSpec("filter", type="raw"),),
          implements=("gather_subset",))
def setup(host: LabHost, args: dict[str, Any], check_mode: bool, diff: bool) -> dict[str, Any]:
    """Gather the requested fact subsets."""
    gather, warnings = subsets(list(args["gather_subset"] or ["all"]))
    ansible_facts = {"gather_subset": args["gather_subset"], "module_setup": True,
                     **facts(host, gather)}
    return {"ansible_facts": ansible_facts, **({"warnings": warnings} if warnings else {})}
