"""The full ImportAu graph through the framework vs the same transforms as one bare script,
and the same graph without its quality rules (what the rules cost the jobs)."""

from __future__ import annotations

import shutil
from pathlib import Path

from lakehouse_assets.bench import outputs, runs
from lakehouse_assets.bench.landing_data import GeneratedData
from lakehouse_assets.bench.results import ScaleResult, add

LOAD_DATE = "20250101"
SELECTION = "group:importau"


def _record(sc: ScaleResult, kind: str, run: runs.Measured) -> None:
    getattr(sc, f"{kind}_cold").append(run.cold)
    if run.checks is not None:
        sc.bare_checks.append(run.checks)
    if run.warm is not None:
        getattr(sc, f"{kind}_warm").append(run.warm)
    if kind == "framework" and run.job_seconds:
        sc.framework_job_seconds.append(run.job_seconds)
        if run.check_seconds is not None:
            sc.framework_check_seconds.append(run.check_seconds)
    add(getattr(sc, f"{kind}_parts"), run.parts)
    for name, peak in run.memory.items():
        if peak is not None:
            sc.memory_mb.setdefault(name, []).append(peak)


def framework_args(landing: Path, root: Path, selection: str = SELECTION) -> list[str]:
    return ["run", "--landing", str(landing), "--root", str(root), "--select", selection]


def measure_scale(ctx: runs.Context, data: GeneratedData, sc: ScaleResult, count: int) -> Path:
    """`count` runs of each side, alternating which goes first; returns the last lake root
    (its bronze feeds the DuckDB comparison)."""
    base = runs.fresh(ctx.work / "runs" / sc.label)
    lake = None
    for run in range(count):
        fw_dir, bare_dir = base / f"framework-{run}", base / f"bare-{run}"
        sides = ("framework", "bare") if run % 2 == 0 else ("bare", "framework")
        seconds = {}
        for side in sides:
            if side == "framework":
                args = [*framework_args(data.landing, fw_dir / "lake"), "--load-date", LOAD_DATE]
                measured = runs.framework(ctx, fw_dir, args)
            else:
                args = ["full", "--landing", str(data.landing), "--load-date", LOAD_DATE]
                measured = runs.bare(ctx, bare_dir, [*args, "--out", str(bare_dir / "out")])
            _record(sc, side, measured)
            seconds[side] = measured.cold
        differ = outputs.compare(
            outputs.framework_files(str(fw_dir / "lake")), outputs.engine_files(bare_dir / "out")
        )
        sc.outputs_differ = sorted(set(sc.outputs_differ or []) | set(differ))
        ctx.progress(
            f"  {sc.label} run {run + 1}/{count}: framework {seconds['framework']:.1f} s, "
            f"bare {seconds['bare']:.1f} s, same output: {'yes' if not differ else 'NO'}"
        )
        shutil.rmtree(bare_dir / "out", ignore_errors=True)
        if lake is not None:
            shutil.rmtree(lake, ignore_errors=True)  # keep one lake per scale on disk
        lake = fw_dir / "lake"
    return lake


def _record_without_rules(sc: ScaleResult, run: runs.Measured) -> None:
    sc.without_rules_cold.append(run.cold)
    add(sc.without_rules_parts, run.parts)
    if run.job_seconds:
        sc.without_rules_job_seconds.append(run.job_seconds)


def measure_without_rules(
    ctx: runs.Context, data: GeneratedData, sc: ScaleResult, count: int, lake: Path | None
) -> None:
    """`count` cold framework runs of the same data and load date without the tables' rules,
    each in a fresh root, `DAGSTER_HOME` and runner folder; their silver and gold are
    compared with `lake` (a run with the rules), so both sides provably did the same work."""
    base = ctx.work / "runs" / sc.label
    for run in range(count):
        run_dir = runs.fresh(base / f"without-rules-{run}")
        args = [*framework_args(data.landing, run_dir / "lake"), "--load-date", LOAD_DATE]
        measured = runs.framework(ctx, run_dir, args, without_rules=True)
        _record_without_rules(sc, measured)
        same = ""
        if lake is not None:
            differ = outputs.compare(
                outputs.framework_files(str(lake)), outputs.framework_files(str(run_dir / "lake"))
            )
            sc.without_rules_differ = sorted(set(sc.without_rules_differ or []) | set(differ))
            same = f", same output as with rules: {'yes' if not differ else 'NO'}"
        jobs = f"{measured.job_seconds:.1f} s" if measured.job_seconds else "-"
        ctx.progress(
            f"  {sc.label} without rules {run + 1}/{count}: framework {measured.cold:.1f} s, "
            f"jobs {jobs}{same}"
        )
        shutil.rmtree(run_dir / "lake", ignore_errors=True)
