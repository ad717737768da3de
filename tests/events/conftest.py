"""A real Dagster instance and the project's definitions built for a temporary lake."""

from __future__ import annotations

import pytest
from dagster import Definitions, build_sensor_context, instance_for_test

from lakehouse_assets.definitions import build_definitions
from lakehouse_assets.settings import Settings


def lake_env(lake, landing: str | None = None) -> dict[str, str]:
    return {
        "LAKEHOUSE_ROOT": str(lake["root"]),
        "LAKEHOUSE_LANDING": landing or str(lake["landing"]),
        "LAKEHOUSE_RUNNER_DIR": str(lake["runner"]),
    }


@pytest.fixture
def instance(tmp_path):
    # A persistent instance in a temporary DAGSTER_HOME: sensor cursors and runs are stored.
    home = tmp_path / "dagster_home"
    home.mkdir()
    with instance_for_test(temp_dir=str(home)) as inst:
        yield inst


@pytest.fixture
def defs(lake) -> Definitions:
    return build_definitions(Settings.from_env(lake_env(lake)))


class SensorTicks:
    """Evaluates one sensor tick after another, keeping the cursor as the daemon does."""

    def __init__(self, defs: Definitions, instance, name: str):
        self.defs, self.instance, self.name = defs, instance, name
        self.cursor: str | None = None

    def tick(self):
        context = build_sensor_context(
            instance=self.instance, cursor=self.cursor, definitions=self.defs
        )
        data = self.defs.resolve_sensor_def(self.name).evaluate_tick(context)
        self.cursor = data.cursor
        return data.run_requests
