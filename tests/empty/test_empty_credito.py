"""Crédito's silver and gold jobs with an empty upstream.

The imputation statistics are fitted once on the applications of their training window. On
zero applications there is nothing to fit: medians and modes of nothing are not zeros, and
imputing with made-up values would poison every later row. So the statistics job refuses to
fit with an error that says what to load; once fitted, the statistics are reused and an empty
bronze gives empty cleaned applications and no new features.
"""

from __future__ import annotations

import pytest

from glue_scripts.credito import gold_feature_store, silver_solicitacoes
from glue_scripts.credito.statistics import StatisticsError
from lakehouse_assets.domains.credito import model_inputs as m
from lakehouse_assets.domains.credito import specs
from tests.empty.empty_lake import EmptyLake, checks
from tests.glue_scripts.builders import frame

LOAD = "20240630"
STATS = specs.ESTATISTICAS.qualified_name
CLEAN = specs.LIMPAS.qualified_name
GOLD = specs.FEATURE_STORE.qualified_name
APPLICATION = {
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
    "ingested_at": "2024-07-01 06:00:00",
    "source_file": "historico.csv",
    "anomesdia": LOAD,
}


def _bronze(spark):
    rows = [
        {"applicant_id": "CR1"},
        {"applicant_id": "CR2", "application_ts": "2024-02-02 10:00:00", "person_age": 40},
    ]
    return frame(spark, specs.SOLICITACOES, rows, APPLICATION)


def _error(run) -> str:
    with pytest.raises(StatisticsError) as err:
        run()
    return str(err.value)


@pytest.fixture(scope="module")
def outcomes(spark, tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("empty_credito")
    out: dict = {}
    # A source whose first export has only its header: nothing to fit the statistics on.
    first = EmptyLake(base / "first")
    first.commit_empty(specs.SOLICITACOES, LOAD)
    out["fit_on_nothing"] = _error(lambda: first.run(silver_solicitacoes.main, [STATS, CLEAN]))
    out["stats_committed"] = first.store(STATS).current() is not None
    # Gold over cleaned applications committed with no rows.
    first.commit_empty(specs.LIMPAS)
    out["gold_of_nothing"] = first.run(gold_feature_store.main, [GOLD])
    out["gold_of_nothing_rows"] = first.version_rows(GOLD)

    lake = EmptyLake(base / "lake")
    lake.commit(specs.SOLICITACOES, _bronze(spark))
    out["silver"] = lake.run(silver_solicitacoes.main, [STATS, CLEAN])
    out["clean"] = lake.rows(CLEAN, "SELECT person_age FROM t ORDER BY ALL")
    out["gold"] = lake.run(gold_feature_store.main, [GOLD])
    out["features"] = lake.rows(GOLD, "SELECT CAST(anomesdia AS VARCHAR) FROM t ORDER BY ALL")
    stats_version = lake.store(STATS).require_current().version
    # The next load of the source is empty: the statistics stay, nothing is left to clean.
    lake.commit_empty(specs.SOLICITACOES, LOAD)
    out["silver_empty"] = lake.run(silver_solicitacoes.main, [STATS, CLEAN])
    out["stats_unchanged"] = lake.store(STATS).require_current().version == stats_version + 1
    out["stats_rows"] = lake.version_rows(STATS)
    out["clean_empty"] = lake.version_rows(CLEAN)
    out["gold_empty"] = lake.run(gold_feature_store.main, [GOLD])
    # The statistics of the version committed with no rows: the cleaning cannot impute.
    lake.commit(specs.SOLICITACOES, _bronze(spark))
    lake.commit_empty(specs.ESTATISTICAS, m.STATISTICS_VERSION)
    out["clean_without_stats"] = _error(lambda: lake.run(silver_solicitacoes.main, [CLEAN]))
    return out


def failed(reported) -> set[str]:
    return {name.split(":")[1] for name, ok in checks(reported).items() if not ok}


def test_statistics_refuse_to_fit_on_zero_applications_and_say_what_to_load(outcomes):
    assert outcomes["fit_on_nothing"] == (
        f"no application is dated in the training window {m.TRAINING_WINDOW[0]}.."
        f"{m.TRAINING_WINDOW[1]} of statistics {m.STATISTICS_VERSION}; load the history that "
        "covers it (the backfill file) before the first silver run, or change the window and "
        "the version in the spec"
    )
    assert outcomes["stats_committed"] is False


def test_gold_over_no_cleaned_application_is_an_empty_committed_table(outcomes):
    assert outcomes["gold_of_nothing_rows"] == 0
    assert outcomes["gold_of_nothing"].value("credito/gold/feature_store", "dagster/row_count") == 0
    assert failed(outcomes["gold_of_nothing"]) == set()


def test_with_applications_every_job_publishes(outcomes):
    # The applicant ids are published hashed.
    assert outcomes["clean"] == [(30,), (40,)]
    assert outcomes["features"] == [("20240201",), ("20240202",)]
    assert failed(outcomes["silver"]) == failed(outcomes["gold"]) == set()


def test_an_empty_load_reuses_the_statistics_and_cleans_nothing(outcomes):
    action = outcomes["silver_empty"].value(
        "credito/silver/estatisticas_imputacao", "lakehouse/statistics_action"
    )
    assert action == "reused"
    assert outcomes["stats_rows"] > 0
    assert outcomes["clean_empty"] == 0
    assert failed(outcomes["silver_empty"]) == set()
    assert outcomes["gold_empty"].value("credito/gold/feature_store", "dagster/row_count") == 0
    assert failed(outcomes["gold_empty"]) == set()


def test_cleaning_without_stored_statistics_says_which_to_materialize(outcomes):
    assert outcomes["clean_without_stats"] == (
        f"no imputation statistics of version {m.STATISTICS_VERSION} are stored (versions: []); "
        "materialize credito/silver/estatisticas_imputacao, which fits them"
    )
