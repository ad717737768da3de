"""The 48 gold metrics on hand-made sessions, through the real silver and gold transforms.

Every expected value is worked out by hand from the definitions (docs/CONVERSAS.md) and
written as the fraction it is; doubles are compared to 12 significant digits."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from glue_scripts.conversas.transforms import latest_sessions, runs, session_metrics, sessions
from lakehouse_assets.domains.conversas import specs
from tests.conversas.sessions import ABSENT, bronze, event, run, session, tool

TYPES = {c.name: c.type for c in specs.METRICAS_SESSAO.columns}
TOKENS = (
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
)
TIME = (
    "avg_execution_time",
    "max_execution_time",
    "timeout_frequency",
    "extreme_time_frequency",
    "execution_time_cv",
    "time_explosion_events",
    "infinite_loop_risk_score",
    "timeout_flag",
    "extreme_duration_flag",
)
TOOLS = (
    "avg_tool_calls",
    "max_tool_calls",
    "total_tool_calls",
    "tool_explosion_ratio",
    "excessive_tools_frequency",
    "duplicate_tools_score",
    "tool_chaos_score",
    "tool_overuse_flag",
    "tool_explosion_flag",
)
SPEED = (
    "avg_tokens_per_second",
    "min_tokens_per_second",
    "max_tokens_per_second",
    "speed_inconsistency_ratio",
    "inconsistent_speed_frequency",
    "temporal_chaos_score",
    "speed_anomaly_flag",
)
FAILURES = (
    "success_rate",
    "failure_rate",
    "max_consecutive_failures",
    "avg_errors_per_run",
    "total_errors",
    "degradation_score",
    "systematic_failure_flag",
    "complete_breakdown_flag",
)


def gold(spark, *documents) -> dict[str, dict]:
    latest = latest_sessions(bronze(spark, *documents))
    result = session_metrics(sessions(latest), runs(latest), TYPES, "1")
    return {r["session_id"]: r.asDict() for r in result.collect()}


def approx(expected: dict[str, float]) -> dict:
    return {k: pytest.approx(v, rel=1e-12, abs=1e-12) for k, v in expected.items()}


def pick(row: dict, names) -> dict:
    return {n: row[n] for n in names}


def test_the_48_columns_come_in_the_reference_order_then_day_user_and_version(spark):
    latest = latest_sessions(bronze(spark, session("s1", [run(10, 1, 1)])))
    result = session_metrics(sessions(latest), runs(latest), TYPES, "1")
    assert tuple(result.columns[:48]) == specs.FEATURE_NAMES
    assert result.columns[48:] == ["dia", "usuario", "versao_definicoes"]
    assert result.columns[:5] == [
        "session_id",
        "agent_name",
        "model_provider",
        "model_id",
        "total_runs",
    ]
    assert [f.dataType.simpleString() for f in result.schema.fields] == [
        c.type for c in specs.METRICAS_SESSAO.columns
    ]


def test_a_session_without_runs_is_all_zero(spark):
    rows = gold(spark, session("empty", []), session("no-memory", memory=ABSENT))
    for session_id in ("empty", "no-memory"):
        row = rows[session_id]
        assert {n: row[n] for n in specs.NUMERIC_FEATURES} == dict.fromkeys(
            specs.NUMERIC_FEATURES, 0
        )
        assert (row["agent_name"], row["model_provider"], row["model_id"]) == (
            "support-bot",
            "openai",
            "gpt-4o",
        )
        assert (row["dia"], row["usuario"], row["versao_definicoes"]) == (
            dt.date(2024, 5, 1),
            "user-1",
            "1",
        )


def test_tokens_with_lists_numbers_an_empty_list_and_a_zero_in_between(spark):
    # tt = [100, 0, 200, 1200] (a list, an empty list, a number, a number), out = [10, 0, 30, 0]
    # (a number, absent, a list, null).
    row = gold(
        spark,
        session(
            "s",
            [run([100, 999], 10, 1), run([], ABSENT, 1), run(200, [30], 1), run(1200, None, 1)],
        ),
    )["s"]
    # mean 1500/4 = 375; deviations -275, -375, -175, 825: squares sum 927500, variance 231875.
    # Growth: 0/100 = 0, (0 -> 200 skipped: the earlier tt is 0), 1200/200 = 6 > 5.
    assert pick(row, TOKENS) == approx(
        {
            "avg_total_tokens": 375,
            "max_total_tokens": 1200,
            "token_explosion_ratio": 1200 / 375,
            "output_explosion_ratio": 30 / 10,
            "token_coefficient_variation": math.sqrt(231875) / 375,
            "token_spike_frequency": 1 / 4,
            "max_token_growth_rate": 6,
            "explosive_growth_events": 1,
            "extreme_token_flag": 0,
            "mega_explosion_flag": 0,
        }
    )
    assert row["total_runs"] == 4


def test_token_flags_and_growth_exactly_five_is_not_explosive(spark):
    row = gold(spark, session("s", [run(60_000, 0, 1), run(120_000, 0, 1)]))["s"]
    # mean 90000, std 30000; output mean 0 -> ratio 1; growth 2.
    assert pick(row, TOKENS) == approx(
        {
            "avg_total_tokens": 90_000,
            "max_total_tokens": 120_000,
            "token_explosion_ratio": 4 / 3,
            "output_explosion_ratio": 1,
            "token_coefficient_variation": 1 / 3,
            "token_spike_frequency": 0,
            "max_token_growth_rate": 2,
            "explosive_growth_events": 0,
            "extreme_token_flag": 1,
            "mega_explosion_flag": 1,
        }
    )
    # Ratios 50/10 = 5 (not > 5), 500/50 = 10, 0/500 = 0, then 0 -> 7 skipped.
    row = gold(spark, session("s", [run(10), run(50), run(500), run(0), run(7)]))["s"]
    assert (row["max_token_growth_rate"], row["explosive_growth_events"]) == (10, 1)


def test_tokens_all_zero_gives_zeros_and_a_growth_rate_of_one(spark):
    # tt all 0 (null, absent, metrics absent, empty list) while time and output are not.
    row = gold(
        spark,
        session(
            "s",
            [run(None, 5, 2), run(ABSENT, 7, 4), run(run_metrics=ABSENT), run([], 1, 1)],
        ),
    )["s"]
    assert pick(row, TOKENS) == {**dict.fromkeys(TOKENS, 0), "max_token_growth_rate": 1}
    # tps = 0 / t for the three runs with t > 0: all below 50; min 0 gives a ratio of 0.
    assert pick(row, SPEED) == dict.fromkeys(SPEED, 0) | {
        "inconsistent_speed_frequency": 1,
        "temporal_chaos_score": 1,
    }


def test_time_with_timeouts_case_insensitive_and_explosions(spark):
    timed_out = [event("RunError", content="Upstream TimeOut")]
    row = gold(
        spark,
        session("s", [run(1, 1, 10), run(1, 1, 25, events=timed_out), run(1, 1, 0), run(1, 1, 70)]),
    )["s"]
    # mean 105/4 = 26.25; deviations -16.25, -1.25, -26.25, 43.75: squares sum 2868.75,
    # variance 717.1875. Explosions: 25 > 2 x 10, 0 -> 70 > 0 (25 -> 0 is not).
    assert pick(row, TIME) == approx(
        {
            "avg_execution_time": 105 / 4,
            "max_execution_time": 70,
            "timeout_frequency": 1 / 4,
            "extreme_time_frequency": 1 / 4,
            "execution_time_cv": math.sqrt(717.1875) / 26.25,
            "time_explosion_events": 2,
            "infinite_loop_risk_score": 1 / 2,
            "timeout_flag": 1,
            "extreme_duration_flag": 1,
        }
    )


def test_time_all_zero_hides_even_a_timeout(spark):
    timed_out = [event("RunError", content="timeout")]
    row = gold(spark, session("s", [run(10, 1, 0, events=timed_out), run(10, 1)]))["s"]
    assert pick(row, TIME) == dict.fromkeys(TIME, 0)
    # No run has t > 0: the speed group is all zero too.
    assert pick(row, SPEED) == dict.fromkeys(SPEED, 0)


def test_tools(spark):
    def calls(k):
        return [tool() for _ in range(k)]

    row = gold(
        spark,
        session(
            "s",
            [run(tools=calls(0)), run(tools=calls(12)), run(tools=calls(3)), run(tools=calls(25))],
        ),
    )["s"]
    # mean 40/4 = 10, max 25 -> ratio 2.5; more than 10: 12 and 25.
    assert pick(row, TOOLS) == approx(
        {
            "avg_tool_calls": 10,
            "max_tool_calls": 25,
            "total_tool_calls": 40,
            "tool_explosion_ratio": 5 / 2,
            "excessive_tools_frequency": 1 / 2,
            "duplicate_tools_score": 0,
            "tool_chaos_score": 1 / 2 + 1 / 4,
            "tool_overuse_flag": 1,
            "tool_explosion_flag": 0,
        }
    )
    row = gold(spark, session("s", [*(run() for _ in range(5)), run(tools=calls(12))]))["s"]
    # mean 2, ratio 6 > 5.
    assert pick(row, TOOLS) == approx(
        {
            "avg_tool_calls": 2,
            "max_tool_calls": 12,
            "total_tool_calls": 12,
            "tool_explosion_ratio": 6,
            "excessive_tools_frequency": 1 / 6,
            "duplicate_tools_score": 0,
            "tool_chaos_score": 1 / 6 + 6 / 10,
            "tool_overuse_flag": 0,
            "tool_explosion_flag": 1,
        }
    )


def test_tools_all_zero(spark):
    row = gold(spark, session("s", [run(1, 1, 1, tools=[]), run(1, 1, 1)]))["s"]
    assert pick(row, TOOLS) == dict.fromkeys(TOOLS, 0)


def test_speed_over_the_runs_with_time_only(spark):
    # tps: 100/0 skipped, 1000/2 = 500, 30/1 = 30, 6000/4 = 1500.
    row = gold(
        spark, session("s", [run(100, 1, 0), run(1000, 1, 2), run(30, 1, 1), run(6000, 1, 4)])
    )["s"]
    assert pick(row, SPEED) == approx(
        {
            "avg_tokens_per_second": 2030 / 3,
            "min_tokens_per_second": 30,
            "max_tokens_per_second": 1500,
            "speed_inconsistency_ratio": 50,
            "inconsistent_speed_frequency": 2 / 3,
            "temporal_chaos_score": 2 / 3,
            "speed_anomaly_flag": 1,
        }
    )


def test_speed_with_a_minimum_of_zero_has_a_ratio_of_zero(spark):
    # tps: 0/5 = 0, 100/1 = 100.
    row = gold(spark, session("s", [run(0, 0, 5), run(100, 1, 1)]))["s"]
    assert pick(row, SPEED) == approx(
        {
            "avg_tokens_per_second": 50,
            "min_tokens_per_second": 0,
            "max_tokens_per_second": 100,
            "speed_inconsistency_ratio": 0,
            "inconsistent_speed_frequency": 1 / 2,
            "temporal_chaos_score": 1 / 2,
            "speed_anomaly_flag": 0,
        }
    )


def test_failures_by_the_reference_rule_with_streaks_and_errors(spark):
    completed = [event("RunCompleted")]
    runs_ = [
        # failure; the key tool_call_error makes its second event an error event
        run(events=[event("RunStarted"), event("ToolCallCompleted", tool_call_error=False)]),
        run(status="RUNNING"),  # success
        run(events=[event("RunStarted", content="after RunCompleted")]),  # success
        run(events=[event("runcompleted")]),  # failure
        run(status="running", events=[]),  # failure
        run(events=[event("RunError", error="boom"), event("X", content="ERROR")]),  # failure
        run(events=completed),  # success
    ]
    row = gold(spark, session("s", runs_))["s"]
    # success = F T T F F F T: 3 of 7, longest failure streak 3; errors 1 + 2 = 3.
    assert pick(row, FAILURES) == approx(
        {
            "success_rate": 3 / 7,
            "failure_rate": 4 / 7,
            "max_consecutive_failures": 3,
            "avg_errors_per_run": 3 / 7,
            "total_errors": 3,
            "degradation_score": 0,
            "systematic_failure_flag": 1,
            "complete_breakdown_flag": 0,
        }
    )


def test_a_session_that_never_succeeds_is_a_complete_breakdown(spark):
    row = gold(spark, session("s", [run(status="COMPLETED"), run(status="FAILED")]))["s"]
    assert pick(row, FAILURES) == {
        "success_rate": 0,
        "failure_rate": 1,
        "max_consecutive_failures": 2,
        "avg_errors_per_run": 0,
        "total_errors": 0,
        "degradation_score": 0,
        "systematic_failure_flag": 1,
        "complete_breakdown_flag": 1,
    }
    row = gold(spark, session("s", [run(status="RUNNING"), run(status="RUNNING")]))["s"]
    assert (
        row["failure_rate"],
        row["systematic_failure_flag"],
        row["complete_breakdown_flag"],
    ) == (
        0,
        0,
        0,
    )


def test_no_metric_is_nan_or_infinite_on_untidy_sessions(spark):
    rows = gold(
        spark,
        session("a", []),
        session("b", [run(run_metrics=ABSENT)]),
        session("c", [run(0, 0, 0, status="RUNNING")]),
        session("d", [run(5, 0, 0), run(0, 5, 3)]),
    )
    for row in rows.values():
        for name in specs.DOUBLE_FEATURES:
            assert math.isfinite(row[name]), (row["session_id"], name)
    # One run, every metric 0: growth 1 (no pair), success by status.
    assert pick(rows["c"], ("max_token_growth_rate", "success_rate", "output_explosion_ratio")) == {
        "max_token_growth_rate": 1,
        "success_rate": 1,
        "output_explosion_ratio": 0,
    }
