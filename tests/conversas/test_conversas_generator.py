"""Conversas' sample sessions, seeded once into a real MongoDB wire-protocol server (the local
services' nx-27017), each test in a database of its own."""

from __future__ import annotations

import datetime as dt
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pymongo
import pytest

from lakehouse_assets.domains.conversas import generator

NOW = dt.datetime(2024, 3, 15, 9, 30, tzinfo=dt.UTC)
MIDNIGHT = int(dt.datetime(2024, 3, 15, tzinfo=dt.UTC).timestamp())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def mongo(request, tmp_path_factory):
    """The endpoints of the local services' MongoDB; an nx-27017 of this module's own while
    the local services do not serve one."""
    services = request.getfixturevalue("local_services")
    if services.get("mongodb_uri"):
        yield services
        return
    port = _free_port()
    folder = tmp_path_factory.mktemp("mongo")
    server = Path(sys.executable).with_name("nx-27017")
    command = [str(server) if server.exists() else shutil.which("nx-27017") or "nx-27017"]
    command += ["--host", "127.0.0.1", "-p", str(port), "--db", str(folder / "mongo.db")]
    command += ["--log-file", str(folder / "log"), "--pid-file", str(folder / "pid")]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    uri = f"mongodb://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with pymongo.MongoClient(uri, serverSelectionTimeoutMS=300) as client:
                    client.admin.command("ping")
                break
            except pymongo.errors.PyMongoError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield {"mongodb_uri": uri}
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def database(mongo):
    name = f"agno_{uuid.uuid4().hex[:10]}"
    yield name
    with pymongo.MongoClient(mongo["mongodb_uri"]) as client:
        client.drop_database(name)


def _docs(mongo, database) -> list[dict]:
    with pymongo.MongoClient(mongo["mongodb_uri"]) as client:
        docs = list(client[database][generator.COLLECTION].find({}, {"_id": 0}))
    return sorted(docs, key=lambda d: (d["created_at"], d.get("session_id", "")))


def test_generate_writes_no_landing_file(tmp_path):
    assert generator.generate(tmp_path, scale=5, seed=1) == {}
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="scale must be a positive integer, got 0"):
        generator.generate(tmp_path, scale=0, seed=1)


def test_the_sessions_are_seeded_once_and_deterministic(mongo, database):
    first = generator.seed_sources(mongo, scale=60, seed=7, database=database, now=NOW)
    docs = _docs(mongo, database)
    # A second start finds the sessions and changes nothing, whatever the scale or seed.
    again = generator.seed_sources(mongo, scale=90, seed=8, database=database, now=NOW)

    assert first == again == {"sessoes": 60}
    assert _docs(mongo, database) == docs
    expected = sorted(
        generator.sessions(60, 7, MIDNIGHT), key=lambda d: (d["created_at"], d.get("session_id"))
    )
    assert docs == expected
    assert generator.sessions(60, 7, MIDNIGHT) == generator.sessions(60, 7, MIDNIGHT)
    assert generator.sessions(60, 8, MIDNIGHT) != generator.sessions(60, 7, MIDNIGHT)


def test_the_sessions_span_the_sixty_days_before_today_and_never_the_future(mongo, database):
    generator.seed_sources(mongo, scale=300, seed=3, database=database, now=NOW)
    docs = _docs(mongo, database)

    created = [d["created_at"] for d in docs]
    assert min(created) >= MIDNIGHT - 60 * 86_400
    assert max(d["updated_at"] for d in docs) <= MIDNIGHT
    assert all(d["updated_at"] >= d["created_at"] for d in docs)
    days = {dt.datetime.fromtimestamp(c, dt.UTC).date() for c in created}
    # The default window (2024-02-15 .. 2024-03-14) holds most of them.
    in_window = [c for c in created if MIDNIGHT - 29 * 86_400 <= c < MIDNIGHT]
    assert len(days) > 40 and len(in_window) > 100


def _first_run(doc: dict) -> dict:
    return doc["memory"]["runs"][0]


def test_every_untidy_shape_is_there(mongo, database):
    generator.seed_sources(mongo, scale=len(generator.KINDS), seed=5, database=database, now=NOW)
    docs = _docs(mongo, database)
    by_kind = dict(zip(generator.KINDS, generator.sessions(13, 5, MIDNIGHT), strict=True))

    assert len(docs) == 13
    assert "session_id" not in by_kind["no_session_id"]
    assert sum("session_id" not in d for d in docs) == 1
    assert by_kind["agent_data_null"]["agent_data"] is None
    assert by_kind["no_runs"]["memory"]["runs"] == []
    assert all("metrics" not in r for r in by_kind["metrics_absent"]["memory"]["runs"])
    number = _first_run(by_kind["metric_number"])["metrics"]
    assert isinstance(number["total_tokens"], int) and isinstance(number["time"], float)
    empty = _first_run(by_kind["metric_empty_list"])["metrics"]
    assert empty["output_tokens"] == [] and empty["time"] == []
    absent = _first_run(by_kind["metric_absent"])["metrics"]
    assert "output_tokens" not in absent and absent["time_to_first_token"] is None
    text = _first_run(by_kind["metric_text"])["metrics"]["total_tokens"]
    assert isinstance(text, str) and text.endswith(" tokens")
    assert len(by_kind["long"]["memory"]["runs"]) >= 24
    explosion = [
        r["metrics"]["total_tokens"][0] for r in by_kind["token_explosion"]["memory"]["runs"]
    ]
    assert len(explosion) == 1 or max(explosion) > 5 * explosion[0]
    storm = by_kind["tool_storm"]["memory"]["runs"]
    assert all(len(r["tools"]) > 20 for r in storm)
    # What was seeded is what the collection holds, the shapes included.
    assert sorted(docs, key=str) == sorted(by_kind.values(), key=str)


def test_the_usual_statuses_events_and_models_appear(mongo, database):
    generator.seed_sources(mongo, scale=400, seed=11, database=database, now=NOW)
    docs = _docs(mongo, database)
    runs = [r for d in docs for r in d["memory"]["runs"]]
    events = Counter(e["event"] for r in runs for e in r["events"])
    models = {
        (d["agent_data"]["model"]["provider"], d["agent_data"]["model"]["id"])
        for d in docs
        if d["agent_data"]
    }

    assert {r["status"] for r in runs} == {"RUNNING", "COMPLETED", "ERROR", "CANCELLED"}
    assert set(events) == {
        "RunStarted",
        "ToolCallStarted",
        "ToolCallCompleted",
        "RunCompleted",
        "RunError",
        "RunCancelled",
    }
    assert {p for p, _ in models} == {"openai", "anthropic", "google"}
    assert ("openai", "gpt-4o") in models and ("openai", "gpt-4o-mini") in models
    assert any("timeout" in str(e).lower() for r in runs for e in r["events"])
    assert any(t["tool_call_error"] for r in runs for t in r["tools"])
    # Completed runs without their closing event: failures by the definitions.
    assert any(
        r["status"] == "COMPLETED" and all(e["event"] != "RunCompleted" for e in r["events"])
        for r in runs
    )
    assert max(len(d["memory"]["runs"]) for d in docs) >= 24


def test_added_sessions_are_new_and_dated_as_asked(mongo, database):
    generator.seed_sources(mongo, scale=20, seed=2, database=database, now=NOW)
    when = dt.datetime(2024, 3, 16, 12, tzinfo=dt.UTC)
    ids = generator.add_sessions(mongo, 5, seed=2, created_at=when, database=database)
    before = int(time.time())
    later = generator.add_sessions(mongo, 2, seed=2, database=database)
    docs = _docs(mongo, database)

    assert len(docs) == 27 and len(set(ids) | set(later)) == 7
    added = [d for d in docs if d.get("session_id") in ids]
    assert {d["created_at"] for d in added} == {int(when.timestamp())}
    seeded = {d.get("session_id") for d in generator.sessions(20, 2, MIDNIGHT)}
    assert not seeded & set(ids)
    recent = [d for d in docs if d.get("session_id") in later]
    assert all(before - 86_400 <= d["created_at"] <= d["updated_at"] <= time.time() for d in recent)


def test_a_missing_mongodb_says_how_to_get_one():
    with pytest.raises(generator.SeedError, match="lakehouse local-services"):
        generator.seed_sources({"postgres_uri": "postgresql://x"}, scale=1, seed=1)
