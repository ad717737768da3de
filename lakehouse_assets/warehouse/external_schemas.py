"""Redshift Spectrum schemas over the governed Glue databases: query the lake in place.

One external schema per Glue database, named `<glue database>_lake` (`bix_silver_lake`), so it
never collides with the schema of the same name that holds the warehouse copies
(`bix_silver`): `bix_silver.venda` is the copy, `bix_silver_lake.venda` the lake table.
"""

from __future__ import annotations

from lakehouse_assets.registry import Registry
from lakehouse_assets.warehouse.sql import literal, quote

SUFFIX = "_lake"


def external_schema_name(database: str) -> str:
    return f"{database}{SUFFIX}"


def external_schema_statements(reg: Registry, role_arn: str) -> list[str]:
    databases = sorted({t.database for t in reg.tables.values()})
    return [
        f"CREATE EXTERNAL SCHEMA IF NOT EXISTS {quote(external_schema_name(db))} "
        f"FROM DATA CATALOG DATABASE {literal(db)} IAM_ROLE {literal(role_arn)}"
        for db in databases
    ]
