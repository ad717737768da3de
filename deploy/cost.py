"""What the jobs will cost on Glue, estimated from their last local runs.

Glue 5 bills a Spark job run per second of its duration times its DPUs (workers x DPUs per
worker type), with a minimum of one minute per run. So a job whose work takes 5 s costs as
much as one that takes 60 s: many small jobs pay the minimum many times, and merging the
small jobs of a domain into one run can cost less (at the price of coarser retries and
lineage). The estimate makes that visible before the first deploy:

    glue seconds = startup + local seconds x speed ratio
    billed seconds = max(60, glue seconds)
    DPU-seconds = billed seconds x DPUs;  USD = DPU-seconds / 3600 x price per DPU-hour

The local seconds are the `lakehouse/execution_seconds` of each job's last local run,
recorded on its materializations; run the graph locally on data of production size first
(`lakehouse generate <domain> --scale N`). Startup, speed ratio and price are settings
(`LAKEHOUSE_COST_*`, docs/AWS.md) because they depend on the region and the workload.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lakehouse_assets.aws_settings import WORKER_DPUS
from lakehouse_assets.settings import ConfigurationError

MINIMUM_BILLED_SECONDS = 60


@dataclass(frozen=True)
class CostSettings:
    dpu_hour_usd: float = 0.44  # us-east-1 list price of a Glue DPU-hour
    startup_seconds: float = 10.0  # Glue 5 starts a Spark job in seconds; billed from start
    speed_ratio: float = 1.0  # Glue seconds per local second of work
    runs_per_day: float = 1.0  # the daily schedule

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CostSettings:
        values = {}
        for field, name in (
            ("dpu_hour_usd", "LAKEHOUSE_COST_DPU_HOUR_USD"),
            ("startup_seconds", "LAKEHOUSE_COST_STARTUP_SECONDS"),
            ("speed_ratio", "LAKEHOUSE_COST_SPEED_RATIO"),
            ("runs_per_day", "LAKEHOUSE_COST_RUNS_PER_DAY"),
        ):
            if env.get(name):
                try:
                    values[field] = float(env[name])
                except ValueError:
                    raise ConfigurationError(f"{name}={env[name]!r} is not a number") from None
                if values[field] < 0:
                    raise ConfigurationError(f"{name} must not be negative")
        return cls(**values)


@dataclass(frozen=True)
class JobCost:
    job: str
    domain: str
    dpus: float
    local_seconds: float | None
    glue_seconds: float | None
    billed_seconds: float | None

    @property
    def dpu_seconds(self) -> float | None:
        return None if self.billed_seconds is None else self.billed_seconds * self.dpus


def job_dpus(definition: Mapping) -> float:
    worker = definition.get("WorkerType")
    if worker not in WORKER_DPUS:
        raise ConfigurationError(f"unknown Glue worker type {worker!r}; use one of {WORKER_DPUS}")
    return WORKER_DPUS[worker] * int(definition.get("NumberOfWorkers") or 0)


def estimate(
    jobs: Mapping[str, tuple[str, float]],
    local_seconds: Mapping[str, float],
    settings: CostSettings,
) -> list[JobCost]:
    """`jobs`: {job: (domain, DPUs)}; `local_seconds`: {job: seconds of its last local run}."""
    costs = []
    for name, (domain, dpus) in sorted(jobs.items()):
        local = local_seconds.get(name)
        glue = None if local is None else settings.startup_seconds + local * settings.speed_ratio
        billed = None if glue is None else max(MINIMUM_BILLED_SECONDS, math.ceil(glue))
        costs.append(JobCost(name, domain, dpus, local, glue, billed))
    return costs


def merged(costs: Sequence[JobCost], settings: CostSettings) -> float | None:
    """DPU-seconds of the same work as one job run (at the largest of their capacities)."""
    if not costs or any(c.glue_seconds is None for c in costs):
        return None
    work = sum(c.glue_seconds - settings.startup_seconds for c in costs)
    billed = max(MINIMUM_BILLED_SECONDS, math.ceil(settings.startup_seconds + work))
    return billed * max(c.dpus for c in costs)


def render(costs: Sequence[JobCost], settings: CostSettings) -> list[str]:
    usd = settings.dpu_hour_usd / 3600
    lines = [
        "estimated Glue cost per run (from the last local runs; Glue 5 bills per second, "
        f"1-minute minimum; {settings.dpu_hour_usd:.2f} USD per DPU-hour, startup "
        f"{settings.startup_seconds:.0f} s, speed ratio {settings.speed_ratio:g}):"
    ]
    for c in costs:
        if c.billed_seconds is None:
            lines.append(
                f"  {c.job}: {c.dpus:g} DPU, no local run recorded yet (run `lakehouse run` first)"
            )
            continue
        lines.append(
            f"  {c.job}: local {c.local_seconds:.1f} s -> billed {c.billed_seconds:.0f} s x "
            f"{c.dpus:g} DPU = {c.dpu_seconds:,.0f} DPU-s, {c.dpu_seconds * usd:.4f} USD"
        )
    for domain in sorted({c.domain for c in costs}):
        own = [c for c in costs if c.domain == domain]
        if any(c.dpu_seconds is None for c in own):
            continue
        separate = sum(c.dpu_seconds for c in own)
        together = merged(own, settings)
        per_day = settings.runs_per_day * usd
        lines.append(
            f"  domain {domain}: {len(own)} job run(s) = {separate:,.0f} DPU-s "
            f"({separate * per_day:.4f} USD/day); as one merged job {together:,.0f} DPU-s "
            f"({together * per_day:.4f} USD/day)"
        )
    return lines
