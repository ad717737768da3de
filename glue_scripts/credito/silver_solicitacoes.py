"""Glue job `credito_silver_solicitacoes`: applications -> imputation statistics + cleaned rows.

The statistics table is written first: fitted on the training window when the configured
version is not stored yet (or when the run passes `--retrain_statistics true`), otherwise
published again exactly as stored. The cleaned applications then read the committed
statistics, so they are imputed with what the table holds, never with numbers of the day.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_scripts.credito.cleaning import CATEGORICAL, clean
from glue_scripts.credito.config import CleaningConfig
from glue_scripts.credito.statistics import resolve_statistics, statistics_of_version
from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.previous import previous_output
from glue_scripts.lib.transforms import latest_by_key

JOB = "credito_silver_solicitacoes"
BRONZE = "credito_bronze.solicitacoes_credito"
STATS = "credito_silver.estatisticas_imputacao"
CLEAN = "credito_silver.solicitacoes_credito_limpas"
KEY = ("applicant_id", "application_ts")
TRUE = ("1", "true", "yes")
NUMERIC = (
    "person_age",
    "person_income",
    "person_emp_length",
    "loan_amnt",
    "loan_int_rate",
    "loan_status",
    "loan_percent_income",
    "cb_person_cred_hist_length",
)


def latest_applications(bronze: DataFrame) -> DataFrame:
    """One row per application (the latest load wins), categories trimmed and upper-cased."""
    return applications(bronze.transform(latest_by_key(list(KEY))))


def applications(latest: DataFrame) -> DataFrame:
    """`latest_applications` of the current versions (`GlueJob.read_latest`)."""
    return latest.select(
        *KEY,
        F.to_date("application_ts").alias("application_date"),
        F.col("anomesdia").alias("load_date"),
        *NUMERIC,
        *(F.upper(F.trim(F.col(name))).alias(name) for name in CATEGORICAL),
    )


def column_lineage(config: CleaningConfig) -> dict[str, list[tuple[str, str]]]:
    """Each cleaned column from its bronze source and, where imputed, the statistics."""
    imputed = {n: [(STATS, "numeric_value")] for n in NUMERIC if n != "loan_status"}
    imputed.update({n: [(STATS, "category_value")] for n in CATEGORICAL})
    lineage = {c: [(BRONZE, c), *imputed.get(c, [])] for c in (*KEY, *NUMERIC, *CATEGORICAL)}
    lineage["application_date"] = [(BRONZE, "application_ts")]
    lineage["load_date"] = [(BRONZE, "anomesdia")]
    lineage["loan_percent_income"] += [(BRONZE, "loan_amnt"), (BRONZE, "person_income")]
    lineage["treatments"] = [(BRONZE, n) for n in (*NUMERIC, *CATEGORICAL)]
    lineage["statistics_version"] = [(STATS, "version")]
    for band in config.bands:
        lineage[band.name] = [(BRONZE, band.source), *imputed.get(band.source, [])]
    return lineage


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, JOB) as job:
        config = CleaningConfig.from_tables(job.tables)
        current = applications(job.read_latest(BRONZE, list(KEY)))
        if job.wants(STATS):
            statistics, action = resolve_statistics(
                previous_output(job, STATS),
                current,
                config,
                retrain=job.args.get("retrain_statistics", "").lower() in TRUE,
                computed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
                run_id=job.run_id,
            )
            job.log.info(f"imputation statistics {config.version}: {action}")
            job.write(
                STATS,
                statistics,
                partitions=[{"version": config.version}],
                extra_metadata={
                    "lakehouse/statistics_version": {"type": "text", "raw_value": config.version},
                    "lakehouse/statistics_action": {"type": "text", "raw_value": action},
                },
            )
        if job.wants(CLEAN):
            stored = job.read(STATS).collect()
            cleaned = clean(current, statistics_of_version(stored, config.version), config)
            job.write(
                CLEAN,
                cleaned,
                column_lineage=column_lineage(config),
                extra_metadata={
                    "lakehouse/statistics_version": {"type": "text", "raw_value": config.version}
                },
            )


if __name__ == "__main__":
    main(sys.argv[1:])
