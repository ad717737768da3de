"""What a framework run reports of its checks, read from a real Dagster instance's event
log (the check phases' seconds, the checks evaluated), and the checks' share of a scale: the
rules' marginal cost, the jobs' time with the rules against the same run without them."""

from __future__ import annotations

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetSpec,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    materialize,
    multi_asset,
)

from lakehouse_assets.bench.framework_child import (
    CHECK_SECONDS,
    check_seconds,
    run_facts,
    unexpected_checks,
)
from lakehouse_assets.bench.overhead import _record, _record_without_rules
from lakehouse_assets.bench.procs import ChildRun
from lakehouse_assets.bench.results import ScaleResult
from lakehouse_assets.bench.runs import BenchError, Measured, stripped_run
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


@multi_asset(
    name=SILVER,
    specs=[FATO],
    check_specs=[
        AssetCheckSpec("chave_unica", asset=FATO.key),
        AssetCheckSpec("linhas_conservadas", asset=FATO.key),
    ],
)
def silver_with_checks():
    yield MaterializeResult(asset_key=FATO.key, metadata={CHECK_SECONDS: 0.75})
    yield AssetCheckResult(asset_key=FATO.key, check_name="chave_unica", passed=True)
    yield AssetCheckResult(asset_key=FATO.key, check_name="linhas_conservadas", passed=True)


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


def test_the_checks_a_run_evaluated_tell_whether_its_jobs_had_rules(instance):
    assert materialize([bronze, silver_with_checks], instance=instance).success
    facts = run_facts(instance)
    fato = ["importau", "silver", "fato_pedido_correlacionado"]
    assert facts["checks_evaluated"] == [[*fato, "chave_unica"], [*fato, "linhas_conservadas"]]
    # A run without rules may evaluate the kept (ingestion) rules only.
    kept = {(*fato, "linhas_conservadas")}
    assert unexpected_checks(facts, kept) == [
        "importau/silver/fato_pedido_correlacionado/chave_unica"
    ]
    assert unexpected_checks(facts, kept | {(*fato, "chave_unica")}) == []
    assert materialize([bronze], instance=instance).success
    assert run_facts(instance)["checks_evaluated"] == []


def _child(report: dict, tmp_path) -> ChildRun:
    return ChildRun(0, 10.0, 100.0, report, tmp_path / "run.log")


def test_a_run_without_rules_whose_jobs_checked_a_rule_fails_the_measure(tmp_path):
    stripped_run(
        {"without_rules": {"rules_kept": [], "unexpected_checks": []}}, _child({}, tmp_path)
    )
    with pytest.raises(
        BenchError, match=r"evaluated rules it should not have \(a/b/c/chave_unica\)"
    ):
        report = {"without_rules": {"unexpected_checks": ["a/b/c/chave_unica"]}}
        stripped_run(report, _child(report, tmp_path))
    with pytest.raises(BenchError, match="did not report the rules it kept"):
        stripped_run({}, _child({}, tmp_path))  # a child that never stripped the rules


def _framework(check: float | None, jobs: float | None) -> Measured:
    return Measured(100.0, 90.0, {}, {}, None, check, jobs)


def test_the_share_of_a_scale_is_the_rules_marginal_cost_over_the_jobs_with_rules():
    sc = ScaleResult(items=1_000_000, label="1M")
    # With rules, the jobs take 100, 120 and 110 s (median 110); their check phases summed
    # 60 s or more: overlapping wall-clock seconds, not the share.
    for check, jobs in ((60.0, 100.0), (70.0, 120.0), (None, 110.0)):
        _record(sc, "framework", _framework(check, jobs))
    assert sc.check_share is None  # nothing to compare with yet
    _record_without_rules(
        sc, Measured(80.0, 70.0, {"importau_bronze_ingest": 40.0}, {}, None, None, 99.0)
    )
    assert sc.rules_seconds == pytest.approx(11.0)
    assert sc.check_share == pytest.approx(0.10)
    _record_without_rules(sc, _framework(None, 95.0))  # median of 99 and 95: 97
    assert sc.check_share == pytest.approx(13 / 110)
    assert sc.framework_job_seconds == [100.0, 120.0, 110.0]
    assert sc.framework_check_seconds == [60.0, 70.0]  # a run that reported none adds none
    assert (sc.without_rules_job_seconds, sc.without_rules_cold) == ([99.0, 95.0], [80.0, 100.0])
    assert sc.without_rules_parts == {"importau_bronze_ingest": [40.0]}
    # The bare script's runs are no jobs' time.
    _record(sc, "bare", Measured(50.0, 40.0, {}, {}, 5.0))
    assert len(sc.framework_job_seconds) == 3
    # Faster with the rules than without (noise at small scales): a negative share.
    noisy = ScaleResult(items=10_000, label="10k")
    _record(noisy, "framework", _framework(1.0, 20.0))
    _record_without_rules(noisy, _framework(None, 21.0))
    assert noisy.check_share == pytest.approx(-0.05)
    assert ScaleResult(items=10, label="10").check_share is None
