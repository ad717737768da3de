"""The commit protocol on S3 as the scripts use it on Glue: Iceberg commits through the Glue
Data Catalog, state files by conditional PUTs over HTTP, against the local AWS endpoint."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.exceptions import ClientError, ParamValidationError

from glue_scripts.lib.fs import S3FileSystem, StorageError
from glue_scripts.lib.tables import (
    METADATA_DIR,
    STATE_PROPERTY,
    ForeignTableError,
    PartitionEntry,
    TableStore,
)
from tests.aws_glue.conftest import BUCKET, REGION, reset
from tests.glue_scripts.table_files import lose_the_race_once

COLUMNS = pa.schema([("pedido_id", pa.string()), ("valor", pa.int32())])
BY_DAY = ("anomesdia",)


@pytest.fixture
def bucket(standin, aws_env, clients):
    reset(standin.url)
    clients["s3"].create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    yield f"s3://{BUCKET}/lake"


def put_parquet(s3, store: TableStore, snapshot: str, partition: str, *rows: tuple) -> str:
    """A Parquet file of `rows` in a write's folder, in Spark's layout (the partition
    columns in the folder names only); returns its URI."""
    data = pa.Table.from_pylist([dict(zip(COLUMNS.names, r, strict=True)) for r in rows], COLUMNS)
    buffer = io.BytesIO()
    pq.write_table(data, buffer)
    uri = f"{store.data_uri(snapshot, partition)}/part-00000.parquet"
    s3.put_object(Bucket=BUCKET, Key=uri.removeprefix(f"s3://{BUCKET}/"), Body=buffer.getvalue())
    return uri


def glue_parameters(glue, store: TableStore) -> dict[str, str]:
    return glue.get_table(DatabaseName=store.database, Name=store.table)["Table"]["Parameters"]


def test_commits_on_s3_are_iceberg_tables_of_the_glue_catalog(bucket, clients):
    s3, glue = clients["s3"], clients["glue"]
    store = TableStore(bucket, "db", "pedidos")
    schema = COLUMNS.append(pa.field("anomesdia", pa.string()))
    day1 = put_parquet(s3, store, "s1", "anomesdia=20241014", ("P1", 1), ("P2", 2))
    day2 = put_parquet(s3, store, "s1", "anomesdia=20241015", ("P3", 3))
    rows = {"anomesdia=20241014": 2, "anomesdia=20241015": 1}
    first = store.commit("s1", BY_DAY, rows, replace_all=False, run_id="r1", schema=schema)

    assert first.version == 1
    assert first.metadata_location.startswith(f"{bucket}/db/pedidos/{METADATA_DIR}/")
    parameters = glue_parameters(glue, store)
    assert parameters["table_type"] == "ICEBERG"
    assert parameters["metadata_location"] == first.metadata_location
    assert store.current_data_uris() == [day1, day2]

    replaced = put_parquet(s3, store, "s2", "anomesdia=20241015", ("P3", 30), ("P4", 4))
    second = store.commit(
        "s2", BY_DAY, {"anomesdia=20241015": 2}, replace_all=False, run_id="r2", schema=schema
    )

    assert second.version == 2
    # The Glue table follows every commit to its new metadata file.
    assert second.metadata_location != first.metadata_location
    assert glue_parameters(glue, store)["metadata_location"] == second.metadata_location
    assert store.metadata_location() == second.metadata_location
    assert store.require_current().partitions == {
        "anomesdia=20241014": PartitionEntry("s1", 2),
        "anomesdia=20241015": PartitionEntry("s2", 2),
    }
    assert store.current_data_uris() == [day1, replaced]
    assert store.data_uris(first) == [day1, day2]
    rows_read = store.iceberg_table().scan().to_arrow().sort_by("pedido_id").to_pylist()
    assert rows_read == [
        {"pedido_id": "P1", "valor": 1, "anomesdia": "20241014"},
        {"pedido_id": "P2", "valor": 2, "anomesdia": "20241014"},
        {"pedido_id": "P3", "valor": 30, "anomesdia": "20241015"},
        {"pedido_id": "P4", "valor": 4, "anomesdia": "20241015"},
    ]
    # The state of each version is a file in the table's metadata folder on S3.
    state = store.iceberg_table().current_snapshot().summary[STATE_PROPERTY]
    assert state.startswith(f"{bucket}/db/pedidos/{METADATA_DIR}/lakehouse-state-")
    assert S3FileSystem().exists(state)


def test_a_commit_that_lost_a_race_on_glue_is_based_on_the_winner(bucket, clients, monkeypatch):
    s3, schema = clients["s3"], COLUMNS.append(pa.field("anomesdia", pa.string()))
    store = TableStore(bucket, "db", "pedidos")

    def commit(run: TableStore, snapshot: str, day: str, value: int):
        put_parquet(s3, run, snapshot, f"anomesdia={day}", (snapshot, value))
        rows = {f"anomesdia={day}": 1}
        return run.commit(snapshot, BY_DAY, rows, replace_all=False, schema=schema)

    commit(store, "s1", "20241014", 1)
    # Another run commits right after this run's first load of the table.
    winner = TableStore(bucket, "db", "pedidos")
    loads = lose_the_race_once(monkeypatch, store, lambda: commit(winner, "s3", "20241016", 3))
    version = commit(store, "s2", "20241015", 2)

    assert loads == [1, 2]
    assert version.version == 3
    assert version.partitions == {
        "anomesdia=20241014": PartitionEntry("s1", 1),
        "anomesdia=20241015": PartitionEntry("s2", 1),
        "anomesdia=20241016": PartitionEntry("s3", 1),
    }
    assert glue_parameters(clients["glue"], store)["metadata_location"] == (
        version.metadata_location
    )
    rows = winner.iceberg_table().scan().to_arrow().sort_by("pedido_id").to_pylist()
    assert [(r["pedido_id"], r["valor"]) for r in rows] == [("s1", 1), ("s2", 2), ("s3", 3)]


def test_retention_on_s3_deletes_the_replaced_write(bucket, clients):
    store = TableStore(bucket, "db", "totais")
    uris = [put_parquet(clients["s3"], store, s, "", (s, n)) for n, s in enumerate(("s1", "s2"))]
    for snapshot in ("s1", "s2"):
        store.commit(snapshot, (), {"": 1}, replace_all=True, schema=COLUMNS)

    assert store.cleanup(keep_versions=1) == ["s1"]

    fs = S3FileSystem()
    assert fs.list_children(f"{bucket}/db/totais") == [METADATA_DIR, "snapshot=s2"]
    assert store.current_data_uris() == uris[1:]
    assert [v.version for v in store.versions()] == [2]


def test_state_files_on_s3_are_created_exclusively(bucket):
    fs = S3FileSystem()  # boto3's own resolution: AWS_ENDPOINT_URL, as on Glue
    state = f"{bucket}/db/t/{METADATA_DIR}/lakehouse-state-1.json"
    assert fs.create_exclusive(state, "{}") is True
    assert fs.create_exclusive(state, '{"other": 1}') is False
    assert fs.read_text(state) == "{}"


def test_a_boto3_without_conditional_writes_is_refused_not_ignored():
    def put_object(**_):
        raise ParamValidationError(report='Unknown parameter in input: "IfNoneMatch"')

    old = SimpleNamespace(
        put_object=put_object, exceptions=SimpleNamespace(ClientError=ClientError)
    )
    with pytest.raises(StorageError, match="predates S3 conditional writes"):
        S3FileSystem(old).create_exclusive(
            f"s3://b/db/t/{METADATA_DIR}/lakehouse-state-1.json", "{}"
        )


def test_a_table_of_another_root_in_the_same_glue_catalog_is_refused(bucket, clients):
    store = TableStore(bucket, "db", "pedidos")
    put_parquet(clients["s3"], store, "s1", "anomesdia=20241014", ("P1", 1))
    schema = COLUMNS.append(pa.field("anomesdia", pa.string()))
    store.commit("s1", BY_DAY, {"anomesdia=20241014": 1}, replace_all=False, schema=schema)
    other = TableStore(f"s3://{BUCKET}/another-lake", "db", "pedidos")

    with pytest.raises(ForeignTableError) as err:
        other.current()
    assert str(err.value) == (
        f"the catalog's table db.pedidos lives at {store.location}, not under this lakehouse's "
        f"root ({other.location}); give each lakehouse its own catalog (AWS account, region or "
        "Glue databases)"
    )
