"""The warm loop: a data engineer changes a transform and materializes one gold asset again,
with the local runner already up.

The small-data section's generated sample is materialized once into a fresh root with
`--keep-runner` (not timed); then the `lakehouse` console script itself runs
`run --select <one gold asset> --keep-runner` several times, each timed from spawn to exit,
in the environment the other sections give their children; the runner is stopped at the end.
What the command printed (its own elapsed time, the step's duration) splits each run. The UI
(`dagster dev`) is not measured.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from lakehouse_assets.bench import runs
from lakehouse_assets.bench.overhead import LOAD_DATE
from lakehouse_assets.bench.procs import ChildRun, run_child
from lakehouse_assets.bench.results import WarmResult

SELECTION = "key:importau/gold/features_risco_cambial_mensal"
STEP = "importau_gold_features_risco_cambial_mensal"
PRIME_SELECTION = "group:importau"
LANDING_LABEL = "generated sample, scale 30"
# A warm run takes seconds; these only keep a hung run from holding the bench for hours.
PRIME_TIMEOUT = 900.0
RUN_TIMEOUT = 300.0

# `run_progress.format_seconds`: "4.2 s" or "2 min 05 s".
_SECONDS = r"(?:(\d+) min (\d+) s|(\d+(?:\.\d+)?) s)"
_SUMMARY = re.compile(rf"^run \S+: SUCCESS in {_SECONDS}$", re.MULTILINE)


def lakehouse_script() -> Path:
    """The `lakehouse` console script of the running environment (next to its Python; the
    path is not resolved, since a venv's python is a link to the base interpreter)."""
    script = Path(sys.executable).parent / "lakehouse"
    if not script.is_file():
        raise runs.BenchError(
            f"no `lakehouse` script next to {sys.executable}: install the project into this "
            "environment (pip install -e .)"
        )
    return script


def _seconds(match: re.Match, first: int) -> float:
    minutes, rest, plain = match.group(first, first + 1, first + 2)
    return float(plain) if plain is not None else int(minutes) * 60 + int(rest)


def parse_output(text: str, step: str = STEP) -> tuple[float | None, float | None]:
    """What `lakehouse run` printed of a successful run: its elapsed time (from the start of
    the command's own code) and `step`'s duration; None for what it did not print."""
    summary = _SUMMARY.search(text)
    line = re.search(
        rf"^\s+ok\s+{re.escape(step)}\s.*?{_SECONDS}\s+\(elapsed {_SECONDS}\)", text, re.MULTILINE
    )
    elapsed = _seconds(summary, 1) if summary else None
    return elapsed, (_seconds(line, 1) if line else None)


def runner_pid(runner_dir: Path) -> int | None:
    """The pid of the runner the folder's state names (None when there is none)."""
    try:
        return int(json.loads((runner_dir / "runner.json").read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _lakehouse(
    script: Path,
    args: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    cwd: Path,
    timeout: float,
    what: str,
) -> ChildRun:
    run = run_child([str(script), *args], env, log, timeout=timeout, cwd=cwd)
    if not run.ok:
        raise runs.BenchError(run.failure(what))
    return run


def measure(ctx: runs.Context, count: int) -> WarmResult:
    from lakehouse_assets.bench.small_data import sample_landing

    script = lakehouse_script()
    landing, _ = sample_landing(ctx)
    base = runs.fresh(ctx.work / "runs" / "warm")
    home, runner = base / "dagster_home", base / "runner"
    home.mkdir()
    # One DAGSTER_HOME and one runner for the whole loop, as in an engineer's checkout.
    env = ctx.env({"DAGSTER_HOME": str(home), "LAKEHOUSE_RUNNER_DIR": str(runner)})
    common = ["run", "--landing", str(landing), "--root", str(base / "lake")]
    result = WarmResult(selection=SELECTION, landing=LANDING_LABEL)
    try:
        prime = [*common, "--select", PRIME_SELECTION, "--load-date", LOAD_DATE, "--keep-runner"]
        what = f"the untimed `lakehouse run --select {PRIME_SELECTION}`"
        done = _lakehouse(script, prime, env, base / "prime.log", ctx.repo, PRIME_TIMEOUT, what)
        result.prime_seconds = done.wall_seconds
        ctx.progress(f"  {PRIME_SELECTION} materialized in {done.wall_seconds:.1f} s (not timed)")
        for run in range(count):
            args = [*common, "--select", SELECTION, "--keep-runner"]
            timed = _timed(ctx, script, args, env, base, run)
            elapsed, step = parse_output(timed.log.read_text(errors="replace"))
            result.wall.append(timed.wall_seconds)
            result.cli_elapsed.append(elapsed)
            result.step.append(step)
            ctx.progress(
                f"  warm run {run + 1}/{count}: {timed.wall_seconds:.2f} s spawn to exit"
                + (f", the gold step {step:.1f} s" if step is not None else "")
            )
    finally:
        runs.stop_runner(base)
    return result


def _timed(
    ctx: runs.Context, script: Path, args: list[str], env: dict[str, str], base: Path, run: int
) -> ChildRun:
    runner = base / "runner"
    before = runner_pid(runner)
    if before is None:
        raise runs.BenchError(f"no runner up in {runner} before warm run {run + 1}")
    what = f"warm run {run + 1} (`lakehouse run --select {SELECTION}`)"
    log = base / f"run-{run}.log"
    timed = _lakehouse(script, args, env, log, ctx.repo, RUN_TIMEOUT, what)
    after = runner_pid(runner)
    if after != before:
        # A runner restarts when the job library changed under it: that run was not warm.
        raise runs.BenchError(
            f"{what} started a new runner (pid {before} -> {after}); was glue_scripts/ edited "
            f"during the bench? log {log}"
        )
    return timed
