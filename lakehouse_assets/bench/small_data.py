"""The whole graph on small data (make run minus install) vs the bare script, cold.

`lakehouse run --domain importau` is what `make run` runs for ImportAu: the graph plus the
governance asset exporting the catalog to the local endpoint (started beforehand, as
`make run` starts it once), then `lakehouse catalog export`; then the bare PySpark script of
the same transforms on the same files, the goal's yardstick (its checks timed apart). One
bare cold Spark start is measured too, for scale.
"""

from __future__ import annotations

from pathlib import Path

from lakehouse_assets.bench import runs
from lakehouse_assets.bench.overhead import LOAD_DATE
from lakehouse_assets.bench.procs import run_child
from lakehouse_assets.bench.results import GraphTiming, StartupResult


def sample_landing(ctx: runs.Context) -> tuple[Path, dict[str, int]]:
    """The generator's sample (scale 30, the shape of the real exports), generated afresh:
    the landing folder and its rows per source."""
    from lakehouse_assets.domains.importau.generator import SAMPLE_SCALE, generate

    landing = runs.fresh(ctx.work / "data" / "importau-sample")
    return landing, generate(landing, scale=SAMPLE_SCALE, seed=ctx.options.seed)


def _rows(landing: Path) -> dict[str, int]:
    return {
        f.stem: sum(1 for _ in f.open(encoding="utf-8")) - 1 for f in sorted(landing.glob("*.csv"))
    }


def _graph(ctx: runs.Context, timing: GraphTiming, landing: Path, run_dir: Path, aws) -> None:
    lake = run_dir / "lake"
    args = ["run", "--landing", str(landing), "--root", str(lake), "--domain", "importau"]
    timing.graph.append(runs.framework(ctx, run_dir, [*args, "--load-date", LOAD_DATE], aws).cold)
    env = ctx.env({**aws, "DAGSTER_HOME": str(run_dir / "dagster_home")})
    argv = ctx.python("lakehouse_assets.cli", "catalog", "export", "--root", str(lake))
    export = run_child(argv, env, run_dir / "export.log", cwd=ctx.repo)
    if not export.ok:
        raise runs.BenchError(export.failure("lakehouse catalog export"))
    timing.export.append(export.wall_seconds)
    bare_dir = runs.fresh(run_dir / "bare")
    args = ["full", "--landing", str(landing), "--load-date", LOAD_DATE]
    bare = runs.bare(ctx, bare_dir, [*args, "--out", str(bare_dir / "out")])
    timing.bare.append(bare.cold)
    if bare.checks is not None:
        timing.bare_checks.append(bare.checks)


def measure(ctx: runs.Context, count: int) -> StartupResult:
    from lakehouse_assets import local_aws

    landing, rows = sample_landing(ctx)
    result = StartupResult(sample=GraphTiming("generated sample, scale 30", rows))
    real = ctx.options.real_exports
    if real is not None:
        result.real = GraphTiming("real exports", _rows(real))
    base = runs.fresh(ctx.work / "runs" / "small")
    endpoint_root = str(base / "endpoint")
    url = local_aws.start_background(endpoint_root)
    aws = {"AWS_ENDPOINT_URL": url}
    try:
        for run in range(count):
            cold = ctx.child(base / f"cold-{run}", "lakehouse_assets.bench.cold_start", [])
            result.bare_cold_start.append(cold.wall_seconds)
            default = ctx.child(
                base / f"default-{run}", "lakehouse_assets.bench.cold_start", ["--default"]
            )
            result.default_cold_start.append(default.wall_seconds)
            _graph(ctx, result.sample, landing, base / f"sample-{run}", aws)
            if result.real is not None:
                _graph(ctx, result.real, real, base / f"real-{run}", aws)
            timings = [t for t in (result.sample, result.real) if t is not None]
            ctx.progress(
                f"  small data run {run + 1}/{count}: cold start {cold.wall_seconds:.1f} s "
                f"(untuned {default.wall_seconds:.1f} s), "
                + ", ".join(
                    f"{t.label} graph {t.graph[-1]:.1f} s (bare script {t.bare[-1]:.1f} s)"
                    for t in timings
                )
            )
    finally:
        local_aws.stop_background(endpoint_root)
    return result
