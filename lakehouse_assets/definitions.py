"""The Dagster definitions: every domain's assets, the launcher of the configured target."""

from __future__ import annotations

from dagster import (
    AssetSelection,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
)

from lakehouse_assets.automation import build_automation_sensor, with_automation
from lakehouse_assets.catalog.asset import CATALOG_ASSET_KEY, build_catalog_asset
from lakehouse_assets.catalog.resource import build_catalog_resource
from lakehouse_assets.domains.conversas.dataset_asset import (
    build_dataset_asset,
    build_training_data_resource,
)
from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.landing_sensor import build_landing_automation
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import GlueJobLauncher, LocalSparkLauncher
from lakehouse_assets.retries import TransientRetries
from lakehouse_assets.sensors import build_failure_alert_sensor
from lakehouse_assets.settings import Settings
from lakehouse_assets.warehouse.assets import build_warehouse_assets
from lakehouse_assets.warehouse.resource import build_warehouse_resource


def build_launcher(settings: Settings) -> GlueJobLauncher:
    if settings.target == "aws":
        from lakehouse_assets.aws_settings import AwsSettings
        from lakehouse_assets.resources.glue_launcher import GlueLauncher

        return GlueLauncher.from_settings(settings, AwsSettings.from_env())
    return LocalSparkLauncher(
        lakehouse_root=settings.root,
        landing=settings.landing,
        runner_dir=settings.runner_dir,
        poll_interval_seconds=settings.poll_interval_seconds,
        timeout_seconds=settings.job_timeout_seconds,
        keep_versions=settings.keep_versions,
    )


def domain_job_name(domain: str) -> str:
    return f"{domain}_daily"


def build_definitions(settings: Settings) -> Definitions:
    reg = registry()
    # Each domain's daily job ends by publishing the graph into the Glue Data Catalog.
    jobs = [
        define_asset_job(
            domain_job_name(domain),
            selection=AssetSelection.groups(domain) | AssetSelection.assets(CATALOG_ASSET_KEY),
        )
        for domain in reg.domains()
    ]
    # The safety net: runs that follow the data come from the landing sensors and automation.
    schedules = [build_schedule_from_partitioned_job(job, hour_of_day=6) for job in jobs]
    landing_jobs, landing_sensors = build_landing_automation(reg, settings.landing)
    retries = TransientRetries(
        max_retries=settings.transient_retries, backoff_seconds=settings.retry_backoff_seconds
    )
    return Definitions(
        # Everything downstream of bronze follows its upstreams (docs/RUNS.md).
        assets=with_automation(
            [
                *build_all_assets(reg, retries),
                # Tables marked for the warehouse: a copy there, in the table's domain job.
                *build_warehouse_assets(reg, settings.target),
                build_catalog_asset(reg),
                build_dataset_asset(),
            ],
            metadata_only=[CATALOG_ASSET_KEY],
        ),
        jobs=[*jobs, *landing_jobs],
        schedules=schedules,
        sensors=[
            build_failure_alert_sensor(settings),
            *landing_sensors,
            build_automation_sensor(),
        ],
        resources={
            "launcher": build_launcher(settings),
            "catalog": build_catalog_resource(settings),
            "warehouse": build_warehouse_resource(settings),
            "training_data": build_training_data_resource(settings),
        },
    )


defs = build_definitions(Settings.from_env())
