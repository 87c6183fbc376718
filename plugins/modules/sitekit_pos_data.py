# Documentation of the PowerShell module sitekit_pos_data.ps1 beside this file.
"""Documentation stub for the Windows module sitekit_pos_data."""

DOCUMENTATION = r"""
---
module: sitekit_pos_data
short_description: Load a restaurant's initial data into the application database in one call
description:
  - Brings tables of the application database (menu items, dining tables) to exactly the
    rows given, in one module call. A table that does not exist is created with the given
    columns and its key as the primary key; in a table whose rows differ from the given
    ones, rows are inserted, updated in place and deleted by key inside one transaction
    (never the whole table, since other rows refer to these by key and columns the module
    does not manage keep their values); a table whose rows are the same is not touched.
  - A row the list drops that other data still refers to fails the load (SQL Server's
    REFERENCE constraint) and the transaction is rolled back.
  - Rows are compared by their text (numbers in the invariant culture, decimals with at
    least two places), so a second run with the same rows changes nothing.
  - Connects with Windows authentication as the connecting account (no SQL password);
    it needs no PowerShell module besides .NET's System.Data.SqlClient.
options:
  sql_instance:
    description:
      - The SQL Server instance, as a connection string's Data Source
        (C(localhost\SQLEXPRESS), C(localhost,1433)).
    type: str
    required: true
  database:
    description:
      - The database that holds the tables; it must exist.
    type: str
    required: true
  tables:
    description:
      - The tables to load, each with all of its rows.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The table's name in the dbo schema (a plain identifier).
        type: str
        required: true
      key:
        description:
          - The column that identifies a row; unique, the primary key of a new table.
        type: str
        required: true
      columns:
        description:
          - The table's columns, in order.
        type: list
        elements: dict
        required: true
        suboptions:
          name:
            description:
              - The column's name (a plain identifier).
            type: str
            required: true
          type:
            description:
              - Its SQL type, one of C(int), C(bigint), C(smallint), C(tinyint), C(bit),
                C(date), C(datetime2), C(nvarchar(n)), C(varchar(n)), C(nchar(n)),
                C(char(n)), C(decimal(p,s)).
            type: str
            required: true
      rows:
        description:
          - Every row of the table, as a mapping of column name to value; missing
            columns are NULL.
        type: list
        elements: dict
        required: true
notes:
  - Supports check mode (reports what would change and the counts there would be) and
    diff mode (row counts before and after).
seealso:
  - module: lowlydba.sqlserver.database
author:
  - sitekit
"""

EXAMPLES = r"""
- name: Load the menu and the dining tables
  sitekit_pos_data:
    sql_instance: localhost\SQLEXPRESS
    database: LotusPOS
    tables:
      - name: MenuItems
        key: code
        columns:
          - {name: code, type: nvarchar(16)}
          - {name: name, type: nvarchar(80)}
          - {name: price, type: "decimal(8,2)"}
        rows:
          - {code: W01, name: Chicken chow mein, price: "9.50"}
      - name: DiningTables
        key: number
        columns:
          - {name: number, type: int}
          - {name: seats, type: int}
        rows:
          - {number: 1, seats: 4}
"""

RETURN = r"""
counts:
  description: The number of rows per table after the run (in check mode, after a real run).
  returned: always
  type: dict
  sample: {"MenuItems": 42, "DiningTables": 12}
changes:
  description: Per table, the rows inserted, updated and deleted, and whether it was created.
  returned: always
  type: dict
  sample: {"MenuItems": {"inserted": 2, "updated": 1, "deleted": 0, "created": false}}
"""
