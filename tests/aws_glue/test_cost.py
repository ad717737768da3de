"""The Glue cost estimate that `deploy plan` prints (deploy/cost.py)."""

from __future__ import annotations

import pytest
from dagster import AssetKey, AssetMaterialization, DagsterInstance

from deploy.cost import CostSettings, estimate, job_dpus, merged, render
from lakehouse_assets.job_timings import last_run_seconds
from lakehouse_assets.registry import registry
from lakehouse_assets.settings import ConfigurationError

SETTINGS = CostSettings(dpu_hour_usd=0.36, startup_seconds=10, speed_ratio=2.0)
JOBS = {"bronze": ("shop", 2.0), "silver": ("shop", 2.0), "gold": ("shop", 4.0)}


def test_short_runs_pay_the_one_minute_minimum_and_long_ones_their_seconds():
    costs = {c.job: c for c in estimate(JOBS, {"bronze": 5.0, "silver": 40.2}, SETTINGS)}
    bronze, silver, gold = costs["bronze"], costs["silver"], costs["gold"]
    assert (bronze.glue_seconds, bronze.billed_seconds, bronze.dpu_seconds) == (20.0, 60, 120.0)
    # 10 s startup + 40.2 s x 2 = 90.4 s, billed per started second.
    assert (silver.glue_seconds, silver.billed_seconds, silver.dpu_seconds) == (90.4, 91, 182.0)
    assert (gold.local_seconds, gold.billed_seconds, gold.dpu_seconds) == (None, None, None)


def test_merging_small_jobs_pays_the_minimum_once():
    costs = estimate(JOBS, {"bronze": 5.0, "silver": 10.0, "gold": 2.5}, SETTINGS)
    # bronze, gold, silver: 60 s each, at 2, 4 and 2 DPU.
    assert [c.dpu_seconds for c in costs] == [120.0, 240.0, 120.0]
    # One run: 10 s startup + (10 + 20 + 5) s of work = 45 s -> the minute, at 4 DPU.
    assert merged(costs, SETTINGS) == 240.0
    assert merged(costs[:1], SETTINGS) == 120.0  # one job merged is itself
    assert merged(estimate(JOBS, {"bronze": 5.0}, SETTINGS), SETTINGS) is None


def test_the_report_gives_each_job_and_each_domain_separate_and_merged():
    costs = estimate(JOBS, {"bronze": 5.0, "silver": 10.0, "gold": 2.5}, SETTINGS)
    lines = render(costs, SETTINGS)
    assert lines[0].startswith("estimated Glue cost per run")
    assert "0.36 USD per DPU-hour" in lines[0]
    assert "  bronze: local 5.0 s -> billed 60 s x 2 DPU = 120 DPU-s, 0.0120 USD" in lines
    assert (
        "  domain shop: 3 job run(s) = 480 DPU-s (0.0480 USD/day); "
        "as one merged job 240 DPU-s (0.0240 USD/day)"
    ) in lines
    unknown = render(estimate(JOBS, {}, SETTINGS), SETTINGS)
    assert "  gold: 4 DPU, no local run recorded yet (run `lakehouse run` first)" in unknown
    assert not [line for line in unknown if line.startswith("  domain")]


def test_capacity_comes_from_the_worker_type_and_count():
    assert job_dpus({"WorkerType": "G.2X", "NumberOfWorkers": 3}) == 6.0
    assert job_dpus({"WorkerType": "G.025X", "NumberOfWorkers": 2}) == 0.5
    with pytest.raises(ConfigurationError, match="unknown Glue worker type 'Z.9X'"):
        job_dpus({"WorkerType": "Z.9X", "NumberOfWorkers": 2})


def test_settings_come_from_the_environment_and_bad_values_are_refused():
    env = {"LAKEHOUSE_COST_DPU_HOUR_USD": "0.5", "LAKEHOUSE_COST_SPEED_RATIO": "1.5"}
    assert CostSettings.from_env(env) == CostSettings(dpu_hour_usd=0.5, speed_ratio=1.5)
    with pytest.raises(ConfigurationError, match="LAKEHOUSE_COST_STARTUP_SECONDS='soon'"):
        CostSettings.from_env({"LAKEHOUSE_COST_STARTUP_SECONDS": "soon"})
    with pytest.raises(ConfigurationError, match="must not be negative"):
        CostSettings.from_env({"LAKEHOUSE_COST_RUNS_PER_DAY": "-1"})


def test_local_seconds_are_the_newest_recorded_run_of_each_job(tmp_path):
    reg = registry()
    job = "importau_bronze_ingest"  # a job with several tables
    first, second = reg.tables_of_job(job)[:2]
    instance = DagsterInstance.from_config(str(tmp_path))
    for table, seconds in ((first, 12.5), (second, 7.25)):
        instance.report_runless_asset_event(
            AssetMaterialization(
                AssetKey(table.key_path), metadata={"lakehouse/execution_seconds": seconds}
            )
        )
    assert last_run_seconds(reg, str(tmp_path)) == {job: 7.25}
    assert last_run_seconds(reg, str(tmp_path / "nothing-here")) == {}
