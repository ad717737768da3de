"""Crédito gold: one row per applicant and day, history windows, one-hot, point in time.

The cleaned applications are hand-built (credito_builders.limpas); `transform` runs once on
all of them and once on the ones dated up to 2024-02-15, to show that later applications
change nothing about earlier feature dates.
"""

from __future__ import annotations

import datetime as dt

import credito_builders as cb
import pytest
from pyspark.sql import functions as F

from glue_scripts.credito.gold_feature_store import column_lineage, transform
from glue_scripts.lib import quality
from glue_scripts.lib.schema import conform
from lakehouse_assets.domains.credito import model_inputs as m
from lakehouse_assets.domains.credito.specs import FEATURE_STORE

VOCABULARY = m.VOCABULARY
ONE_HOT = VOCABULARY.all_columns()


def _application(applicant: str, ts: str, **values):
    return {"applicant_id": applicant, "application_ts": ts, "application_date": ts[:10], **values}


ROWS = [
    _application("h1", "2024-01-01 09:00:00", loan_amnt=1000),
    # The day's later application gives the day's inputs (grade C, amount 2000).
    _application("h1", "2024-01-01 17:30:00", loan_amnt=2000, loan_grade="C"),
    _application("h1", "2024-02-15 10:00:00", loan_amnt=3000),
    _application("h1", "2024-04-10 10:00:00", loan_amnt=4000),
    _application(
        "h2",
        "2024-01-05 08:00:00",
        person_home_ownership="LEASE",
        person_emp_length=5.0,
        treatments=["person_emp_length:missing", "loan_int_rate:missing", "loan_status:invalid"],
    ),
    # 89 days apart: still inside the 90-day window; 90 days apart: outside.
    _application("h3", "2024-01-01 12:00:00"),
    _application("h3", "2024-03-30 12:00:00"),
    _application("h4", "2024-01-01 12:00:00"),
    _application("h4", "2024-03-31 12:00:00"),
    _application("h5", "2024-01-03 12:00:00", person_home_ownership="OTHER"),
]
HISTORY = ("applications_90d", "loan_amnt_sum_90d", "days_since_first_application")


@pytest.fixture(scope="module")
def features(spark):
    return transform(cb.limpas(spark, *ROWS), VOCABULARY, m.HISTORY_DAYS)


@pytest.fixture(scope="module")
def rows(features):
    return {(r["applicant_id"], r["anomesdia"]): r for r in features.collect()}


def _ones(row) -> set[str]:
    return {c for c in ONE_HOT if row[c] == 1}


def test_one_row_per_applicant_and_day(rows):
    assert sorted(rows) == [
        ("h1", "20240101"),
        ("h1", "20240215"),
        ("h1", "20240410"),
        ("h2", "20240105"),
        ("h3", "20240101"),
        ("h3", "20240330"),
        ("h4", "20240101"),
        ("h4", "20240331"),
        ("h5", "20240103"),
    ]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (("h1", "20240101"), (2, 3000.0, 0)),
        (("h1", "20240215"), (3, 6000.0, 45)),
        # 2024-01-01 is 100 days back: out of the window, still the first application.
        (("h1", "20240410"), (2, 7000.0, 100)),
        (("h3", "20240330"), (2, 20000.0, 89)),
        (("h4", "20240331"), (1, 10000.0, 90)),
    ],
)
def test_history_windows_end_at_the_feature_date(rows, key, expected):
    assert tuple(rows[key][c] for c in HISTORY) == expected


def test_the_days_latest_application_gives_the_inputs(rows):
    row = rows[("h1", "20240101")]
    assert row["feature_ts"] == dt.datetime(2024, 1, 1, 17, 30)
    assert (row["loan_amnt"], row["person_age"], row["loan_int_rate"]) == (2000.0, 30.0, 11.0)
    assert _ones(row) == {
        "person_home_ownership_rent",
        "loan_intent_education",
        "loan_grade_c",
        "cb_person_default_on_file_n",
        "age_band_26_35",
        "income_band_50k_75k",
        "emp_length_band_3_5",
        "loan_amnt_band_10k_15k",
        "int_rate_band_11_14",
        "percent_income_band_10_20",
        "cred_hist_band_5_9",
    }


def test_unseen_and_declared_catch_all_categories_go_to_other(rows):
    assert {c for c in _ones(rows[("h2", "20240105")]) if c.startswith("person_home")} == {
        "person_home_ownership_other"
    }
    assert {c for c in _ones(rows[("h5", "20240103")]) if c.startswith("person_home")} == {
        "person_home_ownership_other"
    }


def test_imputation_flags_count_features_not_the_label(rows):
    row = rows[("h2", "20240105")]
    flags = ("person_emp_length_missing", "loan_int_rate_missing", "treated_feature_count")
    assert tuple(row[f] for f in flags) == (1, 1, 2)
    assert tuple(rows[("h1", "20240101")][f] for f in flags) == (0, 0, 0)


def test_versions_are_recorded_on_every_row(rows):
    assert {(r["statistics_version"], r["vocabulary_version"]) for r in rows.values()} == {
        ("v2024q1", "credito-vocab-2024.1")
    }


def test_later_applications_change_no_earlier_feature_date(spark, rows):
    early = [r for r in ROWS if r["application_date"] <= "2024-02-15"]
    alone = transform(cb.limpas(spark, *early), VOCABULARY, m.HISTORY_DAYS).collect()
    assert {(r["applicant_id"], r["anomesdia"]): r for r in alone} == {
        key: row for key, row in rows.items() if key[1] <= "20240215"
    }


@pytest.fixture(scope="module")
def checked(spark, features):
    """The feature store's own quality rules on the transform's output."""
    cb.limpas(spark, *ROWS).createOrReplaceTempView("solicitacoes_credito_limpas")
    # Cached, as the job's checks read the written snapshot instead of recomputing it.
    this = conform(features, FEATURE_STORE.payload()).cache()
    this.createOrReplaceTempView(quality.THIS)
    rules = FEATURE_STORE.payload()["rules"]
    passed = quality.evaluate_rules(spark, rules)
    this.unpersist()
    broken = features.withColumn("loan_grade_a", F.lit(1)).withColumn("age_band_other", F.lit(1))
    conform(broken, FEATURE_STORE.payload()).createOrReplaceTempView(quality.THIS)
    return passed, {o.name: o for o in quality.evaluate_rules(spark, rules)}


def test_every_rule_passes_on_the_output(checked):
    passed, _ = checked
    assert [(o.name, o.failed) for o in passed] == [
        ("chave_nao_nula", 0),
        ("chave_unica", 0),
        ("uma_linha_por_solicitante_e_dia", 0),
        ("features_sem_nulos", 0),
        ("one_hot_soma_um", 0),
        ("versao_do_vocabulario", 0),
        ("sem_dados_do_futuro", 0),
    ]


def test_one_hot_check_counts_rows_and_names_the_features(checked):
    _, broken = checked
    outcome = broken["one_hot_soma_um"]
    # No row has grade A, so each now has two 1s among the grades; each has a real age band.
    assert (outcome.failed, outcome.metadata["loan_grade"], outcome.metadata["age_band"]) == (
        9,
        9,
        9,
    )
    assert outcome.metadata["loan_intent"] == 0


def test_output_matches_the_spec_and_its_lineage(features):
    out = conform(features, FEATURE_STORE.payload())
    assert [f.name for f in out.schema.fields] == [c.name for c in FEATURE_STORE.columns]
    lineage = column_lineage(VOCABULARY, m.HISTORY_DAYS)
    assert set(lineage) == {c.name for c in FEATURE_STORE.columns} - {"vocabulary_version"}
    assert lineage["loan_grade_other"] == [
        ("credito_silver.solicitacoes_credito_limpas", "loan_grade")
    ]
