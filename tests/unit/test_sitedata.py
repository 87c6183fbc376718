"""A site's initial data from CSV: good files read and typed, bad ones named by file, line
and column, with what to change."""

from __future__ import annotations

from pathlib import Path

import pytest

from sitekit.sitedata import SiteDataError, read_menu, read_site_data, read_tables

SITES = Path(__file__).resolve().parents[2] / "inventories" / "example" / "sites"
MENU_HEADER = "code,name,category,price,section\n"
TABLES_HEADER = "number,area,seats\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("site", "sections", "menu", "tables"), [
    ("lis01", ["wok"], 16, 9),
    ("ber02", ["cold", "grill", "wok"], 20, 15),
    ("lon01", ["bar", "cold", "dim sum", "expo", "grill", "pastry", "wok"], 40, 41),
])
def test_example_sites_have_valid_data(site: str, sections: list[str], menu: int,
                                       tables: int) -> None:
    data = read_site_data(SITES / site, sections)
    assert (len(data["menu"]), len(data["tables"])) == (menu, tables)
    used = {row["section"] for row in data["menu"]} - {""}
    assert used <= set(sections)


def test_rows_are_typed(tmp_path: Path) -> None:
    menu = write(tmp_path, "menu.csv", MENU_HEADER + 'N01,"Chow mein, large",Noodles,9.5,wok\n'
                 "D01,Tea,Drinks,2,\n")
    assert read_menu(menu, ["wok"]) == [
        {"code": "N01", "name": "Chow mein, large", "category": "Noodles", "price": "9.50",
         "section": "wok"},
        {"code": "D01", "name": "Tea", "category": "Drinks", "price": "2.00", "section": ""}]
    tables = write(tmp_path, "tables.csv", TABLES_HEADER + "1,terrace,4\n\n12,bar,2\n")
    assert read_tables(tables) == [{"number": 1, "area": "terrace", "seats": 4},
                                   {"number": 12, "area": "bar", "seats": 2}]


def test_a_byte_order_mark_from_a_spreadsheet_is_fine(tmp_path: Path) -> None:
    tables = tmp_path / "tables.csv"
    tables.write_bytes(("\ufeff" + TABLES_HEADER + "1,terrace,4\n").encode("utf-8"))
    assert read_tables(tables)[0]["number"] == 1


@pytest.mark.parametrize(("text", "line", "column", "problem"), [
    (MENU_HEADER + "N01,Chow mein,Noodles,9.50,wok\nN02,Ho fun,Noodles,nine,wok\n",
     3, "price", "is not a price"),
    (MENU_HEADER + "N01,Chow mein,Noodles,9.505,wok\n", 2, "price", "more than two decimals"),
    (MENU_HEADER + "N01,Chow mein,Noodles,0,wok\n", 2, "price", "outside 0.01-9999.99"),
    (MENU_HEADER + "n01,Chow mein,Noodles,9.50,wok\n", 2, "code", "is not an item code"),
    (MENU_HEADER + "N01,,Noodles,9.50,wok\n", 2, "name", "is empty"),
    (MENU_HEADER + "N01,Chow mein,Noodles,9.50,pizza\n", 2, "section",
     "is not a kitchen section of this site; use one of wok"),
    (MENU_HEADER + "N01,Chow mein,Noodles,9.50,wok\nN01,Again,Noodles,9.50,wok\n",
     3, "code", "already on line 2"),
    (MENU_HEADER + "N01,Chow mein,9.50,wok\n", 2, None, "has 4 values, not 5"),
    ("code,name,price,category,section\n", 1, None, "the header must be"),
    ("code,title,category,price,section\n", 1, None, "missing name; unknown title"),
    (MENU_HEADER, 2, None, "has no rows"),
    ("", 1, None, "the file is empty"),
])
def test_bad_menu_names_file_line_and_column(tmp_path: Path, text: str, line: int,
                                             column: str | None, problem: str) -> None:
    path = write(tmp_path, "menu.csv", text)
    with pytest.raises(SiteDataError) as caught:
        read_menu(path, ["wok"])
    error = caught.value
    assert (error.path, error.line, error.column) == (str(path), line, column)
    assert problem in str(error)
    assert str(error).startswith(f"{path}:{line}")
    if column:
        assert f"column '{column}'" in str(error)


@pytest.mark.parametrize(("row", "column", "problem"), [
    ("0,terrace,4", "number", "outside 1-999"),
    ("1,terrace,-4", "seats", "is not a whole number"),
    ("1,terrace,40", "seats", "outside 1-30"),
    ("x,terrace,4", "number", "is not a whole number"),
    ("1,,4", "area", "is empty"),
])
def test_bad_tables_name_the_column(tmp_path: Path, row: str, column: str, problem: str) -> None:
    path = write(tmp_path, "tables.csv", TABLES_HEADER + row + "\n")
    with pytest.raises(SiteDataError, match=f"tables.csv:2: column '{column}': .*{problem}"):
        read_tables(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    write(tmp_path, "menu.csv", MENU_HEADER + "N01,Chow mein,Noodles,9.50,\n")
    with pytest.raises(SiteDataError, match=r"tables.csv:0: the file is missing"):
        read_site_data(tmp_path)


def test_sections_are_not_checked_when_not_given(tmp_path: Path) -> None:
    path = write(tmp_path, "menu.csv", MENU_HEADER + "N01,Chow mein,Noodles,9.50,pizza\n")
    assert read_menu(path)[0]["section"] == "pizza"
