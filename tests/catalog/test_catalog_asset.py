"""The governance asset: runs the export after the tables, in the daily job, with a resource."""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetSelection,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
    instance_for_test,
    materialize,
)

from lakehouse_assets.catalog.asset import CATALOG_ASSET_KEY, build_catalog_asset
from lakehouse_assets.catalog.resource import GlueCatalog, build_catalog_resource
from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.resources.launcher import LocalSparkLauncher
from lakehouse_assets.settings import Settings
from tests.catalog.helpers import connect, record_materializations


def test_asset_exports_the_catalog_and_reports_counts(aws, reg, root):
    catalog = GlueCatalog(target="local", lakehouse_root=root, endpoint_url=aws, openlineage=False)
    with instance_for_test() as instance:
        record_materializations(instance, reg.tables.values())
        result = materialize(
            [build_catalog_asset(reg)], resources={"catalog": catalog}, instance=instance
        )
        assert result.success
        [event] = result.get_asset_materialization_events()
        metadata = event.event_specific_data.materialization.metadata
        assert metadata["catalog/tables_created"].value == 10
        assert metadata["catalog/undefined_tables"].value == "none"
        again = materialize(
            [build_catalog_asset(reg)], resources={"catalog": catalog}, instance=instance
        )
        [event] = again.get_asset_materialization_events()
        assert event.event_specific_data.materialization.metadata["catalog/write_calls"].value == 0
    tables = connect(aws).client("glue").get_tables(DatabaseName="importau_gold")["TableList"]
    assert len(tables) == 2


def test_asset_fails_after_exporting_the_rest_when_a_call_fails(aws, reg, root):
    from tests.catalog.faults import Fault, FaultyEndpoint

    with FaultyEndpoint(aws, [Fault("CreateTable", '"cambio"')]) as endpoint:
        catalog = GlueCatalog(
            lakehouse_root=root, endpoint_url=endpoint.url, openlineage=False, max_attempts=1
        )
        with instance_for_test() as instance:
            result = materialize(
                [build_catalog_asset(reg)],
                resources={"catalog": catalog},
                instance=instance,
                raise_on_error=False,
            )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    message = failure.step_failure_data.error.to_string()
    assert "importau_bronze.cambio: CreateTable failed" in message
    bronze = connect(aws).client("glue").get_tables(DatabaseName="importau_bronze")["TableList"]
    assert len(bronze) == 6


def test_locally_without_an_endpoint_the_asset_is_skipped_with_a_warning(aws, reg, tmp_path):
    catalog = GlueCatalog(target="local", lakehouse_root=str(tmp_path))
    with instance_for_test() as instance:
        result = materialize(
            [build_catalog_asset(reg)], resources={"catalog": catalog}, instance=instance
        )
    assert result.success
    assert result.get_asset_materialization_events() == []


def test_daily_job_with_the_governance_asset_resolves(reg, tmp_path):
    launcher = LocalSparkLauncher(
        lakehouse_root=str(tmp_path), landing=str(tmp_path), runner_dir=str(tmp_path / "r")
    )
    catalog = build_catalog_resource(Settings.from_env({}), env={"LAKEHOUSE_LAKE_FORMATION": "1"})
    assert catalog.lake_formation is True
    job = define_asset_job(
        "importau_daily",
        selection=AssetSelection.groups("importau") | AssetSelection.assets(CATALOG_ASSET_KEY),
    )
    defs = Definitions(
        assets=[*build_all_assets(reg), build_catalog_asset(reg)],
        jobs=[job],
        schedules=[build_schedule_from_partitioned_job(job, hour_of_day=6)],
        resources={"launcher": launcher, "catalog": catalog},
    )
    assert defs.resolve_schedule_def("importau_daily_schedule").cron_schedule == "0 6 * * *"
    resolved = defs.resolve_job_def("importau_daily")
    assert resolved.partitions_def is not None
    graph = defs.resolve_asset_graph()
    assert graph.get(CATALOG_ASSET_KEY).group_name == "governance"
    assert AssetKey(["importau", "gold", "agregado_fluxo_de_caixa_mensal"]) in (
        graph.get(CATALOG_ASSET_KEY).parent_keys
    )
    assert CATALOG_ASSET_KEY in resolved.asset_layer.asset_graph.get_all_asset_keys()
