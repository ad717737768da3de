"""The framework side of a measurement: `lakehouse run` exactly as the command runs it.

    python -m lakehouse_assets.bench.framework_child run --runner-dir D --result FILE \
        -- run --landing L --root R --select 'group:importau' --load-date YYYYMMDD
    python -m lakehouse_assets.bench.framework_child start-runner --runner-dir D --result FILE

`run` calls the CLI's own `main` (what the `lakehouse` script calls) with `--keep-runner`, so
that the runner's peak memory can be read before it stops, then stops the runner as `lakehouse
run` does. It reports the run, the runner's start (process start -> ready, when the run
started it), the Dagster steps' durations, the seconds the jobs' check phases took (the
materializations' `lakehouse/check_seconds`), the checks the run evaluated, peak memory of the
Dagster process (this one) and of the runner tree, and how long that bookkeeping took (the
harness subtracts it). With `--without-rules` the run's tables have no quality rules but those
the ingestion computes anyway (`bench/without_rules.py`): the other side of the rules' A/B.
`start-runner` starts a runner ahead of a warm measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from lakehouse_assets.bench.procs import started_at, tree_memory_mb, vm_hwm_mb

# Seconds a write spent evaluating its table's rules after writing its files, reported by the
# Glue jobs (glue_scripts/lib/job.py) in every materialization's metadata.
CHECK_SECONDS = "lakehouse/check_seconds"


def _runner_info(runner_dir: Path) -> dict | None:
    state = runner_dir / "runner.json"
    try:
        info = json.loads(state.read_text())
    except (OSError, ValueError):
        return None
    return {**info, "ready_at": state.stat().st_mtime}


def check_seconds(entries: Iterable) -> dict:
    """What a run's jobs spent evaluating the tables' rules, from its event log entries: the
    sum of `lakehouse/check_seconds` over the asset materializations, how many
    materializations there were and how many carried the value (None when none did: jobs
    that do not report it are not measured, rather than measured at zero)."""
    total, count, reported = 0.0, 0, 0
    for entry in entries:
        materialization = entry.asset_materialization
        if materialization is None:
            continue
        count += 1
        value = materialization.metadata.get(CHECK_SECONDS)
        number = getattr(value, "value", value)
        if isinstance(number, int | float) and not isinstance(number, bool):
            total += float(number)
            reported += 1
    return {
        "check_seconds": total if reported else None,
        "materializations": count,
        "materializations_with_check_seconds": reported,
    }


def checks_evaluated(entries: Iterable) -> list[list[str]]:
    """The checks a run evaluated, from its `ASSET_CHECK_EVALUATION` entries: each as its
    asset key's path and the check's name, once, sorted."""
    found = set()
    for entry in entries:
        event = entry.dagster_event
        if event is None or event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.asset_check_evaluation_data
        found.add((*evaluation.asset_key.path, evaluation.check_name))
    return [list(check) for check in sorted(found)]


def unexpected_checks(facts: dict, allowed: set[tuple[str, ...]]) -> list[str]:
    """The checks a run evaluated (`run_facts`) that are not among `allowed` (asset key path
    and check name): from the run's own events, the proof that a run without rules had its
    jobs evaluate none, since a job evaluates exactly the rules its specs carry."""
    evaluated = {tuple(check) for check in facts.get("checks_evaluated", [])}
    return sorted("/".join(check) for check in evaluated - allowed)


def run_facts(instance=None) -> dict:
    """Durations of the steps of this process's Dagster run (the instance's latest run), the
    seconds its jobs' check phases took and the checks it evaluated."""
    from dagster import DagsterEventType, DagsterInstance

    instance = instance or DagsterInstance.get()
    runs = instance.get_runs(limit=1)
    if not runs:
        return {}
    run_id = runs[0].run_id
    stats = instance.get_run_stats(run_id)
    timed = [
        s
        for s in instance.get_run_step_stats(run_id)
        if s.start_time is not None and s.end_time is not None
    ]
    materializations = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    checks = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    return {
        "run_id": run_id,
        "start": stats.start_time,
        "end": stats.end_time,
        "steps": {s.step_key: s.end_time - s.start_time for s in timed},
        "step_starts": {s.step_key: s.start_time for s in timed},
        **check_seconds(materializations),
        "checks_evaluated": checks_evaluated(checks),
    }


def _run(args: argparse.Namespace) -> int:
    entered = time.time()
    from lakehouse_assets import cli
    from lakehouse_assets.local_runner.process import stop_runner

    runner_dir = Path(args.runner_dir)
    before = _runner_info(runner_dir)
    report: dict = {"prestarted_runner": before is not None}
    born = started_at(os.getpid())
    report.update(born=born, python_start=entered - born if born else None)
    allowed = None
    if args.without_rules:
        from lakehouse_assets.bench.without_rules import install, rule_names

        allowed = rule_names(install())
        report["without_rules"] = {"rules_kept": sorted("/".join(r) for r in allowed)}
    start = time.perf_counter()
    try:
        code = cli.main([*args.lakehouse, "--keep-runner"])
        report["returncode"] = code
        report["cli_seconds"] = time.perf_counter() - start
        booked = time.perf_counter()
        info = _runner_info(runner_dir)
        if info is not None:
            report["runner_pid"] = info["pid"]
            report["runner_memory_mb"] = tree_memory_mb(info["pid"])
            runner_born = started_at(info["pid"])
            if before is None and runner_born is not None:
                report["runner_start_seconds"] = info["ready_at"] - runner_born
                report["runner_ready_at"] = info["ready_at"]
        report["dagster_memory_mb"] = vm_hwm_mb("self")
        report["dagster"] = run_facts()
        if allowed is not None:
            unexpected = unexpected_checks(report["dagster"], allowed)
            report["without_rules"]["unexpected_checks"] = unexpected
        report["bookkeeping_seconds"] = time.perf_counter() - booked
    finally:
        if not args.keep_runner:
            stopping = time.perf_counter()
            stop_runner(runner_dir)
            report["stop_seconds"] = time.perf_counter() - stopping
        Path(args.result).write_text(json.dumps(report, indent=1))
    return code


def _start_runner(args: argparse.Namespace) -> int:
    from lakehouse_assets.local_runner.process import ensure_runner

    start = time.perf_counter()
    url = ensure_runner(Path(args.runner_dir), idle_timeout=args.idle_timeout)
    info = _runner_info(Path(args.runner_dir)) or {}
    report = {"url": url, "pid": info.get("pid"), "seconds": time.perf_counter() - start}
    Path(args.result).write_text(json.dumps(report, indent=1))
    return 0


def main(argv: Sequence[str]) -> int:
    argv = list(argv)
    # Everything after `--` is the `lakehouse` command line, passed on untouched.
    split = argv.index("--") if "--" in argv else len(argv)
    own, lakehouse = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.bench.framework_child")
    parser.add_argument("mode", choices=["run", "start-runner"])
    parser.add_argument("--runner-dir", required=True)
    parser.add_argument("--result", required=True)
    parser.add_argument("--keep-runner", action="store_true", help="leave the runner up")
    parser.add_argument("--idle-timeout", type=float, default=3600)
    parser.add_argument(
        "--without-rules",
        action="store_true",
        help="run the graph without its quality rules (the rules' A/B)",
    )
    args = parser.parse_args(own)
    args.lakehouse = lakehouse
    return _run(args) if args.mode == "run" else _start_runner(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
