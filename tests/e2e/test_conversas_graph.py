"""The conversations graph from documents in the local MongoDB to the training CSV: bronze
(with the documents that are not sessions quarantined), silver, gold, then the dataset of a
window, through Dagster, the warm runner and `lakehouse conversas dataset`."""

from __future__ import annotations

import csv
import uuid
from datetime import UTC, datetime

import pymongo
import pytest
from dagster import AssetKey, instance_for_test, materialize

from lakehouse_assets.cli import main
from lakehouse_assets.domains.conversas.specs import FEATURE_NAMES
from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.registry import registry
from tests.e2e.helpers import materializations

pytestmark = pytest.mark.e2e


def unix(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def session(session_id: str | None, created: str, runs: list[dict], **extra) -> dict:
    document = {
        "agent_id": "agente-1",
        "user_id": "cliente-42",
        "created_at": unix(created),
        "updated_at": unix(created) + 60,
        "agent_data": {"name": "Atendente", "model": {"id": "gpt-4o", "provider": "openai"}},
        "session_data": {"session_metrics": {}},
        "memory": {"runs": runs},
        **extra,
    }
    if session_id is not None:
        document["session_id"] = session_id
    return document


def run(status: str, tt, out, t, tools: int = 0, events=()) -> dict:
    return {
        "run_id": uuid.uuid4().hex,
        "status": status,
        "metrics": {"total_tokens": tt, "output_tokens": out, "time": t},
        "tools": [{"tool_name": "busca", "tool_call_error": False, "metrics": {"time": 0.1}}]
        * tools,
        "events": [{"event": e} for e in events],
    }


DOCUMENTS = [
    # Two runs: RUNNING counts as a success, and so does COMPLETED with a RunCompleted event.
    session(
        "s1",
        "2024-01-10T10:00:00",
        [
            run("RUNNING", [100], [10], [1.0], tools=1),
            run("COMPLETED", 300, 30, 2.0, events=["RunStarted", "RunCompleted"]),
        ],
    ),
    session("s2", "2024-01-10T11:00:00", [], agent_data=None),  # not a session: quarantined
    session(None, "2024-01-10T12:00:00", []),  # no session_id: quarantined
    session("s4", "2024-01-11T23:59:59", []),  # the window's last second
    session("s5", "2024-01-12T00:00:00", []),  # the second after the window
]


@pytest.fixture
def sessions(local_services, monkeypatch):
    database = f"conversas_e2e_{uuid.uuid4().hex[:8]}"
    client = pymongo.MongoClient(local_services["mongodb_uri"])
    client[database]["storage"].insert_many([dict(d) for d in DOCUMENTS])
    monkeypatch.setenv("CONVERSAS_MONGODB_URI", local_services["mongodb_uri"])
    monkeypatch.setenv("CONVERSAS_MONGODB_DATABASE", database)
    yield database
    client.drop_database(database)
    client.close()


def test_documents_to_the_training_csv(sessions, launcher, lake, tmp_path, capsys):
    reg = registry()
    keys = [AssetKey(t.key_path) for t in reg.tables.values() if t.domain == "conversas"]
    with instance_for_test() as instance:
        result = materialize(
            build_all_assets(reg),
            resources={"launcher": launcher},
            instance=instance,
            partition_key="20240115",
            selection=keys,
            raise_on_error=False,
        )
    assert result.success
    published = materializations(result)
    bronze = published["conversas/bronze/sessoes"].metadata
    assert bronze["dagster/row_count"].value == 3
    assert bronze["lakehouse/quarantined_rows"].value == 2
    assert bronze["lakehouse/watermark"].value == str(unix("2024-01-12T00:00:00"))
    assert published["conversas/gold/metricas_sessao"].metadata["dagster/row_count"].value == 3

    out = tmp_path / "dataset.csv"
    args = ["conversas", "dataset", "--start", "2024-01-10", "--end", "2024-01-11"]
    assert main([*args, "--out", str(out), "--root", str(lake["root"])]) == 0
    with out.open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(FEATURE_NAMES) and len(FEATURE_NAMES) == 48
    by_session = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert sorted(by_session) == ["s1", "s4"]
    s1 = {k: float(v) for k, v in by_session["s1"].items() if k in FEATURE_NAMES[4:]}
    # Computed by hand: tt = [100, 300], out = [10, 30], t = [1, 2], tools = [1, 0].
    expected = {
        "total_runs": 2,
        "avg_total_tokens": 200,
        "max_total_tokens": 300,
        "token_explosion_ratio": 1.5,
        "output_explosion_ratio": 1.5,
        "token_coefficient_variation": 0.5,
        "max_token_growth_rate": 3,
        "avg_execution_time": 1.5,
        "execution_time_cv": 0.5 / 1.5,
        "time_explosion_events": 0,
        "avg_tool_calls": 0.5,
        "tool_explosion_ratio": 2,
        "tool_chaos_score": 0.2,
        "avg_tokens_per_second": 125,
        "min_tokens_per_second": 100,
        "max_tokens_per_second": 150,
        "speed_inconsistency_ratio": 1.5,
        "success_rate": 1,
        "failure_rate": 0,
        "max_consecutive_failures": 0,
    }
    assert {k: s1[k] for k in expected} == pytest.approx(expected, rel=1e-12)
    s4 = by_session["s4"]
    assert (s4["agent_name"], s4["model_provider"], s4["model_id"]) == (
        "Atendente",
        "openai",
        "gpt-4o",
    )
    assert all(float(s4[k]) == 0 for k in FEATURE_NAMES[4:])
