"""The sitekit_secrets vars plugin: a host's own management password from its site's vault."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sitekit_secrets
short_description: Each host's own WinRM password, from its site's ansible-vault file
description:
  - For a host of a C(site_<code>) group, reads C(secrets/<code>.yml) beside the inventory
    (an ansible-vault file that C(sitekit passwords generate) writes) and sets the host's
    C(ansible_password) and the site's users' first-logon passwords
    (C(sitekit_initial_passwords)).
  - Runs only when a task needs a host's variables (stage C(task)), so a run decrypts the
    files of the sites it touches, not the fleet's; each file once per run.
  - An inventory without a C(secrets/) directory is left alone (its passwords come from
    elsewhere, e.g. group_vars); with one, a site without its file, or a host without its
    password, fails the run naming the file and the command that fixes it.
options:
  stage:
    description: When the plugin runs; C(task) keeps a fleet's start fast.
    type: str
    default: task
    choices: [all, task, inventory]
    ini:
      - {key: stage, section: vars_sitekit_secrets}
    env:
      - name: ANSIBLE_VARS_SITEKIT_SECRETS_STAGE
"""

from pathlib import Path
from typing import Any

from ansible.errors import AnsibleError
from ansible.inventory.host import Host
from ansible.plugins.vars import BaseVarsPlugin

from sitekit.credentials.passwords import SECRETS_DIR, host_vars

_SITE_PREFIX = "site_"


class VarsModule(BaseVarsPlugin):
    """Hand each host its own password; a thin adapter over sitekit.credentials.passwords."""

    REQUIRES_ENABLED = True

    def get_vars(self, loader: Any, path: str, entities: Any, cache: bool = True) -> dict:
        """The variables of the hosts among `entities`."""
        super().get_vars(loader, path, entities)
        directory = Path(path) / SECRETS_DIR
        if not directory.is_dir():
            return {}
        found: dict[str, Any] = {}
        for entity in entities if isinstance(entities, list) else [entities]:
            if not isinstance(entity, Host):
                continue
            sites = [g.name for g in entity.get_groups() if g.name.startswith(_SITE_PREFIX)
                     and g.name.count("_") == 1]
            if not sites:
                continue
            source = str(directory / f"{sites[0][len(_SITE_PREFIX):]}.yml")
            if not Path(source).is_file():
                raise AnsibleError(f"{source}: no secrets for {sites[0]}: run `sitekit "
                                   "passwords generate FLEET` with the vault password")
            # The loader decrypts with the run's vault password and caches the file for the
            # rest of the run: one decryption per site touched.
            data = loader.load_from_file(source, cache="all", unsafe=True)
            try:
                found.update(host_vars(data if isinstance(data, dict) else {}, entity.name,
                                       source))
            except KeyError as error:
                raise AnsibleError(error.args[0]) from None
        return found
