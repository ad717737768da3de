"""Typed frames and fixed settings for the Crédito transform tests (see builders.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from builders import frame
from pyspark.sql import DataFrame, SparkSession

from glue_scripts.credito.cleaning import Statistics
from glue_scripts.credito.config import CleaningConfig
from lakehouse_assets.domains.credito import model_inputs as m
from lakehouse_assets.domains.credito.specs import LIMPAS, SOLICITACOES

LOAD = {
    "ingested_at": "2024-07-01 06:00:00",
    "source_file": "historico.csv",
    "anomesdia": "20240630",
}
# A valid application: every rule keeps every value.
APPLICATION: dict[str, Any] = {
    "applicant_id": "CR000000001",
    "application_ts": "2024-02-01 10:00:00",
    "person_age": 30,
    "person_income": 60000,
    "person_home_ownership": "RENT",
    "person_emp_length": 5.0,
    "loan_intent": "EDUCATION",
    "loan_grade": "B",
    "loan_amnt": 10000,
    "loan_int_rate": 11.0,
    "loan_status": 0,
    "loan_percent_income": 0.17,
    "cb_person_default_on_file": "N",
    "cb_person_cred_hist_length": 6,
    **LOAD,
}
CONFIG = CleaningConfig(
    version="vteste",
    window_start=dt.date(2024, 1, 1),
    window_end=dt.date(2024, 1, 31),
    min_working_age=14,
    min_age=18,
    max_age=100,
    bands=m.BANDS,
)
# Round numbers chosen so each rule's outcome is obvious (not fitted on anything).
STATS = Statistics(
    version="vteste",
    medians={
        "person_age": 26.0,
        "person_income": 55000.0,
        "person_emp_length": 5.0,
        "loan_amnt": 8000.0,
        "loan_int_rate": 11.0,
        "cb_person_cred_hist_length": 4.5,
    },
    income_p99=200000.0,
    rate_by_grade={"A": 7.5, "B": 11.25},
    modes={
        "person_home_ownership": "RENT",
        "loan_intent": "EDUCATION",
        "loan_grade": "A",
        "cb_person_default_on_file": "N",
    },
)


def bronze(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    """Bronze applications: each row overrides the valid APPLICATION where it says so."""
    return frame(spark, SOLICITACOES, list(rows), APPLICATION)


CLEAN_ROW: dict[str, Any] = {
    "applicant_id": "h1",
    "application_ts": "2024-02-01 10:00:00",
    "application_date": "2024-02-01",
    "load_date": "20240630",
    "person_age": 30,
    "person_income": 60000,
    "person_home_ownership": "RENT",
    "person_emp_length": 5.0,
    "loan_intent": "EDUCATION",
    "loan_grade": "B",
    "loan_amnt": 10000,
    "loan_int_rate": 11.0,
    "loan_percent_income": 0.17,
    "cb_person_default_on_file": "N",
    "cb_person_cred_hist_length": 6,
    "loan_status": 0,
    "age_band": "26_35",
    "income_band": "50k_75k",
    "emp_length_band": "3_5",
    "loan_amnt_band": "10k_15k",
    "int_rate_band": "11_14",
    "percent_income_band": "10_20",
    "cred_hist_band": "5_9",
    "treatments": [],
    "statistics_version": "v2024q1",
}


def limpas(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    """Cleaned applications (the gold transform's input), defaults from CLEAN_ROW."""
    return frame(spark, LIMPAS, list(rows), CLEAN_ROW)
