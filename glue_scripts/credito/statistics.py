"""Imputation statistics: fitted once on the training window, stored, reused ever after.

A version's statistics are computed only when the table holds none for it (or when a run is
explicitly told to refit); otherwise the stored rows are published again unchanged, whatever
new days arrived, so a scoring day never moves the numbers the model was trained with.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from pyspark.sql import DataFrame, Row, SparkSession
from pyspark.sql import functions as F

from glue_scripts.credito.cleaning import (
    CATEGORICAL,
    MEDIANS,
    Statistics,
    valid_age,
    valid_amount,
    valid_income,
    valid_rate,
    valid_years,
)
from glue_scripts.credito.config import CleaningConfig

ALL = "*"
SCHEMA = (
    "variable string, statistic string, group_value string, numeric_value double, "
    "category_value string, rows_used bigint, window_start date, window_end date, "
    "computed_at timestamp, computed_by_run string, version string"
)
FITTED, REUSED, REFITTED = "fitted", "reused", "refitted"


class StatisticsError(RuntimeError):
    """Statistics cannot be fitted, or stored ones do not match the configuration."""


def training_values(applications: DataFrame, config: CleaningConfig) -> DataFrame:
    """The training window's applications with every invalid value as NULL."""
    age = valid_age(config)
    in_window = F.col("application_date").between(
        F.lit(config.window_start), F.lit(config.window_end)
    )
    return applications.where(in_window).select(
        age.alias("person_age"),
        valid_income().alias("person_income"),
        valid_years(F.col("person_emp_length"), age, config).alias("person_emp_length"),
        valid_amount().alias("loan_amnt"),
        valid_rate().alias("loan_int_rate"),
        valid_years(F.col("cb_person_cred_hist_length"), age, config).alias(
            "cb_person_cred_hist_length"
        ),
        *CATEGORICAL,
    )


def fit_statistics(
    applications: DataFrame, config: CleaningConfig, *, computed_at: dt.datetime, run_id: str
) -> list[dict]:
    """Exact medians (linear interpolation between the middle values), the income p99, the
    interest-rate median per grade and the modes (ties: the alphabetically first value)."""
    values = training_values(applications, config)
    overall = values.agg(
        F.count(F.lit(1)).alias("rows"),
        *(F.median(n).alias(f"median_{n}") for n in MEDIANS),
        *(F.count(n).alias(f"count_{n}") for n in MEDIANS),
        F.percentile("person_income", 0.99).alias("p99_person_income"),
    ).collect()[0]
    window = f"{config.window_start}..{config.window_end}"
    if overall["rows"] == 0:
        raise StatisticsError(
            f"no application is dated in the training window {window} of statistics "
            f"{config.version}; load the history that covers it (the backfill file) before "
            "the first silver run, or change the window and the version in the spec"
        )
    empty = [n for n in MEDIANS if overall[f"count_{n}"] == 0]
    if empty:
        raise StatisticsError(
            f"the training window {window} has no valid value of {empty}; "
            "check the source or widen the window (with a new statistics version)"
        )
    base = {
        "window_start": config.window_start,
        "window_end": config.window_end,
        "computed_at": computed_at,
        "computed_by_run": run_id,
        "version": config.version,
    }

    def row(variable, statistic, value, rows, group=ALL, category=None) -> dict:
        return {
            "variable": variable,
            "statistic": statistic,
            "group_value": group,
            "numeric_value": None if value is None else float(value),
            "category_value": category,
            "rows_used": int(rows),
            **base,
        }

    rows = [row(n, "median", overall[f"median_{n}"], overall[f"count_{n}"]) for n in MEDIANS]
    rows.append(
        row("person_income", "p99", overall["p99_person_income"], overall["count_person_income"])
    )
    by_grade = (
        values.where(F.col("loan_int_rate").isNotNull() & F.col("loan_grade").isNotNull())
        .groupBy("loan_grade")
        .agg(F.median("loan_int_rate").alias("median"), F.count(F.lit(1)).alias("rows"))
        .collect()
    )
    rows += [
        row("loan_int_rate", "median", r["median"], r["rows"], group=r["loan_grade"])
        for r in sorted(by_grade, key=lambda r: r["loan_grade"])
    ]
    rows += [row(*mode) for mode in _modes(values)]
    return rows


def _modes(values: DataFrame) -> list[tuple]:
    """(variable, "mode", None, rows, "*", value) of each categorical column, in one pass."""
    pairs = F.explode(
        F.array(
            *(F.struct(F.lit(n).alias("variable"), F.col(n).alias("value")) for n in CATEGORICAL)
        )
    )
    counts = (
        values.select(pairs.alias("p"))
        .where(F.col("p.value").isNotNull())
        .groupBy("p.variable", "p.value")
        .count()
        .collect()
    )
    modes = []
    for name in CATEGORICAL:
        found = sorted((-r["count"], r["value"]) for r in counts if r["variable"] == name)
        if not found:
            raise StatisticsError(f"the training window has no value of {name}; check the source")
        total = sum(-count for count, _ in found)
        modes.append((name, "mode", None, total, ALL, found[0][1]))
    return modes


def statistics_frame(spark: SparkSession, rows: Sequence[dict]) -> DataFrame:
    names = [part.strip().split(" ")[0] for part in SCHEMA.split(",")]
    return spark.createDataFrame([tuple(r[n] for n in names) for r in rows], SCHEMA)


def resolve_statistics(
    previous: DataFrame | None,
    applications: DataFrame,
    config: CleaningConfig,
    *,
    retrain: bool,
    computed_at: dt.datetime,
    run_id: str,
) -> tuple[DataFrame, str]:
    """The configured version's statistics and what happened to them (fitted, reused,
    refitted). Stored ones are returned as they are unless `retrain`."""
    version = F.col("version") == F.lit(config.version)
    stored = [] if previous is None else previous.where(version).collect()
    if stored and not retrain:
        windows = {(r["window_start"], r["window_end"]) for r in stored}
        if windows != {(config.window_start, config.window_end)}:
            (start, end), *_ = sorted(windows)
            raise StatisticsError(
                f"statistics {config.version} were fitted on the training window {start}.."
                f"{end}, but the spec now says {config.window_start}..{config.window_end}; "
                "give the new window a new statistics_version (the stored one stays "
                "reproducible), or refit this version on purpose with the job argument "
                "--retrain_statistics true"
            )
        return previous.where(version), REUSED
    rows = fit_statistics(applications, config, computed_at=computed_at, run_id=run_id)
    frame = statistics_frame(applications.sparkSession, rows)
    return frame, REFITTED if stored else FITTED


def statistics_of_version(rows: Sequence[Row], version: str) -> Statistics:
    """The `Statistics` of one version from the stored rows; an error names what is missing."""
    mine = [r for r in rows if r["version"] == version]
    if not mine:
        stored = sorted({r["version"] for r in rows})
        raise StatisticsError(
            f"no imputation statistics of version {version} are stored (versions: {stored}); "
            "materialize credito/silver/estatisticas_imputacao, which fits them"
        )
    overall = {(r["variable"], r["statistic"]): r for r in mine if r["group_value"] == ALL}
    needed = [(n, "median") for n in MEDIANS] + [("person_income", "p99")]
    needed += [(n, "mode") for n in CATEGORICAL]
    missing = [f"{v}.{s}" for v, s in needed if (v, s) not in overall]
    if missing:
        raise StatisticsError(
            f"statistics {version} lack {missing}; refit them with --retrain_statistics true"
        )
    return Statistics(
        version=version,
        medians={n: overall[(n, "median")]["numeric_value"] for n in MEDIANS},
        income_p99=overall[("person_income", "p99")]["numeric_value"],
        rate_by_grade={
            r["group_value"]: r["numeric_value"]
            for r in mine
            if r["variable"] == "loan_int_rate" and r["group_value"] != ALL
        },
        modes={n: overall[(n, "mode")]["category_value"] for n in CATEGORICAL},
    )
