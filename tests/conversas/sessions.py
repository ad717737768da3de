"""Hand-made session documents, and the bronze rows the extractor makes of them.

`session(...)` and `run(...)` build documents like the agent framework stores them; a field a
test leaves as ABSENT is not in the document at all (absent and null are different cases).
`bronze_row` stages a document as the MongoDB extractor does: each top-level field as text
(objects and lists as JSON), the whole document as JSON, and the UTC day of created_at.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lakehouse_assets.domains.conversas import specs
from tests.glue_scripts.builders import frame

ABSENT = object()
DAY_2024_05_01 = 1714521600  # 2024-05-01 00:00:00 UTC
LOAD = "20240502"
SOURCE = "mongodb://127.0.0.1:27017/agno.storage"
TOP_LEVEL = ("session_id", "agent_id", "user_id", "created_at", "updated_at", "agent_data")
TOP_LEVEL += ("session_data", "memory")


def _given(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not ABSENT}


def agent(name="support-bot", provider="openai", model_id="gpt-4o") -> dict[str, Any]:
    return {"name": name, "model": {"name": "OpenAIChat", "id": model_id, "provider": provider}}


def metrics(tt: Any = ABSENT, out: Any = ABSENT, t: Any = ABSENT) -> dict[str, Any]:
    """A run's metrics; input_tokens is always there (the definitions do not use it)."""
    return {"input_tokens": [1], **_given(total_tokens=tt, output_tokens=out, time=t)}


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"event": name, **fields}


def tool(name: str = "search", error: Any = False, t: Any = 0.5) -> dict[str, Any]:
    return {"tool_name": name, "tool_call_error": error, "metrics": {"time": t}}


def run(
    tt: Any = ABSENT,
    out: Any = ABSENT,
    t: Any = ABSENT,
    *,
    status: Any = "COMPLETED",
    events: Any = ABSENT,
    tools: Any = ABSENT,
    run_metrics: Any = None,
    run_id: str = "run",
) -> dict[str, Any]:
    """A run; `run_metrics=ABSENT` leaves `metrics` out, a dict replaces it."""
    given = metrics(tt, out, t) if run_metrics is None else run_metrics
    return _given(
        run_id=run_id,
        status=status,
        created_at=DAY_2024_05_01,
        model="gpt-4o",
        model_provider="openai",
        metrics=given,
        tools=tools,
        events=events,
    )


def session(
    session_id: str,
    runs: Any = ABSENT,
    *,
    memory: Any = None,
    created_at: int = DAY_2024_05_01 + 3600,
    updated_at: Any = ABSENT,
    agent_data: Any = None,
    user_id: Any = "user-1",
) -> dict[str, Any]:
    """A session document; `runs` goes into memory.runs (ABSENT: memory without runs),
    `memory` replaces the whole memory (ABSENT: no memory field)."""
    if memory is None:
        memory = {} if runs is ABSENT else {"runs": runs}
    return _given(
        session_id=session_id,
        agent_id="agent-1",
        user_id=user_id,
        created_at=created_at,
        updated_at=created_at + 60 if updated_at is ABSENT else updated_at,
        agent_data=agent() if agent_data is None else agent_data,
        session_data={"session_metrics": {"total_tokens": 0}},
        memory=memory,
    )


def as_text(value: Any) -> str | None:
    """A top-level field as the extractor stages it: objects and lists as JSON."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)


def staged(document: Mapping[str, Any]) -> dict[str, str | None]:
    """The extractor's text columns of a document (without the ingestion columns)."""
    row = {name: as_text(document.get(name)) for name in TOP_LEVEL}
    row["documento"] = json.dumps(document)
    created = document.get("created_at")
    day = dt.datetime.fromtimestamp(created, dt.UTC).date() if isinstance(created, int) else None
    row["dia"] = None if day is None else day.isoformat()
    return row


def ingestion(load: str = LOAD, minute: int = 0) -> dict[str, str]:
    return {
        "anomesdia": load,
        "ingested_at": f"{load[:4]}-{load[4:6]}-{load[6:]} 06:{minute:02d}:00",
        "source_file": SOURCE,
    }


def bronze(
    spark: SparkSession, *documents: Mapping[str, Any], load: str = LOAD, minute: int = 0
) -> DataFrame:
    """Bronze rows of one load holding these documents."""
    rows = [{**staged(d), **ingestion(load, minute)} for d in documents]
    return frame(spark, specs.SESSOES_BRONZE, rows)
