"""The fleet plan as Ansible sees it: hosts, groups and variables, in plain data.

The inventory plugin only copies this into Ansible; `sitekit plan --format json` prints
the plan it comes from. Values shared by a site live on its `site_<code>` group and
fleet-wide ones on `fleet_<name>`, so 20,000 hosts don't carry 20,000 copies.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from netaddr import IPAddress

from sitekit.plan.fleet import FleetPlan
from sitekit.plan.flows import guest_vantage, inbound
from sitekit.plan.site import PlannedHost, SitePlan
from sitekit.site import schema, sqlserver
from sitekit.site.model import STATION_KINDS, WORKSTATION_KINDS, Fleet, city_slug

# Groups whose members are other groups: kind groups under `workstations`.
WORKSTATIONS = "workstations"
# The segmentation test's vantage points (PCI DSS 11.4.5): one device per site in its guest
# segment. Every play but acceptance leaves them out (`hosts: all:!guest_vantage`).
GUEST_VANTAGE = "guest_vantage"
VANTAGE_KIND = "vantage"


@dataclass
class Group:
    """An Ansible group: its variables, child groups and hosts."""

    vars: dict[str, Any] = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


@dataclass
class Inventory:
    """Hosts with their own variables, and groups; what the plugin adds to Ansible."""

    groups: dict[str, Group] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def group(self, name: str) -> Group:
        """The group `name`, created empty when new."""
        found = self.groups.get(name)
        if found is None:
            found = self.groups[name] = Group()
        return found

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-ready data (the inventory cache stores this)."""
        return {"groups": {n: asdict(g) for n, g in self.groups.items()}, "hosts": self.hosts}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Inventory:
        """The inverse of to_data."""
        return cls({n: Group(**g) for n, g in data["groups"].items()}, data["hosts"])


def slug(text: str) -> str:
    """A group-name-safe form of a name in any script: 'São Paulo' -> 'sao_paulo'."""
    return city_slug(text)


def site_group(code: str) -> str:
    """The group of one site's hosts."""
    return f"site_{code.lower()}"


def connection_vars(fleet: Fleet) -> dict[str, Any]:
    """How Ansible reaches every host of the fleet: WinRM over HTTPS, validated, encrypted."""
    winrm = fleet.winrm
    values: dict[str, Any] = {
        "ansible_connection": "winrm",
        "ansible_port": winrm["port"],
        "ansible_user": winrm["user"],
        "ansible_winrm_scheme": "https",
        "ansible_winrm_transport": winrm["transport"],
        "ansible_winrm_server_cert_validation": "validate",
        "ansible_winrm_ca_trust_path": str((fleet.directory / winrm["ca_file"]).resolve()),
        "ansible_winrm_message_encryption": "always",
    }
    if "operation_timeout" in winrm:
        values["ansible_winrm_operation_timeout_sec"] = winrm["operation_timeout"]
    if "read_timeout" in winrm:
        values["ansible_winrm_read_timeout_sec"] = winrm["read_timeout"]
    return values


# Connection variables an override may set; validation and encryption can't be turned off.
_OVERRIDABLE = re.compile(r"^(ansible_port|ansible_user|ansible_winrm_\w+)$")
# What every host's connection must be, whatever set it: the plan, the `connection` option,
# the plugin's compose, or a cache file. The inventory plugin checks each host's final
# variables against these after compose, keyed_groups and the cache.
_FIXED = {"ansible_connection": "winrm", "ansible_winrm_scheme": "https",
          "ansible_winrm_server_cert_validation": "validate",
          "ansible_winrm_message_encryption": "always"}
# Plain-HTTP WinRM ports: HTTPS runs elsewhere (5986, or the lab's port).
_HTTP_PORTS = frozenset({80, 5985})
# Variables that reach the connection; compose may not set them (the `connection`
# option is the one place to change how hosts are reached).
CONNECTION_VAR = re.compile(
    r"^ansible_(connection|port|user|host_key\w*|winrm_\w+|psrp_\w+|shell_type|"
    r"become\w*|password|pass|ssh_\w+)$")


def _transports() -> frozenset[str]:
    """The WinRM transports a fleet may use: the fleet schema's choices."""
    winrm = schema.schema("fleet")["properties"]["winrm"]["properties"]
    return frozenset(winrm["transport"]["enum"])


def connection_problem(key: str, value: Any) -> str | None:
    """Why a connection variable's value would weaken the connection, or None."""
    if schema.is_secret(key):
        return (f"{key} is a secret: passwords never live in the inventory (nor in its cache); "
                "keep them in ansible-vault (group_vars) or the environment")
    text = str(value).strip().lower() if isinstance(value, (str, int, bool)) else None
    if key in _FIXED and text != _FIXED[key]:
        return f"{key} stays {_FIXED[key]}, not {value!r}; sitekit never weakens the connection"
    if key == "ansible_port" and (text is None or not text.isdigit() or int(text) in _HTTP_PORTS):
        return f"ansible_port {value!r} is not an HTTPS WinRM port (5986, or the lab's)"
    if key == "ansible_winrm_transport":
        names = value if isinstance(value, list) else str(value).split(",")
        allowed = _transports()
        if not names or any(str(name).strip().lower() not in allowed for name in names):
            return (f"ansible_winrm_transport {value!r} is not one of: "
                    f"{', '.join(sorted(allowed))}")
    if key == "ansible_winrm_ca_trust_path" and (text is None or not text):
        return "ansible_winrm_ca_trust_path must name the site CA's certificate"
    if key == "ansible_winrm_send_cbt" and text not in ("true", "1", "yes", "on"):
        return f"ansible_winrm_send_cbt stays true, not {value!r} (channel binding)"
    if key == "ansible_winrm_credssp_disable_tlsv1_2" and text not in ("false", "0", "no", "off"):
        return f"ansible_winrm_credssp_disable_tlsv1_2 stays false, not {value!r}"
    return None


def missing_connection_vars(values: dict[str, Any]) -> list[str]:
    """The fixed connection variables a host's final variables lack."""
    return [key for key in (*_FIXED, "ansible_winrm_ca_trust_path") if key not in values]


def _override(values: dict[str, Any], connection: dict[str, Any]) -> dict[str, Any]:
    for key, value in connection.items():
        if schema.is_secret(key):
            raise ValueError(f"connection may not set {key}: passwords and secrets never "
                             "live in the inventory or its cache; keep them in ansible-vault")
        if not _OVERRIDABLE.match(key):
            raise ValueError(f"connection may set ansible_port, ansible_user and "
                             f"ansible_winrm_* only, not {key}")
        problem = connection_problem(key, value)
        if problem is not None:
            raise ValueError(f"connection: {problem}")
    return {**values, **connection}


METRICS_DIR = "C:\\ProgramData\\Sitekit\\Metrics"
# The db_backup job's folder (its script, settings, log and history): the job is installed
# there, the rollout's pre-upgrade backup and the audit's restore tests read it there.
BACKUP_JOB_DIR = "C:\\ProgramData\\Sitekit\\Backup"


def loopback_address(address: str) -> str:
    """A planned address moved into 127.0.0.0/8 for the lab: 10.41.7.6 -> 127.41.7.6."""
    return str(IPAddress(0x7F000000 | (int(IPAddress(address)) & 0xFFFFFF)))


def build_inventory(plan: FleetPlan, *, loopback: bool = False,
                    connection: dict[str, Any] | None = None,
                    vantage: bool = False) -> Inventory:
    """Turn a problem-free fleet plan into hosts, groups and variables.

    `loopback` and `connection` point the same inventory at the lab: every host at its
    address moved into 127.0.0.0/8, and the lab's CA and port. `vantage` adds each site's
    guest vantage point (`vantage_host`) for acceptance's segmentation test.
    """
    plan.raise_for_problems()
    fleet = plan.fleet
    if fleet is None:
        raise ValueError("a fleet plan without a fleet has problems to report")
    inventory = Inventory()
    fleet_group = inventory.group(f"fleet_{fleet.name}")
    fleet_group.vars = {
        **_override(connection_vars(fleet), connection or {}),
        "sitekit_fleet": fleet.name,
        # The fleet directory itself: what `sitekit report` and the audit policy read.
        "sitekit_fleet_dir": os.path.abspath(fleet.directory),  # noqa: PTH100
        "sitekit_application": dict(fleet.application),
        "sitekit_software": fleet.software,
        # The SQL Server instance's service and connect string, derived once here.
        "sitekit_sql": sqlserver.inventory_vars(fleet.software["sql_server"]),
        "sitekit_autologon": fleet.autologon or {"kinds": []},
        # Where every host forwards its events (PCI DSS 10.3.3), or None: windows_base
        # refuses to run without it, naming the fleet file's field.
        "sitekit_event_collector": fleet.collector,
        # The fleet's named ports (network.ports and the ones it derives: sql, winrm, ...).
        "sitekit_ports": dict(fleet.ports),
        # Where the kit's jobs write their textfile metrics for windows_exporter (the
        # monitoring role points the exporter there; db_backup's jobs write there).
        "sitekit_metrics_dir": METRICS_DIR,
        "sitekit_backup_job_dir": BACKUP_JOB_DIR,
    }
    for kind in STATION_KINDS:
        inventory.group(kind)
    inventory.group(WORKSTATIONS).children = list(WORKSTATION_KINDS)
    inventory.group(GUEST_VANTAGE)  # always there, so plays can leave it out
    for site_plan in plan.sites:
        _add_site(inventory, fleet_group, site_plan)
        found = vantage_host(site_plan) if vantage else None
        if found is not None:  # in a group of its own under the site, as a kind's hosts
            name, values = found
            site_name = site_group(site_plan.site.code)
            own = f"{site_name}_guest"
            inventory.group(site_name).children.append(own)
            inventory.group(GUEST_VANTAGE).children.append(own)
            inventory.group(own).hosts.append(name)
            inventory.hosts[name] = values
    if loopback:
        for values in inventory.hosts.values():
            values["ansible_host"] = loopback_address(values["ansible_host"])
    return inventory


def _add_site(inventory: Inventory, fleet_group: Group, site_plan: SitePlan) -> None:
    site = site_plan.site
    name = site_group(site.code)
    fleet_group.children.append(name)
    inventory.group(f"city_{site.city_group}").children.append(name)
    inventory.group(f"ring_{site.rollout_ring}").children.append(name)
    group = inventory.group(name)
    group.vars = site_vars(site_plan)
    # The user plan is the same for every station of a kind at a site: it lives on the
    # site's kind group (site_lis01_kitchen), once, not on each host.
    for kind in STATION_KINDS:
        hosts = [h for h in site_plan.hosts if h.kind == kind]
        if not hosts:
            continue
        kind_group_name = f"{name}_{kind}"
        group.children.append(kind_group_name)
        inventory.group(kind).children.append(kind_group_name)
        kind_group = inventory.group(kind_group_name)
        kind_group.vars = kind_vars(site_plan, kind)
        for host in hosts:
            kind_group.hosts.append(host.name)
            inventory.hosts[host.name] = host_vars(site_plan, host)


def vantage_host(site_plan: SitePlan) -> tuple[str, dict[str, Any]] | None:
    """The site's guest vantage point: a device in its guest segment, at a guest's address.

    Acceptance probes every cardholder-data host from it and expects no answer (PCI DSS
    11.4.5). None when the site has no guest segment.
    """
    address = guest_vantage(site_plan.network)
    if address is None:
        return None
    code = site_plan.site.code
    return f"{code.lower()}-guest", {"ansible_host": address, "sitekit_address": address,
                                     "sitekit_kind": VANTAGE_KIND,
                                     "sitekit_segment": "guest",
                                     "sitekit_computer_name": f"{code}-GUEST"}


def site_vars(site_plan: SitePlan) -> dict[str, Any]:
    """Variables every host of a site shares."""
    site, network, schedule = site_plan.site, site_plan.network, site_plan.schedule
    servers = [h for h in site_plan.hosts if h.kind == "server"]
    return {
        "sitekit_site": {
            "code": site.code,
            "name": site.name,
            "city": site.city,
            "rollout_ring": site.rollout_ring,
        },
        "sitekit_time_zone": schedule.time_zone,
        "sitekit_windows_time_zone": schedule.windows_time_zone,
        "sitekit_maintenance_windows": [window.text for window in schedule.windows],
        "sitekit_network": {
            "subnet": network.subnet,
            "netmask": network.netmask,
            "prefix": network.prefix,
            "gateway": network.gateway,
            "dns_servers": list(network.dns_servers),
        },
        # The designated time servers (PCI DSS 10.6.2), `gateway` resolved for the site.
        "sitekit_ntp_servers": list(network.ntp_servers),
        # The site's segments (PCI DSS 1.3): the cde is sitekit_network's subnet.
        "sitekit_segments": {
            name: {"vlan": seg.vlan, "subnet": seg.subnet, "gateway": seg.gateway,
                   "cardholder_data": seg.cardholder_data}
            for name, seg in network.segments.items()
        },
        "sitekit_server_address": servers[0].address if servers else None,
        "sitekit_waived_rules": list(site_plan.users.waived),
        # The site's other files (initial data as CSV) live beside its site file:
        # sites/<code>.yml -> sites/<code>/.
        # os.path, not Path: this runs once per site of a fleet of thousands.
        "sitekit_site_files": os.path.abspath(  # noqa: PTH100
            os.path.splitext(site.file)[0]),  # noqa: PTH122
    }


def kind_vars(site_plan: SitePlan, kind: str) -> dict[str, Any]:
    """Variables of a site's stations of one kind: the part of the user plan on them."""
    groups = [g for g in site_plan.users.groups if kind in g.kinds]
    members = {member for g in groups for member in g.members}
    return {
        "sitekit_kind": kind,
        # What the flow matrix lets into this site's hosts of this kind, per TCP port;
        # the hosts' firewall rules open each port to these sources and no others.
        "sitekit_inbound": inbound(site_plan.flows, kind),
        "sitekit_local_groups": [
            {"name": g.name, "description": g.description, "members": list(g.members),
             "member_of": list(g.member_of), "app_role": g.app_role}
            for g in groups
        ],
        "sitekit_local_users": {
            u.user: u.full_name for u in site_plan.users.users if u.user in members
        },
    }


def host_vars(site_plan: SitePlan, host: PlannedHost) -> dict[str, Any]:
    """A host's own variables: the station and its printers."""
    printers = {p.name: p for p in site_plan.printers}
    values: dict[str, Any] = {
        "ansible_host": host.address,
        # The planned address, where the site's other hosts reach it (ansible_host is
        # where Ansible does: the same, or the lab's loopback).
        "sitekit_address": host.address,
        "sitekit_segment": host.segment,
        "sitekit_computer_name": host.computer_name,
        "sitekit_number": host.number,
        "sitekit_location": host.location,
        "sitekit_printers": [
            {"name": name, "kind": printers[name].kind, "address": printers[name].address}
            for name in host.printers
        ],
    }
    if host.section is not None:
        values["sitekit_section"] = host.section
    return values
