"""A lake for the empty-input tests: input tables committed with a few rows or with none
(a committed version that holds zero rows, as a header-only export leaves it), jobs run
through a real Pipes channel, outputs read back with DuckDB's `iceberg_scan`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pyspark.sql import DataFrame

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.schema import conform
from glue_scripts.lib.spark_io import write_snapshot
from glue_scripts.lib.tables import UNPARTITIONED, TableStore, new_snapshot_id, partition_name
from lakehouse_assets.duckdb_iceberg import connect, scan
from lakehouse_assets.specs import TableSpec
from tests.glue_scripts.pipes_harness import Reported, run_job


class EmptyLake:
    def __init__(self, base: Path):
        self.root, self.landing, self.work = base / "lake", base / "landing", base / "pipes"
        self.root.mkdir(parents=True)
        self.landing.mkdir()

    def store(self, table: str) -> TableStore:
        database, name = table.split(".")
        return TableStore(normalize_root(str(self.root)), database, name)

    def commit(self, spec: TableSpec, frame: DataFrame) -> None:
        """Commit `frame` (the spec's columns) as a version of the table."""
        store = self.store(spec.qualified_name)
        written = write_snapshot(conform(frame, spec.payload()), store, spec.partition_by)
        store.commit(
            written.snapshot, spec.partition_by, written.rows_by_partition, replace_all=False
        )

    def commit_empty(self, spec: TableSpec, *values: str) -> None:
        """Commit a version holding zero rows and no file: one empty partition of `values`
        (of the partition columns) for a partitioned table."""
        name = partition_name(spec.partition_by, values) if spec.partition_by else UNPARTITIONED
        self.store(spec.qualified_name).commit(
            new_snapshot_id(), spec.partition_by, {name: 0}, replace_all=False
        )

    def run(self, main: Callable[[Sequence[str]], None], tables: Sequence[str], **keys) -> Reported:
        return run_job(
            main, tables, root=self.root, landing=self.landing, workdir=self.work, **keys
        )

    def rows(self, table: str, sql: str = "SELECT * FROM t ORDER BY ALL") -> list[tuple]:
        """`sql` over the table's current data (the view `t`); no rows for an empty table."""
        version = self.store(table).require_current()
        con = connect()
        con.execute(f"CREATE VIEW t AS SELECT * FROM {scan(version.metadata_location)}")
        return con.execute(sql).fetchall()

    def version_rows(self, table: str) -> int:
        """Rows of the table's current committed version."""
        return self.store(table).require_current().rows


def checks(reported: Reported) -> dict[str, bool]:
    """{check name: passed} of every check a run reported, by `asset:check` name."""
    return {name: bool(check["passed"]) for name, check in reported.checks.items()}
