"""Silver transforms of conversas on hand-made documents: the version kept, the session row,
each run's normalised metrics, timeout, errors and success, and the tool calls."""

from __future__ import annotations

import datetime as dt

from glue_scripts.conversas.transforms import latest_sessions, runs, sessions, tool_calls
from tests.conversas.sessions import ABSENT, agent, bronze, event, run, session, tool

DAY = dt.date(2024, 5, 1)
RUN_COLUMNS = (
    "run_position",
    "run_id",
    "status",
    "total_tokens",
    "output_tokens",
    "time",
    "tool_calls",
    "timeout",
    "errors",
    "success",
)


def _runs(spark, *documents):
    result = runs(latest_sessions(bronze(spark, *documents)))
    return [
        tuple(r[c] for c in RUN_COLUMNS)
        for r in result.orderBy("session_id", "run_position").collect()
    ]


def test_a_metric_is_its_number_its_first_element_or_zero(spark):
    document = session(
        "s1",
        [
            run([120, 80], 40, [2.5, 9.0], run_id="list-number-list"),
            run([], None, 3, run_id="empty-null-number"),
            run(run_id="all-absent"),
            run(run_metrics=ABSENT, run_id="no-metrics"),
            run([None, 7], [15.5], [], run_id="null-first-element"),
        ],
    )
    assert [r[:6] for r in _runs(spark, document)] == [
        (0, "list-number-list", "COMPLETED", 120.0, 40.0, 2.5),
        (1, "empty-null-number", "COMPLETED", 0.0, 0.0, 3.0),
        (2, "all-absent", "COMPLETED", 0.0, 0.0, 0.0),
        (3, "no-metrics", "COMPLETED", 0.0, 0.0, 0.0),
        (4, "null-first-element", "COMPLETED", 0.0, 15.5, 0.0),
    ]


def test_success_is_status_running_or_runcompleted_in_the_events_text(spark):
    document = session(
        "s1",
        [
            run(status="COMPLETED", events=[event("RunStarted")], run_id="completed-no-event"),
            run(status="RUNNING", run_id="running-no-events"),
            run(
                status="COMPLETED",
                events=[event("RunStarted", content="the step before RunCompleted")],
                run_id="in-another-field",
            ),
            run(status="COMPLETED", events=[event("runcompleted")], run_id="lower-case"),
            run(status="running", events=[], run_id="status-lower-case"),
            run(status=None, events=[event("RunCompleted")], run_id="event-no-status"),
        ],
    )
    assert [(r[1], r[9]) for r in _runs(spark, document)] == [
        ("completed-no-event", False),
        ("running-no-events", True),
        ("in-another-field", True),
        ("lower-case", False),
        ("status-lower-case", False),
        ("event-no-status", True),
    ]


def test_timeouts_and_errors_are_found_in_the_lower_cased_event_text(spark):
    document = session(
        "s1",
        [
            run(
                events=[
                    event("RunStarted"),
                    event("RunError", content="Upstream TimeOut after 30 s"),
                    event("ToolCallCompleted", content="ERROR: rate limit"),
                ],
                run_id="timeout-two-errors",
            ),
            # The key tool_call_error is part of the event's text: it counts as an error.
            run(events=[event("ToolCallCompleted", tool_call_error=False)], run_id="key"),
            run(events=[event("RunCompleted")], run_id="clean"),
            run(run_id="no-events"),
        ],
    )
    assert [(r[1], r[7], r[8]) for r in _runs(spark, document)] == [
        ("timeout-two-errors", True, 2),
        ("key", False, 1),
        ("clean", False, 0),
        ("no-events", False, 0),
    ]


def test_tool_calls_are_counted_per_run_and_listed_in_order(spark):
    document = session(
        "s1",
        [
            run(tools=[tool("search"), tool("calc", error=True, t=[1.25]), tool("mail", None)]),
            run(tools=[]),
            run(),
        ],
    )
    latest = latest_sessions(bronze(spark, document))
    assert [r[6] for r in _runs(spark, document)] == [3, 0, 0]
    assert [
        tuple(r)
        for r in tool_calls(latest)
        .orderBy("run_position", "tool_position")
        .select("session_id", "run_position", "tool_position", "tool_name")
        .collect()
    ] == [("s1", 0, 0, "search"), ("s1", 0, 1, "calc"), ("s1", 0, 2, "mail")]
    assert [
        (r["tool_call_error"], r["time"], r["dia"])
        for r in tool_calls(latest).orderBy("tool_position").collect()
    ] == [(False, 0.5, DAY), (True, 1.25, DAY), (False, 0.5, DAY)]


def test_the_latest_updated_at_wins_then_the_latest_load(spark):
    old = session("s1", [run(10)], updated_at=200)
    newer = session("s1", [run(10), run(20)], updated_at=300)
    reloaded = session("s1", [run(10), run(20), run(30)], updated_at=300)
    other = session("s2", [run(5)], updated_at=ABSENT)
    versions = (
        bronze(spark, newer, other, load="20240502")
        .unionByName(bronze(spark, old, load="20240503"))
        .unionByName(bronze(spark, reloaded, load="20240504"))
    )
    kept = latest_sessions(versions).orderBy("session_id").collect()
    assert [(r["session_id"], r["updated_at"], r["anomesdia"]) for r in kept] == [
        ("s1", 300, "20240504"),
        ("s2", 3600 + 1714521600 + 60, "20240502"),
    ]


def test_the_session_row_reads_agent_model_runs_and_day(spark):
    documents = [
        session("s1", [run(1), run(2)], agent_data=agent("triage", "anthropic", "claude")),
        session("s2", memory=ABSENT, agent_data={"model": None}),
        session("s3", [], user_id=ABSENT),
    ]
    rows = sessions(latest_sessions(bronze(spark, *documents))).orderBy("session_id").collect()
    assert [tuple(r) for r in rows] == [
        ("s1", "agent-1", "triage", "anthropic", "claude", "user-1", 1714525200, 1714525260, 2,
         DAY, "20240502"),
        ("s2", "agent-1", None, None, None, "user-1", 1714525200, 1714525260, 0, DAY, "20240502"),
        ("s3", "agent-1", "support-bot", "openai", "gpt-4o", None, 1714525200, 1714525260, 0, DAY,
         "20240502"),
    ]  # fmt: skip
