"""The Glue job resource: one Glue job run per materialization step, reported through Pipes.

Assets call `launcher.run_job(...)` and never know the target. `LocalSparkLauncher` runs the
script on the warm local runner; an AWS launcher gives the same `DeadlineGlueClient` a boto3
Glue client and S3 Pipes channels instead.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    ConfigurableResource,
    PipesTempFileContextInjector,
)
from pydantic import Field

import glue_scripts
from glue_scripts.lib.fs import normalize_root
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.pipes_file import CompleteLineTempFileMessageReader
from lakehouse_assets.resources.pipes_glue import DeadlineGlueClient, GlueRunOutcome
from lakehouse_assets.specs import JobSpec, TableSpec

SCRIPTS_DIR = Path(glue_scripts.__file__).parent
# A run tag `lakehouse/job_arg/<name>` = value becomes the job argument `--<name> value` of
# every Glue job of the run: a per-run switch (a model refit, say) without a code change.
JOB_ARG_TAG = "lakehouse/job_arg/"
_ARG_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FRAMEWORK_ARGUMENTS = frozenset(
    {
        "lakehouse_root",
        "landing",
        "run_id",
        "partition_keys",
        "run_partition_key",
        "pii_hash_key_secret",
        "connections_secret",
    }
)


class JobArgumentTagError(ValueError):
    """A run tag asks for a job argument that cannot be passed."""


def tag_arguments(tags: Mapping[str, str]) -> dict[str, str]:
    """The job arguments a run's tags ask for, as Glue `Arguments` (`--name`: value)."""
    arguments = {}
    for tag, value in sorted(tags.items()):
        if not tag.startswith(JOB_ARG_TAG):
            continue
        name = tag[len(JOB_ARG_TAG) :]
        if not _ARG_NAME.match(name) or name in FRAMEWORK_ARGUMENTS:
            raise JobArgumentTagError(
                f"run tag {tag!r} cannot become a job argument: the name must be lower-case "
                f"letters, digits and _, and not one of {sorted(FRAMEWORK_ARGUMENTS)} "
                "(the launcher sets those); remove or rename the tag"
            )
        arguments[f"--{name}"] = value
    return arguments


def script_path(job: JobSpec) -> Path:
    return SCRIPTS_DIR / job.script


def job_extras(tables: Sequence[TableSpec], keep_versions: int) -> dict:
    """What the script learns through the Pipes context: its outputs' specs, its inputs'
    columns (so an input committed with no rows reads as an empty frame of its schema) and
    asset keys."""
    reg = registry()
    related = {t.qualified_name for t in tables}
    inputs = sorted({name for t in tables for name in t.upstream})
    related.update(inputs)
    return {
        "tables": {t.qualified_name: t.payload() for t in tables},
        "inputs": {name: _input_payload(reg.tables[name]) for name in inputs},
        "asset_keys": {name: reg.tables[name].key_path for name in sorted(related)},
        "keep_versions": keep_versions,
    }


def _input_payload(table: TableSpec) -> dict:
    return {
        "columns": [{"name": c.name, "type": c.type} for c in table.columns],
        "partition_by": list(table.partition_by),
    }


# Dagster's run tags of a partitioned run (a single key, or a backfill's range).
PARTITION_TAG = "dagster/partition"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"


def run_partition_key(tags: Mapping[str, str]) -> str | None:
    """The partition of a run: its key, or the last key of a backfill's range."""
    return tags.get(PARTITION_TAG) or tags.get(PARTITION_RANGE_END_TAG)


class GlueJobLauncher(ConfigurableResource, ABC):
    """Launches Glue job runs for assets and returns what their scripts reported."""

    lakehouse_root: str = Field(description="Storage root URI (file:// or s3://).")
    landing: str = Field(description="Where the source exports land.")
    poll_interval_seconds: float = Field(default=0.2, description="Seconds between polls.")
    timeout_seconds: float = Field(default=3600, description="Deadline of one job run.")
    keep_versions: int = Field(default=5, description="TableVersion versions kept per table.")

    def run_job(
        self,
        context: AssetExecutionContext,
        job: JobSpec,
        tables: Sequence[TableSpec],
    ) -> GlueRunOutcome:
        """Run `job` for the selected output `tables` and wait for it.

        Args:
            context: the asset step's context (run id, partitions, selection).
            job: the Glue job to run.
            tables: the outputs Dagster selected; a subset of the job's tables.
        """
        arguments = {
            **tag_arguments(context.run.tags),
            "--lakehouse_root": normalize_root(self.lakehouse_root),
            "--landing": normalize_root(self.landing),
            "--run_id": context.run.run_id,
        }
        if context.has_partition_key_range or context.has_partition_key:
            arguments["--partition_keys"] = ",".join(context.partition_keys)
        elif run_key := run_partition_key(context.run.tags):
            # An unpartitioned table computed in a partitioned run (silver or gold after the
            # day's bronze) learns the run's load date, e.g. to bound what it publishes.
            arguments["--run_partition_key"] = run_key
        self.prepare_sources(context, tables)
        client = self.pipes_client()
        return client.run(
            context=context,
            start_job_run_params={"JobName": job.name, "Arguments": arguments},
            extras=job_extras(tables, self.keep_versions),
        )

    @abstractmethod
    def pipes_client(self) -> DeadlineGlueClient:
        """The Pipes Glue client of this target."""

    def prepare_sources(self, context: AssetExecutionContext, tables: Sequence[TableSpec]) -> None:
        """Make the sources of `tables` ready before their job runs (nothing by default)."""


class LocalSparkLauncher(GlueJobLauncher):
    """Runs job scripts on the warm local Spark runner (one Spark start per Dagster run)."""

    runner_dir: str = Field(description="Folder of the runner's state file, lock and log.")
    runner_url: str | None = Field(
        default=None, description="Use this already running runner instead of starting one."
    )
    runner_idle_timeout_seconds: float = Field(default=300)
    prepare_local_sources: bool | None = Field(
        default=None,
        description="Before a job: write the sample landing of its domain when the default "
        "landing has none, start the local services when a source's setting is unset, seed "
        "their sample sources. Unset: only for the default root ./.lakehouse (a fresh clone).",
    )

    def prepare_sources(self, context: AssetExecutionContext, tables: Sequence[TableSpec]) -> None:
        """A fresh clone's `dagster dev` run works without a prior `lakehouse run`."""
        if not self._prepares_sources():
            return
        from lakehouse_assets import local_sources
        from lakehouse_assets.source_specs import landing_extension, served_connection

        say = context.log.info
        if "LAKEHOUSE_LANDING" not in os.environ and local_sources.same_folder(
            self.landing, f"{self.lakehouse_root.rstrip('/')}/landing"
        ):
            with_files = sorted(
                {t.domain for t in tables if t.source and landing_extension(t.extract)}
            )
            local_sources.ensure_landing(self.landing, with_files, say)
        served = [t for t in tables if served_connection(t.extract)]
        if served:
            needed = sorted({served_connection(t.extract) for t in served})
            local_sources.ensure_local_services(
                "local", self.lakehouse_root, needed, say, warn=context.log.warning
            )
            domains = sorted({t.domain for t in served})
            local_sources.seed_sources("local", self.lakehouse_root, domains, say)

    def _prepares_sources(self) -> bool:
        from lakehouse_assets import local_sources

        if self.prepare_local_sources is not None:
            return self.prepare_local_sources
        return local_sources.is_default_root(self.lakehouse_root)

    def pipes_client(self) -> DeadlineGlueClient:
        from lakehouse_assets.local_runner import jit
        from lakehouse_assets.local_runner.client import LocalGlueClient
        from lakehouse_assets.local_runner.process import ensure_runner

        url = self.runner_url or ensure_runner(
            Path(self.runner_dir),
            idle_timeout=self.runner_idle_timeout_seconds,
            jit_choice=jit.choose([self.landing, self.lakehouse_root]),
        )
        scripts = {job.name: str(script_path(job)) for job in registry().jobs.values()}
        return DeadlineGlueClient(
            client=LocalGlueClient(url, scripts),
            context_injector=PipesTempFileContextInjector(),
            message_reader=CompleteLineTempFileMessageReader(),
            poll_interval_seconds=self.poll_interval_seconds,
            timeout_seconds=self.timeout_seconds,
        )
