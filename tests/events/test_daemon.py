"""Through Dagster's own daemons: a file lands, the sensor daemon queues the bronze load, and
after it the asset daemon queues everything downstream."""

from __future__ import annotations

import logging
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetMaterialization,
    DagsterInstance,
    DagsterRunStatus,
    instance_for_test,
)
from dagster._core.remote_origin import InProcessCodeLocationOrigin
from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon.asset_daemon import AssetDaemon
from dagster._daemon.sensor import execute_sensor_iteration
from dagster._record import replace
from dagster._time import get_current_datetime

from lakehouse_assets.landing_sensor import landing_job_name, landing_sensor_name
from tests.events.conftest import lake_env

DEFS_FILE = Path(__file__).with_name("landing_defs.py")
DAY = "20250105"
LOGGER = logging.getLogger("lakehouse-tests")


@pytest.fixture
def queued_instance(lake, tmp_path, monkeypatch):
    """An instance as `dagster dev` makes one: runs are queued, then started by the queue."""
    for name, value in lake_env(lake).items():
        monkeypatch.setenv(name, value)
    # Dagster keeps a loaded code file as a module: build the definitions for this lake.
    sys.modules.pop(DEFS_FILE.stem, None)
    home = tmp_path / "dagster_home"
    home.mkdir()
    coordinator = {"module": "dagster._core.run_coordinator", "class": "QueuedRunCoordinator"}
    with instance_for_test(temp_dir=str(home), overrides={"run_coordinator": coordinator}) as inst:
        yield inst
    sys.modules.pop(DEFS_FILE.stem, None)


def daemon_workspace(instance: DagsterInstance):
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(python_file=str(DEFS_FILE), attribute="defs"),
        location_name="lakehouse",
    )
    return create_test_daemon_workspace_context(InProcessWorkspaceLoadTarget(origin), instance)


def sensor_daemon_tick(instance: DagsterInstance, at) -> None:
    """One iteration of the sensor daemon at a given time, in a freshly loaded workspace."""
    with freeze_time(at), daemon_workspace(instance) as workspace:
        list(execute_sensor_iteration(workspace, LOGGER, None, None))


def asset_daemon_tick(instance: DagsterInstance, at) -> None:
    with freeze_time(at), daemon_workspace(instance) as workspace:
        AssetDaemon(settings={}, pre_sensor_interval_seconds=0)._run_iteration_impl(
            workspace, threadpool_executor=None, amp_tick_futures={}, debug_crash_flags={}
        )


def land(landing: Path, relative: str, text: str = "pedido_id,valor\n1,10\n") -> None:
    path = landing / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_a_landed_file_queues_the_load_and_then_everything_downstream(lake, queued_instance):
    instance = queued_instance
    start = get_current_datetime()
    minute = timedelta(seconds=31)
    asset_daemon_tick(instance, start)  # the automation's first tick: nothing to follow yet
    assert instance.get_runs() == []

    land(lake["landing"], f"pedidos/anomesdia={DAY}/pedidos.csv")
    sensor_daemon_tick(instance, start)
    assert instance.get_runs() == []  # seen, not yet stable
    sensor_daemon_tick(instance, start + minute)
    [load] = instance.get_runs()
    assert load.job_name == landing_job_name("importau")
    assert load.status == DagsterRunStatus.QUEUED
    assert load.tags["dagster/partition"] == DAY
    assert load.tags["dagster/sensor_name"] == landing_sensor_name("importau")
    assert load.tags["dagster/run_key"].startswith(f"importau:{DAY}:")
    assert load.asset_selection == {AssetKey(["importau", "bronze", "pedidos"])}

    # Later ticks, and a restarted daemon reading the stored cursor, queue nothing new.
    sensor_daemon_tick(instance, start + 2 * minute)
    restarted = DagsterInstance.from_ref(instance.get_ref())
    sensor_daemon_tick(restarted, start + 3 * minute)
    assert len(restarted.get_runs()) == 1

    # The load publishes the day's partition, as the bronze job does.
    instance.report_runless_asset_event(
        AssetMaterialization(AssetKey(["importau", "bronze", "pedidos"]), partition=DAY)
    )
    asset_daemon_tick(instance, start + 4 * minute)
    follow_up = [r for r in instance.get_runs() if r.run_id != load.run_id]
    assert len(follow_up) == 1
    assert follow_up[0].status == DagsterRunStatus.QUEUED
    assert follow_up[0].tags["dagster/sensor_name"] == "lakehouse_automation"
    assert follow_up[0].asset_selection == {
        AssetKey(["importau", "silver", "fato_pedido_correlacionado"]),
        AssetKey(["importau", "gold", "agregado_fluxo_de_caixa_mensal"]),
        AssetKey(["importau", "gold", "features_risco_cambial_mensal"]),
        AssetKey(["governance", "glue_data_catalog"]),
    }
    asset_daemon_tick(instance, start + 5 * minute)
    assert len(instance.get_runs()) == 2


def test_the_queued_load_runs_for_real_and_its_materialization_is_followed(
    lake, queued_instance, defs, launcher, real_exports
):
    """The bronze load the sensor queued, executed on Spark: the automation follows it."""
    instance = queued_instance
    start = get_current_datetime()
    asset_daemon_tick(instance, start)
    folder = lake["landing"] / f"cambio/anomesdia={DAY}"
    folder.mkdir(parents=True)
    shutil.copy(real_exports / "cambio.csv", folder / "cambio.csv")
    (folder / "_SUCCESS").touch()
    sensor_daemon_tick(instance, start)
    [queued] = instance.get_runs()
    assert queued.asset_selection == {AssetKey(["importau", "bronze", "cambio"])}

    # The suite's warm Spark runner instead of a runner process of its own.
    on_test_runner = replace(defs, resources={**defs.resources, "launcher": launcher})
    result = on_test_runner.resolve_job_def(queued.job_name).execute_in_process(
        instance=instance,
        partition_key=queued.tags["dagster/partition"],
        asset_selection=sorted(queued.asset_selection, key=lambda k: k.to_user_string()),
        tags={"lakehouse/trigger": "landing"},
    )
    assert result.success
    [materialization] = result.get_asset_materialization_events()
    assert materialization.partition == DAY
    assert materialization.asset_key == AssetKey(["importau", "bronze", "cambio"])

    asset_daemon_tick(instance, start + timedelta(seconds=31))
    follow_up = instance.get_runs(limit=1)[0]
    assert follow_up.tags["dagster/sensor_name"] == "lakehouse_automation"
    assert follow_up.asset_selection == {
        AssetKey(["importau", "silver", "fato_pedido_correlacionado"]),
        AssetKey(["importau", "gold", "agregado_fluxo_de_caixa_mensal"]),
        AssetKey(["importau", "gold", "features_risco_cambial_mensal"]),
        AssetKey(["governance", "glue_data_catalog"]),
    }
