"""The conversas specs: the registry finds the domain; names, graph, PII and parameters are
fixed; and the bronze `invalid_when` conditions quarantine exactly the documents that cannot
be read as a session, through the real ingestion of staged records."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.ingest import StagedRecords, ingest_records
from lakehouse_assets.domains.conversas import specs
from lakehouse_assets.registry import registry
from tests.conversas.sessions import ABSENT, SOURCE, TOP_LEVEL, run, session, staged


def test_the_registry_discovers_the_domain_its_tables_and_jobs():
    reg = registry()
    assert sorted(n for n, t in reg.tables.items() if t.domain == "conversas") == [
        "conversas_bronze.sessoes",
        "conversas_gold.metricas_sessao",
        "conversas_silver.chamadas_ferramenta",
        "conversas_silver.execucoes",
        "conversas_silver.sessoes",
    ]
    assert sorted(j for j in reg.jobs if j.startswith("conversas")) == [
        "conversas_bronze_ingest",
        "conversas_gold_metricas_sessao",
        "conversas_silver",
    ]
    assert reg.sources("conversas") == ["sessoes"]
    assert reg.downstream("conversas_bronze.sessoes") == [
        "conversas_silver.chamadas_ferramenta",
        "conversas_silver.execucoes",
        "conversas_silver.sessoes",
    ]
    assert specs.METRICAS_SESSAO.upstream == (
        "conversas_silver.sessoes",
        "conversas_silver.execucoes",
    )


def test_the_bronze_table_is_extracted_from_mongodb_by_day_of_creation():
    bronze = specs.SESSOES_BRONZE
    assert bronze.extract.payload() == {
        "kind": "mongodb",
        "connection": "CONVERSAS_MONGODB_URI",
        "database_setting": "CONVERSAS_MONGODB_DATABASE",
        "database_default": "agno",
        "collection_setting": "CONVERSAS_MONGODB_COLLECTION",
        "collection_default": "storage",
        "document_column": "documento",
        "cursor": "created_at",
        "lookback": 3600,
        "day_column": "dia",
        "batch_rows": 5000,
    }
    assert bronze.partition_by == ("dia", "anomesdia")
    assert bronze.primary_key == ("session_id",)
    assert [c.name for c in bronze.columns] == [*TOP_LEVEL, "documento", "dia"] + [
        "ingested_at",
        "source_file",
        "anomesdia",
    ]
    assert bronze.pii_columns == {"user_id": "customer_id"}


# The 48 columns of the training data, in the reference's order (the facts' table).
TRAINING_COLUMNS = [
    "session_id",
    "agent_name",
    "model_provider",
    "model_id",
    "total_runs",
    "avg_total_tokens",
    "max_total_tokens",
    "token_explosion_ratio",
    "output_explosion_ratio",
    "token_coefficient_variation",
    "token_spike_frequency",
    "max_token_growth_rate",
    "explosive_growth_events",
    "extreme_token_flag",
    "mega_explosion_flag",
    "avg_execution_time",
    "max_execution_time",
    "timeout_frequency",
    "extreme_time_frequency",
    "execution_time_cv",
    "time_explosion_events",
    "infinite_loop_risk_score",
    "timeout_flag",
    "extreme_duration_flag",
    "avg_tool_calls",
    "max_tool_calls",
    "total_tool_calls",
    "tool_explosion_ratio",
    "excessive_tools_frequency",
    "duplicate_tools_score",
    "tool_chaos_score",
    "tool_overuse_flag",
    "tool_explosion_flag",
    "avg_tokens_per_second",
    "min_tokens_per_second",
    "max_tokens_per_second",
    "speed_inconsistency_ratio",
    "inconsistent_speed_frequency",
    "temporal_chaos_score",
    "speed_anomaly_flag",
    "success_rate",
    "failure_rate",
    "max_consecutive_failures",
    "avg_errors_per_run",
    "total_errors",
    "degradation_score",
    "systematic_failure_flag",
    "complete_breakdown_flag",
]


def test_gold_has_the_48_columns_then_day_user_and_version():
    gold = specs.METRICAS_SESSAO
    names = [c.name for c in gold.columns]
    assert len(TRAINING_COLUMNS) == 48
    assert names[:48] == TRAINING_COLUMNS
    assert names[48:] == ["dia", "usuario", "versao_definicoes"]
    assert gold.partition_by == ("dia",)
    assert gold.parameters == {"versao_definicoes": specs.DEFINITIONS_VERSION}
    assert specs.DEFINITIONS_VERSION == "1"
    assert {c.type for c in gold.columns[4:48]} == {"bigint", "double", "int"}
    assert specs.FLAG_FEATURES == (
        "extreme_token_flag",
        "mega_explosion_flag",
        "timeout_flag",
        "extreme_duration_flag",
        "tool_overuse_flag",
        "tool_explosion_flag",
        "speed_anomaly_flag",
        "systematic_failure_flag",
        "complete_breakdown_flag",
    )
    assert specs.COUNT_FEATURES == (
        "total_runs",
        "explosive_growth_events",
        "time_explosion_events",
        "max_tool_calls",
        "total_tool_calls",
        "max_consecutive_failures",
        "total_errors",
    )


def test_the_user_is_hashed_in_silver_and_carried_hashed_to_gold():
    assert specs.SESSOES.column("usuario").mask == "hash"
    assert specs.SESSOES.column("usuario").pii == "customer_id"
    assert specs.METRICAS_SESSAO.column("usuario").pii == "customer_id"
    # Hashing again in gold would give a hash of the hash, which joins with nothing.
    assert specs.METRICAS_SESSAO.column("usuario").mask is None
    assert all(t.pii_columns == {} for t in (specs.EXECUCOES, specs.CHAMADAS_FERRAMENTA))


# --- invalid_when, through the real ingestion ---
SPEC = specs.SESSOES_BRONZE.payload()


def _stage(tmp_path, documents: list[dict], raw: dict[str, dict] | None = None) -> str:
    """A staged file as the MongoDB extractor writes it; `raw` overrides a document's
    columns (by session_id), for a document the builders cannot express."""
    rows = [{**staged(d), **(raw or {}).get(d["session_id"], {})} for d in documents]
    columns = [*TOP_LEVEL, "documento", "dia"]
    table = pa.table(
        {
            **{c: pa.array([r[c] for r in rows], pa.string()) for c in columns},
            "_record": pa.array([r["documento"] for r in rows], pa.string()),
        }
    )
    path = tmp_path / "part-00000.parquet"
    pq.write_table(table, path)
    return normalize_root(str(path))


def _ingest(spark, tmp_path, documents, raw=None):
    records = StagedRecords(
        files=[_stage(tmp_path, documents, raw)],
        columns=[*TOP_LEVEL, "documento", "dia"],
        source_uri=SOURCE,
    )
    loaded = ingest_records(spark, records, SPEC, "2024-05-02 06:00:00")
    kept = sorted(r["session_id"] for r in loaded.rows.collect())
    quarantined = {
        json.loads(q["raw_line"])["session_id"]: q["reason"] for q in loaded.quarantine.collect()
    }
    counts = loaded.checked()
    loaded.release()
    return kept, quarantined, counts


def _metrics_run(**values):
    return run(run_metrics={"input_tokens": [1], **values})


READABLE = [
    session("no-memory", memory=ABSENT),
    session("memory-null", memory=None) | {"memory": None},
    session("no-runs-key"),
    session("runs-null", memory={"runs": None}),
    session("runs-empty", []),
    session("metrics-absent", [run(run_metrics=ABSENT)]),
    session(
        "untidy-metrics",
        [
            _metrics_run(total_tokens=[5], output_tokens=[], time=None),
            _metrics_run(total_tokens=7, output_tokens=[None, 2], time=1.5e1),
            _metrics_run(input_tokens="text is fine here: the definitions do not use it"),
        ],
    ),
]
UNREADABLE = {
    "memory-text": (
        session("memory-text", memory="runs"),
        "memory is not an object: the session's runs cannot be read",
    ),
    "runs-object": (
        session("runs-object", memory={"runs": {"0": {}}}),
        "memory.runs is not a list: the session's runs cannot be read",
    ),
    "runs-text": (
        session("runs-text", memory={"runs": "[]"}),
        "memory.runs is not a list: the session's runs cannot be read",
    ),
    "runs-number": (
        session("runs-number", memory={"runs": 3}),
        "memory.runs is not a list: the session's runs cannot be read",
    ),
    "run-number": (session("run-number", [run(), 5]), "a run in memory.runs is not an object"),
    "metrics-list": (
        session("metrics-list", [run(run_metrics=[1, 2])]),
        "a run's metrics is not an object",
    ),
    "total-text": (
        session("total-text", [run(10), _metrics_run(total_tokens="120")]),
        "a run's metrics.total_tokens is not a number or a list of numbers (text, for instance)",
    ),
    "output-list-text": (
        session("output-list-text", [_metrics_run(output_tokens=[3, "4"])]),
        "a run's metrics.output_tokens is not a number or a list of numbers (text, for instance)",
    ),
    "time-nan-text": (
        session("time-nan-text", [_metrics_run(time="NaN")]),
        "a run's metrics.time is not a number or a list of numbers (text, for instance)",
    ),
    "tools-object": (
        session("tools-object", [run(tools={"tool_name": "x"})]),
        "a run's tools is not a list: its tool calls cannot be counted",
    ),
    "events-text": (
        session("events-text", [run(events="RunCompleted")]),
        "a run's events is not a list: its outcome cannot be read",
    ),
    "agent-null": (session("agent-null", []), "agent_data: required value is missing"),
}


def test_readable_documents_are_kept_and_unreadable_ones_quarantined_with_the_reason(
    spark, tmp_path
):
    documents = READABLE + [d for d, _ in UNREADABLE.values()]
    kept, quarantined, counts = _ingest(
        spark, tmp_path, documents, raw={"agent-null": {"agent_data": None}}
    )
    assert kept == sorted(d["session_id"] for d in READABLE)
    assert quarantined == {name: reason for name, (_, reason) in UNREADABLE.items()}
    assert (counts.landing_rows, counts.quarantined_rows) == (len(documents), len(UNREADABLE))


def test_a_document_that_is_not_json_is_quarantined(spark, tmp_path):
    document = session("broken", [])
    raw = {"broken": {"documento": '{"session_id": "broken", '}}
    records = StagedRecords(
        files=[_stage(tmp_path, [document], raw)],
        columns=[*TOP_LEVEL, "documento", "dia"],
        source_uri=SOURCE,
    )
    loaded = ingest_records(spark, records, SPEC, "2024-05-02 06:00:00")
    assert [q["reason"] for q in loaded.quarantine.collect()] == [
        "documento is not a JSON object: the session cannot be read"
    ]
    loaded.release()


@pytest.mark.parametrize("condition, _reason", specs.INVALID_WHEN)
def test_every_condition_uses_built_ins_over_the_typed_columns(condition, _reason):
    assert "documento" in condition and "udf" not in condition.lower()
