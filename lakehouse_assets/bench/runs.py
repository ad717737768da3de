"""One measured run of each kind, in a fresh process, turned into seconds and MiB.

The harness's own process stays light: Spark, Dagster and DuckDB run in the children only.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import lakehouse_assets
from lakehouse_assets.bench.options import BenchOptions
from lakehouse_assets.bench.procs import ChildRun, run_child
from lakehouse_assets.local_runner import jit

# Settings each run sets itself; inherited values would point runs at the user's lakehouse.
OWN_SETTINGS = (
    "LAKEHOUSE_ROOT",
    "LAKEHOUSE_LANDING",
    "LAKEHOUSE_RUNNER_DIR",
    "LAKEHOUSE_TARGET",
    "LAKEHOUSE_ALERT_WEBHOOK",
    "DAGSTER_HOME",
    "AWS_ENDPOINT_URL",
    "AWS_PROFILE",
    "OPENLINEAGE_URL",
    "OPENLINEAGE_CONFIG",
)
# A bench run must fail loudly rather than hide a retry in its timing, and a 10M-item job may
# run past the default one-hour deadline on two cores; the user's own values win.
BENCH_DEFAULTS = {"LAKEHOUSE_TRANSIENT_RETRIES": "0", "LAKEHOUSE_JOB_TIMEOUT_SECONDS": "14400"}
LOCAL_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class BenchError(RuntimeError):
    """A measured run failed; the message names its log."""


@dataclass
class Context:
    options: BenchOptions
    progress: Callable[[str], None] = print
    repo: Path = field(default_factory=lambda: Path(lakehouse_assets.__file__).parents[1])
    # The JIT every Spark process of the current section gets (`c1`/`full`, local_runner/jit.py):
    # the framework's choice for the section's data, given to the bare script too.
    jit: str | None = None

    @contextmanager
    def jit_for(self, folders: Sequence[Path]) -> Iterator[str]:
        """Within the block, every child gets the JIT the framework chooses for `folders`."""
        self.jit = jit.choose(folders)
        try:
            yield self.jit
        finally:
            self.jit = None

    @property
    def work(self) -> Path:
        return self.options.work

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {**BENCH_DEFAULTS, **{k: v for k, v in os.environ.items() if k not in OWN_SETTINGS}}
        # The children run this checkout's code, whatever is installed in the environment.
        path = [str(self.repo), *filter(None, [env.get("PYTHONPATH")])]
        env.update(LOCAL_AWS, LAKEHOUSE_TARGET="local", PYTHONPATH=os.pathsep.join(path))
        if self.jit:
            env[jit.SETTING] = self.jit
        env.update(extra or {})
        return env

    def python(self, module: str, *args: str) -> list[str]:
        return [sys.executable, "-m", module, *args]

    def child(
        self, run_dir: Path, module: str, args: Sequence[str], extra_env=None, what: str = ""
    ) -> ChildRun:
        """Run `python -m module args --result <run_dir>/result.json`; raise when it fails."""
        result = run_dir / "result.json"
        argv = self.python(module, "--result", str(result), *args)
        run = run_child(argv, self.env(extra_env), run_dir / "run.log", result, cwd=self.repo)
        if not run.ok:
            raise BenchError(run.failure(what or module))
        return run


@dataclass(frozen=True)
class Measured:
    """One run: total seconds, seconds without Spark start/stop, named parts, peak MiB."""

    cold: float
    warm: float | None
    parts: dict[str, float | None]
    memory: dict[str, float | None]
    # The bare script's checks of its outputs, timed apart and not in `cold` or `warm`.
    checks: float | None = None
    # The framework's: seconds its jobs' check phases took (None when they report none), and
    # the sum of its steps' durations (the first step without its wait for the runner).
    check_seconds: float | None = None
    job_seconds: float | None = None


FIRST_STEP = "importau_bronze_ingest"


def runner_wait(report: dict, dagster: dict, first: str) -> float | None:
    """How long the first step waited for the runner the run started: the CLI starts it
    before importing Dagster, so only the part of its start still running when the step
    began delays the run."""
    ready, began = report.get("runner_ready_at"), (dagster.get("step_starts") or {}).get(first)
    if ready is None or began is None:
        return None
    return max(0.0, ready - began)


def _minus(total: float, *parts: float | None) -> float | None:
    return None if any(p is None for p in parts) else total - sum(parts)


def framework(
    ctx: Context,
    run_dir: Path,
    lakehouse_args: Sequence[str],
    extra_env: Mapping[str, str] | None = None,
    keep_runner: bool = False,
    without_rules: bool = False,
) -> Measured:
    """`lakehouse run ...` through `framework_child`; `keep_runner` leaves the runner up;
    `without_rules` runs the graph without its quality rules (`bench/without_rules.py`)."""
    from lakehouse_assets.local_runner.process import stop_runner

    home, runner = run_dir / "dagster_home", run_dir / "runner"
    home.mkdir(parents=True, exist_ok=True)
    env = {"DAGSTER_HOME": str(home), "LAKEHOUSE_RUNNER_DIR": str(runner), **(extra_env or {})}
    args = ["run", "--runner-dir", str(runner)] + (["--keep-runner"] if keep_runner else [])
    args += ["--without-rules"] if without_rules else []
    try:
        run = ctx.child(
            run_dir,
            "lakehouse_assets.bench.framework_child",
            [*args, "--", *lakehouse_args],
            env,
            "the framework run (lakehouse run)",
        )
    except BaseException:
        stop_runner(runner)  # a failed or interrupted run must not leave a Spark driver up
        raise
    report = run.report
    if report.get("returncode") != 0:
        raise BenchError(run.failure("`lakehouse run` (it reported a failed Dagster run)"))
    if without_rules:
        stripped_run(report, run)
    dagster = report.get("dagster") or {}
    steps = dict(dagster.get("steps") or {})
    start = report.get("runner_start_seconds")
    waited = runner_wait(report, dagster, FIRST_STEP)
    if waited is not None and FIRST_STEP in steps:
        steps[FIRST_STEP] -= waited
    born, run_start = report.get("born"), dagster.get("start")
    parts = {
        "process_start": run_start - born if born and run_start else None,
        "runner_start": start,
        "runner_wait": waited,
        "runner_stop": report.get("stop_seconds"),
        **steps,
    }
    cold = run.wall_seconds - report.get("bookkeeping_seconds", 0.0)
    warm = _minus(cold, waited, report.get("stop_seconds")) if not keep_runner else None
    memory = {"dagster_process": report.get("dagster_memory_mb"), **_runner_memory(report)}
    jobs = sum(steps.values()) if steps else None
    return Measured(cold, warm, parts, memory, None, dagster.get("check_seconds"), jobs)


def stripped_run(report: dict, run: ChildRun) -> None:
    """Refuse a run meant to be without rules whose jobs evaluated one anyway: it would
    measure the rules' cost at zero."""
    info = report.get("without_rules")
    if info is None or "unexpected_checks" not in info:
        raise BenchError(
            f"the framework run without rules did not report the rules it kept; log {run.log}"
        )
    if info["unexpected_checks"]:
        checks = ", ".join(info["unexpected_checks"])
        raise BenchError(
            f"the framework run without rules evaluated rules it should not have ({checks}): "
            f"its jobs did not receive the specs without rules; log {run.log}"
        )


def split_memory(tree: dict[str, float], pid: int | None, prefix: str) -> dict[str, float | None]:
    """A process tree's peaks as its own Python, its JVM, and its Python workers (summed)."""
    own = next((mb for name, mb in tree.items() if name.endswith(f"[{pid}]")), None)
    jvm = max((mb for name, mb in tree.items() if name.startswith("java")), default=None)
    workers = [
        mb for name, mb in tree.items() if not name.endswith(f"[{pid}]") and name.startswith("py")
    ]
    return {
        f"{prefix}_python": own,
        f"{prefix}_jvm": jvm,
        f"{prefix}_workers": sum(workers) if workers else None,
    }


def _runner_memory(report: dict) -> dict[str, float | None]:
    return split_memory(report.get("runner_memory_mb") or {}, report.get("runner_pid"), "runner")


def start_runner(ctx: Context, run_dir: Path, extra_env: Mapping[str, str] | None = None) -> None:
    """Start the runner a warm measurement will reuse (its start is not measured)."""
    home, runner = run_dir / "dagster_home", run_dir / "runner"
    home.mkdir(parents=True, exist_ok=True)
    env = {"DAGSTER_HOME": str(home), "LAKEHOUSE_RUNNER_DIR": str(runner), **(extra_env or {})}
    args = ["start-runner", "--runner-dir", str(runner)]
    ctx.child(run_dir / "start", "lakehouse_assets.bench.framework_child", args, env)


def stop_runner(run_dir: Path) -> None:
    from lakehouse_assets.local_runner.process import stop_runner as stop

    stop(run_dir / "runner")


def bare(ctx: Context, run_dir: Path, args: Sequence[str]) -> Measured:
    """The bare PySpark script (`bare_pipeline`) with `args` (mode first). Its checks, if it
    ran them, are timed apart: `cold` and `warm` leave them out."""
    run = ctx.child(run_dir, "lakehouse_assets.bench.bare_pipeline", args, what="bare PySpark")
    phases = run.report["phases"]
    checks = phases.get("checks")
    cold = run.wall_seconds - (checks or 0.0)
    warm = _minus(cold, phases.get("spark_start"), phases.get("spark_stop"))
    memory = split_memory(run.report.get("memory_mb") or {}, run.report.get("pid"), "bare")
    return Measured(cold, warm, phases, memory, checks)


def fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
