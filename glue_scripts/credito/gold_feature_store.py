"""Glue job `credito_gold_feature_store`: cleaned applications -> daily credit feature store.

One row per applicant and feature date (the application date, partition `anomesdia`): the
inputs of the day's latest application, history features over the applicant's applications
of the previous days, imputation flags and the one-hot encoding of the spec's vocabulary.
Point in time by construction: every window ends at the row's own day, so no feature of a
date uses an application dated after it. Every run rebuilds every date from silver (late or
corrected applications update the dates they belong to).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from glue_scripts.lib.feature_config import Vocabulary
from glue_scripts.lib.features import one_hot
from glue_scripts.lib.job import GlueJob

JOB = "credito_gold_feature_store"
CLEAN = "credito_silver.solicitacoes_credito_limpas"
TARGET = "credito_gold.feature_store"
NUMERIC = (
    "person_age",
    "person_income",
    "person_emp_length",
    "loan_amnt",
    "loan_int_rate",
    "loan_percent_income",
    "cb_person_cred_hist_length",
)
# Silver columns a feature row takes from the day's latest application.
LATEST = (*NUMERIC, "treatments", "statistics_version")


def _treated(prefix: str) -> Column:
    return F.exists("last.treatments", lambda code: code.startswith(prefix)).cast("int")


def daily_applications(clean: DataFrame, encoded: Sequence[str]) -> DataFrame:
    """One row per applicant and day: the day's count and amount, and its latest application
    (by submission time) with the inputs the features need (`encoded`: one-hot inputs)."""
    latest = F.struct("application_ts", *LATEST, *encoded)
    return clean.groupBy("applicant_id", "application_date").agg(
        F.count(F.lit(1)).alias("applications_of_day"),
        F.sum("loan_amnt").cast("double").alias("amount_of_day"),
        F.max_by(latest, "application_ts").alias("last"),
    )


def transform(clean: DataFrame, vocabulary: Vocabulary, history_days: int) -> DataFrame:
    """The feature store rows of every date present in silver."""
    inputs = [name for name, _ in vocabulary.features]
    daily = daily_applications(clean, inputs).select(
        "*", F.unix_date("application_date").alias("_day")
    )
    by_day = Window.partitionBy("applicant_id").orderBy("_day")
    # The frame ends at the current row's day: a date's features never see a later date.
    recent = by_day.rangeBetween(-(history_days - 1), Window.currentRow)
    so_far = by_day.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    encoded = [c for name in inputs for c in one_hot(vocabulary, name, F.col(f"last.{name}"))]
    features_treated = F.filter("last.treatments", lambda code: ~code.startswith("loan_status:"))
    return daily.select(
        "applicant_id",
        F.col("last.application_ts").alias("feature_ts"),
        *(F.col(f"last.{n}").cast("double").alias(n) for n in NUMERIC),
        F.sum("applications_of_day")
        .over(recent)
        .cast("int")
        .alias(f"applications_{history_days}d"),
        F.sum("amount_of_day").over(recent).alias(f"loan_amnt_sum_{history_days}d"),
        (F.col("_day") - F.min("_day").over(so_far))
        .cast("int")
        .alias("days_since_first_application"),
        _treated("person_emp_length:").alias("person_emp_length_missing"),
        _treated("loan_int_rate:").alias("loan_int_rate_missing"),
        F.size(
            F.array_distinct(F.transform(features_treated, lambda code: F.split(code, ":")[0]))
        ).alias("treated_feature_count"),
        *encoded,
        F.col("last.statistics_version").alias("statistics_version"),
        F.lit(vocabulary.version).alias("vocabulary_version"),
        F.date_format("application_date", "yyyyMMdd").alias("anomesdia"),
    )


def column_lineage(vocabulary: Vocabulary, history_days: int) -> dict[str, list[tuple]]:
    lineage = {n: [(CLEAN, n)] for n in ("applicant_id", *NUMERIC, "statistics_version")}
    lineage["feature_ts"] = [(CLEAN, "application_ts")]
    lineage["anomesdia"] = [(CLEAN, "application_date")]
    lineage[f"applications_{history_days}d"] = [(CLEAN, "application_date")]
    lineage[f"loan_amnt_sum_{history_days}d"] = [(CLEAN, "loan_amnt"), (CLEAN, "application_date")]
    lineage["days_since_first_application"] = [(CLEAN, "application_date")]
    for flag in ("person_emp_length_missing", "loan_int_rate_missing", "treated_feature_count"):
        lineage[flag] = [(CLEAN, "treatments")]
    for name, _ in vocabulary.features:
        for column in vocabulary.encoded_columns(name):
            lineage[column] = [(CLEAN, name)]
    return lineage


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, JOB) as job:
        parameters = job.tables[TARGET]["parameters"]
        vocabulary = Vocabulary.from_json(
            parameters["vocabulary_version"], parameters["vocabulary"]
        )
        days = int(parameters["history_window_days"])
        features = transform(job.read(CLEAN), vocabulary, days)
        job.write(
            TARGET,
            # One file per feature date.
            features.repartition("anomesdia"),
            column_lineage=column_lineage(vocabulary, days),
            extra_metadata={
                "lakehouse/vocabulary_version": {"type": "text", "raw_value": vocabulary.version}
            },
        )


if __name__ == "__main__":
    main(sys.argv[1:])
