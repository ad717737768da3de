"""The Crédito graph through Dagster, Pipes and the warm runner: a backfill day, then a
scoring day, then an explicit refit of the statistics."""

from __future__ import annotations

import pytest
from dagster import AssetKey, instance_for_test, materialize

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.domains.credito.feature_view import features_as_of
from lakehouse_assets.domains.credito.generator import generate
from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.registry import registry
from tests.e2e.helpers import checks, domain_keys, iceberg_query, materializations, run_graph

pytestmark = pytest.mark.e2e
BRONZE = "credito/bronze/solicitacoes_credito"
STATS = "credito/silver/estatisticas_imputacao"
CLEAN = "credito/silver/solicitacoes_credito_limpas"
GOLD = "credito/gold/feature_store"
STATS_SQL = (
    "SELECT variable, statistic, group_value, numeric_value, category_value, rows_used, "
    "computed_at, computed_by_run FROM t ORDER BY 1, 2, 3"
)


def _stats(root) -> list[tuple]:
    store = TableStore(str(root), "credito_silver", "estatisticas_imputacao")
    return iceberg_query(store.metadata_location(), STATS_SQL)


def _feature_dates(root) -> list[str]:
    version = TableStore(str(root), "credito_gold", "feature_store").require_current()
    return sorted(name.split("=")[1] for name in version.partitions)


def test_backfill_then_a_scoring_day_then_a_refit(launcher, lake, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_PII_HASH_KEY", "credito-e2e-key-0123456789abcdef")
    generate(lake["landing"], scale=3000, seed=11)
    backfill = lake["landing"] / "solicitacoes_credito" / "solicitacoes_credito_historico.csv"
    # Applications of the 1st and 15th of each month only: each feature date is a Parquet
    # folder, and a dozen of them show as much as the half year would.
    header, *lines = backfill.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if line.split(",")[1][8:10] in ("01", "15")]
    backfill.write_text(header + "".join(kept), encoding="utf-8")
    with backfill.open("a", encoding="utf-8") as handle:
        handle.write(
            "CR000000001,2024-03-01 10:00:00,30,abc,RENT,5.0,EDUCATION,B,10000,11.00,0,0.17,N,6\n"
        )
        handle.write(",2024-03-01 11:00:00,30,60000,RENT,5.0,EDUCATION,B,10000,11.00,0,0.17,N,6\n")
    rules = sum(len(t.rules) for t in registry().tables.values() if t.domain == "credito")
    with instance_for_test() as instance:
        # The backfill file, loaded under a date without a drop of its own.
        first = run_graph(launcher, instance, partition_key="20240630", domain="credito")
        assert first.success
        published = materializations(first)
        assert set(published) == set(domain_keys("credito"))
        bronze = published[BRONZE].metadata
        assert (
            bronze["lakehouse/landing_rows"].value,
            bronze["dagster/row_count"].value,
            bronze["lakehouse/quarantined_rows"].value,
        ) == (188, 186, 2)
        assert published[STATS].metadata["lakehouse/statistics_action"].value == "fitted"
        assert published[CLEAN].metadata["dagster/row_count"].value == 186
        assert published[GOLD].metadata["lakehouse/vocabulary_version"].value == (
            "credito-vocab-2024.1"
        )
        evaluations = checks(first)
        assert len(evaluations) == rules
        assert {k for k, e in evaluations.items() if not e.passed} == set()
        stats = _stats(lake["root"])
        dates = _feature_dates(lake["root"])
        assert (len(dates), dates[0], dates[-1]) == (12, "20240101", "20240615")
        view = features_as_of("20240630", root=str(lake["root"])).frame

        # A scoring day: its drop is loaded; the statistics stay exactly as they were.
        second = run_graph(launcher, instance, partition_key="20240701", domain="credito")
        assert second.success
        published = materializations(second)
        assert published[BRONZE].metadata["dagster/row_count"].value == 20
        assert published[STATS].metadata["lakehouse/statistics_action"].value == "reused"
        assert published[CLEAN].metadata["dagster/row_count"].value == 206
        assert _stats(lake["root"]) == stats
        assert _feature_dates(lake["root"])[-1] == "20240701"
        # Point in time: what the view serves as of the backfill day has not moved.
        again = features_as_of("20240630", root=str(lake["root"])).frame
        assert again.equals(view)
        latest = features_as_of("20240701", root=str(lake["root"])).frame
        assert sorted(latest["anomesdia"].unique())[-1] == "20240701"

        # An explicit refit through a run tag: same window and data, a new fit.
        third = materialize(
            build_all_assets(registry()),
            resources={"launcher": launcher},
            instance=instance,
            selection=[AssetKey(STATS.split("/"))],
            tags={"lakehouse/job_arg/retrain_statistics": "true"},
        )
        assert third.success
        refit = materializations(third)[STATS].metadata
        assert refit["lakehouse/statistics_action"].value == "refitted"
        refitted = _stats(lake["root"])
        assert [r[:6] for r in refitted] == [r[:6] for r in stats]
        assert {r[7] for r in refitted} == {third.run_id}
