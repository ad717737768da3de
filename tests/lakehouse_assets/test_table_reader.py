"""Reading a published table with pyarrow: the files Iceberg's plan names for the current
version, with the partition columns from the partition's name."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.table_reader import MissingFilesError, PublishedTable

SCHEMA = pa.schema([("id", pa.int64()), ("valor", pa.string())])


def write(store: TableStore, snapshot: str, partition: str, name: str, rows: list[tuple]) -> None:
    folder = Path(store.data_uri(snapshot, partition).removeprefix("file://"))
    folder.mkdir(parents=True, exist_ok=True)
    columns = list(zip(*rows, strict=True)) if rows else [[], []]
    pq.write_table(pa.table(columns, schema=SCHEMA), folder / name)


def test_reads_the_planned_files_of_a_partition_with_its_values(tmp_path):
    store = TableStore(str(tmp_path), "db", "t")
    write(store, "w1", "dia=2024-01-01/origem=a", "part-0.parquet", [(1, "x"), (2, "y")])
    write(store, "w1", "dia=2024-01-01/origem=a", "part-1.parquet", [(3, "z")])
    write(store, "w1", "dia=2024-01-02/origem=b", "part-0.parquet", [(4, "w")])
    partition_by = ("dia", "origem")
    counts = {
        "dia=2024-01-01/origem=a": 3,
        "dia=2024-01-02/origem=b": 1,
        "dia=2024-01-03/origem=a": 0,
    }
    store.commit("w1", partition_by, counts, replace_all=True)
    # Beside the committed files, one no commit registered: never read.
    write(store, "w1", "dia=2024-01-01/origem=a", "part-9.parquet", [(99, "stray")])

    table = PublishedTable(str(tmp_path), "db", "t")
    first = table.read("dia=2024-01-01/origem=a")

    assert sorted(first.to_pylist(), key=lambda r: r["id"]) == [
        {"id": 1, "valor": "x", "dia": "2024-01-01", "origem": "a"},
        {"id": 2, "valor": "y", "dia": "2024-01-01", "origem": "a"},
        {"id": 3, "valor": "z", "dia": "2024-01-01", "origem": "a"},
    ]
    second = table.read("dia=2024-01-02/origem=b", filters=[("id", "=", 4)])
    assert second.to_pylist() == [{"id": 4, "valor": "w", "dia": "2024-01-02", "origem": "b"}]
    assert table.read("dia=2024-01-03/origem=a") is None
    assert list(table.partitions()) == sorted(counts)


def test_a_partition_counted_without_files_is_named(tmp_path):
    store = TableStore(str(tmp_path), "db", "t")
    write(store, "w1", "dia=2024-01-01", "part-0.parquet", [(1, "x")])
    # The version says two partitions hold rows; only one has files to register.
    store.commit("w1", ("dia",), {"dia=2024-01-01": 1, "dia=2024-01-02": 5}, replace_all=True)

    table = PublishedTable(str(tmp_path), "db", "t")

    assert table.read("dia=2024-01-01").num_rows == 1
    with pytest.raises(MissingFilesError) as failure:
        table.read("dia=2024-01-02")
    assert str(failure.value) == (
        "version 1 of db.t counts 5 rows in partition dia=2024-01-02 but Iceberg's plan gives no "
        "file for it; the table's metadata is damaged: materialize the table again"
    )
