"""The conversas silver and gold Glue jobs end to end, on real Spark, Parquet and the commit
protocol (through a Pipes channel, without Dagster), over bronze committed as two loads of the
bronze job would leave it: a session read again by the lookback with one more run, a session
without memory, a session of another day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from glue_scripts.conversas import gold_metricas_sessao, silver_execucoes
from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.masking import hash_key, hash_value
from glue_scripts.lib.spark_io import arrow_schema, write_snapshot
from glue_scripts.lib.tables import BUILT_FROM_FILE, TableStore
from lakehouse_assets import duckdb_iceberg
from lakehouse_assets.domains.conversas import specs
from lakehouse_assets.duckdb_iceberg import scan
from tests.conversas.sessions import ABSENT, DAY_2024_05_01, bronze, event, run, session, tool
from tests.glue_scripts.pipes_harness import run_job

MAY_1, MAY_2 = dt.date(2024, 5, 1), dt.date(2024, 5, 2)
COMPLETED = [event("RunStarted"), event("RunCompleted")]
FIRST = [
    session("s1", [run(100, 10, 2, status="RUNNING")], updated_at=DAY_2024_05_01 + 3700),
    session(
        "s2",
        [
            run(50, 5, 1, tools=[tool(), tool("calc", error=True)], events=COMPLETED),
            run(150, 15, 1, tools=[tool()]),
        ],
        user_id="user-2",
    ),
    session("s3", memory=ABSENT),
    session("s4", [run(1000, 100, 10, status="RUNNING")], created_at=DAY_2024_05_01 + 86400),
]
# The lookback reads s1 again: two more runs since the first load.
SECOND = [
    session(
        "s1",
        [
            run(100, 10, 2, status="RUNNING"),
            run(300, 30, 3, events=COMPLETED),
            run(0, 0, 0, events=[event("RunError", content="boom")]),
        ],
        updated_at=DAY_2024_05_01 + 4000,
    )
]
SILVER = [t.qualified_name for t in specs.SILVER]
GOLD = [specs.METRICAS_SESSAO.qualified_name]


class Lake:
    def __init__(self, base: Path):
        self.root, self.landing, self.work = base / "lake", base / "landing", base / "pipes"
        self.root.mkdir()
        self.landing.mkdir()

    def store(self, table: str) -> TableStore:
        database, name = table.split(".")
        return TableStore(normalize_root(str(self.root)), database, name)

    def commit_load(self, frame) -> None:
        """What the bronze job commits for one load."""
        spec = specs.SESSOES_BRONZE
        store = self.store(spec.qualified_name)
        written = write_snapshot(frame, store, spec.partition_by)
        store.commit(
            written.snapshot,
            spec.partition_by,
            written.rows_by_partition,
            replace_all=False,
            schema=arrow_schema(written.data),
        )

    def run(self, job, tables):
        return run_job(job.main, tables, root=self.root, landing=self.landing, workdir=self.work)

    def query(self, table: str, sql: str) -> list[tuple]:
        """`sql` on view `t`: the table's current version as Iceberg gives it to any engine."""
        con = duckdb_iceberg.connect()
        con.execute(f"CREATE VIEW t AS SELECT * FROM {scan(self.store(table).metadata_location())}")
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory):
    lake = Lake(tmp_path_factory.mktemp("conversas_jobs"))
    lake.commit_load(bronze(spark, *FIRST, load="20240502"))
    lake.commit_load(bronze(spark, *SECOND, load="20240503"))
    lake.silver = lake.run(silver_execucoes, SILVER)
    lake.gold = lake.run(gold_metricas_sessao, GOLD)
    return lake


def test_silver_keeps_the_latest_version_of_each_session_with_the_user_hashed(lake):
    key = hash_key({"lakehouse_root": normalize_root(str(lake.root))})
    assert lake.query(
        specs.SESSOES.qualified_name,
        "SELECT session_id, agent_name, usuario, total_runs, CAST(dia AS VARCHAR), anomesdia "
        "FROM t ORDER BY session_id",
    ) == [
        ("s1", "support-bot", hash_value("user-1", key), 3, "2024-05-01", "20240503"),
        ("s2", "support-bot", hash_value("user-2", key), 2, "2024-05-01", "20240502"),
        ("s3", "support-bot", hash_value("user-1", key), 0, "2024-05-01", "20240502"),
        ("s4", "support-bot", hash_value("user-1", key), 1, "2024-05-02", "20240502"),
    ]
    assert lake.silver.failed_checks() == set()
    assert lake.silver.checks["conversas/silver/sessoes:uma_linha_por_sessao"]["passed"] is True


def test_silver_runs_and_tool_calls(lake):
    assert lake.query(
        specs.EXECUCOES.qualified_name,
        "SELECT session_id, run_position, total_tokens, time, tool_calls, timeout, errors, "
        "success FROM t ORDER BY session_id, run_position",
    ) == [
        ("s1", 0, 100.0, 2.0, 0, False, 0, True),
        ("s1", 1, 300.0, 3.0, 0, False, 0, True),
        ("s1", 2, 0.0, 0.0, 0, False, 1, False),
        ("s2", 0, 50.0, 1.0, 2, False, 0, True),
        ("s2", 1, 150.0, 1.0, 1, False, 0, False),
        ("s4", 0, 1000.0, 10.0, 0, False, 0, True),
    ]
    assert lake.query(
        specs.CHAMADAS_FERRAMENTA.qualified_name,
        "SELECT session_id, run_position, tool_position, tool_name, tool_call_error, time "
        "FROM t ORDER BY 1, 2, 3",
    ) == [
        ("s2", 0, 0, "search", False, 0.5),
        ("s2", 0, 1, "calc", True, 0.5),
        ("s2", 1, 0, "search", False, 0.5),
    ]


def test_gold_holds_one_row_per_session_by_day_with_the_definitions_version(lake):
    rows = lake.query(
        specs.METRICAS_SESSAO.qualified_name,
        "SELECT session_id, total_runs, avg_total_tokens, success_rate, total_tool_calls, "
        "max_consecutive_failures, total_errors, CAST(dia AS VARCHAR), versao_definicoes "
        "FROM t ORDER BY session_id",
    )
    assert rows == [
        ("s1", 3, pytest.approx(400 / 3, rel=1e-12), pytest.approx(2 / 3, rel=1e-12), 0, 1, 1,
         "2024-05-01", "1"),
        ("s2", 2, 100.0, 0.5, 3, 1, 0, "2024-05-01", "1"),
        ("s3", 0, 0.0, 0.0, 0, 0, 0, "2024-05-01", "1"),
        ("s4", 1, 1000.0, 1.0, 0, 0, 0, "2024-05-02", "1"),
    ]  # fmt: skip
    usuarios = lake.query(specs.SESSOES.qualified_name, "SELECT session_id, usuario FROM t")
    assert sorted(
        lake.query(specs.METRICAS_SESSAO.qualified_name, "SELECT session_id, usuario FROM t")
    ) == sorted(usuarios)
    store = lake.store(specs.METRICAS_SESSAO.qualified_name)
    assert sorted(store.require_current().partitions) == ["dia=2024-05-01", "dia=2024-05-02"]


def test_gold_checks_pass_and_are_all_reported(lake):
    assert lake.gold.failed_checks() == set()
    assert sorted(lake.gold.checks) == sorted(
        f"conversas/gold/metricas_sessao:{r.name}" for r in specs.METRICAS_SESSAO.rules
    )
    assert lake.gold.value("conversas/gold/metricas_sessao", "dagster/row_count") == 4


def test_sessions_without_any_run_give_an_all_zero_gold_row(spark, tmp_path):
    lake = Lake(tmp_path)
    lake.commit_load(bronze(spark, session("quiet", []), load="20240502"))
    lake.run(silver_execucoes, SILVER)
    assert lake.store(specs.EXECUCOES.qualified_name).require_current().rows == 0

    reported = lake.run(gold_metricas_sessao, GOLD)

    columns = ", ".join(specs.NUMERIC_FEATURES)
    assert lake.query(specs.METRICAS_SESSAO.qualified_name, f"SELECT {columns} FROM t") == [
        (0,) * len(specs.NUMERIC_FEATURES)
    ]
    assert reported.failed_checks() == set()


def test_gold_records_the_silver_versions_it_was_built_from(lake):
    record = lake.store(specs.METRICAS_SESSAO.qualified_name).last_record(BUILT_FROM_FILE)[1]
    silver = {t: lake.store(t).require_current() for t in specs.METRICAS_SESSAO.upstream}
    assert record == {
        "definitions_version": "1",
        "inputs": {
            t: {
                "table_version": m.version,
                "iceberg_snapshot_id": m.snapshot_id,
                "committed_at": m.committed_at,
                "run_id": "test-run",
                "rows": m.rows,
            }
            for t, m in sorted(silver.items())
        },
    }
    assert record["inputs"]["conversas_silver.execucoes"]["rows"] == 6
