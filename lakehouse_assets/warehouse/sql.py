"""SQL of a warehouse table, from its spec, for PostgreSQL and Redshift alike.

Column types follow the spec's Spark/Hive types; both engines get the same names, the same
NOT NULL and PRIMARY KEY, and Redshift also gets the spec's distribution and sort keys.
"""

from __future__ import annotations

import re

from lakehouse_assets.specs import Column, TableSpec

DIALECTS = ("postgres", "redshift")
_DECIMAL = re.compile(r"^decimal\((\d+),(\d+)\)$")
_SIMPLE_TYPES = {
    "int": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    # Neither engine has a one-byte integer.
    "tinyint": "SMALLINT",
    "double": "DOUBLE PRECISION",
    "float": "REAL",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
_TEXT = {"postgres": "TEXT", "redshift": "VARCHAR(65535)"}
_BINARY = {"postgres": "BYTEA", "redshift": "VARBYTE"}


def quote(name: str) -> str:
    """A quoted identifier (spec names are already lower-case letters, digits and _)."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def warehouse_name(table: TableSpec) -> str:
    assert table.warehouse is not None, f"{table.qualified_name} has no warehouse copy"
    return table.warehouse.name or table.name


def qualified(table: TableSpec) -> str:
    """`schema.table` in the warehouse: the schema is named like the Glue database."""
    return f"{table.database}.{warehouse_name(table)}"


def quoted_qualified(table: TableSpec) -> str:
    return f"{quote(table.database)}.{quote(warehouse_name(table))}"


def column_type(column: Column, dialect: str) -> str:
    kind = column.type.replace(" ", "").lower()
    if kind == "string":
        return _TEXT[dialect]
    if kind == "binary":
        return _BINARY[dialect]
    decimal = _DECIMAL.match(kind)
    if decimal:
        return f"NUMERIC({decimal[1]},{decimal[2]})"
    if kind in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[kind]
    raise ValueError(f"column {column.name}: type {column.type!r} has no warehouse type")


def column_definitions(columns: list[Column] | tuple[Column, ...], dialect: str) -> str:
    return ", ".join(
        f"{quote(c.name)} {column_type(c, dialect)}{'' if c.nullable else ' NOT NULL'}"
        for c in columns
    )


def create_schema(table: TableSpec) -> str:
    return f"CREATE SCHEMA IF NOT EXISTS {quote(table.database)}"


def create_table(table: TableSpec, dialect: str) -> str:
    """`CREATE TABLE IF NOT EXISTS` with the spec's columns, keys and layout."""
    body = column_definitions(table.columns, dialect)
    if table.primary_key:
        body += f", PRIMARY KEY ({', '.join(quote(c) for c in table.primary_key)})"
    sql = f"CREATE TABLE IF NOT EXISTS {quoted_qualified(table)} ({body})"
    if dialect == "redshift":
        sql += _redshift_layout(table)
    return sql


def _redshift_layout(table: TableSpec) -> str:
    layout = table.warehouse
    assert layout is not None
    text = f" DISTSTYLE {layout.dist_style}"
    if layout.dist_key:
        text += f" DISTKEY({quote(layout.dist_key)})"
    if layout.sort_keys:
        text += f" SORTKEY({', '.join(quote(c) for c in layout.sort_keys)})"
    return text


def delete_all(table: TableSpec) -> str:
    # Never TRUNCATE: on Redshift it commits at once, and a failed copy would leave the
    # table empty.
    return f"DELETE FROM {quoted_qualified(table)}"


def count_rows(table: TableSpec) -> str:
    return f"SELECT COUNT(*) AS row_count FROM {quoted_qualified(table)}"


def existing_columns(table: TableSpec) -> str:
    """The warehouse table's columns in order (no row when the table does not exist)."""
    return (
        "SELECT column_name FROM information_schema.columns "
        f"WHERE table_schema = {literal(table.database)} "
        f"AND table_name = {literal(warehouse_name(table))} ORDER BY ordinal_position"
    )


def column_difference(table: TableSpec, found: list[str], dialect: str) -> str | None:
    """What to tell when an existing table's columns are not the spec's (None when equal)."""
    if not found:
        return None
    wanted = [c.name for c in table.columns]
    if found == wanted:
        return None
    missing = [c for c in wanted if c not in found]
    extra = [c for c in found if c not in wanted]
    name = quoted_qualified(table)
    problems = []
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"extra columns {extra}")
    if not problems:
        problems.append(f"columns in another order {found} (the spec has {wanted})")
    fixes = [f"`DROP TABLE {name}` and materialize the asset again (it is re-created)"]
    if missing and not extra:
        adds = "; ".join(
            f"ALTER TABLE {name} ADD COLUMN {quote(c.name)} {column_type(c, dialect)}"
            for c in table.columns
            if c.name in missing
        )
        fixes.append(f"add them ({adds}) if they are last in the spec")
    return (
        f"warehouse table {qualified(table)} does not match its spec: {'; '.join(problems)}. "
        f"Nothing was deleted. Either {' or '.join(fixes)}"
    )
