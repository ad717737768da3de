"""The ML training dataset, from a gold table committed in a temporary lake: the window to the
day, the exact values and column order, the manifest, the command line and the Dagster asset."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import urllib.request
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey, materialize

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.tables import BUILT_FROM_FILE, TableStore, new_snapshot_id, partition_name
from lakehouse_assets.cli import main
from lakehouse_assets.domains.conversas import dataset, specs
from lakehouse_assets.domains.conversas.dataset_asset import (
    DATASET_KEY,
    ROWS_CHECK,
    TrainingData,
    build_dataset_asset,
    rows_check,
)

ARROW = {
    "string": pa.string(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "int": pa.int32(),
    "date": pa.date32(),
}
GOLD = specs.METRICAS_SESSAO
# Floats whose shortest text is exact but easy to spoil: thirds, tiny and huge magnitudes.
AWKWARD = {
    "avg_total_tokens": 1 / 3,
    "token_coefficient_variation": 0.1 + 0.2,
    "avg_tokens_per_second": 1e-05,
    "max_tokens_per_second": 2.5e20,
    "avg_execution_time": 123456789.123456,
    "success_rate": 2 / 3,
}


def gold_schema(dia_in_files: bool = False) -> pa.Schema:
    columns = [c for c in GOLD.columns if dia_in_files or c.name != "dia"]
    return pa.schema([pa.field(c.name, ARROW[c.type]) for c in columns])


def gold_row(session_id: str, dia: str, **values) -> dict:
    row = {}
    for column in GOLD.columns:
        kind = column.type
        row[column.name] = {"string": "x", "bigint": 0, "double": 0.0, "int": 0}.get(kind)
    row.update(
        session_id=session_id,
        agent_name="support-agent",
        model_provider="openai",
        model_id="gpt-4o",
        dia=dt.date.fromisoformat(dia),
        usuario="hashed",
        versao_definicoes=specs.DEFINITIONS_VERSION,
    )
    row.update(values)
    return row


def commit_table(
    root: str,
    database: str,
    table: str,
    rows: list[dict],
    schema: pa.Schema,
    partition_by: tuple[str, ...] = ("dia",),
    records: dict | None = None,
) -> TableStore:
    """Real Parquet in the table layout (partition values in the folder names only, as Spark
    writes them), then the commit."""
    store = TableStore(normalize_root(root), database, table)
    snapshot = new_snapshot_id()
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(str(row[c]) for c in partition_by), []).append(row)
    counts = {}
    for values, members in sorted(groups.items()):
        name = partition_name(partition_by, values)
        data = pa.Table.from_pylist([{f.name: r[f.name] for f in schema} for r in members], schema)
        buffer = io.BytesIO()
        pq.write_table(data, buffer)
        put(f"{store.data_uri(snapshot, name)}/part-00000.parquet", buffer.getvalue())
        counts[name] = len(members)
    # What Spark and the jobs leave beside the data: never to be read as rows.
    put(f"{store.snapshot_uri(snapshot)}/_SUCCESS", b"")
    store.commit(snapshot, partition_by, counts, replace_all=True, records=records)
    return store


def put(uri: str, body: bytes) -> None:
    if uri.startswith("s3://"):
        import boto3

        bucket, _, key = uri.removeprefix("s3://").partition("/")
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)
        return
    path = Path(uri.removeprefix("file://"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)


def commit_gold(root, rows, *, layout: str = "by_dia", records: dict | None = None) -> TableStore:
    """`by_dia`: Spark's layout; `by_dia_in_files`: the day also in the files (Iceberg's);
    `unpartitioned`: one folder, the day a column."""
    schema = gold_schema(dia_in_files=layout != "by_dia")
    partition_by = () if layout == "unpartitioned" else ("dia",)
    return commit_table(
        root, "conversas_gold", "metricas_sessao", rows, schema, partition_by, records
    )


EDGE_ROWS = [
    gold_row("s-before", "2024-01-04"),
    gold_row("s-start-b", "2024-01-05", total_runs=3, extreme_token_flag=1, **AWKWARD),
    gold_row("s-start-a", "2024-01-05", total_runs=1, max_total_tokens=5000.0),
    gold_row("s-middle", "2024-01-06", total_errors=7, timeout_flag=1),
    gold_row("s-end", "2024-01-07", failure_rate=1.0, complete_breakdown_flag=1),
    gold_row("s-after", "2024-01-08"),
]
WINDOW = dataset.Window(dt.date(2024, 1, 5), dt.date(2024, 1, 7))


def read_csv(path: Path | str) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def root(tmp_path) -> str:
    return str(tmp_path / "lake")


@pytest.mark.parametrize("layout", ["by_dia", "by_dia_in_files", "unpartitioned"])
def test_the_window_includes_both_edge_days_and_nothing_beyond(root, layout):
    commit_gold(root, EDGE_ROWS, layout=layout)

    written = dataset.write_dataset(root, WINDOW)

    lines = read_csv(written.csv_uri.removeprefix("file://"))
    assert written.rows == 4
    # By day, then session id.
    assert [line[0] for line in lines[1:]] == ["s-start-a", "s-start-b", "s-middle", "s-end"]
    assert written.csv_uri == normalize_root(root) + (
        "/ml-training-data/2024-01-05_to_2024-01-07/conversations_2024-01-05_to_2024-01-07.csv"
    )


def test_header_is_the_48_columns_in_training_order(root):
    commit_gold(root, EDGE_ROWS)

    header = read_csv(dataset.write_dataset(root, WINDOW).csv_uri.removeprefix("file://"))[0]

    assert len(header) == 48
    assert header == list(specs.FEATURE_NAMES)
    assert header[:5] == ["session_id", "agent_name", "model_provider", "model_id", "total_runs"]
    assert header[-2:] == ["systematic_failure_flag", "complete_breakdown_flag"]
    assert "dia" not in header and "usuario" not in header and "versao_definicoes" not in header


def test_values_come_back_exactly(root):
    commit_gold(root, EDGE_ROWS)

    lines = read_csv(dataset.write_dataset(root, WINDOW).csv_uri.removeprefix("file://"))
    row = dict(zip(lines[0], lines[2], strict=True))  # s-start-b

    for column, value in AWKWARD.items():
        assert float(row[column]) == value, column
    assert row["avg_total_tokens"] == "0.3333333333333333"
    assert row["token_coefficient_variation"] == "0.30000000000000004"
    assert row["avg_tokens_per_second"] == "1e-05"
    assert row["max_tokens_per_second"] == "2.5e+20"
    # Counts and flags as integers; doubles keep their point.
    assert (row["total_runs"], row["extreme_token_flag"], row["total_errors"]) == ("3", "1", "0")
    assert row["failure_rate"] == "0.0"
    first = dict(zip(lines[0], lines[1], strict=True))
    assert first["max_total_tokens"] == "5000.0"
    import pandas as pd

    frame = pd.read_csv(
        dataset.write_dataset(root, WINDOW).csv_uri.removeprefix("file://"),
        float_precision="round_trip",
    )
    assert frame.loc[1, "avg_tokens_per_second"] == 1e-05
    assert frame.loc[1, "avg_total_tokens"] == 1 / 3
    assert str(frame["total_runs"].dtype) == "int64"


def test_an_empty_window_gives_a_header_only_file_of_the_same_shape(root):
    commit_gold(root, EDGE_ROWS)
    empty = dataset.Window(dt.date(2023, 6, 1), dt.date(2023, 6, 30))

    written = dataset.write_dataset(root, empty)

    path = written.csv_uri.removeprefix("file://")
    assert written.rows == 0
    assert read_csv(path) == [list(specs.FEATURE_NAMES)]
    assert Path(path).read_text() == ",".join(specs.FEATURE_NAMES) + "\n"
    assert written.manifest["rows"] == 0
    assert written.manifest["gold"]["partitions_read"] == {}


def test_days_outside_the_window_are_never_opened(root):
    store = commit_gold(root, EDGE_ROWS)
    [outside] = store.data_uris(store.require_current(), ["dia=2024-01-08"])
    Path(outside.removeprefix("file://")).write_bytes(b"not parquet")

    assert dataset.write_dataset(root, WINDOW).rows == 4


def test_the_manifest_says_what_the_dataset_was_built_from(root):
    bronze_schema = pa.schema([("session_id", pa.string()), ("dia", pa.date32())])
    bronze = commit_table(
        root,
        "conversas_bronze",
        "sessoes",
        [
            {"session_id": "s-before", "dia": dt.date(2024, 1, 4), "anomesdia": "20240109"},
            {"session_id": "s-end", "dia": dt.date(2024, 1, 7), "anomesdia": "20240109"},
        ],
        pa.schema([("session_id", pa.string())]),
        ("dia", "anomesdia"),
    )
    assert bronze_schema  # bronze's own columns do not matter here: its manifest does
    gold = commit_gold(root, EDGE_ROWS)

    written = dataset.write_dataset(root, WINDOW)

    folder = Path(written.csv_uri.removeprefix("file://")).parent
    assert sorted(p.name for p in folder.iterdir()) == [
        "conversations_2024-01-05_to_2024-01-07.csv",
        "manifest.json",
    ]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest == written.manifest
    gold_version = gold.require_current()
    csv_bytes = Path(written.csv_uri.removeprefix("file://")).read_bytes()
    assert manifest["window"] == {
        "start": "2024-01-05",
        "end": "2024-01-07",
        "created_at_from": "2024-01-05T00:00:00Z",
        "created_at_to": "2024-01-07T23:59:59Z",
    }
    assert manifest["rows"] == 4
    assert manifest["file"] == "conversations_2024-01-05_to_2024-01-07.csv"
    assert manifest["sha256"] == hashlib.sha256(csv_bytes).hexdigest()
    assert manifest["columns"] == list(specs.FEATURE_NAMES)
    assert manifest["definitions_version"] == specs.DEFINITIONS_VERSION == "1"
    assert manifest["definitions_versions_in_rows"] == ["1"]
    assert manifest["gold"]["table"] == "conversas_gold.metricas_sessao"
    assert manifest["gold"]["table_version"] == 1
    assert manifest["gold"]["snapshot"] == gold_version.history[-1]
    assert manifest["gold"]["partitions_read"] == {
        f"dia=2024-01-0{d}": {"snapshot": gold_version.history[-1], "rows": n}
        for d, n in ((5, 2), (6, 1), (7, 1))
    }
    assert manifest["built_from"]["gold_record"] is None
    # A gold job that records its inputs: the record is the lineage, as it was committed.
    record = {"inputs": {"conversas_silver.sessoes": {"version": 3}}}
    commit_gold(root, EDGE_ROWS, records={BUILT_FROM_FILE: record})
    again = dataset.write_dataset(root, WINDOW).manifest
    assert (again["gold"]["table_version"], again["built_from"]["gold_record"]) == (2, record)
    upstream = manifest["built_from"]["upstream"]
    assert list(upstream) == [
        "conversas_silver.sessoes",
        "conversas_silver.execucoes",
        "conversas_bronze.sessoes",
    ]
    assert upstream["conversas_silver.sessoes"] is None  # not committed in this lake
    assert upstream["conversas_bronze.sessoes"]["table_version"] == 1
    assert upstream["conversas_bronze.sessoes"]["partitions"] == {
        "dia=2024-01-07/anomesdia=20240109": {
            "snapshot": bronze.require_current().history[-1],
            "rows": 1,
        }
    }


def test_a_new_gold_version_gives_a_new_file_in_place(root):
    commit_gold(root, EDGE_ROWS)
    dataset.write_dataset(root, WINDOW)
    commit_gold(root, EDGE_ROWS[:3])

    written = dataset.write_dataset(root, WINDOW)

    folder = Path(written.csv_uri.removeprefix("file://")).parent
    assert written.rows == 2 and written.manifest["gold"]["table_version"] == 2
    # No temporary file is left beside the dataset.
    assert sorted(p.name for p in folder.iterdir()) == [
        "conversations_2024-01-05_to_2024-01-07.csv",
        "manifest.json",
    ]


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        ("2024-03-15", "2024-02-15", "2024-03-14"),
        ("2024-03-31", "2024-02-29", "2024-03-30"),
        ("2024-01-10", "2023-12-10", "2024-01-09"),
        ("2024-03-01", "2024-02-01", "2024-02-29"),
    ],
)
def test_the_default_window_is_the_last_month_up_to_yesterday(today, start, end):
    window = dataset.parse_window(None, None, today=dt.date.fromisoformat(today))
    assert (window.start.isoformat(), window.end.isoformat()) == (start, end)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-02-30", "2024-03-01", "start '2024-02-30' is not a date; write it as YYYY-MM-DD"),
        ("2024-01-01", "01/31/2024", "end '01/31/2024' is not a date; write it as YYYY-MM-DD"),
        ("20240101", "2024-01-31", "start '20240101' is not a date"),
        ("2024-03-10", "2024-03-01", "start 2024-03-10 is after end 2024-03-01"),
        ("2024-03-10", None, "the window's end day is missing; give both start and end"),
    ],
)
def test_invalid_windows_are_refused_with_the_reason(root, capsys, start, end, message):
    args = ["conversas", "dataset", "--root", root, "--start", start]
    args += ["--end", end] if end else []

    assert main(args) == 2

    err = capsys.readouterr().err
    assert message in err
    assert not Path(root).exists()


def test_the_command_writes_the_layout_and_says_where(root, capsys):
    commit_gold(root, EDGE_ROWS)

    code = main(
        ["conversas", "dataset", "--start", "2024-01-05", "--end", "2024-01-07"]
        + [
            "--root",
            root,
        ]
    )

    err = capsys.readouterr().err
    target = normalize_root(root) + "/ml-training-data/2024-01-05_to_2024-01-07"
    assert code == 0
    assert "4 session(s) created 2024-01-05 .. 2024-01-07" in err
    assert f"-> {target}/conversations_2024-01-05_to_2024-01-07.csv" in err
    assert f"manifest: {target}/manifest.json" in err
    assert Path(target.removeprefix("file://"), "manifest.json").exists()


def test_the_command_writes_out_or_stdout(root, tmp_path, capsys):
    commit_gold(root, EDGE_ROWS)
    out = tmp_path / "train.csv"

    assert (
        main(
            ["conversas", "dataset", "--root", root, "--start", "2024-01-06"]
            + ["--end", "2024-01-06", "--out", str(out)]
        )
        == 0
    )
    capsys.readouterr()
    assert (
        main(
            ["conversas", "dataset", "--root", root, "--start", "2024-01-06"]
            + ["--end", "2024-01-06", "--out", "-"]
        )
        == 0
    )

    printed = capsys.readouterr().out
    assert [line[0] for line in read_csv(out)] == ["session_id", "s-middle"]
    assert printed == out.read_text()
    assert json.loads(Path(f"{out}.manifest.json").read_text())["rows"] == 1
    assert (
        list(csv.reader(io.StringIO(printed)))[1][specs.FEATURE_NAMES.index("total_errors")] == "7"
    )


def test_without_gold_the_command_says_to_materialize_it(root, capsys):
    assert (
        main(
            ["conversas", "dataset", "--root", root, "--start", "2024-01-05"]
            + ["--end", "2024-01-07"]
        )
        == 1
    )
    err = capsys.readouterr().err
    assert "conversas_gold.metricas_sessao has no committed data" in err
    assert "materialize it first" in err


def test_gold_without_a_metric_column_is_refused(root, capsys):
    schema = pa.schema([f for f in gold_schema() if f.name != "tool_chaos_score"])
    commit_table(root, "conversas_gold", "metricas_sessao", EDGE_ROWS, schema)

    with pytest.raises(dataset.GoldTableError, match=r"no column\(s\) \['tool_chaos_score'\]"):
        dataset.write_dataset(root, WINDOW)


def _materialize(root: str, config: dict | None = None):
    run_config = (
        {"ops": {"conversas__ml__dataset_treinamento": {"config": config}}} if config else None
    )
    return materialize(
        [build_dataset_asset()],
        resources={"training_data": TrainingData(lakehouse_root=root)},
        run_config=run_config,
        raise_on_error=False,
    )


def test_the_asset_writes_the_window_and_checks_its_rows(root):
    commit_gold(root, EDGE_ROWS)

    result = _materialize(root, {"start": "2024-01-05", "end": "2024-01-07"})

    assert result.success
    [materialization] = result.asset_materializations_for_node("conversas__ml__dataset_treinamento")
    metadata = {k: v.value for k, v in materialization.metadata.items()}
    path = normalize_root(root) + (
        "/ml-training-data/2024-01-05_to_2024-01-07/conversations_2024-01-05_to_2024-01-07.csv"
    )
    assert (
        materialization.asset_key
        == DATASET_KEY
        == AssetKey(["conversas", "ml", "dataset_treinamento"])
    )
    assert metadata["dagster/row_count"] == 4
    assert metadata["conversas/path"] == path
    assert metadata["conversas/window_start"] == "2024-01-05"
    assert metadata["conversas/window_end"] == "2024-01-07"
    assert metadata["conversas/gold_table_version"] == 1
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == ROWS_CHECK and check.passed
    assert {k: v.value for k, v in check.metadata.items()} == {"file_rows": 4, "gold_rows": 4}


def test_the_asset_defaults_to_the_last_month_up_to_yesterday(root):
    today = dt.datetime.now(dt.UTC).date()
    yesterday = today - dt.timedelta(days=1)
    window = dataset.default_window(today)
    commit_gold(
        root,
        [
            gold_row("s-first-day", window.start.isoformat()),
            gold_row("s-day-before", (window.start - dt.timedelta(days=1)).isoformat()),
            gold_row("s-yesterday", yesterday.isoformat()),
            gold_row("s-today", today.isoformat()),
        ],
    )

    result = _materialize(root)

    assert result.success
    path = Path(dataset.output_folder(root, window).removeprefix("file://"), window.file_name)
    assert [line[0] for line in read_csv(path)] == ["session_id", "s-first-day", "s-yesterday"]


def test_an_invalid_window_fails_the_asset_with_the_reason(root):
    commit_gold(root, EDGE_ROWS)

    result = _materialize(root, {"start": "2024-01-07", "end": "2024-01-05"})

    assert not result.success
    failure = result.get_step_failure_events()[0]
    assert "start 2024-01-07 is after end 2024-01-05" in str(failure.event_specific_data.error)


def test_the_check_fails_when_the_file_and_gold_disagree(root):
    commit_gold(root, EDGE_ROWS)
    written = dataset.write_dataset(root, WINDOW)
    with open(written.csv_uri.removeprefix("file://"), "a", encoding="utf-8") as handle:
        handle.write("s-extra" + ",0" * 47 + "\n")

    check = rows_check(written)

    assert not check.passed
    assert {k: v.value for k, v in check.metadata.items()} == {"file_rows": 5, "gold_rows": 4}


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3 API on loopback (moto's server)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # moto keeps its state per process: the Glue tables earlier tests registered would be
    # this endpoint's too.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
    yield url
    server.stop()


@pytest.fixture
def s3_root(s3_endpoint, monkeypatch) -> str:
    import boto3

    for name, value in {
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"lake-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=bucket)
    return f"s3://{bucket}/lake"


def test_on_s3_the_csv_then_the_manifest_are_uploaded_and_checked(s3_root):
    import boto3

    commit_gold(s3_root, EDGE_ROWS)

    result = _materialize(s3_root, {"start": "2024-01-05", "end": "2024-01-07"})

    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    bucket, _, prefix = s3_root.removeprefix("s3://").partition("/")
    folder = f"{prefix}/ml-training-data/2024-01-05_to_2024-01-07"
    client = boto3.client("s3")
    listed = client.list_objects_v2(Bucket=bucket, Prefix=folder)["Contents"]
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed) == [
        "conversations_2024-01-05_to_2024-01-07.csv",
        "manifest.json",
    ]
    body = client.get_object(
        Bucket=bucket, Key=f"{folder}/conversations_2024-01-05_to_2024-01-07.csv"
    )
    text = body["Body"].read()
    rows = list(csv.reader(io.StringIO(text.decode())))
    assert rows[0] == list(specs.FEATURE_NAMES)
    assert [r[0] for r in rows[1:]] == ["s-start-a", "s-start-b", "s-middle", "s-end"]
    manifest = json.loads(
        client.get_object(Bucket=bucket, Key=f"{folder}/manifest.json")["Body"].read()
    )
    assert manifest["rows"] == 4
    assert manifest["sha256"] == hashlib.sha256(text).hexdigest()
    assert manifest["gold"]["location"] == f"{s3_root}/conversas_gold/metricas_sessao"
