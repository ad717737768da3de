"""The local warehouse: PostgreSQL, loaded through ADBC in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyarrow as pa

from glue_scripts.lib.sources.connections import redact, scrub, secrets_of
from lakehouse_assets.specs import TableSpec
from lakehouse_assets.warehouse import sql
from lakehouse_assets.warehouse.errors import (
    WarehouseError,
    WarehouseSchemaError,
    WarehouseUnreachableError,
)
from lakehouse_assets.warehouse.lake import LakeSnapshot, arrow_schema
from lakehouse_assets.warehouse.load import LoadResult

DIALECT = "postgres"


class PostgresWarehouse:
    """A PostgreSQL database reached by URI (the password never leaves this object)."""

    def __init__(self, uri: str):
        self._uri = uri
        self.target = redact(uri)

    @contextmanager
    def connect(self) -> Iterator[Any]:
        import adbc_driver_postgresql.dbapi as pg

        try:
            connection = pg.connect(self._uri)
        except Exception as err:
            raise WarehouseUnreachableError(
                f"the warehouse at {self.target} cannot be reached "
                f"({self._scrubbed(err)}). Start the local services "
                "(`lakehouse local-services --background`) or point LAKEHOUSE_WAREHOUSE_URI "
                "at a PostgreSQL database"
            ) from None
        try:
            yield connection
        finally:
            connection.close()

    def query(self, text: str) -> tuple[list[str], list[tuple]]:
        """Column names and rows of one statement (committed, so DDL sticks too)."""
        with self.connect() as connection:
            with connection.cursor() as cursor:
                try:
                    cursor.execute(text)
                    names = [d[0] for d in cursor.description or []]
                    rows = cursor.fetchall() if cursor.description else []
                except Exception as err:
                    connection.rollback()
                    raise WarehouseError(
                        f"query failed on {self.target}: {self._scrubbed(err)}"
                    ) from None
            connection.commit()
        return names, rows

    def load(self, snapshot: LakeSnapshot) -> LoadResult:
        """Replace the table's rows with the snapshot's, in one transaction."""
        table = snapshot.table
        with self.connect() as connection:
            with connection.cursor() as cursor:
                try:
                    created = self._prepare(cursor, table)
                    cursor.execute(sql.delete_all(table))
                    self._copy(cursor, snapshot)
                    cursor.execute(sql.count_rows(table))
                    rows = int(cursor.fetchone()[0])
                except BaseException as err:
                    connection.rollback()
                    if isinstance(err, WarehouseError):
                        raise
                    raise WarehouseError(
                        f"loading {sql.qualified(table)} on {self.target} failed and was rolled "
                        f"back (the previous rows are kept): {self._scrubbed(err)}"
                    ) from err
            connection.commit()
        return LoadResult(
            table=sql.qualified(table),
            rows_loaded=rows,
            lake_rows=snapshot.rows,
            table_version=snapshot.table_version,
            snapshots=snapshot.snapshots,
            target=self.target,
            created=created,
        )

    @staticmethod
    def _prepare(cursor: Any, table: TableSpec) -> bool:
        cursor.execute(sql.existing_columns(table))
        found = [row[0] for row in cursor.fetchall()]
        problem = sql.column_difference(table, found, DIALECT)
        if problem:
            raise WarehouseSchemaError(problem)
        cursor.execute(sql.create_schema(table))
        cursor.execute(sql.create_table(table, DIALECT))
        return not found

    @staticmethod
    def _copy(cursor: Any, snapshot: LakeSnapshot) -> None:
        failure: list[BaseException] = []

        def batches() -> Iterator[pa.RecordBatch]:
            # ADBC turns an error raised here into its own; keep ours to re-raise.
            try:
                yield from snapshot.batches()
            except BaseException as err:
                failure.append(err)
                raise

        reader = pa.RecordBatchReader.from_batches(arrow_schema(snapshot.table), batches())
        try:
            cursor.adbc_ingest(
                sql.warehouse_name(snapshot.table),
                reader,
                mode="append",
                db_schema_name=snapshot.table.database,
            )
        except Exception:
            if failure:
                raise failure[0] from None
            raise

    def _scrubbed(self, err: BaseException) -> str:
        """A driver's message without the URI's password."""
        return scrub(str(err), *secrets_of(self._uri)).strip()
