"""A restaurant's initial data: its menu and its tables, kept as CSV beside the site file.

`inventories/<fleet>/sites/<code>/menu.csv` and `tables.csv` are read here, checked row by
row, and turned into the rows the `sitekit_pos_data` module loads into the application
database. Every problem names the file, the line and the column, so whoever keeps the
spreadsheet can fix it without reading code.

menu.csv    code, name, category, price, section
            code: 1-16 of A-Z 0-9 - (unique); price: a decimal such as 9.50 (0.01-9999.99);
            section: a kitchen section of the site (its kitchen stations'), or empty for
            items no kitchen prepares (drinks poured at the counter).
tables.csv  number, area, seats
            number: 1-999 (unique); area: where the table is (terrace, first floor...);
            seats: 1-30.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

MENU_COLUMNS = ("code", "name", "category", "price", "section")
TABLE_COLUMNS = ("number", "area", "seats")
_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
_MAX_TEXT = 80


class SiteDataError(ValueError):
    """A problem in a site's data file, naming the file, the line and the column."""

    def __init__(self, path: Path | str, line: int, column: str | None, problem: str) -> None:
        where = f"{path}:{line}" + (f": column '{column}'" if column else "")
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.line = line
        self.column = column
        self.problem = problem


Row = dict[str, Any]
Checker = Callable[[str], Any]


def _text(value: str) -> str:
    """Non-empty text of at most 80 characters."""
    if not value:
        raise ValueError("is empty; fill it in")
    if len(value) > _MAX_TEXT:
        raise ValueError(f"has {len(value)} characters; shorten it to {_MAX_TEXT}")
    return value


def _code(value: str) -> str:
    """An item code: capitals, digits and dashes."""
    if not _CODE.match(value):
        raise ValueError(f"{value!r} is not an item code: use 1-16 of A-Z, 0-9 and '-'")
    return value


def _price(value: str) -> str:
    """A price with at most two decimals, as text ("9.50") so it stays exact."""
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a price: write it like 9.50") from None
    if not price.is_finite() or price != price.quantize(Decimal("0.01")):
        raise ValueError(f"{value!r} has more than two decimals")
    if not Decimal("0.01") <= price <= Decimal("9999.99"):
        raise ValueError(f"{value} is outside 0.01-9999.99")
    return f"{price:.2f}"


def _integer(low: int, high: int) -> Checker:
    """A whole number between low and high."""
    def check(value: str) -> int:
        if not value.isdigit():
            raise ValueError(f"{value!r} is not a whole number")
        number = int(value)
        if not low <= number <= high:
            raise ValueError(f"{number} is outside {low}-{high}")
        return number
    return check


def _section(sections: Iterable[str] | None) -> Checker:
    """A kitchen section of the site, or empty."""
    known = None if sections is None else sorted(set(sections))

    def check(value: str) -> str:
        if value and known is not None and value not in known:
            raise ValueError(f"{value!r} is not a kitchen section of this site; use one of "
                             f"{', '.join(known) or '(none)'} or leave it empty")
        return value
    return check


def _read(path: Path, columns: tuple[str, ...], checkers: dict[str, Checker],
          key: str) -> list[Row]:
    """Rows of a CSV file with exactly `columns` as its header, each value checked."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SiteDataError(path, 0, None, "the file is missing; create it (see the role "
                                           "README for its columns)") from None
    except UnicodeDecodeError as exc:
        raise SiteDataError(path, 0, None, f"is not UTF-8 text ({exc.reason})") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None:
        raise SiteDataError(path, 1, None, f"the file is empty; its first line must be "
                                           f"{','.join(columns)}")
    header = [name.strip() for name in header]
    if tuple(header) != columns:
        missing = [c for c in columns if c not in header]
        extra = [c for c in header if c not in columns]
        detail = (f"missing {', '.join(missing)}" if missing else "") + \
            ("; " if missing and extra else "") + (f"unknown {', '.join(extra)}" if extra else "")
        raise SiteDataError(path, 1, None, f"the header must be {','.join(columns)}"
                            + (f" ({detail})" if detail else " in this order"))
    rows: list[Row] = []
    first_line: dict[Any, int] = {}
    for line, values in enumerate(reader, start=2):
        if not values or all(not v.strip() for v in values):
            continue
        if len(values) != len(columns):
            raise SiteDataError(path, line, None, f"has {len(values)} values, not "
                                                  f"{len(columns)}; quote values with commas")
        row: Row = {}
        for column, raw in zip(columns, values, strict=True):
            try:
                row[column] = checkers[column](raw.strip())
            except ValueError as exc:
                raise SiteDataError(path, line, column, str(exc)) from None
        if row[key] in first_line:
            raise SiteDataError(path, line, key, f"{row[key]} is already on line "
                                                 f"{first_line[row[key]]}")
        first_line[row[key]] = line
        rows.append(row)
    if not rows:
        raise SiteDataError(path, 2, None, "has no rows; a site opens with its data entered")
    return rows


def read_menu(path: Path, sections: Iterable[str] | None = None) -> list[Row]:
    """The menu items of menu.csv; `sections` are the site's kitchen sections."""
    checkers = {"code": _code, "name": _text, "category": _text, "price": _price,
                "section": _section(sections)}
    return _read(path, MENU_COLUMNS, checkers, "code")


def read_tables(path: Path) -> list[Row]:
    """The dining tables of tables.csv."""
    checkers = {"number": _integer(1, 999), "area": _text, "seats": _integer(1, 30)}
    return _read(path, TABLE_COLUMNS, checkers, "number")


def read_site_data(directory: Path, sections: Iterable[str] | None = None) -> dict[str, Any]:
    """A site's menu and tables from the directory beside its site file."""
    return {"menu": read_menu(directory / "menu.csv", sections),
            "tables": read_tables(directory / "tables.csv")}


# The application database's tables for the initial data: what sitekit_pos_data loads
# (pos_server) and compares (acceptance). One definition, so the two cannot disagree.
DATABASE_TABLES = {
    "menu": {"name": "MenuItems", "key": "code", "columns": [
        {"name": "code", "type": "nvarchar(16)"}, {"name": "name", "type": "nvarchar(80)"},
        {"name": "category", "type": "nvarchar(80)"}, {"name": "price", "type": "decimal(8,2)"},
        {"name": "section", "type": "nvarchar(80)"}]},
    "tables": {"name": "DiningTables", "key": "number", "columns": [
        {"name": "number", "type": "int"}, {"name": "area", "type": "nvarchar(80)"},
        {"name": "seats", "type": "int"}]},
}


def database_tables(data: dict[str, Any]) -> list[dict[str, Any]]:
    """A site's data as sitekit_pos_data's `tables`: each table's definition and rows."""
    return [{**table, "rows": data[kind]} for kind, table in DATABASE_TABLES.items()]

