"""BenchResults -> docs/BENCHMARKS.md: goals first, then one table per measurement."""

from __future__ import annotations

from lakehouse_assets.bench import goals as goal_checks
from lakehouse_assets.bench import report_tables as tables
from lakehouse_assets.bench.results import BenchResults

MACHINE = (
    ("date", "date"),
    ("cpu", "CPU"),
    ("cores", "cores"),
    ("ram_gib", "RAM (GiB)"),
    ("load_at_start", "load average at start"),
    ("os", "OS"),
    ("python", "Python"),
    ("java", "Java"),
    ("pyspark", "PySpark"),
    ("dagster", "Dagster"),
    ("duckdb", "DuckDB"),
    ("pyarrow", "PyArrow"),
    ("moto", "moto"),
    ("spark_driver_memory", "Spark driver memory"),
    ("spark_cores", "Spark cores"),
)

METHOD = """\
- Every measured configuration is a fresh process started by the harness and timed with
  `time.perf_counter` from spawn to exit; tables show medians of the runs (n per table).
- **Framework**: `lakehouse run --landing <data> --root <fresh root> --select
  'group:importau' --load-date <d>`: the CLI's own `main`, Dagster in-process, the local
  Glue runner (one cold Spark start) started by the CLI before it imports Dagster, so that
  its start overlaps the Dagster process start, and stopped at the end. The first step
  counts without the time it waited for the runner.
  **Bare**: `lakehouse_assets/bench/bare_pipeline.py`: one SparkSession built exactly like
  the runner's, `spark.read.csv` with the specs' types, the same transform functions of
  `glue_scripts/importau/*.py`, Parquet per layer; no Dagster, checks, quarantine,
  Iceberg commits or masking. Both run one after the other, alternating which goes first.
  **Bare + same checks**: the bare script then runs the specs' quality rules (the SQL the
  jobs run before publishing) on its outputs, table after table, timed apart. The overhead
  goals compare the framework with the bare script and its checks (their sum, run by run);
  the ratio to the script without checks is shown as information.
- **Checks' share**: the rules' marginal cost. At each scale the framework also runs once
  more, cold, on the same data and load date in a fresh root, `DAGSTER_HOME` and runner
  folder, with every table's rules removed (`bench/without_rules.py`: only the ingestion's
  own row conservation, schema drift and watermark stay). The share is (jobs' time with
  rules - jobs' time without) / jobs' time with rules, where the jobs' time is the sum of
  the run's Dagster step durations (the first step without its wait for the runner), each
  side the median of its runs. A run without rules that reports any other check fails;
  the table says whether its silver and gold equal the framework's. The summed check phases
  (`lakehouse/check_seconds`) are shown as information: tables loaded in parallel overlap
  their check phases, so the sum overstates what the checks cost.
- **Cold** counts everything, Spark start included. **Warm** is the same run minus its
  Spark start and stop (framework: the first step's wait for the runner, the part of the
  runner's start that the Dagster process start did not hide, and its stop; bare: building
  and stopping the session).
- **Same silver/gold**: the framework's and the bare script's silver and gold have equal
  row counts and equal sums of every money column.
- **DuckDB** reads the bronze Parquet the framework wrote (the current files Iceberg lists)
  and runs SQL equivalents of the silver fact and the two gold tables
  (`lakehouse_assets/bench/duckdb_sql.py`), writing Parquet, with as many threads as Spark
  has cores and the driver's memory as limit. The Spark side runs the same transforms on
  the same bronze in a fresh process, without its session start and a first trivial
  action (a cold start, as measured above). Equivalence is proven row by row in
  `tests/bench/test_duckdb_equivalence.py` and checked again here by counts and money sums.
- **Small data**: `lakehouse run --domain importau` (the graph and the catalog asset) on
  the real exports and on the generator's sample (scale 30), cold, against the bare script
  of the same transforms without checks, cold, on the same files in the same bench. The
  goal is judged on the real exports; the sample's row has the same definition as
  information. One bare cold Spark start (`bench/cold_start.py`) is shown for scale.
- **Warm loop**: the small-data sample is materialized once (`group:importau`, not timed)
  with `--keep-runner`; then the `lakehouse` console script runs `run --select
  key:importau/gold/features_risco_cambial_mensal --keep-runner` several times with the
  runner up, each timed from spawn to exit; the runner is stopped at the end. The split
  comes from what the command printed. The UI (`dagster dev`) is not measured.
- **New day**: a generated year is cut into daily drops (that day's orders with their items
  and payments, that day's FX quotes, the master data whole). The new day is the last one
  with orders, payments and quotes; its history is the days before it (wrapping around the
  year for long histories: days share no keys). The history's bronze is written straight
  through the library (`bench/seed_history.py`: one snapshot, one Iceberg commit listing
  every load date); then `lakehouse run` loads the new day and recomputes silver and gold with a
  runner started beforehand. The goal compares the sum of the Dagster steps' durations (no
  process or Spark start in it).
- **Memory**: peak resident memory (`VmHWM` of `/proc/<pid>/status`), read before each
  process ends; the largest of the runs. Runner Python and JVM peak at different moments:
  their sum is an upper bound of the runner's peak.
- **Catalog**: synthetic specs (40% bronze with three load dates, 40% silver, 20% gold,
  lineage between layers) exported twice to a local moto endpoint in its own process, reset
  before each run, with `export_catalog` as `lakehouse catalog export` calls it; every API
  call is counted by operation with a boto3 `before-call` hook.
"""


def render(results: BenchResults) -> str:
    sections = [
        "# Benchmarks",
        f"Measured by `{results.command or 'lakehouse bench'}` in "
        f"{_minutes(results.total_seconds)}. How each number is taken is at the end; "
        "docs/BENCHMARKING.md describes the harness.",
        "## Machine",
        tables.table(("", ""), [(label, results.machine.get(key, "-")) for key, label in MACHINE]),
        "## Goals",
        tables.table(
            ("goal", "target", "measured (median)", "status"),
            [(g.goal, g.target, g.measured, g.status) for g in goal_checks.evaluate(results)],
        ),
    ]
    sections += _measurements(results)
    sections += ["## How it is measured", METHOD.rstrip()]
    if results.errors:
        sections += ["## Errors", "\n".join(f"- {e}" for e in results.errors)]
    return "\n\n".join(sections) + "\n"


def _minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.0f} min"


def _measurements(results: BenchResults) -> list[str]:
    parts = []
    if any(sc.framework_cold for sc in results.scales):
        parts += [
            "## Framework overhead over bare PySpark (full ImportAu graph)",
            tables.overhead(results),
        ]
        if any(sc.without_rules_job_seconds or sc.framework_check_seconds for sc in results.scales):
            parts += [
                "What the tables' quality rules cost the jobs: the jobs' time (the sum of the "
                "run's step durations) with the rules and without them, the same graph, data "
                "and load date run again without its rules, medians of the runs. The check "
                "phases' summed wall-clock seconds (the materializations' "
                "`lakehouse/check_seconds`) are information: the bronze job loads its tables "
                "in parallel, so their check phases overlap each other and other writes."
                f"\n\n{tables.check_share(results)}"
            ]
        parts += [text for text in [tables.breakdown(results)] if text]
    if results.warm is not None and results.warm.wall:
        parts += ["## Warm loop: one gold asset again, with the runner up", _warm(results)]
    if results.startup is not None:
        parts += ["## Small data: the whole graph vs the bare script", _startup(results)]
    if any(sc.spark_silver_gold for sc in results.scales):
        parts += ["## Silver + gold: Spark (start excluded) vs DuckDB", tables.engines(results)]
    if results.incremental is not None:
        parts += ["## One new day on top of a history", _incremental(results)]
    if any(sc.memory_mb for sc in results.scales):
        parts += ["## Peak memory (largest of the runs)", tables.memory(results)]
    if results.catalog is not None:
        cat = results.catalog
        parts += [f"## Catalog export of {cat.tables:,} synthetic tables", tables.catalog(results)]
    if results.scales:
        ratio = results.items_per_order
        note = f" ({ratio:.3f} items per order, measured on the generator)" if ratio else ""
        parts += [f"## Data generation{note}", tables.generation(results)]
    return parts


def _startup(results: BenchResults) -> str:
    from lakehouse_assets.bench.results import median, ratio, with_checks

    startup = results.startup
    cold = median(startup.bare_cold_start)
    rows = []

    def row(what: str, runs: int, seconds: float | None, bare: float | None = None) -> None:
        if seconds is not None:
            against = (tables.times(ratio(seconds, cold)), tables.times(ratio(seconds, bare)))
            rows.append((what, runs, tables.secs(seconds), *against))

    row("bare cold Spark start + one action", len(startup.bare_cold_start), cold)
    default = "default PySpark cold start + one action (no JVM tuning)"
    row(default, len(startup.default_cold_start), median(startup.default_cold_start))
    for timing in (startup.sample, startup.real):
        if timing is None:
            continue
        label, graph, bare = timing.label, median(timing.graph), median(timing.bare)
        row(f"`lakehouse run --domain importau`, {label}", len(timing.graph), graph, bare)
        what = f"bare PySpark script of the same transforms, cold ({label})"
        row(what, len(timing.bare), bare, bare)
        checked = with_checks(timing.bare, timing.bare_checks)
        what = f"the same bare script, and the same checks ({label})"
        row(what, len(timing.bare), checked, bare)
        export = median(timing.export)
        if export is not None and graph is not None:
            together = tables.times(ratio(graph + export, cold)) + " together"
            what = f"then `lakehouse catalog export` ({label})"
            rows.append((what, len(timing.export), tables.secs(export), together, "-"))
    headers = ("what", "runs", "median (s)", "x cold start", "x the bare script (same files)")
    return tables.table(headers, rows)


def _warm(results: BenchResults) -> str:
    loop = results.warm
    prime = loop.prime_seconds
    intro = (
        f"`lakehouse run --select {loop.selection} --keep-runner`, the `lakehouse` console "
        f"script timed from spawn to exit, on the {loop.landing}, after one untimed run of "
        "the whole group into the same root left the local runner up"
        + (f" ({prime:.1f} s)" if prime is not None else "")
        + ". The split comes from what the command printed (to a tenth of a second). The UI "
        "(`dagster dev`) is not measured."
    )
    return f"{intro}\n\n{tables.warm(results)}"


def _incremental(results: BenchResults) -> str:
    inc = results.incremental
    rows = ", ".join(f"{k} {v:,}" for k, v in sorted(inc.new_day_rows.items()))
    intro = (
        f"Daily drops cut from a generated year of {inc.orders:,} orders (~{inc.items:,} "
        f"items); the new day (load date {inc.new_load_date}) has {rows} rows."
    )
    return f"{intro}\n\n{tables.incremental(results)}"
