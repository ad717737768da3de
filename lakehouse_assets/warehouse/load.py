"""What a load reports, whichever warehouse it went to."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadResult:
    table: str  # schema.table in the warehouse
    rows_loaded: int  # rows the warehouse table holds after the commit
    lake_rows: int  # rows of the lake version that was loaded
    table_version: int  # the lake version loaded (Iceberg's sequence number)
    snapshots: tuple[str, ...]
    target: str  # redacted URI, or the Redshift workgroup/cluster and database
    created: bool  # the table did not exist before this load
