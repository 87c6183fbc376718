"""The sitekit inventory plugin: a thin adapter from the core's fleet plan to Ansible."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sitekit
short_description: Restaurant sites planned from sitekit site files
description:
  - Reads a fleet file (C(sitekit.yml)) and every site file in the C(sites/) folder beside
    it, validates them, derives each site's IP and user plan and adds the hosts, groups and
    variables to the inventory.
  - Groups are C(fleet_<name>), C(site_<code>), C(city_<city>), C(ring_<n>), one per station
    kind (C(server), C(cashier), C(kitchen), C(office)) and C(workstations) over the
    cashier, kitchen and office groups.
  - Any problem in any site file fails the whole inventory with every problem listed, each
    naming the file, the site and the field, so a broken site file never turns into a run
    against fewer hosts.
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as a sitekit fleet file.
    required: true
    choices: ['sitekit']
  fleet:
    description:
      - The fleet's settings, checked against the published fleet schema
        (src/sitekit/site/schemas/fleet.schema.json). Required unless O(source) is set.
    type: dict
  source:
    description:
      - Another fleet directory (or fleet file) to plan, instead of this file and the sites
        beside it. Relative to this file. The lab's inventory uses it to run the real
        fleet against virtual hosts with nothing else changed.
    type: path
  sites:
    description: Only these site codes (all sites are still checked for clashes).
    type: list
    elements: str
    default: []
  loopback:
    description:
      - Reach each host at its planned address moved into 127.0.0.0/8, where the lab
        serves it; 10.41.7.6 is reached at 127.41.7.6.
    type: bool
    default: false
  connection:
    description:
      - Connection variables that replace the fleet's, e.g. the lab's CA as
        C(ansible_winrm_ca_trust_path). Only C(ansible_port), C(ansible_user) and
        C(ansible_winrm_*) variables may be set, and certificate validation stays on.
    type: dict
    default: {}
"""

EXAMPLES = r"""
# inventories/example/sitekit.yml, next to inventories/example/sites/*.yml
plugin: sitekit
fleet:
  name: example
  # ... network, hostnames, maintenance, winrm, application, accounts, rules
# Constructed options work as in ansible.builtin.constructed:
compose:
  sitekit_is_pilot: "'ring_0' in group_names"
keyed_groups:
  - key: sitekit_kind
    prefix: kind
"""

import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

import sitekit
from sitekit import __version__
from sitekit.inventory import Inventory, build_inventory
from sitekit.plan.fleet import collector_paused, plan_fleet_dir, planning_date
from sitekit.problems import ProblemsFound
from sitekit.site.load import FLEET_FILE_NAMES, fleet_file, site_files


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Hosts, groups and variables from a sitekit fleet directory."""

    NAME = "sitekit"
    # Values are as trusted as a static YAML inventory's: the schemas refuse braces in
    # every free-text field, so no value can turn into a template.
    trusted_by_default = True

    def verify_file(self, path: str) -> bool:
        """Accept fleet files only: sitekit.yml or <anything>.sitekit.yml."""
        return super().verify_file(path) and path.endswith(FLEET_FILE_NAMES)

    def parse(self, inventory, loader, path, cache=True) -> None:  # noqa: ANN001 - Ansible's
        """Plan the fleet (or take it from the cache) and add it to the inventory."""
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        source = Path(path)
        if self.get_option("source"):
            source = Path(path).parent / self.get_option("source")
        elif not self.get_option("fleet"):
            raise AnsibleParserError(f"{path}: set `fleet:` (the fleet's settings) or `source:`")
        options = {name: self.get_option(name) for name in ("sites", "loopback", "connection")}
        try:
            cache_key = (f"{self.get_cache_key(path)}_"
                         f"{_fingerprint(Path(path), fleet_file(source), options)}")
        except ValueError as error:  # SITEKIT_TODAY that is not a date
            raise AnsibleParserError(str(error)) from None
        use_cache = self.get_option("cache")
        # Planning and populating create millions of acyclic objects (ansible-core copies
        # and tags every value); collecting cycles meanwhile only costs time.
        with collector_paused():
            data = None
            if use_cache and cache:
                data = self._cache.get(cache_key)
            if data is None:
                data = _plan(source, **options).to_data()
                if use_cache:
                    self._cache[cache_key] = data
            self._populate(Inventory.from_data(data))

    def _populate(self, planned: Inventory) -> None:
        inventory = self.inventory
        for name in planned.groups:
            inventory.add_group(name)
        for name, group in planned.groups.items():
            for key, value in group.vars.items():
                inventory.set_variable(name, key, value)
            for child in group.children:
                inventory.add_child(name, child)
        # compose and keyed_groups see what a play would: the fleet's, the site's, the
        # station kind's and the host's own values.
        parent = {child: name for name, group in planned.groups.items() for child in group.children
                  if name.startswith(("fleet_", "site_"))}
        compose, groups, keyed = (self.get_option(o) for o in ("compose", "groups", "keyed_groups"))
        strict = self.get_option("strict")
        for name, group in planned.groups.items():
            if not group.hosts:
                continue
            seen_by_group = {**planned.groups[parent[parent[name]]].vars,
                             **planned.groups[parent[name]].vars, **group.vars}
            for host in group.hosts:
                host_vars = planned.hosts[host]
                inventory.add_host(host, group=name)
                for key, value in host_vars.items():
                    inventory.set_variable(host, key, value)
                seen = {**seen_by_group, **host_vars}
                self._set_composite_vars(compose, seen, host, strict=strict)
                if compose:  # groups and keyed_groups see the composed values too
                    own = inventory.get_host(host).vars
                    seen.update({name: own[name] for name in compose if name in own})
                # `seen` holds the host's values already: no need to fetch and merge them.
                self._add_host_to_composed_groups(groups, seen, host, strict=strict,
                                                  fetch_hostvars=False)
                self._add_host_to_keyed_groups(keyed, seen, host, strict=strict,
                                               fetch_hostvars=False)


def _fingerprint(config: Path, fleet: Path, options: dict[str, Any]) -> str:
    """Changes whenever a fleet or site file, an option, sitekit itself or the date changes."""
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(json.dumps(options, sort_keys=True).encode())
    for file in (config, fleet, *site_files(fleet.parent)):
        stat = file.stat()
        digest.update(f"{file}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    # Waivers expire by date, and changed sitekit code may plan differently.
    digest.update(f"{planning_date()}:{__version__}:{_code_stamp()}".encode())
    return digest.hexdigest()[:16]


@functools.cache
def _code_stamp() -> int:
    """The newest modification time of sitekit's code and this plugin."""
    package = Path(sitekit.__file__).parent
    return max(p.stat().st_mtime_ns for p in (Path(__file__), *package.rglob("*.py")))


def _plan(path: Path, sites: list[str], loopback: bool,
          connection: dict[str, Any]) -> Inventory:
    try:
        return build_inventory(plan_fleet_dir(path, only=sites), loopback=loopback,
                               connection=connection)
    except ProblemsFound as found:
        raise AnsibleParserError(found.report()) from None
    except ValueError as error:  # a connection override that would weaken the connection
        raise AnsibleParserError(f"{path}: {error}") from None
