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
  shard:
    description:
      - Only the sites of one shard, written C(K/N) (the K-th of N, from 1), e.g. C(3/8),
        so N controllers or N AWX job templates each run one N-th of the fleet. Sites stay
        whole, every site is in exactly one shard, and a site's shard depends on that site
        alone (its C(network.index), else its code), so adding or removing a site never
        moves another. A shard's hosts, groups and variables are the whole fleet's for its
        sites. Every site file is still read, validated and checked against the others
        (clashing codes, hostnames, subnets); a site's own plan is checked by its shard.
      - The environment variable C(SITEKIT_SHARD) overrides this (one inventory file in
        source control, one shard per AWX inventory source or controller); set it empty
        for the whole fleet.
    type: str
  loopback:
    description:
      - Reach each host at its planned address moved into 127.0.0.0/8, where the lab
        serves it; 10.41.7.6 is reached at 127.41.7.6.
    type: bool
    default: false
  guest_vantage:
    description:
      - Add each site's guest vantage point, host C(<code>-guest) in the group
        C(site_<code>_guest), under C(site_<code>) and C(guest_vantage), a Windows device
        on the guest Wi-Fi at the last address of the guest DHCP scope, reached over
        WinRM. Acceptance's segmentation test (PCI DSS 11.4.5) probes every
        cardholder-data host from it; every other play leaves the group out. The lab
        serves one per site.
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
import hmac
import json
import os
import stat
from pathlib import Path
from typing import Any

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

import sitekit
from sitekit import __version__
from sitekit.inventory import (
    CONNECTION_VAR,
    Inventory,
    build_inventory,
    connection_problem,
    missing_connection_vars,
)
from sitekit.plan.fleet import collector_paused, plan_fleet_dir, planning_date
from sitekit.plan.shard import Shard, ShardSpecError, parse_shard
from sitekit.problems import ProblemsFound
from sitekit.site import cache as site_cache
from sitekit.site import schema
from sitekit.site.load import (
    FLEET_FILE_NAMES,
    fleet_file,
    read_bytes,
    scan_sites,
    unknown_fleet_keys,
)

# What a cache entry holds: the plan as one JSON text, and an HMAC of that text keyed by a
# secret only the cache's owner can read, so an edited entry is never served.
_CACHE_FORMAT = 2


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """Hosts, groups and variables from a sitekit fleet directory."""

    NAME = "sitekit"
    # Values are as trusted as a static YAML inventory's: the schemas refuse braces in
    # every free-text field, so no value can turn into a template.
    trusted_by_default = True

    def verify_file(self, path: str) -> bool:
        """Accept fleet files only: sitekit.yml or <anything>.sitekit.yml."""
        # A regular file only: Ansible would block reading a FIFO named sitekit.yml.
        return (super().verify_file(path) and path.endswith(FLEET_FILE_NAMES)
                and Path(path).is_file())

    def parse(self, inventory, loader, path, cache=True) -> None:  # noqa: ANN001 - Ansible's
        """Plan the fleet (or take it from the cache) and add it to the inventory."""
        super().parse(inventory, loader, path, cache)
        config = self._read_config_data(path)
        unknown = unknown_fleet_keys(Path(path), config or {}, frozenset(self._options))
        if unknown:
            raise AnsibleParserError(ProblemsFound(unknown).report())
        source = Path(path)
        if self.get_option("source"):
            source = Path(path).parent / self.get_option("source")
        elif not self.get_option("fleet"):
            raise AnsibleParserError(f"{path}: set `fleet:` (the fleet's settings) or `source:`")
        options: dict[str, Any] = {name: self.get_option(name) for name in
                                   ("sites", "loopback", "connection", "guest_vantage")}
        options["shard"] = _shard(path, self.get_option("shard"))
        self._refuse_connection_in_compose(path)
        try:
            fingerprint = _fingerprint(Path(path), fleet_file(source), options)
        except ValueError as error:  # SITEKIT_TODAY that is not a date
            raise AnsibleParserError(str(error)) from None
        cache_key = f"{self.get_cache_key(path)}_{fingerprint[:16]}"
        use_cache = self.get_option("cache")
        # Planning and populating create millions of acyclic objects (ansible-core copies
        # and tags every value); collecting cycles meanwhile only costs time.
        with collector_paused():
            planned = None
            secret = self._cache_secret() if use_cache else b""
            if use_cache and cache:
                planned = self._from_cache(cache_key, fingerprint, secret)
            if planned is None:
                planned = _plan(source, **options)
                if use_cache:
                    # In the plan's order: a cached run lists groups as a fresh one does.
                    text = json.dumps(planned.to_data())
                    self._cache[cache_key] = {"format": _CACHE_FORMAT, "fingerprint": fingerprint,
                                              "mac": _mac(secret, fingerprint, text),
                                              "inventory": text}
            self._populate(planned, path)

    def _refuse_connection_in_compose(self, path: str) -> None:
        """Refuse compose entries that set how hosts are reached, or any secret."""
        for key in self.get_option("compose") or {}:
            if CONNECTION_VAR.match(str(key)) or schema.is_secret(str(key)):
                raise AnsibleParserError(
                    f"{path}: compose may not set {key}: how hosts are reached comes from the "
                    "fleet's `winrm:` settings (or the `connection` option), never from "
                    "compose, and secrets never live in the inventory; remove it")

    def _cache_dir(self) -> Path | None:
        directory = getattr(getattr(self._cache, "_plugin", None), "_cache_dir", None)
        return Path(directory) if directory else None

    def _cache_secret(self) -> bytes:
        """The cache's HMAC key, kept beside it; the cache folder is its owner's alone."""
        directory = self._cache_dir()
        if directory is None:  # not a file cache (memory): nothing outside this process
            return b""
        try:
            return site_cache.secret(directory)
        except site_cache.CacheError as error:
            raise AnsibleParserError(f"inventory cache (cache_connection): {error}") from None

    def _from_cache(self, cache_key: str, fingerprint: str, secret: bytes) -> Inventory | None:
        """The cached plan if it is this plan's, unedited, and only its owner's; else None."""
        directory = self._cache_dir()
        if directory is not None:
            for file in directory.glob(f"*{cache_key}"):
                info = file.lstat()
                if info.st_uid != os.getuid() or info.st_mode & 0o077:
                    self.display.warning(f"Not using the inventory cache {file}: it must be "
                                         "its owner's, readable by it alone; planning again")
                    return None
        entry = self._cache.get(cache_key)
        if entry is None:
            return None
        valid = (isinstance(entry, dict) and entry.get("format") == _CACHE_FORMAT
                 and entry.get("fingerprint") == fingerprint
                 and isinstance(entry.get("inventory"), str) and isinstance(entry.get("mac"), str)
                 and hmac.compare_digest(entry["mac"],
                                         _mac(secret, fingerprint, entry["inventory"])))
        if not valid:
            self.display.warning(f"The inventory cache entry {cache_key} was changed outside "
                                 "sitekit; planning again and replacing it")
            del self._cache[cache_key]
            return None
        try:
            return Inventory.from_data(json.loads(entry["inventory"]))
        except (KeyError, TypeError, ValueError, AttributeError):
            self.display.warning(f"The inventory cache entry {cache_key} is damaged; "
                                 "planning again and replacing it")
            del self._cache[cache_key]
            return None

    def update_cache_if_changed(self) -> None:
        """Write the cache as Ansible does, then make its files their owner's alone."""
        super().update_cache_if_changed()
        directory = self._cache_dir()
        if directory is None:
            return
        # The file cache names its files after the key in its own way: make every file of
        # this user's in the cache folder private.
        for file in directory.iterdir():
            info = file.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and info.st_mode & 0o077:
                file.chmod(0o600)

    def _populate(self, planned: Inventory, path: str) -> None:
        inventory = self.inventory
        for name in planned.groups:
            inventory.add_group(name)
        for name, group in planned.groups.items():
            _guard(group.vars, f"group {name}", path)
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
            try:
                seen_by_group = {**planned.groups[parent[parent[name]]].vars,
                                 **planned.groups[parent[name]].vars, **group.vars}
            except KeyError:
                raise AnsibleParserError(f"{path}: group {name} is not under a site and the "
                                         "fleet; the plan is damaged") from None
            missing = missing_connection_vars(seen_by_group)
            if missing:
                raise AnsibleParserError(f"{path}: group {name} lacks {', '.join(missing)}; "
                                         "sitekit never leaves the connection to defaults")
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
                # After compose, keyed_groups and the cache: the host's final connection.
                _guard(inventory.get_host(host).vars, f"host {host}", path)


@functools.cache
def _watched(key: str) -> bool:
    """Whether a variable reaches the connection or names a secret (memoised: per host)."""
    return bool(CONNECTION_VAR.match(key)) or schema.is_secret(key)


def _guard(values: dict[str, Any], where: str, path: str) -> None:
    """Refuse any variable that would weaken the connection or carry a secret."""
    for key, value in values.items():
        if _watched(str(key)):
            problem = connection_problem(key, value)
            if problem is not None:
                raise AnsibleParserError(f"{path}: {where}: {problem}")


def _mac(secret: bytes, fingerprint: str, text: str) -> str:
    return site_cache.mac(secret, fingerprint, text)


def _fingerprint(config: Path, fleet: Path, options: dict[str, Any]) -> str:
    """Changes whenever a fleet or site file's content, an option, sitekit or the date does."""
    digest = hashlib.sha256()
    digest.update(json.dumps(options, sort_keys=True, default=str).encode())
    files, problems = scan_sites(fleet.parent)
    digest.update(repr(problems).encode())
    for file in (config, fleet, *files):
        digest.update(f"{file}\0".encode())
        try:
            digest.update(hashlib.sha256(read_bytes(file)).digest())
        except OSError as error:  # the plan reports it; it only has to change the key
            digest.update(f"unreadable: {error}".encode())
    # Waivers expire by date, and changed sitekit code may plan differently.
    digest.update(f"{planning_date()}:{__version__}:{_code_digest()}".encode())
    return digest.hexdigest()


def _code_digest() -> str:
    """A hash of sitekit's code and schemas and this plugin: what the plan depends on."""
    return site_cache.code_digest(Path(__file__), Path(sitekit.__file__).parent)


# Overrides the file's `shard:` so one inventory file in source control serves every shard.
SHARD_ENV = "SITEKIT_SHARD"


def _shard(path: str, configured: str | None) -> Shard | None:
    """The shard to plan: SITEKIT_SHARD's when it is set, else the file's; None for all."""
    if SHARD_ENV in os.environ:
        text, where = os.environ[SHARD_ENV], f"the environment variable {SHARD_ENV}"
    else:
        text, where = configured, f"{path}: field `shard`"
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        return parse_shard(text)
    except ShardSpecError as error:
        raise AnsibleParserError(f"{where}: {error}") from None


def _plan(path: Path, *, sites: list[str], loopback: bool,
          connection: dict[str, Any], guest_vantage: bool, shard: Shard | None) -> Inventory:
    try:
        plan = plan_fleet_dir(path, only=sites, cached=True, shard=shard)
        return build_inventory(plan, loopback=loopback, connection=connection,
                               vantage=guest_vantage)
    except ProblemsFound as found:
        raise AnsibleParserError(found.report()) from None
    except ValueError as error:  # a connection override that would weaken the connection
        raise AnsibleParserError(f"{path}: {error}") from None
