"""Crédito silver: the latest load wins, every outlier and missing-value rule, bands.

One bronze scenario with one application per case goes through `latest_applications` and
`clean` once, with hand-set statistics (credito_builders.STATS); each test reads its case.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import credito_builders as cb
import pytest

from glue_scripts.credito.cleaning import clean, rounded
from glue_scripts.credito.silver_solicitacoes import column_lineage, latest_applications
from glue_scripts.lib import quality
from glue_scripts.lib.schema import conform
from lakehouse_assets.domains.credito.specs import LIMPAS

CASES = {
    "valid": {},
    "age_144": {"person_age": 144},
    "age_missing": {"person_age": None},
    "age_17": {"person_age": 17},
    "income_missing": {"person_income": None},
    "income_zero": {"person_income": 0},
    "income_huge": {"person_income": 5_000_000, "loan_percent_income": 0.0},
    "emp_missing": {"person_emp_length": None},
    "emp_123": {"person_emp_length": 123.0},
    "emp_negative": {"person_emp_length": -1.0},
    "emp_longer_than_age": {"person_age": 20, "person_emp_length": 10.0},
    "emp_missing_age_18": {"person_age": 18, "person_emp_length": None},
    "amount_missing": {"loan_amnt": None},
    "amount_zero": {"loan_amnt": 0},
    "rate_missing_grade_a": {"loan_grade": "A", "loan_int_rate": None},
    "rate_missing_grade_g": {"loan_grade": "G", "loan_int_rate": None},
    "rate_zero_grade_b": {"loan_int_rate": 0.0},
    "rate_150": {"loan_int_rate": 150.0},
    "rate_and_grade_missing": {"loan_grade": None, "loan_int_rate": None},
    "ratio_missing": {"loan_percent_income": None},
    "ratio_missing_income_capped": {"person_income": 250_000, "loan_percent_income": None},
    "ratio_12": {"loan_percent_income": 12.0},
    "hist_missing": {"cb_person_cred_hist_length": None},
    "hist_40": {"cb_person_cred_hist_length": 40},
    "hist_missing_age_18": {"person_age": 18, "cb_person_cred_hist_length": None},
    "home_missing": {"person_home_ownership": None},
    "home_lower_case": {"person_home_ownership": " own "},
    "home_unseen": {"person_home_ownership": "LEASE"},
    "intent_missing": {"loan_intent": None},
    "default_missing": {"cb_person_default_on_file": None},
    "status_2": {"loan_status": 2},
    "status_missing": {"loan_status": None},
    "dated_after_load": {"application_ts": "2024-07-05 10:00:00"},
}
COLUMNS = (
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
)
VALID = (30, 60000, "RENT", 5.0, "EDUCATION", "B", 10000, 11.0, 0.17, "N", 6, 0)


def _valid_with(**changes):
    values = dict(zip(COLUMNS, VALID, strict=True))
    values.update(changes)
    return tuple(values[c] for c in COLUMNS)


@pytest.fixture(scope="module")
def scenario(spark):
    rows = [{**overrides, "applicant_id": case} for case, overrides in CASES.items()]
    # The same application in two loads: the later load date wins whatever was ingested last.
    rows += [
        {"applicant_id": "reloaded", "person_income": 10_000},
        {
            "applicant_id": "reloaded",
            "person_income": 20_000,
            "anomesdia": "20240701",
            "ingested_at": "2024-06-01 00:00:00",
        },
    ]
    bronze = cb.bronze(spark, *rows)
    return bronze, clean(latest_applications(bronze), cb.STATS, cb.CONFIG)


@pytest.fixture(scope="module")
def cleaned(scenario):
    return {r["applicant_id"]: r for r in scenario[1].collect()}


def _values(row):
    return tuple(row[c] for c in COLUMNS)


@pytest.mark.parametrize(
    ("case", "expected", "treatments"),
    [
        ("valid", _valid_with(), []),
        ("age_144", _valid_with(person_age=26), ["person_age:out_of_range"]),
        ("age_missing", _valid_with(person_age=26), ["person_age:missing"]),
        ("age_17", _valid_with(person_age=26), ["person_age:out_of_range"]),
        ("income_missing", _valid_with(person_income=55000), ["person_income:missing"]),
        ("income_zero", _valid_with(person_income=55000), ["person_income:out_of_range"]),
        # The cap changes the income feature, not the ratio the source computed.
        (
            "income_huge",
            _valid_with(person_income=200000, loan_percent_income=0.0),
            ["person_income:capped"],
        ),
        ("emp_missing", _valid_with(), ["person_emp_length:missing"]),
        ("emp_123", _valid_with(), ["person_emp_length:out_of_range"]),
        ("emp_negative", _valid_with(), ["person_emp_length:out_of_range"]),
        # 20 years old: at most 6 working years; the median 5 fits.
        (
            "emp_longer_than_age",
            _valid_with(person_age=20),
            ["person_emp_length:out_of_range"],
        ),
        # 18 years old: the median 5 is capped to the 4 years since the working age of 14.
        (
            "emp_missing_age_18",
            _valid_with(person_age=18, person_emp_length=4.0, cb_person_cred_hist_length=4),
            ["person_emp_length:missing", "cb_person_cred_hist_length:out_of_range"],
        ),
        ("amount_missing", _valid_with(loan_amnt=8000), ["loan_amnt:missing"]),
        ("amount_zero", _valid_with(loan_amnt=8000), ["loan_amnt:out_of_range"]),
        (
            "rate_missing_grade_a",
            _valid_with(loan_grade="A", loan_int_rate=7.5),
            ["loan_int_rate:missing"],
        ),
        # No grade G in training: the overall median.
        (
            "rate_missing_grade_g",
            _valid_with(loan_grade="G", loan_int_rate=11.0),
            ["loan_int_rate:missing"],
        ),
        ("rate_zero_grade_b", _valid_with(loan_int_rate=11.25), ["loan_int_rate:out_of_range"]),
        ("rate_150", _valid_with(loan_int_rate=11.25), ["loan_int_rate:out_of_range"]),
        # The grade is imputed first (mode A), then the rate takes A's median.
        (
            "rate_and_grade_missing",
            _valid_with(loan_grade="A", loan_int_rate=7.5),
            ["loan_grade:missing", "loan_int_rate:missing"],
        ),
        ("ratio_missing", _valid_with(), ["loan_percent_income:missing"]),
        # Recomputed from the income before the cap: 10000 / 250000.
        (
            "ratio_missing_income_capped",
            _valid_with(person_income=200000, loan_percent_income=0.04),
            ["person_income:capped", "loan_percent_income:missing"],
        ),
        ("ratio_12", _valid_with(), ["loan_percent_income:out_of_range"]),
        # The median 4.5 rounds half up to 5.
        (
            "hist_missing",
            _valid_with(cb_person_cred_hist_length=5),
            ["cb_person_cred_hist_length:missing"],
        ),
        (
            "hist_40",
            _valid_with(cb_person_cred_hist_length=5),
            ["cb_person_cred_hist_length:out_of_range"],
        ),
        # 18 years old: 5 working years is one too many as well.
        (
            "hist_missing_age_18",
            _valid_with(person_age=18, person_emp_length=4.0, cb_person_cred_hist_length=4),
            ["person_emp_length:out_of_range", "cb_person_cred_hist_length:missing"],
        ),
        ("home_missing", _valid_with(), ["person_home_ownership:missing"]),
        ("home_lower_case", _valid_with(person_home_ownership="OWN"), []),
        # Kept as it is: gold encodes it into person_home_ownership_other.
        ("home_unseen", _valid_with(person_home_ownership="LEASE"), []),
        ("intent_missing", _valid_with(), ["loan_intent:missing"]),
        ("default_missing", _valid_with(), ["cb_person_default_on_file:missing"]),
        ("status_2", _valid_with(loan_status=None), ["loan_status:invalid"]),
        ("status_missing", _valid_with(loan_status=None), []),
        ("dated_after_load", _valid_with(), []),
    ],
)
def test_each_rule(cleaned, case, expected, treatments):
    row = cleaned[case]
    assert _values(row) == expected
    assert row["treatments"] == treatments


def test_every_case_is_covered_once(cleaned):
    assert sorted(cleaned) == sorted([*CASES, "reloaded"])


def test_the_latest_load_wins(cleaned):
    row = cleaned["reloaded"]
    assert (row["person_income"], row["load_date"]) == (20000, "20240701")


def test_bookkeeping_columns(cleaned):
    row = cleaned["valid"]
    assert row["application_ts"] == dt.datetime(2024, 2, 1, 10, 0)
    assert row["application_date"] == dt.date(2024, 2, 1)
    assert (row["load_date"], row["statistics_version"]) == ("20240630", "vteste")


def test_bands_of_the_cleaned_values(cleaned):
    bands = ("age_band", "income_band", "emp_length_band", "loan_amnt_band", "int_rate_band")
    bands += ("percent_income_band", "cred_hist_band")
    # 10000 and 11.0 sit on band edges: an edge opens the upper band.
    assert tuple(cleaned["valid"][b] for b in bands) == (
        "26_35",
        "50k_75k",
        "3_5",
        "10k_15k",
        "11_14",
        "10_20",
        "5_9",
    )
    assert tuple(cleaned["income_huge"][b] for b in bands[:2]) == ("26_35", "150k_up")
    assert tuple(cleaned["emp_missing_age_18"][b] for b in bands) == (
        "18_25",
        "50k_75k",
        "3_5",
        "10k_15k",
        "11_14",
        "10_20",
        "lt_5",
    )


def test_output_matches_the_spec_with_the_applicant_hashed(spark):
    applications = latest_applications(cb.bronze(spark, {"applicant_id": "CR1"}))
    key = b"0123456789abcdef0123456789abcdef"
    out = conform(clean(applications, cb.STATS, cb.CONFIG), LIMPAS.payload(), hash_key=key)
    assert [f.name for f in out.schema.fields] == [c.name for c in LIMPAS.columns]
    (row,) = out.collect()
    assert row["applicant_id"] == hmac.new(key, b"CR1", hashlib.sha256).hexdigest()


def test_rounding_of_statistics_is_half_up():
    assert [rounded(v) for v in (4.5, 4.49, 26.0, 200879.99999999994)] == [5, 4, 26, 200880]


def test_column_lineage_names_sources_and_statistics():
    lineage = column_lineage(cb.CONFIG)
    assert set(lineage) == {c.name for c in LIMPAS.columns}
    assert lineage["age_band"] == [
        ("credito_bronze.solicitacoes_credito", "person_age"),
        ("credito_silver.estatisticas_imputacao", "numeric_value"),
    ]
    assert lineage["statistics_version"] == [("credito_silver.estatisticas_imputacao", "version")]


def test_the_tables_rules_on_the_cleaned_scenario(spark, scenario):
    bronze, cleaned = scenario
    bronze.createOrReplaceTempView("solicitacoes_credito")
    spark.sql("SELECT 'vteste' AS version").createOrReplaceTempView("estatisticas_imputacao")
    # Cached, as the job's checks read the written snapshot instead of recomputing it.
    this = conform(cleaned, LIMPAS.payload(), hash_key=b"k" * 32).cache()
    this.createOrReplaceTempView(quality.THIS)
    outcomes = quality.evaluate_rules(spark, LIMPAS.payload()["rules"])
    this.unpersist()
    assert [(o.name, o.failed) for o in outcomes] == [
        ("chave_nao_nula", 0),
        ("chave_unica", 0),
        ("uma_linha_por_solicitacao", 0),
        ("features_sem_nulos", 0),
        ("valores_dentro_das_regras", 0),
        ("estatisticas_da_versao", 0),
        ("rotulo_valido", 0),
        ("data_ate_a_carga", 1),
        ("categorias_do_vocabulario", 1),
    ]
    vocabulary = outcomes[-1].metadata
    assert (vocabulary["person_home_ownership"], vocabulary["loan_grade"]) == (1, 0)
