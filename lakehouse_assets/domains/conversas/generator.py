"""Conversas' sample source: chat-agent sessions in MongoDB, as an agent framework stores them.

The domain drops no landing files (`generate` writes nothing). `seed_sources` fills the
collection of the local services once: database `agno`, collection `storage`, `scale` sessions
created over the 60 days before today (UTC), so the dataset's default window (the last month up
to yesterday) always has data. The same `(scale, seed)` on the same day gives the same sessions.

Real documents are untidy and so are these. Besides ordinary sessions there are long ones
(dozens of runs), token explosions, timeouts, tool storms, and the shapes a reader must survive:
a metric as a plain number, an empty list, null or absent; `metrics` absent; no runs;
`agent_data` null. A few are unreadable on purpose (no `session_id`, a metric as text): the
bronze quarantines them with the reason. The first sessions are one of each kind, so every
kind is present from a scale of `len(KINDS)` on.

`add_sessions` appends newer sessions, to show an incremental load picking them up.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import uuid
from collections.abc import Callable
from typing import Any

DATABASE = "agno"
COLLECTION = "storage"
SAMPLE_SCALE = 500
# The sessions' creation times spread over this many days before today (UTC).
SPREAD_DAYS = 60
# nx-27017 inserts ~4k documents/s; batches keep a round trip per batch, not per document.
BATCH = 500

PROVIDERS = {
    "openai": ("gpt-4o", "gpt-4o-mini"),
    "anthropic": ("claude-3-5-sonnet-20241022", "claude-3-5-haiku-20241022"),
    "google": ("gemini-1.5-pro", "gemini-2.0-flash"),
}
AGENTS = (
    "support-agent",
    "sales-assistant",
    "research-agent",
    "billing-helper",
    "code-reviewer",
    "travel-planner",
)
TOOLS = (
    "search_knowledge_base",
    "get_customer",
    "create_ticket",
    "web_search",
    "run_sql",
    "send_email",
    "get_weather",
)
ERRORS = (
    "Rate limit error: too many requests",
    "Tool execution error: invalid arguments",
    "Internal server error from the model provider",
)
TIMEOUT = "Request timeout after 60 seconds"

# Kinds of sessions and their share after the first one of each.
KINDS = {
    "normal": 0.70,
    "long": 0.05,
    "token_explosion": 0.04,
    "timeouts": 0.04,
    "tool_storm": 0.03,
    "metric_number": 0.03,
    "metric_empty_list": 0.02,
    "metric_absent": 0.02,
    "metrics_absent": 0.02,
    "no_runs": 0.02,
    "agent_data_null": 0.01,
    # Unreadable: the bronze quarantines these.
    "no_session_id": 0.01,
    "metric_text": 0.01,
}
METRICS = ("input_tokens", "output_tokens", "total_tokens", "time", "time_to_first_token")


class SeedError(RuntimeError):
    """The sessions collection could not be reached or filled."""


def generate(
    out_dir: str | os.PathLike,
    scale: int = SAMPLE_SCALE,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Nothing to write: the sessions live in MongoDB (`seed_sources`). Returns {}."""
    _check(scale, seed)
    if progress is not None:
        progress("conversas: no landing files (sessions are seeded into MongoDB)")
    return {}


def _check(scale: Any, seed: Any) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def today_start(now: dt.datetime | None = None) -> int:
    """Unix seconds of today's 00:00 UTC: the end of the seeded sessions' spread."""
    now = now or dt.datetime.now(dt.UTC)
    return int(dt.datetime.combine(now.date(), dt.time(), tzinfo=dt.UTC).timestamp())


def kind_of(index: int, rng: random.Random) -> str:
    names = list(KINDS)
    if index < len(names):
        return names[index]
    return rng.choices(names, weights=list(KINDS.values()))[0]


def session(
    seed: int, index: int, created_at: int, kind: str, stream: str = "seed"
) -> dict[str, Any]:
    """One session document, deterministic by `(seed, stream, index)`."""
    rng = random.Random(f"{seed}/{stream}/{index}")
    provider = rng.choice(sorted(PROVIDERS))
    model = rng.choice(PROVIDERS[provider])
    agent = rng.choice(AGENTS)
    agent_id = f"agent-{AGENTS.index(agent) + 1:02d}"
    session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    count = {"long": rng.randint(24, 60), "no_runs": 0}.get(kind, rng.randint(1, 8))
    runs, clock = [], created_at
    for position in range(count):
        run = _run(rng, kind, position, clock, session_id, agent_id, provider, model)
        runs.append(run)
        clock = run["created_at"] + int(_first(run.get("metrics", {}).get("time"))) + 1
    doc: dict[str, Any] = {
        "session_id": session_id,
        "agent_id": agent_id,
        "user_id": f"user-{rng.randint(1, max(20, index // 3)):05d}",
        "created_at": created_at,
        "updated_at": max(clock, created_at) + rng.randint(0, 120),
        "agent_data": {
            "name": agent,
            "agent_id": agent_id,
            "model": {"name": _model_name(provider), "id": model, "provider": provider},
        },
        "session_data": {"session_name": f"{agent} #{index}", "session_metrics": _totals(runs)},
        "memory": {"runs": runs},
    }
    if kind == "agent_data_null":
        doc["agent_data"] = None
    if kind == "no_session_id":
        del doc["session_id"]
    return doc


def _model_name(provider: str) -> str:
    return {"openai": "OpenAIChat", "anthropic": "Claude", "google": "Gemini"}[provider]


def _first(value: Any) -> float:
    if isinstance(value, list):
        value = value[0] if value else 0
    return value if isinstance(value, int | float) else 0


def _totals(runs: list[dict]) -> dict[str, Any]:
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0, "time": 0.0}
    for run in runs:
        for name in totals:
            totals[name] += _first(run.get("metrics", {}).get(name))
    totals["time"] = round(totals["time"], 6)
    return totals


def _tokens(rng: random.Random, kind: str, position: int) -> tuple[int, int]:
    if kind == "token_explosion":
        # Each run feeds the whole history back: tokens grow six- to ten-fold per run.
        total = int(800 * rng.uniform(6, 10) ** min(position, 3))
    else:
        total = rng.randint(300, 6_000)
    output = max(1, int(total * rng.uniform(0.05, 0.35)))
    return total - output, output


def _status(rng: random.Random, kind: str, position: int) -> str:
    if kind == "timeouts" and position % 2 == 0:
        return "ERROR"
    roll = rng.random()
    if roll < 0.80:
        return "COMPLETED"
    if roll < 0.90:
        return "ERROR"
    if roll < 0.95:
        return "CANCELLED"
    return "RUNNING"


def _run(
    rng: random.Random,
    kind: str,
    position: int,
    clock: int,
    session_id: str,
    agent_id: str,
    provider: str,
    model: str,
) -> dict[str, Any]:
    status = _status(rng, kind, position)
    input_tokens, output_tokens = _tokens(rng, kind, position)
    seconds = round(rng.uniform(0.4, 12.0), 3)
    timeout = kind == "timeouts" and status == "ERROR"
    if timeout:
        seconds = round(rng.uniform(60.0, 95.0), 3)
    calls = rng.randint(21, 40) if kind == "tool_storm" else rng.choice((0, 0, 1, 1, 2, 3, 5))
    created = clock + rng.randint(5, 600)
    run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    tools = [_tool(rng, created) for _ in range(calls)]
    metrics: dict[str, Any] = {
        "input_tokens": [input_tokens],
        "output_tokens": [output_tokens],
        "total_tokens": [input_tokens + output_tokens],
        "time": [seconds],
        "time_to_first_token": [round(min(seconds, rng.uniform(0.2, 2.5)), 3)],
    }
    _untidy(metrics, rng, kind, position)
    run: dict[str, Any] = {
        "run_id": run_id,
        "session_id": session_id,
        "agent_id": agent_id,
        "status": status,
        "created_at": created,
        "model": model,
        "model_provider": provider,
        "metrics": metrics,
        "tools": tools,
        "events": _events(rng, status, tools, created, timeout),
    }
    if kind == "metrics_absent":
        del run["metrics"]
    return run


def _untidy(metrics: dict[str, Any], rng: random.Random, kind: str, position: int) -> None:
    """Spoil the metrics the way real documents are spoiled (first run at least)."""
    if kind == "metric_number":
        for name in ("total_tokens", "time"):
            metrics[name] = metrics[name][0]
    elif kind == "metric_empty_list" and position == 0:
        metrics["output_tokens"] = []
        metrics["time"] = []
    elif kind == "metric_absent" and position == 0:
        del metrics["output_tokens"]
        metrics["time_to_first_token"] = None
    elif kind == "metric_text" and position == 0:
        metrics["total_tokens"] = f"{metrics['total_tokens'][0]} tokens"


def _tool(rng: random.Random, when: int) -> dict[str, Any]:
    failed = rng.random() < 0.08
    return {
        "tool_call_id": f"call_{rng.getrandbits(48):012x}",
        "tool_name": rng.choice(TOOLS),
        "tool_args": {"query": rng.choice(("refund", "invoice 42", "status", "weather"))},
        "tool_call_error": failed,
        "result": "Tool execution error: upstream returned 500" if failed else "ok",
        "created_at": when,
        "metrics": {"time": round(rng.uniform(0.05, 8.0), 3)},
    }


def _events(
    rng: random.Random, status: str, tools: list[dict], created: int, timeout: bool
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = [{"event": "RunStarted", "created_at": created}]
    for tool in tools:
        events.append({"event": "ToolCallStarted", "created_at": created, "tool": _brief(tool)})
        events.append({"event": "ToolCallCompleted", "created_at": created, "tool": _brief(tool)})
    if status == "COMPLETED":
        # Some completed runs lost their closing event: the definitions count them as failures.
        if rng.random() < 0.9:
            events.append({"event": "RunCompleted", "created_at": created})
    elif status == "ERROR":
        message = TIMEOUT if timeout or rng.random() < 0.2 else rng.choice(ERRORS)
        events.append({"event": "RunError", "created_at": created, "content": message})
    elif status == "CANCELLED":
        events.append({"event": "RunCancelled", "created_at": created, "reason": "user stopped"})
    return events


def _brief(tool: dict[str, Any]) -> dict[str, Any]:
    return {k: tool[k] for k in ("tool_call_id", "tool_name", "tool_call_error")}


def ended_by(
    seed: int, index: int, created_at: int, kind: str, stream: str, end: int
) -> dict[str, Any]:
    """`session`, moved earlier if needed so that it was last updated by `end`: a source
    never holds changes from the future (an incremental load would skip past them)."""
    doc = session(seed, index, created_at, kind, stream)
    late = doc["updated_at"] - end
    # The durations depend on the seed only, so the moved session ends exactly at `end`.
    return session(seed, index, created_at - late, kind, stream) if late > 0 else doc


def sessions(
    count: int, seed: int, end: int, *, first: int = 0, stream: str = "seed"
) -> list[dict[str, Any]]:
    """`count` sessions created and last updated within the `SPREAD_DAYS` days before `end`
    (unix seconds)."""
    rng = random.Random(f"{seed}/{stream}/times")
    span = SPREAD_DAYS * 86_400
    docs = []
    for index in range(first, first + count):
        created = end - rng.randint(1, span)
        docs.append(ended_by(seed, index, created, kind_of(index, rng), stream, end))
    return docs


def _collection(endpoints: dict[str, Any], database: str, collection: str) -> tuple[Any, Any]:
    """(client, collection) of the services' MongoDB."""
    import pymongo

    uri = endpoints.get("mongodb_uri")
    if not uri:
        raise SeedError(
            "the local services report no MongoDB (`mongodb_uri`); restart them with "
            "`lakehouse local-services` or set CONVERSAS_MONGODB_URI"
        )
    client = pymongo.MongoClient(uri, serverSelectionTimeoutMS=5_000, tz_aware=True)
    return client, client[database][collection]


def _namespace(database: str | None, collection: str | None) -> tuple[str, str]:
    return (
        database or os.environ.get("CONVERSAS_MONGODB_DATABASE") or DATABASE,
        collection or os.environ.get("CONVERSAS_MONGODB_COLLECTION") or COLLECTION,
    )


def _insert(target, docs: list[dict[str, Any]]) -> None:
    for start in range(0, len(docs), BATCH):
        # insert_many adds `_id` to the dicts it is given: keep the caller's documents clean.
        target.insert_many([dict(d) for d in docs[start : start + BATCH]], ordered=True)


def seed_sources(
    endpoints: dict[str, Any],
    scale: int,
    seed: int,
    *,
    database: str | None = None,
    collection: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    """Fill the sessions collection once: {"sessoes": documents in it}.

    The collection is the one bronze reads: `CONVERSAS_MONGODB_DATABASE` /
    `CONVERSAS_MONGODB_COLLECTION` when set, else agno / storage. A collection that already
    holds documents is left as it is (their count is returned), so a restart of the local
    services never rewrites what bronze has already loaded.
    """
    _check(scale, seed)
    database, collection = _namespace(database, collection)
    from pymongo.errors import PyMongoError

    client, target = _collection(endpoints, database, collection)
    try:
        with client:
            existing = target.count_documents({})
            if existing:
                return {"sessoes": existing}
            _insert(target, sessions(scale, seed, today_start(now)))
            return {"sessoes": target.count_documents({})}
    except PyMongoError as err:
        raise SeedError(
            f"cannot fill {database}.{collection} on the local MongoDB: {type(err).__name__}. "
            "Start the local services (`lakehouse local-services`) and retry."
        ) from None


def add_sessions(
    endpoints: dict[str, Any],
    count: int,
    seed: int,
    created_at: int | dt.datetime | None = None,
    *,
    database: str | None = None,
    collection: str | None = None,
) -> list[str]:
    """Append `count` ordinary sessions with ids of their own; return their session ids.

    `created_at` (unix seconds or an aware datetime) is each one's creation time; by default
    they are created just now, ending by now (never updated in the future).
    """
    _check(count, seed)
    if isinstance(created_at, dt.datetime):
        if created_at.tzinfo is None:
            raise ValueError("created_at must be timezone-aware (UTC), or unix seconds")
        created_at = int(created_at.timestamp())
    now = int(dt.datetime.now(dt.UTC).timestamp())
    database, collection = _namespace(database, collection)
    client, target = _collection(endpoints, database, collection)
    with client:
        first = target.count_documents({})
        indexes = range(first, first + count)
        if created_at is None:
            docs = [ended_by(seed, i, now, "normal", "added", now) for i in indexes]
        else:
            docs = [session(seed, i, int(created_at), "normal", "added") for i in indexes]
        _insert(target, docs)
    return [d["session_id"] for d in docs]
