"""Running the ImportAu graph through Dagster in tests, and reading what it published through
Iceberg, as any engine reads it."""

from __future__ import annotations

from collections.abc import Sequence

from dagster import AssetKey, DagsterInstance, materialize

from glue_scripts.lib.iceberg_catalog import catalog_for
from glue_scripts.lib.tables import TableStore
from lakehouse_assets.duckdb_iceberg import connect, scan
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


def iceberg_query(metadata_location: str, sql: str, snapshot_id: int | None = None) -> list[tuple]:
    """`sql` over the view `t`: DuckDB's `iceberg_scan` of the version the metadata file holds
    as current, or of the snapshot `snapshot_id` (time travel)."""
    con = connect()
    con.execute(f"CREATE VIEW t AS SELECT * FROM {scan(metadata_location, snapshot_id)}")
    return con.execute(sql).fetchall()


def iceberg_rows(metadata_location: str, snapshot_id: int | None = None) -> int:
    """The rows of a version, read from its data files: DuckDB answers a bare `COUNT(*)` from
    the manifests' record counts alone, which would not notice a file gone missing."""
    return len(iceberg_query(metadata_location, "SELECT * FROM t", snapshot_id))


def table_store(root, materialization) -> TableStore:
    """The table a materialization reported, by its `dagster/table_name`."""
    database, table = materialization.metadata["dagster/table_name"].value.split(".")
    return TableStore(str(root), database, table)


def assert_published_through_iceberg(root, result) -> dict[str, TableStore]:
    """Every lakehouse table the run materialized reads, through DuckDB's `iceberg_scan`, as
    many rows as its latest materialization reports, both on the metadata file the catalog
    holds now and on the one the materialization names; every other table of the same
    databases in the catalog (quarantines) reads as many rows as its committed version.
    Returns the stores of the materialized tables by asset key."""
    stores: dict[str, TableStore] = {}
    for key, materialization in materializations(result).items():
        metadata = materialization.metadata
        if "lakehouse/table_rows" not in metadata:
            continue  # not a lakehouse table (a warehouse copy, a dataset file)
        store = table_store(root, materialization)
        rows = metadata["lakehouse/table_rows"].value
        current = store.require_current()
        assert current.snapshot_id == int(metadata["lakehouse/iceberg_snapshot_id"].value), key
        assert iceberg_rows(store.metadata_location()) == rows, key
        assert iceberg_rows(metadata["dagster/uri"].value) == rows, key
        stores[key] = store
    assert stores, "the run materialized no lakehouse table"
    catalog = catalog_for(str(root))
    for database in sorted({s.database for s in stores.values()}):
        for _, table in catalog.list_tables(database):
            store = TableStore(str(root), database, table)
            assert iceberg_rows(store.metadata_location()) == store.require_current().rows, table
    return stores
