"""The tables of the report, one function per measured section (medians of the runs)."""

from __future__ import annotations

from collections.abc import Sequence

from lakehouse_assets.bench.catalog_child import is_read
from lakehouse_assets.bench.results import (
    BenchResults,
    ScaleResult,
    median,
    ratio,
    with_checks,
)

FRAMEWORK_PARTS = (
    ("process_start", "Dagster process start"),
    ("runner_start", "runner Spark start"),
    ("runner_wait", "first step's wait for it"),
    ("importau_bronze_ingest", "bronze job"),
    ("importau_silver_fato_pedido_correlacionado", "silver job"),
    ("importau_gold_agregado_fluxo_de_caixa_mensal", "gold cash flow"),
    ("importau_gold_features_risco_cambial_mensal", "gold FX features"),
    ("runner_stop", "runner stop"),
)
BARE_PARTS = (
    ("python_start", "Python start"),
    ("spark_start", "Spark start"),
    ("bronze", "bronze"),
    ("silver", "silver"),
    ("gold", "gold"),
    ("spark_stop", "Spark stop"),
    ("checks", "same checks (apart)"),
)
MEMORY = (
    ("dagster_process", "Dagster process"),
    ("runner_python", "runner Python"),
    ("runner_jvm", "runner JVM"),
    ("runner_workers", "runner Python workers"),
    ("bare_python", "bare Python"),
    ("bare_jvm", "bare JVM"),
    ("bare_workers", "bare Python workers"),
)


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def secs(value: float | None) -> str:
    """Seconds: one decimal, two below 10 s."""
    if value is None:
        return "-"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def times(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def signed(value: float | None) -> str:
    """Seconds that may be negative (a difference within the runs' noise)."""
    if value is None:
        return "-"
    return f"{value:+.2f}" if abs(value) < 10 else f"{value:+.1f}"


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def agree(differences: list[str] | None) -> str:
    if differences is None:
        return "-"
    return "yes" if not differences else f"NO ({len(differences)} values differ)"


def overhead(results: BenchResults) -> str:
    rows = []
    for sc in results.scales:
        if not sc.framework_cold:
            continue
        fw, bare = median(sc.framework_cold), median(sc.bare_cold)
        fw_warm, bare_warm = median(sc.framework_warm), median(sc.bare_warm)
        checked = with_checks(sc.bare_cold, sc.bare_checks)
        rows.append(
            (
                sc.label,
                f"{sc.generated_items:,}",
                sc.jit or "-",
                len(sc.framework_cold),
                secs(fw),
                secs(bare),
                times(ratio(fw, bare)),
                secs(checked),
                times(ratio(fw, checked)),
                percent(sc.check_share),
                secs(fw_warm),
                secs(bare_warm),
                times(ratio(fw_warm, bare_warm)),
                agree(sc.outputs_differ),
            )
        )
    headers = ("scale", "items", "JIT", "runs", "framework cold (s)", "bare cold (s)")
    headers += ("ratio cold", "bare + same checks (s)", "ratio to it")
    headers += ("checks' share of jobs (with vs without rules)",)
    headers += ("framework warm (s)", "bare warm (s)", "ratio warm", "same silver/gold")
    return table(headers, rows)


def check_share(results: BenchResults) -> str:
    """Per scale, the jobs' time with and without the tables' rules, the difference (the
    rules' marginal cost) and its share; the summed check phases as information."""
    rows = [
        (
            sc.label,
            len(sc.framework_job_seconds),
            secs(median(sc.framework_job_seconds)),
            len(sc.without_rules_job_seconds),
            secs(median(sc.without_rules_job_seconds)),
            signed(sc.rules_seconds),
            percent(sc.check_share),
            secs(median(sc.framework_check_seconds)),
            agree(sc.without_rules_differ),
        )
        for sc in results.scales
        if sc.without_rules_job_seconds or sc.framework_check_seconds
    ]
    headers = ("scale", "runs with rules", "jobs with rules (s)", "runs without rules")
    headers += ("jobs without rules (s)", "difference (s)", "share of the jobs with rules")
    headers += ("check phases, summed wall-clock (s)", "same silver/gold without rules")
    return table(headers, rows)


def warm(results: BenchResults) -> str:
    """The warm loop's runs and where their time went (from what the command printed)."""
    loop = results.warm
    # The lists are paired run by run; a run that printed nothing has None in them.
    outside = [w - e for w, e in zip(loop.wall, loop.cli_elapsed, strict=False) if e is not None]
    around = [
        e - s
        for e, s in zip(loop.cli_elapsed, loop.step, strict=False)
        if e is not None and s is not None
    ]
    parts = (
        ("whole command, spawn to exit", loop.wall),
        ("inside `lakehouse run` (the elapsed time it printed)", loop.cli_elapsed),
        ("the gold step (its printed duration)", loop.step),
        ("the rest of `lakehouse run` (Dagster's import, definitions, planning, events)", around),
        ("interpreter start, imports and exit (wall minus printed elapsed)", outside),
    )
    rows = []
    for what, values in parts:
        present = [v for v in values if v is not None]
        if present:
            rows.append(
                (what, len(present), secs(median(present)), secs(min(present)), secs(max(present)))
            )
    return table(("what", "runs", "median (s)", "min (s)", "max (s)"), rows)


def _parts(scales: list[ScaleResult], attribute: str, names) -> str:
    rows = []
    for sc in scales:
        parts = getattr(sc, attribute)
        if parts:
            rows.append((sc.label, *(secs(median(parts.get(key, []))) for key, _ in names)))
    return table(("scale", *(label for _, label in names)), rows)


def breakdown(results: BenchResults) -> str:
    texts = []
    if any(sc.framework_parts for sc in results.scales):
        framework = _parts(results.scales, "framework_parts", FRAMEWORK_PARTS)
        texts.append(f"Framework run, median seconds per part:\n\n{framework}")
    if any(sc.bare_parts for sc in results.scales):
        bare = _parts(results.scales, "bare_parts", BARE_PARTS)
        texts.append(f"Bare script, median seconds per phase:\n\n{bare}")
    return "\n\n".join(texts)


def _mib(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def memory(results: BenchResults) -> str:
    rows = []
    for sc in results.scales:
        if not sc.memory_mb:
            continue
        peak = {key: max(sc.memory_mb.get(key, []), default=None) for key, _ in MEMORY}
        row = [sc.label]
        for group in ("dagster", "runner", "bare"):
            values = [peak[k] for k, _ in MEMORY if k.startswith(group)]
            row += [_mib(v) for v in values]
            if group != "dagster":
                present = [v for v in values if v is not None]
                row.append(_mib(sum(present)) if present else "-")
        rows.append(row)
    headers = ["scale"]
    for group in ("dagster", "runner", "bare"):
        headers += [f"{label} (MiB)" for k, label in MEMORY if k.startswith(group)]
        if group != "dagster":
            headers.append(f"{group} total (MiB)")
    return table(headers, rows)


def engines(results: BenchResults) -> str:
    rows = []
    for sc in results.scales:
        if not sc.spark_silver_gold:
            continue
        parts = sc.engine_parts
        spark, duck = median(sc.spark_silver_gold), median(sc.duckdb_silver_gold)
        rows.append(
            (
                sc.label,
                len(sc.spark_silver_gold),
                secs(median(parts.get("spark_silver", []))),
                secs(median(parts.get("spark_gold", []))),
                secs(spark),
                secs(median(parts.get("duckdb_silver", []))),
                secs(median(parts.get("duckdb_gold", []))),
                secs(duck),
                times(ratio(spark, duck)),
                agree(sc.engines_differ),
                sc.duckdb_memory or "-",
            )
        )
    headers = ("scale", "runs", "Spark silver", "Spark gold", "Spark total (s)")
    headers += ("DuckDB silver", "DuckDB gold", "DuckDB total (s)", "Spark / DuckDB", "same output")
    headers += ("DuckDB memory limit",)
    return table(headers, rows)


def incremental(results: BenchResults) -> str:
    inc = results.incremental
    rows = []
    for h in sorted(inc.histories, key=lambda h: h.days):
        steps = [median(h.steps.get(key, [])) for key, _ in FRAMEWORK_PARTS[2:6]]
        rows.append(
            (
                h.days,
                f"{sum(h.bronze_rows.values()):,}",
                len(h.steps_total),
                *(secs(v) for v in steps),
                secs(median(h.steps_total)),
                secs(median(h.wall)),
            )
        )
    headers = ("history (days)", "bronze rows before", "runs", "bronze job", "silver job")
    headers += ("gold cash flow", "gold FX", "steps total (s)", "`lakehouse run` wall (s)")
    return table(headers, rows)


def catalog(results: BenchResults) -> str:
    cat = results.catalog

    def calls(counts: dict[str, int]) -> str:
        return ", ".join(f"{op} {n}" for op, n in sorted(counts.items())) or "none"

    def kinds(counts: dict[str, int]) -> tuple[int, int]:
        reads = sum(n for op, n in counts.items() if is_read(op))
        return reads, sum(counts.values()) - reads

    rows = [
        (
            "first (empty catalog)",
            len(cat.first_seconds),
            secs(median(cat.first_seconds)),
            *kinds(cat.first_calls),
            calls(cat.first_calls),
        ),
        (
            "second (nothing changed)",
            len(cat.second_seconds),
            secs(median(cat.second_seconds)),
            *kinds(cat.second_calls),
            calls(cat.second_calls),
        ),
    ]
    headers = ("export", "runs", "median (s)", "read calls", "write calls", "calls by operation")
    return table(headers, rows)


def generation(results: BenchResults) -> str:
    rows = [
        (
            sc.label,
            f"{sc.orders:,}",
            f"{sc.generated_items:,}",
            secs(sc.generation_seconds),
            "an earlier bench (reused)" if sc.generation_cached else "this bench",
        )
        for sc in results.scales
        if sc.generation_seconds is not None
    ]
    return table(("scale", "orders", "items", "generation (s)", "generated by"), rows)
