"""Run a Glue job script's `main(argv)` in-process, as the local runner does, with a real
Pipes channel (context as data, messages to a file) but without a Dagster run: job-level
tests of several successive loads stay fast and need no Dagster instance."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_pipes import encode_param

from glue_scripts.lib.fs import normalize_root
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import job_extras


@dataclass
class Reported:
    """What a job run reported through Pipes."""

    materializations: dict[str, dict[str, Any]] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)

    def value(self, asset: str, name: str) -> Any:
        return self.materializations[asset][name]["raw_value"]

    def failed_checks(self) -> set[str]:
        return {name for name, check in self.checks.items() if not check["passed"]}


def run_job(
    main: Callable[[Sequence[str]], None],
    tables: Sequence[str],
    *,
    root: Path,
    landing: Path,
    workdir: Path,
    partition_keys: Sequence[str] = (),
    run_partition_key: str | None = None,
) -> Reported:
    """Run `main` for output `tables` (qualified names) and collect its Pipes messages."""
    specs = [registry().tables[t] for t in tables]
    workdir.mkdir(parents=True, exist_ok=True)
    messages = workdir / f"messages-{len(list(workdir.iterdir()))}.jsonl"
    context = {
        "asset_keys": ["/".join(s.key_path) for s in specs],
        "code_version_by_asset_key": None,
        "provenance_by_asset_key": None,
        "partition_key": partition_keys[0] if len(partition_keys) == 1 else None,
        "partition_key_range": None,
        "partition_time_window": None,
        "run_id": "test-run",
        "job_name": None,
        "retry_number": 0,
        "extras": job_extras(specs, keep_versions=5),
    }
    argv = [
        "--lakehouse_root",
        normalize_root(str(root)),
        "--landing",
        normalize_root(str(landing)),
        "--run_id",
        "test-run",
        "--dagster-pipes-context",
        encode_param({"data": context}),
        "--dagster-pipes-messages",
        encode_param({"path": str(messages)}),
    ]
    if partition_keys:
        argv += ["--partition_keys", ",".join(partition_keys)]
    if run_partition_key:
        argv += ["--run_partition_key", run_partition_key]
    main(argv)
    return _read(messages)


def _read(messages: Path) -> Reported:
    reported = Reported()
    for line in messages.read_text().splitlines():
        message = json.loads(line)
        params = message.get("params") or {}
        if message["method"] == "report_asset_materialization":
            reported.materializations[params["asset_key"]] = params["metadata"]
        elif message["method"] == "report_asset_check":
            name = f"{params['asset_key']}:{params['check_name']}"
            reported.checks[name] = params
        elif message["method"] == "log":
            reported.logs.append(params["message"])
    return reported
