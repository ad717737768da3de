"""Fault injection through Dagster, Pipes and the warm runner (the suite's one Spark session).

One lakehouse lives through a month of trouble, in order:

1. a two-day backfill of the whole graph: one run, one Glue job run, one commit per table;
2. days loaded out of order (day 4 before day 3): the newest load date still wins in silver;
3. a broken re-delivery of day 2: refused files keep their table's last good data, row-level
   problems are quarantined with exact counts, drift is reported as a check, nothing retries,
   and the failure alert reaches a webhook;
4. the runner dies in the middle of a job: the step is retried and the re-run duplicates
   nothing; two runs of different partitions at once both land; old snapshots are cleaned;
5. nothing secret reached the logs, and no raw CNPJ reached silver or gold.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import ClassVar

import pytest
from dagster import (
    AssetKey,
    DagsterEventType,
    build_run_status_sensor_context,
    instance_for_test,
    materialize,
)
from dagster._serdes import serialize_value

from glue_scripts.lib.iceberg_catalog import catalog_for
from glue_scripts.lib.tables import TableStore
from lakehouse_assets.domains.importau.generator import SOURCES, generate
from lakehouse_assets.duckdb_iceberg import connect, scan
from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.local_runner.runner import JobRunner
from lakehouse_assets.local_runner.server import RunnerServer
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import LocalSparkLauncher
from lakehouse_assets.retries import TransientRetries
from lakehouse_assets.sensors import SENSOR_NAME, build_failure_alert_sensor
from lakehouse_assets.settings import Settings
from tests.e2e.helpers import checks, iceberg_query, materializations

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

D1, D2, D3, D4, D5, D6 = (f"2024110{d}" for d in range(1, 7))
BRONZE = [f"importau/bronze/{s}" for s in SOURCES]
FACT = "importau/silver/fato_pedido_correlacionado"
GOLD = [
    "importau/gold/agregado_fluxo_de_caixa_mensal",
    "importau/gold/features_risco_cambial_mensal",
]
PII_KEY = secrets.token_hex(32)
# Key-shaped values in the environment of every run: none may show up in any log.
FAKE_KEY_ID = "AKIA" + secrets.token_hex(8).upper()
FAKE_SECRET = secrets.token_urlsafe(30)[:40]
AWS_KEY_PATTERNS = (
    re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    re.compile(r"(?i)aws_secret_access_key\W{0,4}[A-Za-z0-9/+]{40}"),
)
REPO = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).parent / "scripts"
ASSETS = build_all_assets(registry(), TransientRetries(max_retries=2, backoff_seconds=0.2))


# --- the lakehouse and its landing -----------------------------------------------------------


def _read(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def _write(path: Path, rows: list[list[str]], end: str = "\n") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    path.write_text(text.getvalue().removesuffix("\n") + end, encoding="utf-8")


def _day(landing: Path, source: str, day: str) -> Path:
    return landing / source / f"anomesdia={day}" / f"{source}.csv"


def _with_status(rows: list[list[str]], pedido: str, status: str, note: str) -> list[list[str]]:
    header = rows[0]
    at = {name: i for i, name in enumerate(header)}
    changed = [list(r) for r in rows]
    for row in changed[1:]:
        if row[0] == pedido:
            row[at["status"]], row[at["observacoes"]] = status, note
    return changed


class Lake(SimpleNamespace):
    def run(self, selection, partition=None, days=None, launcher=None, instance=None):
        tags = {}
        if days:
            tags = {
                "dagster/asset_partition_range_start": days[0],
                "dagster/asset_partition_range_end": days[-1],
            }
        return materialize(
            ASSETS,
            resources={"launcher": launcher or self.launcher},
            instance=instance or self.instance,
            partition_key=partition,
            selection=[AssetKey(s.split("/")) for s in selection],
            tags=tags,
            raise_on_error=False,
        )

    def store(self, key: str) -> TableStore:
        _, layer, name = key.split("/")
        return TableStore(str(self.root), f"importau_{layer}", name)

    def snapshot_folders(self, key: str) -> list[str]:
        folder = Path(self.store(key).location.removeprefix("file://"))
        return sorted(p.name for p in folder.glob("snapshot=*"))

    def query(self, key: str, sql: str) -> list[tuple]:
        """`sql` over the view `t` of the table's current version, read through Iceberg."""
        return iceberg_query(self.store(key).metadata_location(), sql)


@pytest.fixture(scope="module")
def lake(tmp_path_factory, runner_url):
    base = tmp_path_factory.mktemp("faults")
    export, landing, root = base / "export", base / "landing", base / "lake"
    counts = generate(export, scale=10, seed=7)
    for source in SOURCES:
        for day in (D1, D2):
            _day(landing, source, day).parent.mkdir(parents=True)
            shutil.copy(export / source / f"{source}.csv", _day(landing, source, day))
    pedidos = _read(export / "pedidos" / "pedidos.csv")
    # Day 2 cancels PED002; days 3 and 4 both change PED003 and will land out of order.
    day2 = _with_status(pedidos, "PED002", "CANCELADO", "dia 2")
    _write(_day(landing, "pedidos", D2), day2)
    _write(_day(landing, "pedidos", D3), _with_status(day2, "PED003", "PENDENTE", "dia 3"))
    _write(_day(landing, "pedidos", D4), _with_status(day2, "PED003", "ENTREGUE", "dia 4"))
    launcher = LocalSparkLauncher(
        lakehouse_root=str(root),
        landing=str(landing),
        runner_dir=str(base / "runner"),
        runner_url=runner_url,
        poll_interval_seconds=0.05,
        keep_versions=2,
    )
    with pytest.MonkeyPatch.context() as env, instance_for_test() as instance:
        env.setenv("LAKEHOUSE_PII_HASH_KEY", PII_KEY)
        env.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        env.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
        yield Lake(
            base=base,
            export=export,
            landing=landing,
            root=root,
            counts=counts,
            launcher=launcher,
            instance=instance,
        )


def _step_events(result, event_type: DagsterEventType, step: str = "importau_bronze_ingest"):
    return [e for e in result.all_events if e.event_type == event_type and e.step_key == step]


def _status(lake: Lake, pedido: str) -> str:
    (row,) = lake.query(FACT, f"SELECT DISTINCT status_pedido FROM t WHERE pedido_id = '{pedido}'")
    return row[0]


# --- 1 and 2: a backfill in one run; latest load wins, also out of order ----------------------


@pytest.fixture(scope="module")
def incremental(lake):
    backfill = lake.run([*BRONZE, FACT, *GOLD], days=[D1, D2])
    versions = {key: lake.store(key).require_current() for key in BRONZE}
    after_backfill = {"PED002": _status(lake, "PED002"), "PED003": _status(lake, "PED003")}
    day4 = lake.run(["importau/bronze/pedidos"], partition=D4)
    # `ingested_at` counts whole seconds: day 3's load must be stamped after day 4's.
    time.sleep(1.0)
    day3 = lake.run(["importau/bronze/pedidos", FACT], partition=D3)
    return SimpleNamespace(
        backfill=backfill, versions=versions, after_backfill=after_backfill, day4=day4, day3=day3
    )


def test_a_backfill_of_two_days_is_one_run_one_glue_job_run_and_one_commit(lake, incremental):
    result = incremental.backfill
    assert result.success
    assert len(_step_events(result, DagsterEventType.STEP_START)) == 1
    published = materializations(result)
    glue_runs = {published[k].metadata["lakehouse/glue_run_id"].value for k in BRONZE}
    assert len(glue_runs) == 1
    for key, source in zip(BRONZE, SOURCES, strict=True):
        version = incremental.versions[key]
        assert version.version == 1, key
        assert sorted(version.partitions) == [f"anomesdia={D1}", f"anomesdia={D2}"]
        assert len({e.snapshot for e in version.partitions.values()}) == 1, key
        assert [e.rows for e in version.partitions.values()] == [lake.counts[source]] * 2
        assert published[key].metadata["lakehouse/landing_rows"].value == 2 * lake.counts[source]
        assert published[key].metadata["lakehouse/quarantined_rows"].value == 0
    assert published[FACT].metadata["dagster/row_count"].value == lake.counts["itens_pedido"]
    # A clean load commits its quarantine as empty without writing a file.
    quarantine = lake.store("importau/bronze/pedidos__quarantine")
    assert quarantine.current_data_uris() == []
    assert not list(Path(quarantine.location.removeprefix("file://")).glob("snapshot=*"))


def test_every_cached_parse_is_released_after_publishing(lake, incremental, spark):
    assert spark._jsparkSession.sharedState().cacheManager().isEmpty()


def test_latest_load_wins_for_a_later_day_and_for_days_loaded_out_of_order(lake, incremental):
    assert incremental.day4.success and incremental.day3.success
    # Day 2's update of PED002 wins over day 1.
    assert incremental.after_backfill == {"PED002": "CANCELADO", "PED003": "PENDENTE"}
    # Day 4 was loaded before day 3, so day 3's rows were ingested last: the load date wins.
    versions = lake.query(
        "importau/bronze/pedidos",
        "SELECT anomesdia, status, ingested_at FROM t WHERE pedido_id = 'PED003' ORDER BY 1",
    )
    assert [(day, status) for day, status, _ in versions] == [
        (D1, "PENDENTE"),
        (D2, "PENDENTE"),
        (D3, "PENDENTE"),
        (D4, "ENTREGUE"),
    ]
    assert versions[2][2] > versions[3][2]
    assert _status(lake, "PED003") == "ENTREGUE"
    assert _status(lake, "PED002") == "CANCELADO"
    rows, items = lake.query(FACT, "SELECT COUNT(*), COUNT(DISTINCT item_id) FROM t")[0]
    assert rows == items == lake.counts["itens_pedido"]


def test_the_raw_cnpj_never_reaches_silver_or_gold(lake, incremental):
    suppliers = _read(lake.export / "fornecedores" / "fornecedores.csv")
    cnpj = {row[0]: row[2] for row in suppliers[1:]}
    raw = sorted(v for v in cnpj.values() if v != "--")
    assert len(raw) == 19
    con = connect()
    con.execute("CREATE TABLE raw AS SELECT unnest(?) AS cnpj", [raw])

    def leaks(layer: str) -> int:
        """Rows holding a raw CNPJ in every version still readable of the layer's tables."""
        found = 0
        database = f"importau_{layer}"
        for _, table in catalog_for(str(lake.root)).list_tables(database):
            store = TableStore(str(lake.root), database, table)
            location = store.metadata_location()
            for version in store.versions():
                found += con.execute(
                    f"SELECT COUNT(*) FROM {scan(location, version.snapshot_id)} t "
                    "JOIN raw ON contains(CAST(t AS VARCHAR), raw.cnpj)"
                ).fetchone()[0]
        return found

    assert leaks("bronze") > 0  # the scan finds them where they are allowed
    assert leaks("silver") == 0
    assert leaks("gold") == 0
    hashes = dict(lake.query(FACT, "SELECT DISTINCT fornecedor_id, cnpj_fornecedor_hash FROM t"))
    for supplier, digest in hashes.items():
        if cnpj[supplier] == "--":
            assert digest is None, supplier
        else:
            key = PII_KEY.encode()
            assert digest == hmac.new(key, cnpj[supplier].encode(), hashlib.sha256).hexdigest()


# --- 3: a broken re-delivery of day 2 --------------------------------------------------------


@pytest.fixture(scope="module")
def bad_day(lake, incremental):
    def day2(source: str) -> Path:
        return _day(lake.landing, source, D2)

    def original(source: str) -> str:
        return (lake.export / source / f"{source}.csv").read_text(encoding="utf-8")

    day2("cambio").write_text(original("cambio").replace(",", ";"), encoding="utf-8")
    day2("emprestimos").write_bytes(original("emprestimos").encode("latin-1"))
    suppliers = _read(lake.export / "fornecedores" / "fornecedores.csv")
    suppliers = [
        [*row, "site" if i == 0 else f"www.{i}.example"] for i, row in enumerate(suppliers)
    ]
    suppliers[5][6] = "dez"  # tempo_parceria_anos
    _write(day2("fornecedores"), suppliers)
    items = _read(lake.export / "itens_pedido" / "itens_pedido.csv")
    again = [items[1][0], items[1][1], items[1][2], "99", *items[1][4:]]
    _write(day2("itens_pedido"), [*items, again, ["ITEM999", "PED001", "PRO"]], end="")
    payments = _read(lake.export / "pagamentos" / "pagamentos.csv")
    dropped = payments[0].index("metodo_pagamento")
    _write(day2("pagamentos"), [r[:dropped] + r[dropped + 1 :] for r in payments])
    orders = _read(lake.export / "pedidos" / "pedidos.csv")
    for row in orders[1:]:
        year, month, day = row[1].split("-")
        row[1] = f"{day}/{month}/{year}"
    _write(day2("pedidos"), orders)
    day2("produtos").write_bytes(b"")

    keys = [*BRONZE, FACT]
    before = {k: lake.store(k).require_current() for k in keys}
    folders_before = {k: lake.snapshot_folders(k) for k in keys}
    result = lake.run(keys, partition=D2)
    after = {k: lake.store(k).require_current() for k in keys}
    folders_after = {k: lake.snapshot_folders(k) for k in keys}
    return SimpleNamespace(
        result=result,
        before=before,
        after=after,
        folders_before=folders_before,
        folders_after=folders_after,
    )


REFUSED = {
    "cambio": "is delimited by ';' (semicolon), not by commas",
    "emprestimos": "is not UTF-8: 16 of its 30 line(s) hold bytes that are not UTF-8",
    "pagamentos": "lacks column(s) ['metodo_pagamento'] required by importau_bronze.pagamentos",
    "pedidos": "column data_pedido changed: none of its 10 values is a valid date",
    "produtos": "is empty: it has no header line; re-export it",
}


def test_refused_files_keep_their_tables_exactly_as_they_were(lake, bad_day):
    assert not bad_day.result.success
    for source in REFUSED:
        key = f"importau/bronze/{source}"
        assert bad_day.after[key] == bad_day.before[key], key
        # Rows written before their file was found unusable were deleted, not left behind.
        assert bad_day.folders_after[key] == bad_day.folders_before[key], key
    failure = _step_events(bad_day.result, DagsterEventType.STEP_FAILURE)[0]
    message = failure.event_specific_data.error.to_string()
    assert "LandingError: 5 table(s) not loaded (their previous content stays current; 2 " in (
        message
    )
    for source, problem in REFUSED.items():
        file = f"{lake.landing}/{source}/anomesdia={D2}/{source}.csv"
        assert re.search(
            rf"importau_bronze\.{source}: landing file file://{re.escape(file)}\S* "
            f".*{re.escape(problem)}",
            message,
        ), source
    # Downstream of a failed load nothing runs: the fact keeps its last good version.
    assert FACT not in materializations(bad_day.result)
    assert bad_day.after[FACT] == bad_day.before[FACT]


def test_row_level_problems_are_quarantined_with_exact_counts(lake, bad_day):
    published = materializations(bad_day.result)
    assert set(published) == {"importau/bronze/fornecedores", "importau/bronze/itens_pedido"}
    expected = {
        # source: (landing rows, published rows, quarantined rows)
        "fornecedores": (30, 29, 1),
        "itens_pedido": (18, 16, 2),
    }
    for source, (landing, rows, quarantined) in expected.items():
        key = f"importau/bronze/{source}"
        metadata = published[key].metadata
        assert metadata["lakehouse/landing_rows"].value == landing
        assert metadata["dagster/row_count"].value == rows
        assert metadata["lakehouse/quarantined_rows"].value == quarantined
        partitions = bad_day.after[key].partitions
        assert partitions[f"anomesdia={D2}"].rows == rows
        assert partitions[f"anomesdia={D1}"] == bad_day.before[key].partitions[f"anomesdia={D1}"]
        day_rows = lake.query(key, f"SELECT COUNT(*) FROM t WHERE anomesdia = '{D2}'")
        assert day_rows == [(rows,)]
        # One new snapshot: the first write of itens_pedido, whose key repeats, was deleted.
        added = set(bad_day.folders_after[key]) - set(bad_day.folders_before[key])
        assert len(added) == 1, key
    reasons = sorted(
        r
        for (r,) in lake.query(
            "importau/bronze/itens_pedido__quarantine",
            f"SELECT reason FROM t WHERE anomesdia = '{D2}'",
        )
    )
    assert reasons == [
        "duplicate key item_id=ITEM001 (a later line wins)",
        "malformed line: expected 9 comma-separated fields",
    ]
    (quantity,) = lake.query(
        "importau/bronze/itens_pedido",
        f"SELECT quantidade FROM t WHERE anomesdia = '{D2}' AND item_id = 'ITEM001'",
    )
    assert quantity == (99,)
    # Its first, single-pass write found the repeat and was done again the exact way.
    messages = [e.user_message for e in lake.instance.all_logs(bad_day.result.run_id)]
    reloads = [m for m in messages if "a key repeats within a load; loading again" in m]
    assert len(reloads) == 1 and "importau_bronze.itens_pedido" in reloads[0]
    evaluations = checks(bad_day.result)
    for source in expected:
        assert evaluations[f"importau/bronze/{source}:linhas_conservadas"].passed


def test_schema_drift_is_a_warning_check_naming_each_change(lake, bad_day):
    evaluations = checks(bad_day.result)

    def drift(source: str):
        return evaluations[f"importau/bronze/{source}:esquema_sem_deriva"]

    def file(source: str) -> str:
        return f"file://{lake.landing}/{source}/anomesdia={D2}/{source}.csv"

    assert drift("itens_pedido").passed
    # A compatible addition: loaded without the column, reported.
    added = drift("fornecedores")
    assert (added.passed, added.severity.value) == (False, "WARN")
    assert added.metadata["added_columns"].data == {file("fornecedores"): ["site"]}
    # Incompatible changes stopped their tables, and still say what changed.
    missing = drift("pagamentos")
    assert not missing.passed
    assert missing.metadata["missing_columns"].data == {file("pagamentos"): ["metodo_pagamento"]}
    retyped = drift("pedidos").metadata["retyped_columns"].data
    assert list(retyped) == [file("pedidos")]
    assert retyped[file("pedidos")]["data_pedido"].startswith("none of its 10 values is a valid")
    assert {k.split(":")[0] for k in evaluations if k.endswith(":esquema_sem_deriva")} == {
        f"importau/bronze/{s}" for s in ("fornecedores", "itens_pedido", "pagamentos", "pedidos")
    }


def test_data_errors_are_not_retried(bad_day):
    assert _step_events(bad_day.result, DagsterEventType.STEP_UP_FOR_RETRY) == []
    assert len(_step_events(bad_day.result, DagsterEventType.STEP_START)) == 1


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []
    status: ClassVar[int] = 200

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(
            {"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(body)}
        )
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def webhook():
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    _Webhook.received.clear()
    _Webhook.status = 200
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/T0/secret-token"
    server.shutdown()
    server.server_close()


def test_the_run_failure_sensor_posts_the_failure_to_a_webhook(lake, bad_day, webhook, tmp_path):
    run = lake.instance.get_run_by_id(bad_day.result.run_id)
    (failure,) = [
        e for e in bad_day.result.all_events if e.event_type == DagsterEventType.RUN_FAILURE
    ]
    context = build_run_status_sensor_context(
        sensor_name=SENSOR_NAME,
        dagster_event=failure,
        dagster_instance=lake.instance,
        dagster_run=run,
    ).for_run_failure()
    sink = tmp_path / "alerts.jsonl"
    settings = Settings.from_env(
        {"LAKEHOUSE_ALERT_WEBHOOK": webhook, "LAKEHOUSE_ALERT_FILE": str(sink)}
    )
    build_failure_alert_sensor(settings)(context)

    (posted,) = _Webhook.received
    assert (posted["path"], posted["type"]) == ("/hooks/T0/secret-token", "application/json")
    alert = posted["body"]
    assert (alert["run_id"], alert["job_name"], alert["status"]) == (
        bad_day.result.run_id,
        "__ephemeral_asset_job__",
        "FAILURE",
    )
    assert alert["partition"] == D2
    (step,) = alert["failed_steps"]
    assert step["step_key"] == "importau_bronze_ingest"
    assert "5 table(s) not loaded" in step["error"]
    assert "is delimited by ';' (semicolon)" in step["error"]
    assert not sink.exists()

    # A webhook that refuses: the alert is kept in the file, and the error hides the URL.
    _Webhook.status = 500
    with pytest.raises(Exception, match=r"refused the alert of run .* \(500\)") as err:
        build_failure_alert_sensor(settings)(context)
    assert "secret-token" not in str(err.value)
    assert json.loads(sink.read_text())["run_id"] == bad_day.result.run_id


def test_without_a_webhook_alerts_go_to_a_file(lake, bad_day, tmp_path):
    run = lake.instance.get_run_by_id(bad_day.result.run_id)
    (failure,) = [
        e for e in bad_day.result.all_events if e.event_type == DagsterEventType.RUN_FAILURE
    ]
    context = build_run_status_sensor_context(
        sensor_name=SENSOR_NAME,
        dagster_event=failure,
        dagster_instance=lake.instance,
        dagster_run=run,
    ).for_run_failure()
    settings = Settings.from_env({"DAGSTER_HOME": str(tmp_path)})
    build_failure_alert_sensor(settings)(context)
    (line,) = (tmp_path / "lakehouse_alerts.jsonl").read_text().splitlines()
    assert json.loads(line)["failed_steps"][0]["step_key"] == "importau_bronze_ingest"


# --- 4: a runner killed mid-job, concurrent partitions, retention ----------------------------


class _RunnerKilledOnce(LocalSparkLauncher):
    """The first job run goes to a runner that is killed while the run is in flight; the retry
    starts once the job run the killed runner left behind has ended."""

    doomed_url: str
    used: ClassVar[set[str]] = set()
    orphaned: ClassVar[list[JobRunner]] = []

    def pipes_client(self):
        url = self.runner_url if self.doomed_url in self.used else self.doomed_url
        self.used.add(self.doomed_url)
        if url == self.runner_url:
            # The orphan goes on and commits the same partition, as on Glue. Two writers of a
            # partition committing at once make the later one fail with a conflict; this test
            # is about the retry, so the orphan's commit comes first.
            deadline = time.monotonic() + 300
            for runner in self.orphaned:
                while runner.active_runs and time.monotonic() < deadline:
                    time.sleep(0.05)
        fields = {**self.model_dump(exclude={"doomed_url"}), "runner_url": url}
        return LocalSparkLauncher(**fields).pipes_client()


@pytest.fixture(scope="module")
def killed_runner(lake, bad_day, spark):
    doomed = JobRunner(spark)
    server = RunnerServer(doomed, fingerprint="doomed")
    server.start_in_thread()

    def kill_once_running() -> None:
        deadline = time.monotonic() + 120
        while doomed.active_runs == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.shutdown()
        server.server_close()

    killer = threading.Thread(target=kill_once_running, daemon=True)
    killer.start()
    _RunnerKilledOnce.orphaned[:] = [doomed]
    key = "importau/bronze/pedidos"
    before = lake.query(key, f"SELECT * EXCLUDE (ingested_at) FROM t WHERE anomesdia = '{D4}'")
    launcher = _RunnerKilledOnce(**lake.launcher.model_dump(), doomed_url=server.url)
    result = lake.run([key], partition=D4, launcher=launcher)
    killer.join(timeout=120)
    assert doomed.active_runs == 0
    after = lake.query(key, f"SELECT * EXCLUDE (ingested_at) FROM t WHERE anomesdia = '{D4}'")
    store = lake.store(key)
    version = store.require_current()
    files = store.current_data_uris([f"anomesdia={D4}"])
    logs = lake.instance.all_logs(result.run_id)
    return SimpleNamespace(
        result=result, before=before, after=after, logs=logs, version=version, files=files
    )


def test_a_killed_runner_is_retried_and_the_rerun_duplicates_nothing(killed_runner):
    result = killed_runner.result
    assert result.success
    retried = _step_events(result, DagsterEventType.STEP_UP_FOR_RETRY)
    assert len(retried) == 1
    assert len(_step_events(result, DagsterEventType.STEP_RESTARTED)) == 1
    warnings = [
        e.user_message
        for e in killed_runner.logs
        if "transient failure, retry 1 of 2" in e.user_message
    ]
    assert len(warnings) == 1 and "RunnerUnavailableError" in warnings[0]
    assert len(killed_runner.before) == 10
    assert sorted(killed_runner.after) == sorted(killed_runner.before)
    # Whichever of the orphaned run and the retry committed last, the day is one write's files.
    day = killed_runner.version.partitions[f"anomesdia={D4}"]
    assert day.rows == 10
    assert killed_runner.files
    assert {f.split("/snapshot=")[1].split("/")[0] for f in killed_runner.files} == {day.snapshot}


def test_concurrent_partitions_both_land_and_old_snapshots_are_cleaned(lake, killed_runner):
    store = lake.store("importau/bronze/pedidos")
    history = store.require_current().history
    for day in (D5, D6):
        _day(lake.landing, "pedidos", day).parent.mkdir(parents=True)
        shutil.copy(lake.export / "pedidos" / "pedidos.csv", _day(lake.landing, "pedidos", day))
    # Two Dagster runs at once, each in its own process as in a deployment, both running
    # their job on the shared runner.
    launcher = lake.launcher
    runs = [
        subprocess.Popen(
            [sys.executable, str(SCRIPTS / "materialize_partition.py"), json.dumps(spec)],
            cwd=REPO,
        )
        for spec in (
            {
                "root": launcher.lakehouse_root,
                "landing": launcher.landing,
                "runner_dir": launcher.runner_dir,
                "runner_url": launcher.runner_url,
                "keep_versions": launcher.keep_versions,
                "table": "pedidos",
                "partition": day,
            }
            for day in (D5, D6)
        )
    ]
    assert [run.wait(timeout=300) for run in runs] == [0, 0]
    version = store.require_current()
    assert sorted(version.partitions) == [f"anomesdia={d}" for d in (D1, D2, D3, D4, D5, D6)]
    assert version.rows == 60
    assert len(lake.query("importau/bronze/pedidos", "SELECT * FROM t")) == 60
    # keep_versions=2: two Iceberg snapshots stay; day 4's first write, replaced by the re-run,
    # is gone; every file the kept snapshots reference stays.
    assert len(store.versions()) == 2
    assert len(store.iceberg_table().snapshots()) == 2
    folder = Path(store.location.removeprefix("file://"))
    on_disk = {p.name.split("=", 1)[1] for p in folder.glob("snapshot=*")}
    assert history[1] not in on_disk  # the write the day-4 run of part 2 committed
    assert {e.snapshot for e in version.partitions.values()} <= on_disk
    for kept in store.versions():
        rows = iceberg_query(store.metadata_location(), "SELECT * FROM t", kept.snapshot_id)
        assert len(rows) == kept.rows


# --- 5: nothing secret in the logs -----------------------------------------------------------


def test_no_key_or_credential_reaches_any_run_log(lake, killed_runner):
    runs = lake.instance.get_runs()
    assert len(runs) == 5
    for run in runs:
        text = "\n".join(serialize_value(e) for e in lake.instance.all_logs(run.run_id))
        assert PII_KEY not in text
        assert FAKE_KEY_ID not in text and FAKE_SECRET not in text
        for pattern in AWS_KEY_PATTERNS:
            assert not pattern.search(text), (run.run_id, pattern.pattern)
