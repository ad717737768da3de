"""Materialize one bronze table for one load date in a Dagster run of its own process.

Dagster runs are separate processes in production; two in-process runs in threads of one
process can deadlock in the logging module, so the concurrency test starts these instead.
Usage: python materialize_partition.py '{"root": ..., "landing": ..., "runner_url": ...,
"table": "pedidos", "partition": "20241105"}'
"""

import json
import sys

from dagster import AssetKey, instance_for_test, materialize

from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import LocalSparkLauncher


def main(spec: dict) -> int:
    launcher = LocalSparkLauncher(
        lakehouse_root=spec["root"],
        landing=spec["landing"],
        runner_dir=spec["runner_dir"],
        runner_url=spec["runner_url"],
        poll_interval_seconds=0.05,
        keep_versions=spec["keep_versions"],
    )
    with instance_for_test() as instance:
        result = materialize(
            build_all_assets(registry()),
            resources={"launcher": launcher},
            instance=instance,
            partition_key=spec["partition"],
            selection=[AssetKey(["importau", "bronze", spec["table"]])],
            raise_on_error=False,
        )
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
