"""How long each Glue job took in its last recorded run, from the Dagster instance."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import AssetKey, DagsterInstance

from lakehouse_assets.registry import Registry

SECONDS_KEY = "lakehouse/execution_seconds"


def last_run_seconds(reg: Registry, dagster_home: str | None = None) -> dict[str, float]:
    """{job: seconds} of the newest materialization of any of the job's tables that has
    them; jobs never run are absent. Reads `DAGSTER_HOME` (default ./.dagster_home)."""
    home = Path(dagster_home or os.environ.get("DAGSTER_HOME") or ".dagster_home")
    if not (home / "history").exists() and not (home / "storage").exists():
        return {}
    instance = DagsterInstance.from_config(str(home.resolve()))
    seconds: dict[str, float] = {}
    for job in reg.jobs:
        newest = None
        for table in reg.tables_of_job(job):
            event = instance.get_latest_materialization_event(AssetKey(table.key_path))
            value = event and event.asset_materialization.metadata.get(SECONDS_KEY)
            if value is not None and (newest is None or event.timestamp > newest[0]):
                newest = (event.timestamp, float(value.value))
        if newest:
            seconds[job] = newest[1]
    return seconds
