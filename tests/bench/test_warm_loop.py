"""The warm loop's plumbing without Spark: what `lakehouse run` prints is read back, the
console script is found and its failures reported, the runner is told apart, and the
section is planned by default and alone with `--only warm`."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
from dagster import (
    AssetSpec,
    DagsterInstance,
    Definitions,
    LoggerDefinition,
    define_asset_job,
    multi_asset,
)

from lakehouse_assets import cli
from lakehouse_assets.bench import warm_loop
from lakehouse_assets.bench.harness import plan
from lakehouse_assets.bench.options import from_args
from lakehouse_assets.bench.results import BenchResults
from lakehouse_assets.bench.runs import BenchError, Context
from lakehouse_assets.headless import _print_summary
from lakehouse_assets.run_progress import StepProgress

FATO = AssetSpec(["importau", "silver", "fato_pedido_correlacionado"])
GOLD = AssetSpec(["importau", "gold", "features_risco_cambial_mensal"], deps=[FATO])


@multi_asset(name="importau_silver_fato_pedido_correlacionado", specs=[FATO])
def silver():
    pass


@multi_asset(name=warm_loop.STEP, specs=[GOLD])
def gold():
    pass


def _printed(clock_values: list[float], elapsed: float) -> str:
    """What `lakehouse run` prints for a real two-step run: the progress lines from the
    run's own events, then its summary, with the step clock set to `clock_values`."""
    out = io.StringIO()
    progress = StepProgress(out=out, started=0.0, clock=iter(clock_values).__next__)
    job = define_asset_job("warm_test", selection="*")
    defs = Definitions(
        assets=[silver, gold],
        jobs=[job],
        loggers={"progress": LoggerDefinition(lambda _: progress.logger)},
    )
    result = defs.resolve_job_def("warm_test").execute_in_process(
        instance=DagsterInstance.ephemeral(), run_config={"loggers": {"progress": {}}}
    )
    _print_summary(result, out=out, elapsed=elapsed)
    return out.getvalue()


@pytest.mark.parametrize(
    ("clock", "elapsed", "expected"),
    [
        # silver starts at 1 s and ends at 2 s, the gold step runs from 10 s to 11.5 s.
        ([1.0, 2.0, 10.0, 11.5], 2.25, (2.2, 1.5)),
        # Past a minute the command prints minutes and seconds.
        ([1.0, 2.0, 10.0, 75.0], 125.0, (125.0, 65.0)),
    ],
)
def test_the_run_and_the_gold_step_are_read_from_what_the_command_printed(clock, elapsed, expected):
    text = _printed(clock, elapsed)
    assert "importau_silver_fato_pedido_correlacionado" in text  # another step printed first
    assert warm_loop.parse_output(text) == expected


def test_a_failed_or_silent_run_gives_nothing_to_split():
    assert warm_loop.parse_output("") == (None, None)
    failed = "run 1234: FAILURE in 3.0 s\n  FAILED  importau_gold_features_risco_cambial_mensal"
    assert warm_loop.parse_output(failed) == (None, None)


def test_the_runner_is_told_by_the_pid_of_its_state(tmp_path):
    assert warm_loop.runner_pid(tmp_path) is None  # no runner ever started there
    (tmp_path / "runner.json").write_text(json.dumps({"pid": 4321, "url": "http://x"}))
    assert warm_loop.runner_pid(tmp_path) == 4321
    (tmp_path / "runner.json").write_text("{half a file")
    assert warm_loop.runner_pid(tmp_path) is None


def test_the_console_script_is_the_one_next_to_this_python():
    script = warm_loop.lakehouse_script()
    assert script == Path(sys.executable).parent / "lakehouse"
    assert os.access(script, os.X_OK)


def _options(tmp_path: Path, *argv: str):
    args = ["bench", "--work", str(tmp_path / "work"), "--out", str(tmp_path / "b.md"), *argv]
    return from_args(cli._parser().parse_args(args))


def test_a_failing_lakehouse_run_is_reported_with_its_log(tmp_path):
    ctx = Context(_options(tmp_path), progress=lambda _: None)
    script = warm_loop.lakehouse_script()
    args = ["run", "--landing", str(tmp_path / "missing"), "--select", warm_loop.SELECTION]
    log = tmp_path / "run.log"
    with pytest.raises(BenchError) as err:
        warm_loop._lakehouse(script, args, ctx.env(), log, ctx.repo, 120, "warm run 1")
    message = str(err.value)
    assert message.startswith(f"warm run 1 exited with code 2; log {log}")
    assert f"landing folder {tmp_path / 'missing'} does not exist" in message


def test_the_warm_section_runs_by_default_and_alone():
    options = _options(Path("/nonexistent"))
    names = [name for name, _ in plan(Context(options), BenchResults())]
    assert names[:3] == ["catalog", "warm", "small data"]
    alone = _options(Path("/nonexistent"), "--only", "warm")
    assert [name for name, _ in plan(Context(alone), BenchResults())] == ["warm"]
