"""The seconds a framework run's jobs spent on checks, read from a real Dagster instance's
event log, and how they reach the checks' share of a scale."""

from __future__ import annotations

import pytest
from dagster import (
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    materialize,
    multi_asset,
)

from lakehouse_assets.bench.framework_child import CHECK_SECONDS, check_seconds, run_facts
from lakehouse_assets.bench.overhead import _record
from lakehouse_assets.bench.results import ScaleResult
from lakehouse_assets.bench.runs import Measured
from lakehouse_assets.dagster_home import ensure_dagster_home

BRONZE = "importau_bronze_ingest"
SILVER = "importau_silver_fato_pedido_correlacionado"
PEDIDOS = AssetSpec(["importau", "bronze", "pedidos"])
ITENS = AssetSpec(["importau", "bronze", "itens_pedido"])
FATO = AssetSpec(["importau", "silver", "fato_pedido_correlacionado"], deps=[PEDIDOS, ITENS])


@multi_asset(name=BRONZE, specs=[PEDIDOS, ITENS])
def bronze():
    # As the Glue jobs report it through Pipes: a typed float, and a plain one.
    yield MaterializeResult(
        asset_key=PEDIDOS.key, metadata={CHECK_SECONDS: MetadataValue.float(1.25)}
    )
    yield MaterializeResult(asset_key=ITENS.key, metadata={CHECK_SECONDS: 0.5, "rows": 3})


@multi_asset(name=SILVER, specs=[FATO])
def silver():
    yield MaterializeResult(asset_key=FATO.key, metadata={CHECK_SECONDS: 0.75})


@multi_asset(name=SILVER, specs=[FATO])
def silver_without_check_seconds():
    yield MaterializeResult(asset_key=FATO.key, metadata={"dagster/row_count": 3})


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """The instance of a `DAGSTER_HOME` set up as `lakehouse run` sets it up."""
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    ensure_dagster_home()
    with DagsterInstance.get() as opened:
        yield opened


def test_the_check_seconds_of_a_run_are_summed_over_its_materializations(instance):
    assert materialize([bronze, silver], instance=instance).success
    facts = run_facts()  # the latest run of the instance DAGSTER_HOME names
    assert facts["check_seconds"] == pytest.approx(2.5)
    assert (facts["materializations"], facts["materializations_with_check_seconds"]) == (3, 3)
    assert set(facts["steps"]) == {BRONZE, SILVER}
    assert all(seconds >= 0 for seconds in facts["steps"].values())
    # Every other event of the run (steps, outputs, logs) is passed over.
    everything = instance.all_logs(facts["run_id"])
    assert len(everything) > 3
    assert check_seconds(everything)["check_seconds"] == pytest.approx(2.5)


def test_a_run_whose_jobs_report_no_check_seconds_is_not_measured_at_zero(instance):
    assert materialize([bronze, silver], instance=instance).success
    assert materialize([silver_without_check_seconds], instance=instance).success
    facts = run_facts(instance)  # the second run, the instance's latest
    assert facts["steps"].keys() == {SILVER}
    assert facts["check_seconds"] is None
    assert (facts["materializations"], facts["materializations_with_check_seconds"]) == (1, 0)
    entries = instance.all_logs(facts["run_id"], of_type=DagsterEventType.ASSET_MATERIALIZATION)
    assert check_seconds(entries)["check_seconds"] is None
    assert check_seconds([]) == {
        "check_seconds": None,
        "materializations": 0,
        "materializations_with_check_seconds": 0,
    }


def _framework(check: float | None, jobs: float | None) -> Measured:
    return Measured(100.0, 90.0, {}, {}, None, check, jobs)


def test_the_share_of_a_scale_is_the_median_of_its_runs_shares():
    sc = ScaleResult(items=1_000_000, label="1M")
    for check, jobs in ((8.0, 100.0), (30.0, 200.0), (9.0, 90.0)):  # 8%, 15%, 10%
        _record(sc, "framework", _framework(check, jobs))
    assert sc.check_share == pytest.approx(0.10)
    # A run whose jobs reported no check seconds adds nothing, so the lists stay paired.
    _record(sc, "framework", _framework(None, 95.0))
    assert (len(sc.framework_check_seconds), len(sc.framework_job_seconds)) == (3, 3)
    assert len(sc.framework_cold) == 4
    assert ScaleResult(items=10, label="10").check_share is None
