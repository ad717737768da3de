"""The conversas transforms, pure `DataFrame(s) -> DataFrame`, Spark built-ins only.

Silver: the version kept of each session, and the session, its runs and its tool calls read
from the JSON text bronze holds. Gold: the 48 per-session metrics of the reference, each
written as one SQL expression over the session's runs in stored order (`GROUPS`), so the
code reads like the definitions table (docs/CONVERSAS.md).

The JSON decisions, which the metrics depend on:
- `memory.runs` is read from the `memory` column (the object's JSON); absent or null runs
  are no runs. Bronze quarantines a document whose memory, runs, a run, its metrics, tools
  or events have another type (the spec's `invalid_when`), so what reaches silver parses.
- A metric (total_tokens, output_tokens, time; a tool call's metrics.time) is its number,
  the first element of its list (an empty list, or a null first element: 0), or 0 when
  absent or null.
- An event's text is the event as compact JSON, as Spark's JSON reader writes an object back
  (no whitespace, keys in stored order, escapes such as \\u0041 decoded); an event that is a
  plain string is that string. `RunCompleted` is searched in it case-sensitively, `timeout`
  and `error` in its lower-cased form.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

# Of the versions of one session bronze holds, the one written last wins; a tie (or no
# updated_at) goes to the later load, then the later ingestion, so the choice is total.
VERSION_ORDER = ("updated_at", "anomesdia", "ingested_at", "source_file")
RUN_SCHEMA = (
    "run_id string, status string, "
    "metrics struct<total_tokens: string, output_tokens: string, `time`: string>, "
    "tools array<string>, events array<string>"
)
TOOL_SCHEMA = "tool_name string, tool_call_error string, metrics struct<`time`: string>"
AGENT_SCHEMA = "name string, model struct<name: string, id: string, provider: string>"
NO_TEXTS = "CAST(array() AS array<string>)"


def metric_value(text: str) -> str:
    """SQL of a metric's value from its JSON text: a number, the first element of a list,
    else 0."""
    first = f"get(from_json({text}, 'array<double>'), 0)"
    return f"coalesce(try_cast({text} AS DOUBLE), {first}, CAST(0 AS DOUBLE))"


def latest_sessions(versions: DataFrame) -> DataFrame:
    """One row per session_id: the version with the latest VERSION_ORDER; `dia` as a date
    (bronze's partition columns read back as text)."""
    newest_first = Window.partitionBy("session_id").orderBy(
        *(F.col(c).desc_nulls_last() for c in VERSION_ORDER)
    )
    return (
        versions.select("*", F.row_number().over(newest_first).alias("_version_rank"))
        .where(F.col("_version_rank") == 1)
        .drop("_version_rank")
        .withColumn("dia", F.col("dia").cast("date"))
    )


def _runs_texts() -> F.Column:
    return F.expr(f"coalesce(from_json(memory, 'runs array<string>').runs, {NO_TEXTS})")


def sessions(latest: DataFrame) -> DataFrame:
    """Silver sessions: agent, model and number of runs of each session's version kept."""
    agent = F.from_json("agent_data", AGENT_SCHEMA)
    return latest.select(
        "session_id",
        "agent_id",
        agent["name"].alias("agent_name"),
        agent["model"]["provider"].alias("model_provider"),
        agent["model"]["id"].alias("model_id"),
        F.col("user_id").alias("usuario"),
        "created_at",
        "updated_at",
        F.size(_runs_texts()).alias("total_runs"),
        "dia",
        "anomesdia",
    )


def _parsed_runs(latest: DataFrame) -> DataFrame:
    return latest.select(
        "session_id", "dia", F.posexplode(_runs_texts()).alias("run_position", "_run_text")
    ).select(
        "session_id",
        "dia",
        "run_position",
        F.from_json("_run_text", RUN_SCHEMA).alias("run"),
    )


def runs(latest: DataFrame) -> DataFrame:
    """Silver runs: one row per run, metrics normalised, timeout, errors and success."""
    events = f"coalesce(run.events, {NO_TEXTS})"
    return _parsed_runs(latest).select(
        "session_id",
        "run_position",
        F.col("run.run_id").alias("run_id"),
        F.col("run.status").alias("status"),
        F.expr(metric_value("run.metrics.total_tokens")).alias("total_tokens"),
        F.expr(metric_value("run.metrics.output_tokens")).alias("output_tokens"),
        F.expr(metric_value("run.metrics.`time`")).alias("time"),
        F.expr(f"size(coalesce(run.tools, {NO_TEXTS}))").alias("tool_calls"),
        F.expr(f"coalesce(exists({events}, e -> instr(lower(e), 'timeout') > 0), false)").alias(
            "timeout"
        ),
        F.expr(f"size(filter({events}, e -> instr(lower(e), 'error') > 0))").alias("errors"),
        F.expr(
            "coalesce(run.status = 'RUNNING', false) OR "
            f"coalesce(exists({events}, e -> instr(e, 'RunCompleted') > 0), false)"
        ).alias("success"),
        "dia",
    )


def tool_calls(latest: DataFrame) -> DataFrame:
    """Silver tool calls: one row per entry of a run's tools, in stored order."""
    tools = _parsed_runs(latest).select(
        "session_id",
        "dia",
        "run_position",
        F.posexplode(F.expr(f"coalesce(run.tools, {NO_TEXTS})")).alias(
            "tool_position", "_tool_text"
        ),
    )
    return tools.select(
        "session_id",
        "dia",
        "run_position",
        "tool_position",
        F.from_json("_tool_text", TOOL_SCHEMA).alias("_tool"),
    ).select(
        "session_id",
        "run_position",
        "tool_position",
        F.col("_tool.tool_name").alias("tool_name"),
        F.expr("coalesce(try_cast(_tool.tool_call_error AS BOOLEAN), false)").alias(
            "tool_call_error"
        ),
        F.expr(metric_value("_tool.metrics.`time`")).alias("time"),
        "dia",
    )


# --- Gold: the 48 metrics ---
# Per session, the runs in stored order as arrays (`n` runs): tt, out, t, tc (tool calls),
# timeout, errors, success; and tps, tt / t of the runs with t > 0 (`m` of them).
_DOUBLE_ZERO = "CAST(0 AS DOUBLE)"


def _sum(array: str) -> str:
    return f"aggregate({array}, {_DOUBLE_ZERO}, (acc, v) -> acc + v)"


def _mean(array: str, size: str = "n") -> str:
    return f"({_sum(array)} / {size})"


def _std(array: str) -> str:
    """Population standard deviation."""
    squares = f"aggregate({array}, {_DOUBLE_ZERO}, (acc, v) -> acc + pow(v - {_mean(array)}, 2))"
    return f"sqrt({squares} / n)"


def _share(array: str, condition: str, size: str = "n") -> str:
    return f"(size(filter({array}, x -> {condition})) / {size})"


def _over(numerator: str, denominator: str, otherwise: str = _DOUBLE_ZERO) -> str:
    return f"IF({denominator} = 0, {otherwise}, {numerator} / {denominator})"


def _flag(condition: str) -> str:
    return f"CAST({condition} AS INT)"


def _pairs(array: str, body: str) -> str:
    """`body` over consecutive runs (p the earlier value, c the later one), in order."""
    return f"zip_with(slice({array}, 1, n - 1), slice({array}, 2, n - 1), (p, c) -> {body})"


_GROWTH = f"filter({_pairs('tt', 'IF(p > 0, c / p, NULL)')}, g -> g IS NOT NULL)"
_TOOL_RATIO = _over("array_max(tc)", _mean("tc"))
_SPEED_RATIO = _over("array_max(tps)", "array_min(tps)")
_SUCCESS_RATE = _share("success", "x")
_LONGEST_FAILURE_STREAK = (
    "aggregate(success, named_struct('run', 0L, 'best', 0L), (acc, s) -> IF(s, "
    "named_struct('run', 0L, 'best', acc.best), "
    "named_struct('run', acc.run + 1, 'best', greatest(acc.best, acc.run + 1))), acc -> acc.best)"
)

# (group, condition under which the whole group is 0, {column: (expression, value when 0)}).
GROUPS: tuple[tuple[str, str, dict[str, tuple[str, str]]], ...] = (
    (
        "tokens",
        "forall(tt, x -> x = 0)",
        {
            "avg_total_tokens": (_mean("tt"), "0"),
            "max_total_tokens": ("array_max(tt)", "0"),
            "token_explosion_ratio": (_over("array_max(tt)", _mean("tt")), "0"),
            "output_explosion_ratio": (
                _over("array_max(out)", _mean("out"), "CAST(1 AS DOUBLE)"),
                "0",
            ),
            "token_coefficient_variation": (_over(_std("tt"), _mean("tt")), "0"),
            "token_spike_frequency": (_share("tt", f"x > 2 * {_mean('tt')}"), "0"),
            "max_token_growth_rate": (f"coalesce(array_max({_GROWTH}), CAST(1 AS DOUBLE))", "1"),
            "explosive_growth_events": (f"size(filter({_GROWTH}, g -> g > 5))", "0"),
            "extreme_token_flag": (_flag("array_max(tt) > 50000"), "0"),
            "mega_explosion_flag": (_flag("array_max(tt) > 100000"), "0"),
        },
    ),
    (
        "time",
        "forall(t, x -> x = 0)",
        {
            "avg_execution_time": (_mean("t"), "0"),
            "max_execution_time": ("array_max(t)", "0"),
            "timeout_frequency": (_share("timeout", "x"), "0"),
            "extreme_time_frequency": (_share("t", "x > 30"), "0"),
            "execution_time_cv": (_over(_std("t"), _mean("t")), "0"),
            "time_explosion_events": (f"size(filter({_pairs('t', 'c > 2 * p')}, b -> b))", "0"),
            "infinite_loop_risk_score": (
                f"{_share('timeout', 'x')} + {_share('t', 'x > 30')}",
                "0",
            ),
            "timeout_flag": (_flag("exists(timeout, x -> x)"), "0"),
            "extreme_duration_flag": (_flag("array_max(t) > 60"), "0"),
        },
    ),
    (
        "tools",
        "forall(tc, x -> x = 0)",
        {
            "avg_tool_calls": (_mean("tc"), "0"),
            "max_tool_calls": ("array_max(tc)", "0"),
            "total_tool_calls": ("aggregate(tc, 0L, (acc, x) -> acc + x)", "0"),
            "tool_explosion_ratio": (_TOOL_RATIO, "0"),
            "excessive_tools_frequency": (_share("tc", "x > 10"), "0"),
            "duplicate_tools_score": ("0", "0"),
            "tool_chaos_score": (f"{_share('tc', 'x > 10')} + {_TOOL_RATIO} / 10", "0"),
            "tool_overuse_flag": (_flag("array_max(tc) > 20"), "0"),
            "tool_explosion_flag": (_flag(f"{_TOOL_RATIO} > 5"), "0"),
        },
    ),
    (
        "speed",
        "m = 0",
        {
            "avg_tokens_per_second": (_mean("tps", "m"), "0"),
            "min_tokens_per_second": ("array_min(tps)", "0"),
            "max_tokens_per_second": ("array_max(tps)", "0"),
            "speed_inconsistency_ratio": (_SPEED_RATIO, "0"),
            "inconsistent_speed_frequency": (_share("tps", "x < 50 OR x > 1000", "m"), "0"),
            "temporal_chaos_score": (_share("tps", "x < 50 OR x > 1000", "m"), "0"),
            "speed_anomaly_flag": (_flag(f"{_SPEED_RATIO} > 10"), "0"),
        },
    ),
    (
        "failures",
        "false",
        {
            "success_rate": (_SUCCESS_RATE, "0"),
            "failure_rate": (f"1 - {_SUCCESS_RATE}", "0"),
            "max_consecutive_failures": (_LONGEST_FAILURE_STREAK, "0"),
            "avg_errors_per_run": (_mean("errors"), "0"),
            "total_errors": ("aggregate(errors, 0L, (acc, x) -> acc + x)", "0"),
            "degradation_score": ("0", "0"),
            "systematic_failure_flag": (_flag(f"1 - {_SUCCESS_RATE} > 0.5"), "0"),
            "complete_breakdown_flag": (_flag(f"{_SUCCESS_RATE} < 0.1"), "0"),
        },
    ),
)
# Array name in the metrics' SQL -> the silver run column it collects.
_RUN_ARRAYS = {
    "tt": "total_tokens",
    "out": "output_tokens",
    "t": "time",
    "tc": "tool_calls",
    "timeout": "timeout",
    "errors": "errors",
    "success": "success",
}


def _run_arrays(execucoes: DataFrame) -> DataFrame:
    """Per session: n, the runs' values as arrays in stored order, tps and m."""
    ordered = F.sort_array(
        F.collect_list(F.struct("run_position", *(F.col(c) for c in _RUN_ARRAYS.values())))
    )
    grouped = execucoes.groupBy("session_id").agg(ordered.alias("_runs"))
    return grouped.select(
        "session_id",
        F.size("_runs").alias("n"),
        *(F.col("_runs")[source].alias(name) for name, source in _RUN_ARRAYS.items()),
        F.expr("transform(filter(_runs, r -> r.time > 0), r -> r.total_tokens / r.time)").alias(
            "tps"
        ),
    ).withColumn("m", F.size("tps"))


def metric_expressions(types: dict[str, str]) -> dict[str, F.Column]:
    """Each metric as a column over `_run_arrays`' output, in the group's zero rule, cast to
    its type in `types` (the gold spec's)."""
    columns = {}
    for _, all_zero, metrics in GROUPS:
        for name, (expression, zero) in metrics.items():
            sql = f"CASE WHEN {all_zero} THEN {zero} ELSE {expression} END"
            columns[name] = F.expr(sql).cast(types[name]).alias(name)
    return columns


def session_metrics(
    sessoes: DataFrame, execucoes: DataFrame, types: dict[str, str], definitions_version: str
) -> DataFrame:
    """Gold: one row per session of `sessoes`, the 48 metrics of its runs in `execucoes`
    (every numeric one 0 for a session without runs), its day, user and definitions' version.

    `types` maps every metric column to its Spark type (the gold spec's)."""
    expressions = metric_expressions(types)
    metrics = _run_arrays(execucoes).select(
        "session_id",
        F.col("n").cast(types["total_runs"]).alias("total_runs"),
        *expressions.values(),
    )
    numeric = ["total_runs", *expressions]
    session = sessoes.select(
        "session_id", "agent_name", "model_provider", "model_id", "dia", "usuario"
    )
    joined = session.join(metrics, "session_id", "left")
    return joined.select(
        "session_id",
        "agent_name",
        "model_provider",
        "model_id",
        *(F.coalesce(F.col(c), F.lit(0).cast(types[c])).alias(c) for c in numeric),
        "dia",
        "usuario",
        F.lit(definitions_version).alias("versao_definicoes"),
    )
