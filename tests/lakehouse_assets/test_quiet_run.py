"""A quiet first run: the instance's dagster.yaml, Dagster's notices filtered, one progress
line per step, the event log in a named file (or on the terminal with --verbose), and the
launcher preparing a fresh clone's sources."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dagster import (
    Definitions,
    LoggerDefinition,
    MaterializeResult,
    asset,
    build_asset_context,
    define_asset_job,
)

from lakehouse_assets.dagster_home import ensure_dagster_home, instance_yaml
from lakehouse_assets.domains import domain_names
from lakehouse_assets.local_sources import service_settings
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import LocalSparkLauncher
from lakehouse_assets.run_progress import StepProgress, first_error_line, format_seconds
from lakehouse_assets.settings import ConfigurationError

REPO = Path(__file__).resolve().parents[2]
LAKEHOUSE = Path(sys.executable).with_name("lakehouse")


# --- the instance's dagster.yaml -------------------------------------------------------------


def test_a_home_without_dagster_yaml_gets_one_with_telemetry_off(tmp_path):
    env = {"DAGSTER_HOME": str(tmp_path / "home")}
    home = ensure_dagster_home(env)
    assert home == tmp_path / "home"
    text = (home / "dagster.yaml").read_text()
    assert text == instance_yaml(telemetry=False)
    assert text.endswith("telemetry:\n  enabled: false\n")
    assert sorted(p.name for p in home.iterdir()) == ["dagster.yaml"]


def test_telemetry_on_when_the_user_says_so(tmp_path):
    env = {"DAGSTER_HOME": str(tmp_path), "LAKEHOUSE_DAGSTER_TELEMETRY": "true"}
    ensure_dagster_home(env)
    assert (tmp_path / "dagster.yaml").read_text().endswith("telemetry:\n  enabled: true\n")


def test_an_existing_dagster_yaml_is_never_overwritten(tmp_path):
    mine = "run_monitoring:\n  enabled: true\n"
    (tmp_path / "dagster.yaml").write_text(mine)
    ensure_dagster_home({"DAGSTER_HOME": str(tmp_path), "LAKEHOUSE_DAGSTER_TELEMETRY": "true"})
    assert (tmp_path / "dagster.yaml").read_text() == mine


def test_an_unset_home_defaults_to_dagster_home_in_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env: dict[str, str] = {}
    home = ensure_dagster_home(env)
    assert env["DAGSTER_HOME"] == str(tmp_path / ".dagster_home") == str(home)
    assert (home / "dagster.yaml").is_file()


def test_a_bad_telemetry_setting_says_what_to_do(tmp_path):
    with pytest.raises(ConfigurationError) as err:
        ensure_dagster_home({"DAGSTER_HOME": str(tmp_path), "LAKEHOUSE_DAGSTER_TELEMETRY": "maybe"})
    assert str(err.value) == (
        "LAKEHOUSE_DAGSTER_TELEMETRY='maybe' is not true or false; unset it to keep Dagster's "
        "telemetry off"
    )
    assert not (tmp_path / "dagster.yaml").exists()


# --- Dagster's notices ------------------------------------------------------------------------


def test_the_cli_hides_dagster_beta_and_preview_notices_but_not_other_warnings(tmp_path):
    code = (
        "import warnings\n"
        "from lakehouse_assets.cli import _prepare_dagster\n"
        "from dagster_shared.utils.warnings import beta_warning, preview_warning, "
        "supersession_warning\n"
        "_prepare_dagster()\n"
        "beta_warning('x'); preview_warning('y'); supersession_warning('z')\n"
        "warnings.warn('a real warning')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(tmp_path / "h")},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == "<string>:6: UserWarning: a real warning\n"
    assert (tmp_path / "h" / "dagster.yaml").is_file()


# --- progress lines -------------------------------------------------------------------------


@asset
def small() -> MaterializeResult:
    return MaterializeResult(metadata={"dagster/row_count": 1234})


@asset(deps=[small])
def broken() -> None:
    raise ValueError("the export is empty\nsecond line")


@asset(deps=[broken])
def after() -> None:
    pass


def _run_with_progress(progress: StepProgress):
    job = define_asset_job("progress_job", selection=[small, broken, after])
    defs = Definitions(
        assets=[small, broken, after],
        jobs=[job],
        loggers={"progress": LoggerDefinition(lambda _: progress.logger)},
    )
    return defs.resolve_job_def("progress_job").execute_in_process(
        run_config={"loggers": {"progress": {}}}, raise_on_error=False
    )


def test_one_line_per_finished_step_with_tables_rows_seconds_and_the_first_error_line():
    out = io.StringIO()
    ticks = itertools.count(start=10, step=1.5)
    progress = StepProgress(out=out, started=0.0, clock=lambda: next(ticks), width=8)

    result = _run_with_progress(progress)

    assert not result.success
    assert out.getvalue().splitlines() == [
        "  ok      small      1 table     1,234 rows      1.5 s  (elapsed 11.5 s)",
        "  FAILED  broken                                 1.5 s  (elapsed 14.5 s)",
        "          ValueError: the export is empty",
    ]


def test_seconds_read_as_minutes_past_one_minute():
    assert [format_seconds(s) for s in (0.04, 59.94, 60, 125.4)] == [
        "0.0 s",
        "59.9 s",
        "1 min 00 s",
        "2 min 05 s",
    ]


def test_the_first_error_line_is_the_users_error_inside_dagsters_wrappers():
    result = _run_with_progress(StepProgress(out=io.StringIO()))
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.event_specific_data.error.cls_name == "DagsterExecutionStepExecutionError"
    assert first_error_line(failure.event_specific_data.error) == (
        "ValueError: the export is empty"
    )


# --- `lakehouse run`: quiet terminal, named event log, --verbose ------------------------------


def _cli_run(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    landing = tmp_path / "landing"
    landing.mkdir(exist_ok=True)
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LAKEHOUSE_", "DAGSTER_"))
    }
    env.update(DAGSTER_HOME=str(tmp_path / "home"), PYTHONPATH=str(REPO))
    # Sources' settings present (never read: no bronze job runs), so no local services start.
    env.update(
        {name: "postgresql://u:p@127.0.0.1:9/db" for name in service_settings(domain_names())}
    )
    # The catalog asset alone: a real Dagster run that needs no Spark job (it skips locally
    # when no AWS endpoint runs).
    command = [str(LAKEHOUSE), "run", "--select", "key:governance/glue_data_catalog"]
    command += ["--root", str(tmp_path / "lake"), "--landing", str(landing), *extra]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)


def test_lakehouse_run_prints_progress_and_names_its_event_log_with_nothing_on_stderr(tmp_path):
    done = _cli_run(tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    run_id = lines[0].split()[1].rstrip(":")
    log = tmp_path / "home" / "logs" / f"run-{run_id}.log"
    assert lines[0] == f"run {run_id}: 1 step(s); Dagster's event log goes to {log}"
    assert lines[1].startswith("  ok      governance__glue_data_catalog")
    assert lines[2] == ""
    assert lines[3].startswith(f"run {run_id}: SUCCESS in ")
    # Without an AWS endpoint the catalog export skips (a warning in the event log).
    assert lines[4:] == [f"  Dagster's event log of the run: {log}"]
    assert "dagster - DEBUG" not in done.stdout
    text = log.read_text()
    assert " - dagster - DEBUG - lakehouse_cli_run - " in text
    assert "RUN_SUCCESS" in text
    assert (tmp_path / "home" / "dagster.yaml").read_text() == instance_yaml(telemetry=False)


def test_verbose_also_prints_the_event_log(tmp_path):
    done = _cli_run(tmp_path, "--verbose")

    assert done.returncode == 0, done.stdout + done.stderr
    assert " - dagster - DEBUG - lakehouse_cli_run - " in done.stderr
    assert "RUN_SUCCESS" in done.stderr
    assert "Warning" not in done.stderr
    assert "  ok      governance__glue_data_catalog" in done.stdout


# --- the launcher prepares a fresh clone's sources ------------------------------------------


def _launcher(root: str, landing: str, **kw) -> LocalSparkLauncher:
    return LocalSparkLauncher(lakehouse_root=root, landing=landing, runner_dir="/nonexistent", **kw)


def test_only_the_default_root_is_prepared_unless_asked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _launcher("./.lakehouse", "./.lakehouse/landing")._prepares_sources()
    assert _launcher(f"file://{tmp_path}/.lakehouse", "x")._prepares_sources()
    assert not _launcher(str(tmp_path / "lake"), "x")._prepares_sources()
    assert _launcher(str(tmp_path / "lake"), "x", prepare_local_sources=True)._prepares_sources()
    assert not _launcher("./.lakehouse", "x", prepare_local_sources=False)._prepares_sources()


def test_a_fresh_default_landing_gets_the_sample_of_the_jobs_domain_only(tmp_path, monkeypatch):
    monkeypatch.delenv("LAKEHOUSE_LANDING", raising=False)
    root = tmp_path / "lake"
    launcher = _launcher(str(root), str(root / "landing"), prepare_local_sources=True)
    tables = [t for t in registry().tables.values() if t.job == "importau_bronze_ingest"]
    context = build_asset_context()

    launcher.prepare_sources(context, tables)
    written = sorted(p.name for p in (root / "landing").iterdir())
    launcher.prepare_sources(context, tables)  # filled: left as it is

    assert written == sorted(t.source for t in tables)
    assert sorted(p.name for p in (root / "landing").iterdir()) == written


def test_an_explicit_landing_is_never_filled(tmp_path, monkeypatch):
    monkeypatch.delenv("LAKEHOUSE_LANDING", raising=False)
    root, landing = tmp_path / "lake", tmp_path / "exports"
    landing.mkdir()
    launcher = _launcher(str(root), str(landing), prepare_local_sources=True)
    tables = [t for t in registry().tables.values() if t.job == "importau_bronze_ingest"]

    launcher.prepare_sources(build_asset_context(), tables)

    assert list(landing.iterdir()) == []
