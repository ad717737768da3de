"""What is known about a table's data: its manifest (location, partitions) and Dagster's
last materialization (run id, time, row count, code version).

The manifest is the truth about *where* the data is; Dagster is the truth about *which run*
put it there. A table without either is still exported, from its spec alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from glue_scripts.lib.tables import UNPARTITIONED, TableStore
from lakehouse_assets.specs import TableSpec


@dataclass(frozen=True)
class PartitionData:
    values: tuple[str, ...]
    location: str
    rows: int
    snapshot: str


@dataclass(frozen=True)
class DataLocation:
    """Where a table's current data is, from its manifest (None fields: never committed)."""

    table_root: str
    location: str | None = None
    rows: int | None = None
    manifest_version: int | None = None
    committed_at: str | None = None
    run_id: str = ""
    # None: partitions unknown (never committed), so the catalog's list is left alone.
    partitions: tuple[PartitionData, ...] | None = None

    @property
    def committed(self) -> bool:
        return self.manifest_version is not None


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


def partition_values(name: str, partition_by: tuple[str, ...]) -> tuple[str, ...]:
    """`anomesdia=20241120` -> ("20241120",), in the order of the table's partition columns."""
    pairs = dict(part.split("=", 1) for part in name.split("/") if "=" in part)
    return tuple(pairs[column] for column in partition_by)


def data_location(root: str, spec: TableSpec) -> DataLocation:
    """Read the table's current manifest: snapshot folder(s) and row counts."""
    store = TableStore(root, spec.database, spec.name)
    manifest = store.current()
    if manifest is None:
        return DataLocation(table_root=store.location)
    common = {
        "table_root": store.location,
        "rows": manifest.rows,
        "manifest_version": manifest.version,
        "committed_at": manifest.committed_at,
        "run_id": manifest.run_id,
    }
    if not spec.partition_by:
        entry = manifest.partitions.get(UNPARTITIONED)
        location = store.data_uri(entry.snapshot) if entry else None
        return DataLocation(location=location, partitions=(), **common)
    # Empty partitions have no folder to point at (as `TableStore.current_data_uris`).
    partitions = tuple(
        PartitionData(
            values=partition_values(name, spec.partition_by),
            location=store.data_uri(entry.snapshot, name),
            rows=entry.rows,
            snapshot=entry.snapshot,
        )
        for name, entry in sorted(manifest.partitions.items())
        if entry.rows > 0
    )
    return DataLocation(location=store.location, partitions=partitions, **common)


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


def materialization_from_manifest(location: DataLocation) -> MaterializationFacts | None:
    """When Dagster has no record (another instance wrote the data), the manifest's commit."""
    if not location.committed or not location.committed_at:
        return None
    timestamp = datetime.fromisoformat(location.committed_at).timestamp()
    return MaterializationFacts(run_id=location.run_id, timestamp=timestamp, row_count=None)
