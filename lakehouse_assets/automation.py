"""Declarative automation: every derived asset follows its upstreams, no schedule needed.

Silver, gold, the warehouse copies, the training dataset and the catalog export are requested
when one of their upstreams is updated (a bronze load, a silver rebuild, ...). Dagster's
`AutomationCondition.eager()` cannot be used as is: it waits while *any* upstream partition
is missing, and a daily-partitioned bronze table always has missing days (loads that never
happened), so an unpartitioned silver table downstream of it would never run. The condition
below keeps eager's guards except that one, which it applies to unpartitioned upstreams only.
"""

from __future__ import annotations

from collections.abc import Sequence

from dagster import (
    AssetKey,
    AssetsDefinition,
    AssetSelection,
    AssetSpec,
    AutomationCondition,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    map_asset_specs,
)

AUTOMATION_SENSOR_NAME = "lakehouse_automation"
AUTOMATION_INTERVAL_SECONDS = 30


def follow_upstreams(
    partitioned: Sequence[AssetKey], wait_for_missing: bool = True
) -> AutomationCondition:
    """Run after any upstream updates, once, and not while an upstream or itself is running.

    `partitioned` are the daily-partitioned assets: a day they never loaded does not hold a
    downstream back. An unpartitioned upstream that was never materialized does (the job
    would read a table that does not exist yet), unless it is requested on the same tick or
    the asset does not read its upstreams' data (`wait_for_missing=False`).
    """
    running = ~AutomationCondition.any_deps_in_progress() & ~AutomationCondition.in_progress()
    if not wait_for_missing:
        return (AutomationCondition.any_deps_updated().since_last_handled() & running).with_label(
            "follow_upstreams"
        )
    missing_table = AutomationCondition.any_deps_match(
        AutomationCondition.missing() & ~AutomationCondition.will_be_requested()
    )
    if partitioned:
        missing_table = missing_table.ignore(AssetSelection.assets(*partitioned))
    return (
        AutomationCondition.any_deps_updated().since_last_handled()
        & ~missing_table.with_label("any_unpartitioned_deps_missing")
        & running
    ).with_label("follow_upstreams")


def with_automation(
    assets: Sequence[AssetsDefinition], metadata_only: Sequence[AssetKey] = ()
) -> list[AssetsDefinition]:
    """The assets, each unpartitioned one with upstreams following them (unless it already
    has a condition of its own). Partitioned (bronze) assets are started by the landing
    sensors and the schedules. `metadata_only` assets (the catalog export) describe their
    upstreams without reading them, so a table not built yet does not hold them back."""
    partitioned = sorted(
        (spec.key for a in assets for spec in a.specs if spec.partitions_def is not None),
        key=lambda k: k.to_user_string(),
    )
    condition = follow_upstreams(partitioned)
    describing = follow_upstreams(partitioned, wait_for_missing=False)

    def apply(spec: AssetSpec) -> AssetSpec:
        if spec.partitions_def is not None or not spec.deps or spec.automation_condition:
            return spec
        chosen = describing if spec.key in metadata_only else condition
        return spec.replace_attributes(automation_condition=chosen)

    return list(map_asset_specs(apply, assets))


def build_automation_sensor() -> AutomationConditionSensorDefinition:
    return AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR_NAME,
        target=AssetSelection.all(),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=AUTOMATION_INTERVAL_SECONDS,
        description=(
            "Requests silver, gold, the warehouse copies, the dataset and the catalog export "
            "when their upstreams update (docs/RUNS.md)."
        ),
    )
