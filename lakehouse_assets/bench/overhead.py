"""The full ImportAu graph through the framework vs the same transforms as one bare script."""

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
    if run.check_seconds is not None and run.job_seconds:
        sc.framework_check_seconds.append(run.check_seconds)
        sc.framework_job_seconds.append(run.job_seconds)
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
