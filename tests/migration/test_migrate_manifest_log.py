"""`lakehouse migrate`: a lakehouse of the manifest log, written by Spark as its jobs wrote it,
becomes Iceberg tables holding the same state and rows on the very same files; a second run
changes nothing, a failed table is reported and finished by a later run, and jobs commit to
the migrated tables as usual.

The tests of the module share one legacy lakehouse, migrated once through the `lakehouse`
command; the last of them commits to it, so it comes after the ones that read it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import boto3
import pytest

from glue_scripts.lib.fs import join, local_path
from glue_scripts.lib.latest import CONSUMED_FILE, read_latest, state_store
from glue_scripts.lib.spark_io import arrow_schema, write_snapshot
from glue_scripts.lib.tables import BUILT_FROM_FILE, PartitionEntry, TableStore
from glue_scripts.lib.transforms import LOAD_ORDER
from lakehouse_assets import local_aws
from lakehouse_assets.cli import main
from lakehouse_assets.duckdb_iceberg import connect, scan
from lakehouse_assets.migration import MIGRATED_PROPERTY, migrate
from tests.migration.legacy import MANIFEST_DIR, LegacyTable, legacy_session

REPO = Path(__file__).resolve().parents[2]
BY_DAY = ("anomesdia",)
PEDIDOS_DDL = (
    "pedido_id string, status string, valor decimal(12,2), ingested_at timestamp, "
    "source_file string, anomesdia string"
)
STATE_DDL = PEDIDOS_DDL + ", load_week string"
ATUAIS_DDL = "pedido_id string, status string, valor decimal(12,2)"
# vendas_gold.gmv_diario_por_subsidiaria is a table of the lakehouse's specs: a write-once
# table partitioned by the date column data_posicao.
GMV = "vendas_gold.gmv_diario_por_subsidiaria"
GMV_DDL = (
    "data_venda date, subsidiaria string, gmv decimal(18,2), compras bigint, data_posicao date"
)
VAZIA_DDL = "id bigint, nome string"


def at(day: int, hour: int) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


LOAD_1 = [
    ("p1", "aberto", Decimal("10.50"), at(1, 6), "20240101.csv", "20240101"),
    ("p2", "aberto", Decimal("20.00"), at(1, 6), "20240101.csv", "20240101"),
]
LOAD_2 = [
    ("p1", "pago", Decimal("10.50"), at(2, 6), "20240102.csv", "20240102"),
    ("p3", "aberto", Decimal("5.25"), at(2, 6), "20240102.csv", "20240102"),
]
# A re-delivery of the first day: it replaces LOAD_1, whose files stay unreferenced.
RELOAD_1 = [
    ("p1", "aberto", Decimal("10.50"), at(3, 6), "20240101-b.csv", "20240101"),
    ("p2", "cancelado", Decimal("20.00"), at(3, 6), "20240101-b.csv", "20240101"),
]
LOAD_3 = [
    ("p3", "pago", Decimal("5.25"), at(4, 6), "20240103.csv", "20240103"),
    ("p4", "aberto", Decimal("7.00"), at(4, 6), "20240103.csv", "20240103"),
]
# The latest row of each key over RELOAD_1 and LOAD_2 (the later load wins), in week 20240101.
STATE = [
    ("p1", "pago", Decimal("10.50"), at(2, 6), "20240102.csv", "20240102", "20240101"),
    ("p2", "cancelado", Decimal("20.00"), at(3, 6), "20240101-b.csv", "20240101", "20240101"),
    ("p3", "aberto", Decimal("5.25"), at(2, 6), "20240102.csv", "20240102", "20240101"),
]
ATUAIS = [row[:3] for row in STATE]
GMV_1 = [
    (date(2023, 12, 31), "norte", Decimal("100.00"), 2, date(2024, 1, 1)),
    (date(2024, 1, 1), "sul", Decimal("50.50"), 1, date(2024, 1, 1)),
]
GMV_2 = [(date(2024, 1, 1), "norte", Decimal("75.00"), 1, date(2024, 1, 2))]
BUILT_FROM = {"loja_bronze.pedidos": {"manifest_version": 3, "rows": 4}}


@dataclass
class Lake:
    root: Path
    stores: dict[str, TableStore]
    writes: dict[str, str]
    manifests: dict[str, dict]
    records: dict[str, dict]
    rows: dict[str, list[tuple]]
    # The data files of each table's current partitions, and every Parquet file's inode.
    files: dict[str, set[str]]
    inodes: dict[str, int]
    cli: subprocess.CompletedProcess


def parquet_inodes(root: Path) -> dict[str, int]:
    return {"file://" + p.as_posix(): p.stat().st_ino for p in root.rglob("*.parquet")}


def current_files(store: TableStore, manifest: dict) -> set[str]:
    files = set()
    for name, entry in manifest["partitions"].items():
        folder = local_path(store.data_uri(entry["snapshot"], name))
        if entry["rows"] > 0:
            files.update("file://" + p.as_posix() for p in folder.glob("*.parquet"))
    return files


def lakehouse_command(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The `lakehouse` console script of this environment, on this checkout's code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAKEHOUSE_", "DAGSTER_HOME"))}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [str(Path(sys.executable).parent / "lakehouse"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def iceberg_rows(store: TableStore) -> list[tuple]:
    connection = connect()
    connection.execute("SET TimeZone = 'UTC'")
    return sorted(connection.execute(f"SELECT * FROM {scan(store.metadata_location())}").fetchall())


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> Lake:
    base = tmp_path_factory.mktemp("legacy")
    root = base / "lake"
    session = legacy_session(spark)

    def table(database: str, name: str) -> LegacyTable:
        return LegacyTable(session, TableStore(str(root), database, name))

    pedidos = table("loja_bronze", "pedidos")
    writes = {
        "load_1": pedidos.write(
            LOAD_1,
            PEDIDOS_DDL,
            BY_DAY,
            replace_all=False,
            run_id="run-1",
            watermarks={"anomesdia=20240101": "2024-01-01T23:00:00"},
        ),
        "load_2": pedidos.write(
            LOAD_2,
            PEDIDOS_DDL,
            BY_DAY,
            replace_all=False,
            run_id="run-2",
            watermarks={"anomesdia=20240102": "2024-01-02T23:00:00"},
        ),
        "reload_1": pedidos.write(
            RELOAD_1,
            PEDIDOS_DDL,
            BY_DAY,
            replace_all=False,
            run_id="run-3",
            watermarks={"anomesdia=20240101": "2024-01-03T23:00:00"},
        ),
    }
    live = {"anomesdia=20240101": writes["reload_1"], "anomesdia=20240102": writes["load_2"]}
    state = LegacyTable(session, state_store(pedidos.store, ["pedido_id"], LOAD_ORDER, BY_DAY))
    writes["state"] = state.write(
        STATE,
        STATE_DDL,
        ("load_week",),
        replace_all=True,
        records={"_consumed.json": live},
        empty_partitions=("load_week=20231225",),
    )
    atuais = table("loja_silver", "pedidos_atuais")
    atuais.write(ATUAIS[:1], ATUAIS_DDL, replace_all=True, run_id="run-3")
    writes["atuais"] = atuais.write(
        ATUAIS,
        ATUAIS_DDL,
        replace_all=True,
        run_id="run-4",
        records={"_built_from.json": BUILT_FROM},
    )
    gmv = table(*GMV.split("."))
    writes["gmv_1"] = gmv.write(
        GMV_1, GMV_DDL, ("data_posicao",), replace_all=False, write_once=True
    )
    writes["gmv_2"] = gmv.write(
        GMV_2, GMV_DDL, ("data_posicao",), replace_all=False, write_once=True
    )
    vazia = table("loja_gold", "vazia")
    vazia.write([], VAZIA_DDL, replace_all=True)
    # A first commit that never happened leaves only the temporary file of its manifest.
    nunca = local_path(TableStore(str(root), "loja_gold", "nunca").location)
    (nunca / MANIFEST_DIR).mkdir(parents=True)
    (nunca / MANIFEST_DIR / ".v000000000001.json.0a1b2c.tmp").write_text("{")
    landing = root / "landing" / "loja" / "20240101"
    landing.mkdir(parents=True)
    (landing / "pedidos.csv").write_text("pedido_id,status\np1,aberto\n")

    legacy = {
        state.store.qualified_name: state,
        "loja_bronze.pedidos": pedidos,
        "loja_gold.vazia": vazia,
        "loja_silver.pedidos_atuais": atuais,
        GMV: gmv,
    }
    manifests = {name: t.manifest() for name, t in legacy.items()}
    files = {name: current_files(t.store, manifests[name]) for name, t in legacy.items()}
    inodes = parquet_inodes(root)
    cli = lakehouse_command("migrate", "--root", str(root), cwd=base)
    return Lake(
        root=root,
        stores={name: t.store for name, t in legacy.items()},
        writes=writes,
        manifests=manifests,
        records={
            state.store.qualified_name: {CONSUMED_FILE: live},
            "loja_bronze.pedidos": {},
            "loja_gold.vazia": {},
            "loja_silver.pedidos_atuais": {BUILT_FROM_FILE: BUILT_FROM},
            GMV: {},
        },
        rows={
            state.store.qualified_name: STATE,
            "loja_bronze.pedidos": sorted(RELOAD_1 + LOAD_2),
            "loja_gold.vazia": [],
            "loja_silver.pedidos_atuais": sorted(ATUAIS),
            GMV: sorted(GMV_1 + GMV_2),
        },
        files=files,
        inodes=inodes,
        cli=cli,
    )


def test_the_command_reports_each_table_and_the_totals(lake: Lake):
    assert lake.cli.returncode == 0, lake.cli.stderr
    root = f"file://{lake.root.as_posix()}"

    def migrated(name: str) -> str:
        manifest, version = lake.manifests[name], lake.stores[name].current()
        return (
            f"  {name}: migrated (manifest v{manifest['version']} -> Iceberg snapshot "
            f"{version.snapshot_id}: {len(manifest['partitions'])} partition(s), "
            f"{len(lake.files[name])} file(s), {version.rows} row(s))"
        )

    state = next(name for name in lake.stores if name.startswith("_lakehouse_state."))
    assert lake.cli.stdout.splitlines() == [
        f"migrating the tables of the manifest log under {root} to Iceberg",
        migrated(state),
        migrated("loja_bronze.pedidos"),
        "  loja_gold.nunca: nothing to do (its manifest log holds no committed version)",
        migrated("loja_gold.vazia"),
        migrated("loja_silver.pedidos_atuais"),
        migrated(GMV),
        "5 migrated, 0 already Iceberg, 1 nothing to do, 0 failed",
    ]
    assert lake.cli.stderr == ""


def test_each_table_holds_the_state_of_its_manifest(lake: Lake):
    for name, store in lake.stores.items():
        manifest = lake.manifests[name]
        version = store.current()
        assert version.partition_by == tuple(manifest["partition_by"])
        assert version.partitions == {
            k: PartitionEntry(**v) for k, v in manifest["partitions"].items()
        }
        assert version.history == tuple(manifest["history"])
        assert (version.committed_at, version.run_id) == (
            manifest["committed_at"],
            manifest["run_id"],
        )
        assert dict(version.records) == lake.records[name]
        assert version.version == 1
        assert [v.snapshot_id for v in store.versions()] == [version.snapshot_id]
        summary = store.iceberg_table().current_snapshot().summary
        assert summary[MIGRATED_PROPERTY] == str(manifest["version"])
        # Exactly the files of the current partitions: none of a replaced load's.
        assert set(store.data_uris(version)) == lake.files[name]

    pedidos = lake.stores["loja_bronze.pedidos"].current()
    assert pedidos.partitions == {
        "anomesdia=20240101": PartitionEntry(
            lake.writes["reload_1"], 2, watermark="2024-01-03T23:00:00"
        ),
        "anomesdia=20240102": PartitionEntry(
            lake.writes["load_2"], 2, watermark="2024-01-02T23:00:00"
        ),
    }
    assert lake.stores["loja_bronze.pedidos"].watermark_before("anomesdia=20240103") == (
        "2024-01-02T23:00:00"
    )
    assert lake.stores["loja_silver.pedidos_atuais"].last_record(BUILT_FROM_FILE)[1] == BUILT_FROM
    gmv = lake.stores[GMV].current()
    assert sorted((name, e.snapshot) for name, e in gmv.partitions.items()) == [
        ("data_posicao=2024-01-01", lake.writes["gmv_1"]),
        ("data_posicao=2024-01-02", lake.writes["gmv_2"]),
    ]
    assert all(len(e.fingerprint) == 64 for e in gmv.partitions.values())
    assert lake.stores["loja_gold.vazia"].current().rows == 0


def test_iceberg_engines_read_the_rows_of_the_manifest_version(lake: Lake):
    for name, store in lake.stores.items():
        assert iceberg_rows(store) == lake.rows[name], name
    # Partition columns typed by the spec where the lakehouse defines the table, else text;
    # Spark's INT96 timestamps as the instants they are.
    types = {
        name: {f.name: str(f.field_type) for f in store.iceberg_table().schema().fields}
        for name, store in lake.stores.items()
    }
    assert types[GMV]["data_posicao"] == "date"
    assert types["loja_bronze.pedidos"] == {
        "pedido_id": "string",
        "status": "string",
        "valor": "decimal(12, 2)",
        "ingested_at": "timestamptz",
        "source_file": "string",
        "anomesdia": "string",
    }
    assert types["loja_gold.vazia"] == {"id": "long", "nome": "string"}


def test_the_data_files_stay_where_they_were(lake: Lake):
    assert parquet_inodes(lake.root) == lake.inodes
    for name, store in lake.stores.items():
        assert not local_path(join(store.location, "_lakehouse")).exists(), name
    # A write-once partition's fingerprint still matches its files.
    gmv = lake.stores[GMV]
    for partition, entry in gmv.current().partitions.items():
        assert gmv.fingerprint(entry.snapshot, partition) == entry.fingerprint
    atuais = lake.stores["loja_silver.pedidos_atuais"]
    record = local_path(join(atuais.snapshot_uri(lake.writes["atuais"]), "_built_from.json"))
    assert json.loads(record.read_text()) == BUILT_FROM


def test_the_latest_state_still_matches_the_loads_it_consumed(spark, lake: Lake):
    pedidos = lake.stores["loja_bronze.pedidos"]
    state = state_store(pedidos, ["pedido_id"], LOAD_ORDER, BY_DAY)
    result = read_latest(spark, pedidos, ["pedido_id"])
    assert result.how == f"state {state.table} is up to date (2 loads)"
    assert result.version == lake.writes["state"]
    # Spark gives timestamps in the local time zone, without one.
    assert sorted(
        (*r[:3], r["ingested_at"].astimezone(UTC), *r[4:]) for r in result.frame.collect()
    ) == [row[:6] for row in STATE]


def test_a_second_run_changes_nothing(lake: Lake):
    locations = {name: store.metadata_location() for name, store in lake.stores.items()}
    lines = []
    report = migrate(str(lake.root), progress=lines.append)
    assert lines == [
        *(f"{name}: already Iceberg" for name in sorted(lake.stores)[:2]),
        "loja_gold.nunca: nothing to do (its manifest log holds no committed version)",
        *(f"{name}: already Iceberg" for name in sorted(lake.stores)[2:]),
    ]
    assert report.summary() == "0 migrated, 5 already Iceberg, 1 nothing to do, 0 failed"
    assert {name: store.metadata_location() for name, store in lake.stores.items()} == locations
    assert parquet_inodes(lake.root) == lake.inodes


def test_jobs_commit_to_migrated_tables_as_usual(spark, lake: Lake):
    pedidos = lake.stores["loja_bronze.pedidos"]
    before = pedidos.current()
    written = write_snapshot(spark.createDataFrame(LOAD_3, PEDIDOS_DDL), pedidos, BY_DAY)
    after = pedidos.commit(
        written.snapshot,
        BY_DAY,
        written.rows_by_partition,
        replace_all=False,
        run_id="run-5",
        watermarks={"anomesdia=20240103": "2024-01-04T23:00:00"},
        schema=arrow_schema(written.data),
    )
    assert after.version == 2
    assert after.partitions == {
        **before.partitions,
        "anomesdia=20240103": PartitionEntry(written.snapshot, 2, watermark="2024-01-04T23:00:00"),
    }
    assert after.history == (*before.history, written.snapshot)
    # The migrated files (INT96 timestamps) and the new ones (microseconds) read as one table.
    assert iceberg_rows(pedidos) == sorted(RELOAD_1 + LOAD_2 + LOAD_3)

    # The state merges the new load into its migrated version.
    state = state_store(pedidos, ["pedido_id"], LOAD_ORDER, BY_DAY)
    result = read_latest(spark, pedidos, ["pedido_id"])
    assert result.how == f"state {state.table} + 1 new load(s) of 3"
    assert sorted((r["pedido_id"], r["status"]) for r in result.frame.collect()) == [
        ("p1", "pago"),
        ("p2", "cancelado"),
        ("p3", "pago"),
        ("p4", "aberto"),
    ]

    # Retention deletes the write only the manifest log's older versions used.
    assert pedidos.cleanup(5) == [lake.writes["load_1"]]
    assert not local_path(pedidos.snapshot_uri(lake.writes["load_1"])).exists()
    assert iceberg_rows(pedidos) == sorted(RELOAD_1 + LOAD_2 + LOAD_3)


def test_a_table_that_cannot_be_migrated_is_reported_and_a_later_run_finishes(spark, tmp_path):
    root = tmp_path / "lake"
    session = legacy_session(spark)

    def table(name: str) -> LegacyTable:
        return LegacyTable(session, TableStore(str(root), "loja_bronze", name))

    good = table("boa")
    good.write(LOAD_1, PEDIDOS_DDL, BY_DAY, replace_all=False)
    missing = table("sem_dados")
    write = missing.write(LOAD_1, PEDIDOS_DDL, BY_DAY, replace_all=False)
    folder = local_path(missing.store.data_uri(write, "anomesdia=20240101"))
    shutil.move(folder, tmp_path / "moved")
    wrong = table("linhas_erradas")
    wrong_write = wrong.write(LOAD_1, PEDIDOS_DDL, BY_DAY, replace_all=False)
    manifest_file = local_path(join(wrong.store.location, MANIFEST_DIR, "v000000000001.json"))
    body = json.loads(manifest_file.read_text())
    body["partitions"]["anomesdia=20240101"]["rows"] = 5
    manifest_file.write_text(json.dumps(body))
    # Committed as Iceberg by a job before the migration: it never saw the manifest's data.
    ahead = table("ja_iceberg")
    ahead.write(LOAD_1, PEDIDOS_DDL, BY_DAY, replace_all=False)
    written = write_snapshot(spark.createDataFrame(LOAD_2, PEDIDOS_DDL), ahead.store, BY_DAY)
    ahead.store.commit(
        written.snapshot,
        BY_DAY,
        written.rows_by_partition,
        replace_all=False,
        schema=arrow_schema(written.data),
    )
    ahead_location = ahead.store.metadata_location()

    report = migrate(str(root), specs={})

    def log(store: TableStore) -> str:
        return join(store.location, "_lakehouse")

    assert [o.line() for o in report.outcomes if o.status == "failed"] == [
        "loja_bronze.ja_iceberg: FAILED: the catalog holds Iceberg versions of it that no "
        f"migration made, yet its manifest log (v1) is still at {log(ahead.store)}: jobs "
        "committed it as Iceberg before it was migrated, without the data of its manifest. If "
        f"its current data is complete, delete {log(ahead.store)}; otherwise drop the Iceberg "
        f"table (loja_bronze.ja_iceberg from the catalog and {ahead.store.location}/metadata), "
        "run `lakehouse migrate` again, and re-run the jobs that wrote it since",
        "loja_bronze.linhas_erradas: FAILED: partition anomesdia=20240101 holds 5 row(s) in "
        "manifest v1, but the files of "
        f"{wrong.store.data_uri(wrong_write, 'anomesdia=20240101')} hold 2: the folder changed "
        "after its commit. Restore it, or re-run the job that writes the table and migrate "
        "after; nothing was changed for this table",
        "loja_bronze.sem_dados: FAILED: partition anomesdia=20240101 holds 2 row(s) in manifest "
        f"v1, but {missing.store.data_uri(write, 'anomesdia=20240101')} has no data file: "
        "restore that folder (from a backup or the bucket's object versions) and run "
        "`lakehouse migrate` again; nothing was changed for this table",
    ]
    assert report.summary() == "1 migrated, 0 already Iceberg, 0 nothing to do, 3 failed"
    for failed in (missing, wrong):
        assert failed.store.iceberg_table() is None
        assert local_path(log(failed.store)).is_dir()
        assert not local_path(join(failed.store.location, "metadata")).exists()
    assert ahead.store.metadata_location() == ahead_location
    assert local_path(log(ahead.store)).is_dir()

    # Done what the lines say: the folder restored, the manifest put right, the log deleted.
    shutil.move(tmp_path / "moved", folder)
    body["partitions"]["anomesdia=20240101"]["rows"] = 2
    manifest_file.write_text(json.dumps(body))
    shutil.rmtree(local_path(log(ahead.store)))
    report = migrate(str(root), specs={})
    assert [(o.table, o.status) for o in report.outcomes] == [
        ("loja_bronze.boa", "already Iceberg"),
        ("loja_bronze.ja_iceberg", "already Iceberg"),
        ("loja_bronze.linhas_erradas", "migrated"),
        ("loja_bronze.sem_dados", "migrated"),
    ]
    assert iceberg_rows(missing.store) == sorted(LOAD_1)
    assert ahead.store.metadata_location() == ahead_location


def test_a_log_left_by_a_stopped_run_is_deleted_by_the_next(spark, tmp_path):
    root = tmp_path / "lake"
    legacy = LegacyTable(legacy_session(spark), TableStore(str(root), "loja_bronze", "pedidos"))
    legacy.write(LOAD_1, PEDIDOS_DDL, BY_DAY, replace_all=False)
    log = local_path(join(legacy.store.location, "_lakehouse"))
    shutil.copytree(log, tmp_path / "log")
    assert [o.status for o in migrate(str(root), specs={}).outcomes] == ["migrated"]
    location = legacy.store.metadata_location()
    # Stopped after its commit, before the log was deleted.
    shutil.copytree(tmp_path / "log", log)

    report = migrate(str(root), specs={})
    assert [o.line() for o in report.outcomes] == [
        "loja_bronze.pedidos: already Iceberg (migrated from manifest v1 before; deleted the "
        f"manifest log left at {join(legacy.store.location, '_lakehouse')})"
    ]
    assert not log.exists()
    assert legacy.store.metadata_location() == location
    assert iceberg_rows(legacy.store) == sorted(LOAD_1)


def test_a_root_that_does_not_exist_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert main(["migrate", "--root", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err == (
        f"lakehouse migrate: there is no lakehouse at file://{tmp_path.as_posix()}/nowhere: "
        "pass the storage root with --root, or set LAKEHOUSE_ROOT\n"
    )


@pytest.fixture(scope="module")
def moto_url():
    server = local_aws.start_server(port=0)
    yield local_aws.server_url(server)
    server.stop()


@pytest.fixture
def s3_root(moto_url, monkeypatch):
    """`s3://lake/prod` on a clean local endpoint: S3, and Glue as the Iceberg catalog."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    boto3.client("s3").create_bucket(Bucket="lake")
    yield "s3://lake/prod"


def test_on_s3_the_hive_entry_of_the_glue_catalog_becomes_the_iceberg_table(
    spark, tmp_path, s3_root
):
    local = LegacyTable(legacy_session(spark), TableStore(str(tmp_path), "loja_bronze", "pedidos"))
    load_1 = local.write(LOAD_1, PEDIDOS_DDL, BY_DAY, replace_all=False, run_id="run-1")
    reload_1 = local.write(RELOAD_1, PEDIDOS_DDL, BY_DAY, replace_all=False, run_id="run-2")
    load_2 = local.write(LOAD_2, PEDIDOS_DDL, BY_DAY, replace_all=False, run_id="run-3")
    manifest = local.manifest()
    s3 = boto3.client("s3")
    table_folder = local_path(local.store.location)
    for path in sorted(p for p in table_folder.rglob("*") if p.is_file()):
        key = f"prod/loja_bronze/pedidos/{path.relative_to(table_folder).as_posix()}"
        s3.put_object(Bucket="lake", Key=key, Body=path.read_bytes())
    # The entry `lakehouse catalog export` made of the table before it was Iceberg.
    glue = boto3.client("glue")
    glue.create_database(DatabaseInput={"Name": "loja_bronze"})
    glue.create_table(
        DatabaseName="loja_bronze",
        TableInput={
            "Name": "pedidos",
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "parquet", "lakehouse_manifest_version": "3"},
            "PartitionKeys": [{"Name": "anomesdia", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": [{"Name": "pedido_id", "Type": "string"}],
                "Location": f"{s3_root}/loja_bronze/pedidos/snapshot={load_2}",
            },
        },
    )
    store = TableStore(s3_root, "loja_bronze", "pedidos")

    report = migrate(s3_root, specs={})
    version = store.current()
    assert [o.line() for o in report.outcomes] == [
        f"loja_bronze.pedidos: migrated (manifest v3 -> Iceberg snapshot {version.snapshot_id}: "
        f"2 partition(s), {len(store.data_uris(version))} file(s), 4 row(s); its Hive entry in "
        "the Glue catalog became the Iceberg table's: run `lakehouse catalog export` to "
        "describe it again)"
    ]
    assert version.partitions == {k: PartitionEntry(**v) for k, v in manifest["partitions"].items()}
    assert version.partitions["anomesdia=20240101"].snapshot == reload_1
    assert version.history == (load_1, reload_1, load_2)
    entry = glue.get_table(DatabaseName="loja_bronze", Name="pedidos")["Table"]
    assert entry["Parameters"]["table_type"] == "ICEBERG"
    assert entry["Parameters"]["metadata_location"] == store.metadata_location()
    rows = store.iceberg_table().scan().to_arrow().to_pylist()
    assert sorted(tuple(r.values()) for r in rows) == sorted(RELOAD_1 + LOAD_2)
    listed = s3.list_objects_v2(Bucket="lake", Prefix="prod/loja_bronze/pedidos/_lakehouse/")
    assert listed["KeyCount"] == 0

    location = store.metadata_location()
    report = migrate(s3_root, specs={})
    assert [o.line() for o in report.outcomes] == ["loja_bronze.pedidos: already Iceberg"]
    assert store.metadata_location() == location
