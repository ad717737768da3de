"""`lakehouse warehouse query|external-schemas`: the configured warehouse from the shell."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import Any

from lakehouse_assets.settings import ConfigurationError, Settings
from lakehouse_assets.warehouse.errors import WarehouseError

PLACEHOLDER_ROLE = "arn:aws:iam::<account>:role/<redshift copy role>"


def _query(args: argparse.Namespace) -> int:
    from lakehouse_assets.warehouse.config import open_warehouse

    settings = Settings.from_env()
    names, rows = open_warehouse(settings.target, settings.root).query(args.sql)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    if names:
        writer.writerow(names)
        writer.writerows(rows)
    return 0


def _external_schemas(args: argparse.Namespace) -> int:
    from lakehouse_assets.registry import registry
    from lakehouse_assets.warehouse.config import open_warehouse, redshift_target
    from lakehouse_assets.warehouse.external_schemas import external_schema_statements

    settings = Settings.from_env()
    role = None
    if settings.target == "aws":
        role = redshift_target().copy_role_arn
    statements = external_schema_statements(registry(), role or PLACEHOLDER_ROLE)
    for statement in statements:
        print(statement + ";")
    if not args.apply:
        return 0
    if settings.target != "aws":
        print(
            "not applied: external schemas (Redshift Spectrum over the Glue Data Catalog) exist "
            "only on Redshift; the local PostgreSQL warehouse holds the copies only. Run this "
            "with LAKEHOUSE_TARGET=aws and LAKEHOUSE_REDSHIFT_* set",
            file=sys.stderr,
        )
        return 2
    if role is None:
        raise ConfigurationError(
            "LAKEHOUSE_REDSHIFT_COPY_ROLE_ARN is not set: external schemas need the IAM role "
            "Redshift uses to read the Glue Data Catalog and S3"
        )
    warehouse = open_warehouse(settings.target, settings.root)
    for statement in statements:
        # One by one: CREATE EXTERNAL SCHEMA cannot run inside a transaction block.
        warehouse.run(statement)
    print(f"{len(statements)} external schemas present on {warehouse.target}")
    return 0


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except (WarehouseError, ConfigurationError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1

    return run


def add_commands(sub: Any) -> None:
    warehouse = sub.add_parser("warehouse", help="query the warehouse, create external schemas")
    commands = warehouse.add_subparsers(dest="warehouse_command", required=True)
    query = commands.add_parser("query", help="run SQL on the warehouse, print rows as CSV")
    query.add_argument("sql", help="one SQL statement")
    query.set_defaults(func=_guarded(_query))
    external = commands.add_parser(
        "external-schemas",
        help="print (--apply: run) CREATE EXTERNAL SCHEMA for every governed Glue database",
    )
    external.add_argument("--apply", action="store_true", help="run them on Redshift")
    external.set_defaults(func=_guarded(_external_schemas))
