"""Cleaning rules of credit applications: what is valid, what replaces the rest.

Each rule is documented in docs/CREDITO.md under the code it writes into `treatments`
(`<column>:<rule>`). A value that breaks its column's validity rule is treated as missing;
a missing value takes the training statistic of the stored version (`Statistics`), never one
computed from the day being cleaned.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_scripts.credito.config import CleaningConfig
from glue_scripts.lib.features import band

CATEGORICAL = ("person_home_ownership", "loan_intent", "loan_grade", "cb_person_default_on_file")
MAX_RATIO = 10
MEDIANS = (
    "person_age",
    "person_income",
    "person_emp_length",
    "loan_amnt",
    "loan_int_rate",
    "cb_person_cred_hist_length",
)


@dataclass(frozen=True)
class Statistics:
    """One stored statistics version, as literals for the cleaning expressions."""

    version: str
    medians: dict[str, float]
    income_p99: float
    rate_by_grade: dict[str, float]
    modes: dict[str, str]


def rounded(value: float) -> int:
    """Half up, as the cleaning rounds statistics for integer columns."""
    return math.floor(value + 0.5)


def valid_age(config: CleaningConfig, age: Column | None = None) -> Column:
    age = F.col("person_age") if age is None else age
    return F.when(age.between(config.min_age, config.max_age), age)


def _positive(name: str) -> Column:
    return F.when(F.col(name) > 0, F.col(name))


def valid_income() -> Column:
    return _positive("person_income")


def valid_amount() -> Column:
    return _positive("loan_amnt")


def valid_rate() -> Column:
    rate = F.col("loan_int_rate")
    return F.when((rate > 0) & (rate <= 100), rate)


def valid_ratio() -> Column:
    """Amount / income: from 0 (a tiny loan) up to 10 years of income."""
    ratio = F.col("loan_percent_income")
    return F.when(ratio.between(0, MAX_RATIO), ratio)


def valid_years(years: Column, age: Column, config: CleaningConfig) -> Column:
    """Years of work or credit history: from 0 up to the years since the minimum working age."""
    return F.when((years >= 0) & (years <= age - config.min_working_age), years)


def _code(name: str, raw: Column, valid: Column) -> Column:
    return F.when(raw.isNull(), F.lit(f"{name}:missing")).when(
        valid.isNull(), F.lit(f"{name}:out_of_range")
    )


def _rate_of_grade(stats: Statistics, grade: Column) -> Column:
    """The training median of the grade; a grade unseen in training gets the overall one."""
    overall = F.lit(stats.medians["loan_int_rate"])
    medians = sorted(stats.rate_by_grade.items())
    if not medians:
        return overall
    by_grade = F.when(grade == F.lit(medians[0][0]), F.lit(medians[0][1]))
    for value, median in medians[1:]:
        by_grade = by_grade.when(grade == F.lit(value), F.lit(median))
    return F.coalesce(by_grade, overall)


def _first_pass(applications: DataFrame, stats: Statistics, config: CleaningConfig) -> DataFrame:
    """Age, income, amount, categories and label: rules that need no other cleaned value."""
    m = stats.medians
    income = F.coalesce(valid_income(), F.lit(rounded(m["person_income"])).cast("bigint"))
    cap = F.lit(rounded(stats.income_p99)).cast("bigint")
    capped = valid_income() > cap
    status = F.col("loan_status")
    categories = {
        name: F.coalesce(F.col(name), F.lit(stats.modes[name])).alias(name) for name in CATEGORICAL
    }
    codes = [
        _code("person_age", F.col("person_age"), valid_age(config)),
        _code("person_income", F.col("person_income"), valid_income()),
        F.when(capped, F.lit("person_income:capped")),
        _code("loan_amnt", F.col("loan_amnt"), valid_amount()),
        *(F.when(F.col(n).isNull(), F.lit(f"{n}:missing")) for n in CATEGORICAL),
        F.when(status.isNotNull() & ~status.isin(0, 1), F.lit("loan_status:invalid")),
    ]
    return applications.select(
        "applicant_id",
        "application_ts",
        "application_date",
        "load_date",
        F.coalesce(valid_age(config), F.lit(rounded(m["person_age"]))).alias("person_age"),
        F.least(income, cap).alias("person_income"),
        income.alias("_uncapped_income"),
        categories["person_home_ownership"],
        F.col("person_emp_length").alias("_raw_emp_length"),
        categories["loan_intent"],
        categories["loan_grade"],
        F.coalesce(valid_amount(), F.lit(rounded(m["loan_amnt"]))).alias("loan_amnt"),
        F.col("loan_int_rate").alias("_raw_int_rate"),
        valid_rate().alias("_valid_int_rate"),
        F.when(status.isin(0, 1), status).alias("loan_status"),
        F.col("loan_percent_income").alias("_raw_ratio"),
        valid_ratio().alias("_valid_ratio"),
        categories["cb_person_default_on_file"],
        F.col("cb_person_cred_hist_length").alias("_raw_cred_hist"),
        F.array(*codes).alias("_codes"),
    )


def clean(applications: DataFrame, stats: Statistics, config: CleaningConfig) -> DataFrame:
    """Cleaned applications: every model input valid and present, banded, corrections listed."""
    m = stats.medians
    first = _first_pass(applications, stats, config)
    age = F.col("person_age")
    adult_years = age - config.min_working_age
    emp, hist = F.col("_raw_emp_length"), F.col("_raw_cred_hist")
    emp_valid, hist_valid = valid_years(emp, age, config), valid_years(hist, age, config)
    # The ratio describes the real loan: the income before the cap.
    ratio = F.round(F.col("loan_amnt") / F.col("_uncapped_income"), 2)
    second = first.select(
        *(c for c in first.columns if not c.startswith("_")),
        F.coalesce(
            emp_valid, F.least(F.lit(m["person_emp_length"]), adult_years.cast("double"))
        ).alias("person_emp_length"),
        F.coalesce(F.col("_valid_int_rate"), _rate_of_grade(stats, F.col("loan_grade"))).alias(
            "loan_int_rate"
        ),
        F.coalesce(F.col("_valid_ratio"), ratio).alias("loan_percent_income"),
        F.coalesce(
            hist_valid, F.least(F.lit(rounded(m["cb_person_cred_hist_length"])), adult_years)
        ).alias("cb_person_cred_hist_length"),
        F.array_compact(
            F.concat(
                F.col("_codes"),
                F.array(
                    _code("person_emp_length", emp, emp_valid),
                    _code("loan_int_rate", F.col("_raw_int_rate"), F.col("_valid_int_rate")),
                    _code("loan_percent_income", F.col("_raw_ratio"), F.col("_valid_ratio")),
                    _code("cb_person_cred_hist_length", hist, hist_valid),
                ),
            )
        ).alias("treatments"),
    )
    return second.select(
        "applicant_id",
        "application_ts",
        "application_date",
        "load_date",
        "person_age",
        "person_income",
        "person_home_ownership",
        "person_emp_length",
        "loan_intent",
        "loan_grade",
        "loan_amnt",
        "loan_int_rate",
        "loan_percent_income",
        "cb_person_default_on_file",
        "cb_person_cred_hist_length",
        "loan_status",
        *(band(b, F.col(b.source)) for b in config.bands),
        "treatments",
        F.lit(stats.version).alias("statistics_version"),
    )
