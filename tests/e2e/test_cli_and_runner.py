"""The CLI with a real runner process: a headless run, then a SIGKILL in the middle of a write.

These tests pay Spark starts of their own (the runner is a separate process, as in
production), so they are few and share one landing and one storage root.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import DagsterInstance

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.bench.procs import started_at
from lakehouse_assets.domains.importau.generator import generate
from lakehouse_assets.local_runner.client import LocalGlueClient
from tests.e2e.helpers import iceberg_query, iceberg_rows

pytestmark = [pytest.mark.e2e, pytest.mark.faults]
LAKEHOUSE = Path(sys.executable).parent / "lakehouse"
GOLD = ("importau_gold", "agregado_fluxo_de_caixa_mensal")


def _wait_gone(pgid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError(f"process group {pgid} survived SIGKILL")


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LAKEHOUSE), *args], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    landing, root = base / "landing", base / "lake"
    generate(landing, scale=30, seed=11)
    env = {**os.environ, "DAGSTER_HOME": str(base / "dagster"), "LAKEHOUSE_SPARK_CORES": "2"}
    env.pop("LAKEHOUSE_SPARK_JIT", None)  # the data's size chooses
    (base / "dagster").mkdir()
    return {"landing": landing, "root": root, "env": env}


def test_cli_run_materializes_the_graph_and_killed_write_loses_nothing(workspace):
    env, root, landing = workspace["env"], workspace["root"], workspace["landing"]
    run = _cli(env, "run", "--landing", str(landing), "--root", str(root), "--keep-runner")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.stdout.count("  published ") == 10
    assert "FAILED (ERROR)" not in run.stdout

    store = TableStore(str(root), *GOLD)
    before = store.require_current()
    every_row = "SELECT * FROM t ORDER BY ALL"
    before_rows = iceberg_query(store.metadata_location(), every_row)
    assert len(before_rows) == before.rows > 0

    info = json.loads((root / "_runner" / "runner.json").read_text())
    # The launcher chose for the sample's few kilobytes and told the runner it started.
    assert f"(pid {info['pid']}, c1 JIT)" in (root / "_runner" / "runner.log").read_text()
    # The CLI starts the runner before it imports Dagster, so the JVM's start overlaps it.
    (record,) = DagsterInstance.from_config(env["DAGSTER_HOME"]).get_run_records(limit=1)
    assert started_at(info["pid"]) < record.create_timestamp.timestamp()
    client = LocalGlueClient(
        info["url"], {"slow": str(Path(__file__).parent / "scripts" / "slow_snapshot_write.py")}
    )
    client.start_job_run(
        JobName="slow",
        Arguments={"--lakehouse_root": str(root), "--database": GOLD[0], "--table": GOLD[1]},
    )
    table_dir = root / GOLD[0] / GOLD[1]
    deadline = time.monotonic() + 120
    in_flight = []
    while time.monotonic() < deadline and not in_flight:
        in_flight = [
            p
            for p in table_dir.glob("snapshot=*")
            if any(p.rglob("*.parquet")) or (p / "_temporary").exists()
        ]
        in_flight = [
            p
            for p in in_flight
            if p.name.split("=", 1)[1] not in {e.snapshot for e in before.partitions.values()}
        ]
        time.sleep(0.2)
    assert in_flight, "the slow write never started"
    # The runner leads its own process group, the Spark JVM included: kill them all at once.
    os.killpg(info["pid"], signal.SIGKILL)
    _wait_gone(info["pid"])

    # Readers see what they saw: the same Iceberg snapshot, metadata file and rows.
    assert store.require_current() == before
    assert store.iceberg_table().current_snapshot().snapshot_id == before.snapshot_id
    assert store.metadata_location() == before.metadata_location
    assert iceberg_query(store.metadata_location(), every_row) == before_rows

    # The next run starts a fresh runner, publishes a new version and clears the debris.
    again = _cli(
        env,
        "run",
        "--landing",
        str(landing),
        "--root",
        str(root),
        "--select",
        "key:importau/gold/agregado_fluxo_de_caixa_mensal",
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    after = store.require_current()
    assert after.version == before.version + 1
    assert after.rows == before.rows
    assert iceberg_rows(store.metadata_location()) == before.rows
    # The killed write's folder is never referenced; it stays for a grace period (a
    # concurrent writer might still commit it), then clean-up removes it.
    assert in_flight[0].name.split("=", 1)[1] not in after.history
    assert in_flight[0].name.split("=", 1)[1] in store.cleanup(uncommitted_grace=timedelta(0))
    assert not in_flight[0].exists()
    assert not (root / "_runner" / "runner.json").exists()
