"""Running the ImportAu graph through Dagster in tests, and reading what it published."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
from dagster import AssetKey, DagsterInstance, materialize

from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.registry import registry

LOAD_DATE = "20241120"


def domain_keys(domain: str) -> list[str]:
    return ["/".join(t.key_path) for t in registry().tables.values() if t.domain == domain]


def run_graph(
    launcher,
    instance: DagsterInstance,
    selection: Sequence[str] | None = None,
    partition_key: str = LOAD_DATE,
    domain: str = "importau",
):
    """Materialize `selection` (asset key paths), by default the whole graph of `domain`."""
    assets = build_all_assets(registry())
    selection = domain_keys(domain) if selection is None else selection
    keys = [AssetKey(s.split("/")) for s in selection]
    return materialize(
        assets,
        resources={"launcher": launcher},
        instance=instance,
        partition_key=partition_key,
        selection=keys,
        raise_on_error=False,
    )


def materializations(result) -> dict[str, object]:
    return {
        e.event_specific_data.materialization.asset_key.to_user_string(): (
            e.event_specific_data.materialization
        )
        for e in result.get_asset_materialization_events()
    }


def checks(result) -> dict[str, object]:
    return {
        f"{e.asset_key.to_user_string()}:{e.check_name}": e
        for e in result.get_asset_check_evaluations()
    }


def parquet_rows(uri: str) -> int:
    path = uri.removeprefix("file://")
    sql = f"SELECT COUNT(*) FROM read_parquet('{path}/**/*.parquet')"
    return duckdb.connect().execute(sql).fetchone()[0]


def parquet_query(uri: str, sql: str) -> list[tuple]:
    path = uri.removeprefix("file://")
    con = duckdb.connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{path}/**/*.parquet')")
    return con.execute(sql).fetchall()
