"""One warehouse asset per table marked for the warehouse, downstream of the lake table.

Unpartitioned even when the lake table is daily-partitioned: a load copies the table's whole
current version, so it runs once per domain run, after the partitions it follows.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from lakehouse_assets.factory import asset_key, business_tag_key, column_schema
from lakehouse_assets.registry import Registry
from lakehouse_assets.specs import TableSpec
from lakehouse_assets.warehouse import sql
from lakehouse_assets.warehouse.load import LoadResult
from lakehouse_assets.warehouse.resource import Warehouse

RECONCILIATION_CHECK = "reconcilia_com_lago"
KINDS = {"local": "postgres", "aws": "redshift"}


def warehouse_asset_key(table: TableSpec) -> AssetKey:
    return AssetKey([table.domain, "warehouse", table.layer, sql.warehouse_name(table)])


def load_metadata(result: LoadResult) -> dict:
    return {
        "dagster/row_count": result.rows_loaded,
        "dagster/table_name": result.table,
        "lakehouse/warehouse_table": result.table,
        "lakehouse/warehouse_target": result.target,
        "lakehouse/lake_table_version": result.table_version,
        "lakehouse/lake_snapshots": ", ".join(result.snapshots),
        "lakehouse/lake_rows": result.lake_rows,
        "lakehouse/table_created": result.created,
    }


def reconciliation(table: TableSpec, result: LoadResult) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=RECONCILIATION_CHECK,
        asset_key=warehouse_asset_key(table),
        passed=result.rows_loaded == result.lake_rows,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "warehouse_rows": result.rows_loaded,
            "lake_rows": result.lake_rows,
            "lake_table_version": result.table_version,
        },
        description=(
            f"{result.table} holds {result.rows_loaded} rows; version "
            f"{result.table_version} of {table.qualified_name} holds {result.lake_rows}"
        ),
    )


def build_warehouse_asset(table: TableSpec, target: str = "local") -> AssetsDefinition:
    key = warehouse_asset_key(table)
    layout = table.warehouse
    assert layout is not None

    @asset(
        key=key,
        deps=[asset_key(table)],
        group_name=table.domain,
        description=table.description,
        owners=[table.owner],
        tags={
            "lakehouse/layer": table.layer,
            "lakehouse/sink": "warehouse",
            **{business_tag_key(tag): "" for tag in table.business_tags},
        },
        kinds={KINDS.get(target, "postgres")},
        metadata={
            "dagster/column_schema": column_schema(table),
            "dagster/table_name": sql.qualified(table),
            "lakehouse/lake_table": table.qualified_name,
            "lakehouse/primary_key": ", ".join(table.primary_key),
            "lakehouse/dist_style": layout.dist_style,
            "lakehouse/dist_key": layout.dist_key or "",
            "lakehouse/sort_keys": ", ".join(layout.sort_keys),
        },
        check_specs=[
            AssetCheckSpec(
                name=RECONCILIATION_CHECK,
                asset=key,
                description=(
                    "The warehouse table holds exactly as many rows as the version of the lake "
                    "table that was loaded into it."
                ),
            )
        ],
    )
    def _warehouse_table(context: AssetExecutionContext, warehouse: Warehouse) -> Iterator:
        # Imported here: pyarrow would cost every Dagster process's start (and `lakehouse run`).
        from lakehouse_assets.warehouse.lake import LakeSnapshot

        snapshot = LakeSnapshot.current(warehouse.lakehouse_root, table)
        loader = warehouse.open()
        context.log.info(
            f"loading version {snapshot.table_version} of {table.qualified_name} "
            f"({snapshot.rows} rows, {snapshot.file_count} data files) into "
            f"{sql.qualified(table)} on {loader.target}"
        )
        result = loader.load(snapshot)
        yield MaterializeResult(
            metadata={
                **load_metadata(result),
                "lakehouse/data_files": MetadataValue.int(snapshot.file_count),
            },
            check_results=[reconciliation(table, result)],
        )

    return _warehouse_table


def build_warehouse_assets(reg: Registry, target: str = "local") -> list[AssetsDefinition]:
    return [
        build_warehouse_asset(table, target)
        for table in reg.tables.values()
        if table.warehouse is not None
    ]
