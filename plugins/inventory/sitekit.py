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
        (src/sitekit/site/schemas/fleet.schema.json).
    type: dict
    required: true
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

import hashlib
from pathlib import Path

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from sitekit import __version__
from sitekit.inventory import Inventory, build_inventory
from sitekit.plan.fleet import plan_fleet_dir, planning_date
from sitekit.problems import ProblemsFound
from sitekit.site.load import FLEET_FILE_NAMES, site_files


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Hosts, groups and variables from a sitekit fleet directory."""

    NAME = "sitekit"

    def verify_file(self, path: str) -> bool:
        """Accept fleet files only: sitekit.yml or <anything>.sitekit.yml."""
        return super().verify_file(path) and path.endswith(FLEET_FILE_NAMES)

    def parse(self, inventory, loader, path, cache=True) -> None:  # noqa: ANN001 - Ansible's
        """Plan the fleet (or take it from the cache) and add it to the inventory."""
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        try:
            cache_key = f"{self.get_cache_key(path)}_{_fingerprint(Path(path))}"
        except ValueError as error:  # SITEKIT_TODAY that is not a date
            raise AnsibleParserError(str(error)) from None
        use_cache = self.get_option("cache")
        data = None
        if use_cache and cache:
            data = self._cache.get(cache_key)
        if data is None:
            data = _plan(Path(path)).to_data()
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
        group_vars = {name: group.vars for name, group in planned.groups.items()}
        site_of = {host: name for name, group in planned.groups.items()
                   if name.startswith("site_") for host in group.hosts}
        for name, group in planned.groups.items():
            for host in group.hosts:
                if host not in inventory.hosts:
                    inventory.add_host(host, group=name)
                else:
                    inventory.add_child(name, host)
        strict = self.get_option("strict")
        fleet_vars = next((g.vars for n, g in planned.groups.items() if n.startswith("fleet_")),
                          {})
        for host, host_vars in planned.hosts.items():
            for key, value in host_vars.items():
                inventory.set_variable(host, key, value)
            # compose and keyed_groups see what a play would: fleet, site and host values.
            seen = {**fleet_vars, **group_vars[site_of[host]], **host_vars}
            self._set_composite_vars(self.get_option("compose"), seen, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), seen, host,
                                              strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), seen, host,
                                           strict=strict)


def _fingerprint(path: Path) -> str:
    """Changes whenever a fleet or site file, sitekit itself or the date changes."""
    digest = hashlib.sha1(usedforsecurity=False)
    directory = path.parent
    for file in (path, *site_files(directory)):
        stat = file.stat()
        digest.update(f"{file.name}:{stat.st_mtime_ns}:{stat.st_size};".encode())
    # Waivers expire by date, and a new sitekit may plan differently.
    digest.update(f"{planning_date()}:{__version__}".encode())
    return digest.hexdigest()[:16]


def _plan(path: Path) -> Inventory:
    try:
        return build_inventory(plan_fleet_dir(path))
    except ProblemsFound as found:
        raise AnsibleParserError(found.report()) from None
