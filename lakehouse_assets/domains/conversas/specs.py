"""Conversas: chat-agent sessions (MongoDB, one document per session) -> one row per run and
per tool call -> 48 metrics per session, the training input of a model that spots misbehaving
agents (token explosions, loops, tool overuse, failures).

The 48 gold columns follow the reference's definitions to the letter (a model was trained on
them); DEFINITIONS_VERSION names that set of definitions and is written into every gold row.
docs/CONVERSAS.md explains the choices: what "the events as text" is, which documents are
quarantined and why, which version of a session silver keeps.
"""

from __future__ import annotations

from lakehouse_assets.domains.helpers import bronze_table, key_rules
from lakehouse_assets.source_specs import MongoCollection
from lakehouse_assets.specs import Column, JobSpec, Rule, TableSpec

DOMAIN = "conversas"
OWNER = "team:conversas-ml"
TAGS = ("Machine Learning", "Agent Quality")
# The version of the 48 definitions gold computes; change it with any change of a formula.
DEFINITIONS_VERSION = "1"
# The gold table the training dataset is cut from (dataset.py).
GOLD_DATABASE, GOLD_TABLE = "conversas_gold", "metricas_sessao"
# The per-run metrics the definitions read (input_tokens is not used).
RUN_METRICS = ("total_tokens", "output_tokens", "time")

BRONZE_JOB = JobSpec(
    name="conversas_bronze_ingest",
    domain=DOMAIN,
    script="conversas/bronze_ingest.py",
    description=(
        "Extracts the chat-agent sessions from MongoDB (incremental on created_at with a "
        "one-hour lookback) into bronze, quarantining the documents that cannot be read."
    ),
)
SILVER_JOB = JobSpec(
    name="conversas_silver",
    domain=DOMAIN,
    script="conversas/silver_execucoes.py",
    description=(
        "Keeps the latest version of each session and flattens it into sessions, runs (with "
        "normalised metrics, timeout, errors and success) and tool calls."
    ),
)
GOLD_JOB = JobSpec(
    name="conversas_gold_metricas_sessao",
    domain=DOMAIN,
    script="conversas/gold_metricas_sessao.py",
    description="Computes the 48 per-session training metrics from silver's sessions and runs.",
)
JOBS = (BRONZE_JOB, SILVER_JOB, GOLD_JOB)

# --- Bronze: the documents that cannot be read as a session (SQL over the typed columns) ---
# `documento` is the whole document as JSON, so the JSON types are still there: a field that
# is present but of another type parses to NULL (Spark's partial results), while its text in
# a map of strings is not NULL. Absent or null `memory` / `runs` / `metrics` / a metric is
# "nothing" (no runs, value 0); present with the wrong type is a quarantine.
_DOC = "documento"
_TOP = f"from_json({_DOC}, 'map<string,string>')"
_MEMORY = f"from_json({_DOC}, 'memory map<string,string>').memory"
RUNS_SQL = f"from_json({_DOC}, 'memory struct<runs: array<string>>').memory.runs"
_RUN_FIELDS = "from_json(r, 'map<string,string>')"
_METRICS = "from_json(r, 'metrics map<string,string>').metrics"


def _finite(value: str) -> str:
    return f"(NOT isnan({value}) AND abs({value}) < CAST('Infinity' AS DOUBLE))"


def _any_run(condition: str) -> str:
    return f"exists({RUNS_SQL}, r -> {condition})"


def _not_a_list(field_name: str) -> str:
    parsed = f"from_json(r, '`{field_name}` array<string>').`{field_name}`"
    return _any_run(f"{_RUN_FIELDS}['{field_name}'] IS NOT NULL AND {parsed} IS NULL")


def metric_unreadable_sql(metric: str) -> str:
    """A run whose `metrics.<metric>` is present but is not a finite number or a list of
    finite numbers (or nulls): text, a boolean, an object, NaN."""
    number = f"from_json(r, 'metrics struct<`{metric}`: double>').metrics.`{metric}`"
    numbers = f"from_json(r, 'metrics struct<`{metric}`: array<double>>').metrics.`{metric}`"
    readable = f"coalesce({_finite(number)}, forall({numbers}, x -> x IS NULL OR {_finite('x')}))"
    return _any_run(f"{_METRICS}['{metric}'] IS NOT NULL AND NOT coalesce({readable}, false)")


INVALID_WHEN = (
    (f"{_TOP} IS NULL", "documento is not a JSON object: the session cannot be read"),
    (
        f"{_TOP}['memory'] IS NOT NULL AND {_MEMORY} IS NULL",
        "memory is not an object: the session's runs cannot be read",
    ),
    (
        f"{_MEMORY}['runs'] IS NOT NULL AND {RUNS_SQL} IS NULL",
        "memory.runs is not a list: the session's runs cannot be read",
    ),
    (
        _any_run(f"r IS NULL OR {_RUN_FIELDS} IS NULL"),
        "a run in memory.runs is not an object",
    ),
    (
        _any_run(f"{_RUN_FIELDS}['metrics'] IS NOT NULL AND {_METRICS} IS NULL"),
        "a run's metrics is not an object",
    ),
    *(
        (
            metric_unreadable_sql(metric),
            f"a run's metrics.{metric} is not a number or a list of numbers (text, for instance)",
        )
        for metric in RUN_METRICS
    ),
    (_not_a_list("tools"), "a run's tools is not a list: its tool calls cannot be counted"),
    (_not_a_list("events"), "a run's events is not a list: its outcome cannot be read"),
)

SESSOES_BRONZE = bronze_table(
    domain=DOMAIN,
    name="sessoes",
    description=(
        "Chat-agent sessions from the agent framework's MongoDB storage (database agno, "
        "collection storage by default): one row per document and load, its top-level fields "
        "as text (objects as JSON) and the whole document in `documento`. Loads are "
        "incremental on created_at with a one-hour lookback, so a session may appear in "
        "several loads; partitioned by the UTC day of created_at. Documents that cannot be "
        "read as a session (see invalid_when) are quarantined with the reason."
    ),
    owner=OWNER,
    job=BRONZE_JOB.name,
    columns=(
        Column("session_id", "string", "Session id (the document's key).", nullable=False),
        Column("agent_id", "string", "Agent that ran the session."),
        Column(
            "user_id",
            "string",
            "User of the session (a pseudonymous customer id).",
            pii="customer_id",
        ),
        Column("created_at", "bigint", "When the session started (unix seconds).", nullable=False),
        Column("updated_at", "bigint", "When the session was last written (unix seconds)."),
        Column(
            "agent_data",
            "string",
            "The agent: name and model {name, id, provider} (JSON); required.",
            nullable=False,
        ),
        Column("session_data", "string", "Session metrics of the framework (JSON)."),
        Column("memory", "string", "The session's runs: {runs: [...]} (JSON)."),
        Column("documento", "string", "The whole document as JSON.", nullable=False),
        Column(
            "dia",
            "date",
            "UTC day of created_at (the table's first partition).",
            nullable=False,
        ),
    ),
    primary_key=("session_id",),
    business_tags=TAGS,
    event_date="dia",
    extract=MongoCollection(
        connection="CONVERSAS_MONGODB_URI",
        database_setting="CONVERSAS_MONGODB_DATABASE",
        database_default="agno",
        collection_setting="CONVERSAS_MONGODB_COLLECTION",
        collection_default="storage",
        document_column="documento",
        cursor="created_at",
        lookback=3600,
        day_column="dia",
    ),
    rules=(
        Rule(
            name="dia_coerente",
            kind="sql",
            severity="WARN",
            blocking=False,
            description="dia is the UTC day of created_at (the extractor computes it).",
            params={
                "query": "SELECT COUNT(*) AS failed FROM this "
                "WHERE dia <> date_from_unix_date(CAST(floor(created_at / 86400) AS INT))"
            },
        ),
    ),
    invalid_when=INVALID_WHEN,
)
BRONZE = (SESSOES_BRONZE,)

# --- Silver ---
_SESSION = Column("session_id", "string", "Session id.", nullable=False)
_RUN_POSITION = Column(
    "run_position",
    "int",
    "Position of the run in the session (0-based, stored order).",
    nullable=False,
)
_DIA = Column("dia", "date", "UTC day the session was created.", nullable=False)
_FROM_BRONZE = (SESSOES_BRONZE.qualified_name,)

SESSOES = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="sessoes",
    description=(
        "One row per chat-agent session: of the versions bronze holds, the one with the "
        "latest updated_at (ties: the latest load, then the latest ingestion), with its agent, "
        "model and number of runs; the user id is hashed. Rebuilt from bronze on each run."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=TAGS,
    upstream=_FROM_BRONZE,
    primary_key=("session_id",),
    columns=(
        _SESSION,
        Column("agent_id", "string", "Agent that ran the session."),
        Column("agent_name", "string", "agent_data.name."),
        Column("model_provider", "string", "agent_data.model.provider."),
        Column("model_id", "string", "agent_data.model.id."),
        Column(
            "usuario",
            "string",
            "The session's user_id, hashed (HMAC-SHA256 with the lakehouse's PII key).",
            pii="customer_id",
            mask="hash",
        ),
        Column("created_at", "bigint", "When the session started (unix seconds).", nullable=False),
        Column("updated_at", "bigint", "When the version kept was written (unix seconds)."),
        Column("total_runs", "int", "Runs in memory.runs (0 when absent).", nullable=False),
        _DIA,
        Column(
            "anomesdia",
            "string",
            "Load date (yyyymmdd) of the bronze version kept: traces the row to its load.",
            nullable=False,
        ),
    ),
    rules=(
        *key_rules(("session_id",), "session"),
        Rule(
            name="uma_linha_por_sessao",
            kind="row_count_equals",
            columns=("session_id",),
            params={"table": SESSOES_BRONZE.qualified_name},
            description=(
                "One row per distinct session of bronze (bronze holds no quarantined "
                "document): no session is dropped or repeated."
            ),
        ),
    ),
)
EXECUCOES = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="execucoes",
    description=(
        "One row per run of each session (silver's version of the session): the run's metrics "
        "normalised (a list gives its first element, an empty list, absent or null 0), its "
        "tool calls, timeout, errors and success as the reference defines them. An event's "
        "text is its compact JSON (see docs/CONVERSAS.md). Rebuilt from bronze on each run."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=TAGS,
    upstream=_FROM_BRONZE,
    primary_key=("session_id", "run_position"),
    columns=(
        _SESSION,
        _RUN_POSITION,
        Column("run_id", "string", "Run id."),
        Column("status", "string", "Run status as stored (RUNNING, COMPLETED, ...)."),
        Column("total_tokens", "double", "metrics.total_tokens, normalised.", nullable=False),
        Column("output_tokens", "double", "metrics.output_tokens, normalised.", nullable=False),
        Column("time", "double", "metrics.time (seconds), normalised.", nullable=False),
        Column("tool_calls", "int", "Entries in the run's tools.", nullable=False),
        Column(
            "timeout",
            "boolean",
            "Some event's text, lower-cased, contains 'timeout'.",
            nullable=False,
        ),
        Column(
            "errors",
            "int",
            "Events whose text, lower-cased, contains 'error'.",
            nullable=False,
        ),
        Column(
            "success",
            "boolean",
            "Status is exactly RUNNING, or some event's text contains RunCompleted "
            "(case-sensitive); a COMPLETED run without that event is a failure.",
            nullable=False,
        ),
        _DIA,
    ),
    rules=(
        *key_rules(("session_id", "run_position"), "run"),
        Rule(
            name="metricas_nao_negativas",
            kind="non_negative",
            columns=RUN_METRICS,
            severity="WARN",
            blocking=False,
            description="Tokens and times are never negative at the source.",
        ),
    ),
)
CHAMADAS_FERRAMENTA = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="chamadas_ferramenta",
    description=(
        "One row per tool call of each run (silver's version of the session), in stored "
        "order: the tool, whether the call failed and how long it took. Rebuilt from bronze "
        "on each run."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=TAGS,
    upstream=_FROM_BRONZE,
    primary_key=("session_id", "run_position", "tool_position"),
    columns=(
        _SESSION,
        _RUN_POSITION,
        Column(
            "tool_position",
            "int",
            "Position of the call in the run's tools (0-based).",
            nullable=False,
        ),
        Column("tool_name", "string", "Tool called."),
        Column(
            "tool_call_error",
            "boolean",
            "The call failed (tool_call_error true); absent or null is false.",
            nullable=False,
        ),
        Column("time", "double", "metrics.time of the call (seconds), normalised.", nullable=False),
        _DIA,
    ),
    rules=key_rules(("session_id", "run_position", "tool_position"), "tool call"),
)
SILVER = (SESSOES, EXECUCOES, CHAMADAS_FERRAMENTA)


# --- Gold: the 48 columns, in order ---
def _count(name: str, comment: str) -> Column:
    return Column(name, "bigint", comment, nullable=False)


def _ratio(name: str, comment: str) -> Column:
    return Column(name, "double", comment, nullable=False)


def _flag(name: str, comment: str) -> Column:
    return Column(name, "int", f"{comment} (0 or 1).", nullable=False)


FEATURES = (
    Column("session_id", "string", "Session id.", nullable=False),
    Column("agent_name", "string", "agent_data.name."),
    Column("model_provider", "string", "agent_data.model.provider."),
    Column("model_id", "string", "agent_data.model.id."),
    _count("total_runs", "n, the number of runs."),
    # Tokens: all 0 when every tt is 0, except max_token_growth_rate = 1.
    _ratio("avg_total_tokens", "Mean total_tokens (tt) over the runs."),
    _ratio("max_total_tokens", "Largest tt."),
    _ratio("token_explosion_ratio", "max tt / mean tt."),
    _ratio("output_explosion_ratio", "max / mean of output_tokens; 1 if that mean is 0."),
    _ratio("token_coefficient_variation", "Population std of tt / mean tt."),
    _ratio("token_spike_frequency", "Share of runs with tt > 2 x mean tt."),
    _ratio(
        "max_token_growth_rate",
        "Largest tt[i]/tt[i-1] over consecutive runs whose earlier tt > 0; 1 if none.",
    ),
    _count("explosive_growth_events", "How many of those growth ratios exceed 5."),
    _flag("extreme_token_flag", "max tt > 50,000"),
    _flag("mega_explosion_flag", "max tt > 100,000"),
    # Time: all 0 when every t is 0.
    _ratio("avg_execution_time", "Mean time t (zeros included)."),
    _ratio("max_execution_time", "Largest t."),
    _ratio("timeout_frequency", "Share of runs with a timeout."),
    _ratio("extreme_time_frequency", "Share of runs with t > 30."),
    _ratio("execution_time_cv", "Population std of t / mean t."),
    _count("time_explosion_events", "Consecutive runs with t[i] > 2 x t[i-1]."),
    _ratio("infinite_loop_risk_score", "timeout_frequency + extreme_time_frequency."),
    _flag("timeout_flag", "Some run timed out"),
    _flag("extreme_duration_flag", "max t > 60"),
    # Tools: all 0 when every count is 0.
    _ratio("avg_tool_calls", "Mean tool calls per run."),
    _count("max_tool_calls", "Most tool calls in one run."),
    _count("total_tool_calls", "Tool calls of all runs."),
    _ratio("tool_explosion_ratio", "max / mean tool calls."),
    _ratio("excessive_tools_frequency", "Share of runs with more than 10 tool calls."),
    _ratio("duplicate_tools_score", "Always 0 (the reference's definition)."),
    _ratio("tool_chaos_score", "excessive_tools_frequency + tool_explosion_ratio / 10."),
    _flag("tool_overuse_flag", "max tool calls > 20"),
    _flag("tool_explosion_flag", "tool_explosion_ratio > 5"),
    # Speed: tps = tt / t over the runs with t > 0; all 0 when there is none.
    _ratio("avg_tokens_per_second", "Mean tps over the runs with t > 0."),
    _ratio("min_tokens_per_second", "Smallest tps."),
    _ratio("max_tokens_per_second", "Largest tps."),
    _ratio("speed_inconsistency_ratio", "max tps / min tps; 0 if min is 0."),
    _ratio("inconsistent_speed_frequency", "Share of the runs with t > 0 with tps < 50 or > 1000."),
    _ratio("temporal_chaos_score", "Equal to inconsistent_speed_frequency."),
    _flag("speed_anomaly_flag", "speed_inconsistency_ratio > 10"),
    # Failures.
    _ratio("success_rate", "Share of successful runs."),
    _ratio("failure_rate", "1 - success_rate."),
    _count("max_consecutive_failures", "Longest streak of failed runs."),
    _ratio("avg_errors_per_run", "total_errors / n."),
    _count("total_errors", "Error events of all runs."),
    _ratio("degradation_score", "Always 0 (the reference's definition)."),
    _flag("systematic_failure_flag", "failure_rate > 0.5"),
    _flag("complete_breakdown_flag", "success_rate < 0.1"),
)
FEATURE_NAMES = tuple(c.name for c in FEATURES)
NUMERIC_FEATURES = FEATURE_NAMES[4:]
DOUBLE_FEATURES = tuple(c.name for c in FEATURES if c.type == "double")
FLAG_FEATURES = tuple(c.name for c in FEATURES if c.type == "int")
COUNT_FEATURES = tuple(c.name for c in FEATURES if c.type == "bigint")
RATE_FEATURES = (
    "token_spike_frequency",
    "timeout_frequency",
    "extreme_time_frequency",
    "excessive_tools_frequency",
    "inconsistent_speed_frequency",
    "temporal_chaos_score",
    "success_rate",
    "failure_rate",
)


def _failed_rows(condition: str) -> str:
    return f"SELECT COUNT(*) AS failed FROM this WHERE {condition}"


METRICAS_SESSAO = TableSpec(
    domain=DOMAIN,
    layer="gold",
    name=GOLD_TABLE,
    description=(
        "One row per chat-agent session: the 48 metrics a model of misbehaving agents is "
        "trained on (tokens, execution time, tool calls, speed, failures), computed exactly "
        "as the reference defines them, unrounded; every numeric column is 0 for a session "
        "without runs. Then the UTC day of created_at (partition), the hashed user and the "
        "version of the definitions. Rebuilt from silver on each run."
    ),
    owner=OWNER,
    job=GOLD_JOB.name,
    business_tags=(*TAGS, "Training Data"),
    upstream=(SESSOES.qualified_name, EXECUCOES.qualified_name),
    partition_by=("dia",),
    primary_key=("session_id",),
    columns=(
        *FEATURES,
        _DIA,
        Column(
            "usuario",
            "string",
            "The session's user_id as silver hashed it (HMAC-SHA256, the lakehouse's PII key).",
            pii="customer_id",
        ),
        Column(
            "versao_definicoes",
            "string",
            "Version of the 48 definitions the row was computed with.",
            nullable=False,
        ),
    ),
    rules=(
        *key_rules(("session_id",), "session"),
        Rule(
            name="uma_linha_por_sessao",
            kind="row_count_equals",
            columns=("session_id",),
            params={"table": SESSOES.qualified_name},
            description=(
                "One row per session of silver, which has one per session of bronze: every "
                "document bronze did not quarantine is in the training data once."
            ),
        ),
        Rule(
            name="execucoes_reconciliam",
            kind="sql",
            description="total_runs adds up to silver's runs, and matches each session's count.",
            params={
                "query": "SELECT COUNT(*) AS failed FROM ("
                "SELECT 1 FROM (SELECT COALESCE(SUM(total_runs), 0) AS n FROM this) a "
                "CROSS JOIN (SELECT COUNT(*) AS n FROM execucoes) b WHERE a.n <> b.n "
                "UNION ALL SELECT 1 FROM this t JOIN sessoes s ON t.session_id = s.session_id "
                "WHERE t.total_runs <> s.total_runs)"
            },
        ),
        Rule(
            name="metricas_preenchidas",
            kind="not_null",
            columns=(*NUMERIC_FEATURES, "versao_definicoes"),
            description="Every metric has a value (0 when its group has nothing to measure).",
        ),
        Rule(
            name="sem_nan_nem_infinito",
            kind="sql",
            description="No metric is NaN or infinite: every division is guarded.",
            params={
                "query": _failed_rows(
                    " OR ".join(
                        f"isnan({c}) OR abs({c}) = CAST('Infinity' AS DOUBLE)"
                        for c in DOUBLE_FEATURES
                    )
                )
            },
        ),
        Rule(
            name="taxas_entre_0_e_1",
            kind="sql",
            description="Shares of runs and rates lie in [0, 1].",
            params={
                "query": _failed_rows(" OR ".join(f"{c} < 0 OR {c} > 1" for c in RATE_FEATURES))
            },
        ),
        Rule(
            name="flags_0_ou_1",
            kind="sql",
            description="Flags are 0 or 1.",
            params={
                "query": _failed_rows(" OR ".join(f"{c} NOT IN (0, 1)" for c in FLAG_FEATURES))
            },
        ),
        Rule(
            name="contagens_nao_negativas",
            kind="non_negative",
            columns=COUNT_FEATURES,
            description="Counts are never negative.",
        ),
    ),
    parameters={"versao_definicoes": DEFINITIONS_VERSION},
)
GOLD = (METRICAS_SESSAO,)
TABLES = (*BRONZE, *SILVER, *GOLD)
