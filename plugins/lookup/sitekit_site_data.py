"""The sitekit_site_data lookup: a site's initial data (menu, tables) from its CSV files."""

from __future__ import annotations

DOCUMENTATION = r"""
name: sitekit_site_data
short_description: A restaurant's menu and dining tables, read and checked from CSV
description:
  - Reads C(menu.csv) and C(tables.csv) from the directory beside a site file
    (the inventory's C(sitekit_site_files)) and returns one mapping with the keys
    C(menu) and C(tables), each a list of rows, every value checked and typed.
  - Any problem fails the task with the file, the line and the column, and what to change.
  - "menu.csv columns: code, name, category, price, section. tables.csv columns: number,
    area, seats. See roles/pos_server/README.md."
options:
  _terms:
    description: The site's data directory (one).
    required: true
    type: list
    elements: path
  as_tables:
    description:
      - Return the data as the application database's tables, each with its name, key,
        columns and rows, which is what the C(sitekit_pos_data) module's C(tables) option
        takes.
    type: bool
    default: false
  sections:
    description:
      - The site's kitchen sections; a menu item's section must be one of them or empty.
      - When omitted, sections are not checked.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Read the site's initial data
  ansible.builtin.debug:
    msg: "{{ lookup('sitekit_site_data', sitekit_site_files, sections=['wok', 'grill']) }}"
"""

RETURN = r"""
_raw:
  description: One mapping with the keys C(menu) and C(tables), each a list of rows.
  type: list
  elements: dict
"""

from pathlib import Path
from typing import Any

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from sitekit.sitedata import SiteDataError, database_tables, read_site_data


class LookupModule(LookupBase):
    """Read a site's initial data; a thin adapter over sitekit.sitedata."""

    def run(self, terms: list[Any], variables: dict[str, Any] | None = None,
            **kwargs: Any) -> list[Any]:
        """One result per directory given."""
        self.set_options(var_options=variables, direct=kwargs)
        sections = self.get_option("sections")
        results = []
        for term in terms:
            try:
                data = read_site_data(Path(str(term)), sections)
                results.append(database_tables(data) if self.get_option("as_tables")
                               else data)
            except SiteDataError as exc:
                raise AnsibleLookupError(f"{exc}") from None
        return results
