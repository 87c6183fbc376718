"""sitekit_pos_data (plugins/modules): a restaurant's initial data loaded in one call.

Rows other data refers to are listed in the database's `referenced_keys` (table -> keys,
as orders refer to menu items): deleting one fails as SQL Server's REFERENCE constraint
does. Rows are kept in the database's `table_rows` (canonical text, as the module compares
them) and counted into its `tables`; see sqlserver.py.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sitekit.lab import sqlserver
from sitekit.lab.host import LabHost
from sitekit.lab.modules import ModuleFailedError, register
from sitekit.lab.state import find

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SQL_TYPE = re.compile(r"^(int|bigint|smallint|tinyint|bit|date|datetime2|(n?varchar|n?char)"
                       r"\((\d{1,4}|max)\)|decimal\(\d{1,2},\d{1,2}\))$", re.IGNORECASE)


def canonical(value: Any, sql_type: str) -> str:
    """The text the module compares a value by (decimals with at least two places)."""
    if value is None:
        return ""
    if sql_type.lower().startswith("decimal"):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ModuleFailedError(f"loading the data failed: '{value}' is not a decimal")\
                from None
        text = f"{number:.4f}".rstrip("0")
        whole, _, fraction = text.partition(".")
        return f"{whole}.{fraction.ljust(2, '0')}"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value).strip()


def _check(table: dict[str, Any]) -> None:
    """Refuse what the module refuses before it connects."""
    if not _IDENTIFIER.match(table["name"]):
        raise ModuleFailedError(f"table name '{table['name']}' is not a plain SQL identifier")
    names = [c["name"] for c in table["columns"]]
    for column in table["columns"]:
        if not _IDENTIFIER.match(column["name"]):
            raise ModuleFailedError(f"column name '{column['name']}' of {table['name']} is "
                                    "not a plain SQL identifier")
        if not _SQL_TYPE.match(column["type"]):
            raise ModuleFailedError(f"column {table['name']}.{column['name']} has the type "
                                    f"'{column['type']}', which this module does not create")
    if table["key"] not in names:
        raise ModuleFailedError(f"the key '{table['key']}' of {table['name']} is not one of "
                                "its columns")
    keys: set[str] = set()
    for row in table["rows"]:
        unknown = [n for n in row if n not in names]
        if unknown:
            raise ModuleFailedError(f"a row of {table['name']} has '{unknown[0]}', which is "
                                    "not one of its columns")
        key = str(row.get(table["key"]))
        if key in keys:
            raise ModuleFailedError(f"{table['name']} has the key {key} twice")
        keys.add(key)


@register("ansible.legacy.sitekit_pos_data", supports_check_mode=True,
          implements=("sql_instance", "database", "tables"))
def sitekit_pos_data(host: LabHost, args: dict[str, Any], check_mode: bool,
                     diff: bool) -> dict[str, Any]:
    """Bring each table to exactly its rows; report counts and changes per table."""
    for table in args["tables"]:
        _check(table)
    instance = sqlserver.connect(host, args["sql_instance"])
    name = find(instance["databases"], args["database"])
    if name is None:
        raise ModuleFailedError(
            f"cannot connect to the database {args['database']} on {args['sql_instance']}: "
            f"Cannot open database \"{args['database']}\" requested by the login. The login "
            "failed.")
    database = instance["databases"][name]
    counts, changes, before, after = {}, {}, {}, {}
    for table in args["tables"]:
        types = {c["name"]: c["type"] for c in table["columns"]}
        wanted = [{c: canonical(row.get(c), t) for c, t in types.items()}
                  for row in table["rows"]]
        stored = find(database.setdefault("table_rows", {}), table["name"])
        current = {r[table["key"]]: r for r in database["table_rows"].get(stored or "", [])}
        wanted_keys = {r[table["key"]] for r in wanted}
        inserted = sum(1 for r in wanted if r[table["key"]] not in current)
        updated = sum(1 for r in wanted if r[table["key"]] in current and
                      current[r[table["key"]]] != r)
        deleted = sum(1 for k in current if k not in wanted_keys)
        counts[table["name"]] = len(wanted)
        changes[table["name"]] = {"inserted": inserted, "updated": updated, "deleted": deleted,
                                  "created": stored is None}
        if stored is not None and not (inserted or updated or deleted):
            continue
        before[table["name"]], after[table["name"]] = len(current), len(wanted)
        # Keyed rows, as the module writes them: only the keys the list no longer has are
        # deleted, and one that other rows refer to cannot be (SQL Server error 547).
        referenced = {str(k) for k in database.get("referenced_keys", {}).get(
            table["name"].lower(), [])}
        blocked = sorted(k for k in current if k not in wanted_keys and k in referenced)
        if blocked:
            raise ModuleFailedError(
                f"loading the data into {args['database']} failed: The DELETE statement"
                f" conflicted with the REFERENCE constraint on {table['name']} (key"
                f" {', '.join(blocked)}): other rows still refer to it. Keep it in the list"
                " or remove what refers to it first.")
        if not check_mode:
            database["table_rows"].pop(stored or "", None)
            database["table_rows"][table["name"]] = wanted
            database.setdefault("tables", {}).pop(stored or "", None)
            database["tables"][table["name"]] = len(wanted)
    result: dict[str, Any] = {"changed": bool(after), "counts": counts, "changes": changes}
    if after and diff:
        result["diff"] = {"before": {"rows": before}, "after": {"rows": after}}
    return result
