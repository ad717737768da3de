"""What is known about a table's data: its current Iceberg version (location, metadata file,
snapshot, rows) and Dagster's last materialization (run id, time, row count, code version).

The Iceberg table is the truth about *where* the data is; Dagster is the truth about *which
run* put it there. A table without either is still exported, from its spec alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from glue_scripts.lib.tables import NotIcebergError, TableStore
from lakehouse_assets.specs import TableSpec

if TYPE_CHECKING:
    from pyiceberg.table import Table


@dataclass(frozen=True)
class DataLocation:
    """Where a table's current version is (None fields: never committed)."""

    table_root: str
    # The Iceberg table's location, as its metadata names it.
    location: str | None = None
    metadata_location: str | None = None
    rows: int | None = None
    table_version: int | None = None
    snapshot_id: int | None = None
    committed_at: str | None = None
    run_id: str = ""

    @property
    def committed(self) -> bool:
        return self.table_version is not None


@dataclass(frozen=True)
class MaterializationFacts:
    run_id: str
    timestamp: float
    row_count: int | None = None
    code_version: str | None = None
    partition: str | None = None
    run_started: float | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # The source system a bronze load extracted from (its URI, without credentials).
    source: str | None = None

    @property
    def time_iso(self) -> str:
        return iso_time(self.timestamp)


def iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def load_table(store: TableStore) -> Table | None:
    """The table's Iceberg table; None when there is none yet."""
    try:
        return store.iceberg_table()
    except NotIcebergError:
        # On Glue: an entry of that name that is not an Iceberg table (no `table_type`),
        # such as the Hive registration of an export made before the tables were Iceberg.
        return None


def location_of(store: TableStore, table: Table | None) -> DataLocation:
    """The current version of a loaded Iceberg table (of `store`)."""
    version = store.version_of(table, None) if table is not None else None
    if table is None or version is None:
        return DataLocation(table_root=store.location)
    return DataLocation(
        table_root=store.location,
        location=table.metadata.location,
        metadata_location=version.metadata_location,
        rows=version.rows,
        table_version=version.version,
        snapshot_id=version.snapshot_id,
        committed_at=version.committed_at,
        run_id=version.run_id,
    )


def data_location(root: str, spec: TableSpec) -> DataLocation:
    """Read the table's current version from its Iceberg catalog."""
    store = TableStore(root, spec.database, spec.name)
    return location_of(store, load_table(store))


def materializations_from_dagster(
    instance, specs: Iterable[TableSpec]
) -> dict[str, MaterializationFacts]:
    """The latest materialization of each table's asset in a Dagster instance."""
    from dagster import AssetKey

    facts: dict[str, MaterializationFacts] = {}
    for spec in specs:
        event = instance.get_latest_materialization_event(AssetKey(spec.key_path))
        if event is None or event.asset_materialization is None:
            continue
        mat = event.asset_materialization
        rows = mat.metadata.get("dagster/row_count")
        source = mat.metadata.get("lakehouse/source")
        record = instance.get_run_record_by_id(event.run_id) if event.run_id else None
        facts[spec.qualified_name] = MaterializationFacts(
            run_id=event.run_id,
            timestamp=event.timestamp,
            row_count=int(rows.value) if rows is not None else None,
            code_version=(mat.tags or {}).get("dagster/code_version"),
            partition=mat.partition,
            run_started=record.start_time if record is not None else None,
            tags=dict(mat.tags or {}),
            source=str(source.value) if source is not None else None,
        )
    return facts


def materialization_from_commit(location: DataLocation) -> MaterializationFacts | None:
    """When Dagster has no record (another instance wrote the data), the table's last commit."""
    if not location.committed or not location.committed_at:
        return None
    timestamp = datetime.fromisoformat(location.committed_at).timestamp()
    return MaterializationFacts(run_id=location.run_id, timestamp=timestamp, row_count=None)
