"""Crédito imputation statistics: fitted on the training window only, then kept.

The window (January 2024) holds five applications whose valid values are easy to order by
hand; a February application with extreme values proves the window bounds the fit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import credito_builders as cb
import pytest
from pyspark.sql import functions as F

from glue_scripts.credito.config import CleaningConfig, ConfigError
from glue_scripts.credito.silver_solicitacoes import latest_applications
from glue_scripts.credito.statistics import (
    FITTED,
    REFITTED,
    REUSED,
    StatisticsError,
    fit_statistics,
    resolve_statistics,
    statistics_of_version,
)
from glue_scripts.lib.schema import conform
from lakehouse_assets.domains.credito.specs import ESTATISTICAS, LIMPAS

NOW = dt.datetime(2024, 7, 1, 6, 0, 0)
LATER = dt.datetime(2024, 7, 2, 6, 0, 0)
WINDOW = [
    {"applicant_id": "J1", "application_ts": "2024-01-02 09:00:00", "person_age": 20,
     "person_income": 40000, "person_emp_length": 2.0, "loan_amnt": 5000, "loan_int_rate": 7.0,
     "cb_person_cred_hist_length": 2, "person_home_ownership": "RENT",
     "loan_intent": "EDUCATION", "loan_grade": "A", "cb_person_default_on_file": "N"},
    {"applicant_id": "J2", "application_ts": "2024-01-10 09:00:00", "person_age": 30,
     "person_income": 50000, "person_emp_length": 5.0, "loan_amnt": 10000, "loan_int_rate": 8.0,
     "cb_person_cred_hist_length": 6, "person_home_ownership": "RENT",
     "loan_intent": "MEDICAL", "loan_grade": "A", "cb_person_default_on_file": "N"},
    {"applicant_id": "J3", "application_ts": "2024-01-20 09:00:00", "person_age": 40,
     "person_income": 70000, "person_emp_length": None, "loan_amnt": 15000,
     "loan_int_rate": None, "cb_person_cred_hist_length": 10,
     "person_home_ownership": "MORTGAGE", "loan_intent": "MEDICAL", "loan_grade": "B",
     "cb_person_default_on_file": "Y"},
    # Every value invalid but the categories: an age of 144 also voids the years.
    {"applicant_id": "J4", "application_ts": "2024-01-25 09:00:00", "person_age": 144,
     "person_income": 0, "person_emp_length": 123.0, "loan_amnt": 20000, "loan_int_rate": 12.0,
     "cb_person_cred_hist_length": 50, "person_home_ownership": "OWN",
     "loan_intent": "VENTURE", "loan_grade": "B", "cb_person_default_on_file": None},
    {"applicant_id": "J5", "application_ts": "2024-01-31 23:59:59", "person_age": 25,
     "person_income": 60000, "person_emp_length": 3.0, "loan_amnt": 0, "loan_int_rate": 500.0,
     "cb_person_cred_hist_length": 3, "person_home_ownership": "MORTGAGE",
     "loan_intent": "EDUCATION", "loan_grade": "A", "cb_person_default_on_file": "N"},
]  # fmt: skip
FEBRUARY = {
    "applicant_id": "F1",
    "application_ts": "2024-02-01 00:00:00",
    "person_age": 99,
    "person_income": 999999,
    "loan_amnt": 35000,
    "loan_int_rate": 23.0,
}
# (variable, statistic, group, numeric value, category, rows used)
EXPECTED = [
    ("cb_person_cred_hist_length", "median", "*", 4.5, None, 4),
    ("cb_person_default_on_file", "mode", "*", None, "N", 4),
    ("loan_amnt", "median", "*", 12500.0, None, 4),
    ("loan_grade", "mode", "*", None, "A", 5),
    ("loan_int_rate", "median", "*", 8.0, None, 3),
    ("loan_int_rate", "median", "A", 7.5, None, 2),
    ("loan_int_rate", "median", "B", 12.0, None, 1),
    ("loan_intent", "mode", "*", None, "EDUCATION", 5),
    ("person_age", "median", "*", 27.5, None, 4),
    ("person_emp_length", "median", "*", 3.0, None, 3),
    # A tie (2 RENT, 2 MORTGAGE) goes to the alphabetically first value.
    ("person_home_ownership", "mode", "*", None, "MORTGAGE", 5),
    ("person_income", "median", "*", 55000.0, None, 4),
    ("person_income", "p99", "*", 69700.0, None, 4),
]


def _summary(rows):
    return sorted(
        (
            r["variable"],
            r["statistic"],
            r["group_value"],
            None if r["numeric_value"] is None else round(r["numeric_value"], 6),
            r["category_value"],
            r["rows_used"],
        )
        for r in rows
    )


@pytest.fixture(scope="module")
def applications(spark):
    return latest_applications(cb.bronze(spark, *WINDOW, FEBRUARY))


@pytest.fixture(scope="module")
def fitted(applications):
    frame, action = resolve_statistics(
        None, applications, cb.CONFIG, retrain=False, computed_at=NOW, run_id="run-1"
    )
    return frame.collect(), action, frame


def test_first_fit_uses_the_valid_values_of_the_window_only(fitted):
    rows, action, _ = fitted
    assert action == FITTED
    assert _summary(rows) == EXPECTED


def test_every_row_records_version_window_time_and_run(fitted):
    rows, _, _ = fitted
    assert {
        (r["version"], r["window_start"], r["window_end"], r["computed_at"], r["computed_by_run"])
        for r in rows
    } == {("vteste", dt.date(2024, 1, 1), dt.date(2024, 1, 31), NOW, "run-1")}


def test_the_frame_matches_the_table_spec(fitted):
    out = conform(fitted[2], ESTATISTICAS.payload())
    assert [f.name for f in out.schema.fields] == [c.name for c in ESTATISTICAS.columns]


@pytest.fixture(scope="module")
def new_days(spark):
    """A scoring day's applications, plus a late one dated inside the training window."""
    late = {**WINDOW[0], "applicant_id": "LATE", "person_age": 90, "person_income": 1000}
    scoring = {**FEBRUARY, "applicant_id": "S1", "application_ts": "2024-07-01 10:00:00"}
    rows = [*WINDOW, FEBRUARY, late, scoring]
    return latest_applications(cb.bronze(spark, *rows))


def test_a_new_day_does_not_change_stored_statistics(spark, fitted, new_days):
    stored_rows = fitted[0]
    previous = spark.createDataFrame(stored_rows)
    frame, action = resolve_statistics(
        previous, new_days, cb.CONFIG, retrain=False, computed_at=LATER, run_id="run-2"
    )
    assert action == REUSED
    again = frame.collect()
    assert _summary(again) == EXPECTED
    assert {(r["computed_at"], r["computed_by_run"]) for r in again} == {(NOW, "run-1")}


def test_an_explicit_retrain_refits_on_what_the_window_holds_now(spark, fitted, new_days):
    previous = spark.createDataFrame(fitted[0])
    frame, action = resolve_statistics(
        previous, new_days, cb.CONFIG, retrain=True, computed_at=LATER, run_id="run-3"
    )
    assert action == REFITTED
    summary = {(v, s, g): (n, c, u) for v, s, g, n, c, u in _summary(frame.collect())}
    # The late application (age 90, income 1000) is in the window now.
    assert summary[("person_age", "median", "*")] == (30.0, None, 5)
    assert summary[("person_income", "median", "*")] == (50000.0, None, 5)
    assert {r["computed_by_run"] for r in frame.collect()} == {"run-3"}


def test_another_version_stored_does_not_count(spark, fitted, applications):
    other = spark.createDataFrame(fitted[0]).withColumn("version", F.lit("v-antiga"))
    frame, action = resolve_statistics(
        other, applications, cb.CONFIG, retrain=False, computed_at=LATER, run_id="run-4"
    )
    assert action == FITTED
    assert {r["version"] for r in frame.collect()} == {"vteste"}


def test_a_version_is_never_reused_for_another_window(spark, fitted, applications):
    previous = spark.createDataFrame(fitted[0])
    moved = dataclasses.replace(cb.CONFIG, window_end=dt.date(2024, 2, 29))
    with pytest.raises(StatisticsError) as err:
        resolve_statistics(
            previous, applications, moved, retrain=False, computed_at=LATER, run_id="r"
        )
    assert str(err.value) == (
        "statistics vteste were fitted on the training window 2024-01-01..2024-01-31, but the "
        "spec now says 2024-01-01..2024-02-29; give the new window a new statistics_version "
        "(the stored one stays reproducible), or refit this version on purpose with the job "
        "argument --retrain_statistics true"
    )


def test_an_empty_window_is_a_clear_error(applications):
    empty = dataclasses.replace(
        cb.CONFIG, window_start=dt.date(2023, 1, 1), window_end=dt.date(2023, 12, 31)
    )
    with pytest.raises(StatisticsError) as err:
        fit_statistics(applications, empty, computed_at=NOW, run_id="r")
    assert str(err.value).startswith(
        "no application is dated in the training window 2023-01-01..2023-12-31 of statistics "
        "vteste; load the history that covers it"
    )


def test_a_window_without_a_valid_value_names_the_column(spark):
    only_j4 = latest_applications(cb.bronze(spark, WINDOW[3]))
    with pytest.raises(StatisticsError) as err:
        fit_statistics(only_j4, cb.CONFIG, computed_at=NOW, run_id="r")
    assert "has no valid value of ['person_age', 'person_income', 'person_emp_length', " in str(
        err.value
    )


def test_statistics_of_a_version_become_cleaning_literals(fitted):
    stats = statistics_of_version(fitted[0], "vteste")
    assert stats.medians == {
        "person_age": 27.5,
        "person_income": 55000.0,
        "person_emp_length": 3.0,
        "loan_amnt": 12500.0,
        "loan_int_rate": 8.0,
        "cb_person_cred_hist_length": 4.5,
    }
    assert stats.income_p99 == pytest.approx(69700.0, abs=1e-6)
    assert stats.rate_by_grade == {"A": 7.5, "B": 12.0}
    assert stats.modes == {
        "person_home_ownership": "MORTGAGE",
        "loan_intent": "EDUCATION",
        "loan_grade": "A",
        "cb_person_default_on_file": "N",
    }


def test_a_version_not_stored_tells_what_to_materialize(fitted):
    with pytest.raises(StatisticsError) as err:
        statistics_of_version(fitted[0], "v9")
    assert str(err.value) == (
        "no imputation statistics of version v9 are stored (versions: ['vteste']); "
        "materialize credito/silver/estatisticas_imputacao, which fits them"
    )


def test_an_incomplete_version_is_refused(fitted):
    rows = [r for r in fitted[0] if r["statistic"] != "p99"]
    with pytest.raises(StatisticsError, match=r"statistics vteste lack \['person_income.p99'\]"):
        statistics_of_version(rows, "vteste")


def test_config_comes_from_the_spec_parameters():
    config = CleaningConfig.from_tables(
        {t.qualified_name: t.payload() for t in (ESTATISTICAS, LIMPAS)}
    )
    assert (config.version, config.window_start, config.window_end) == (
        "v2024q1",
        dt.date(2024, 1, 1),
        dt.date(2024, 3, 31),
    )
    assert (config.min_working_age, config.min_age, config.max_age) == (14, 18, 100)
    assert [b.name for b in config.bands] == [
        "age_band",
        "income_band",
        "emp_length_band",
        "loan_amnt_band",
        "int_rate_band",
        "percent_income_band",
        "cred_hist_band",
    ]
    alone = CleaningConfig.from_tables({"s": ESTATISTICAS.payload()})
    assert (alone.version, alone.bands) == ("v2024q1", ())


def test_config_refuses_tables_that_disagree_or_lack_settings():
    stats = ESTATISTICAS.payload()
    other = {**LIMPAS.payload(), "parameters": {**LIMPAS.parameters, "statistics_version": "v2"}}
    with pytest.raises(ConfigError, match="disagree on parameter statistics_version"):
        CleaningConfig.from_tables({"a": stats, "b": other})
    with pytest.raises(ConfigError, match=r"table parameters \['statistics_version', "):
        CleaningConfig.from_tables({"a": {"parameters": {}}})
