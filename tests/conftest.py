"""Shared fixtures: one Spark session for the whole suite, and a warm runner on top of it."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SHARED_EXPORTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "importau_csv_exports"


@pytest.fixture(scope="session")
def spark():
    # Two cores, few shuffle partitions: tiny test data must not pay for parallelism.
    os.environ.setdefault("LAKEHOUSE_SPARK_CORES", "2")
    os.environ.setdefault("LAKEHOUSE_SHUFFLE_PARTITIONS", "2")
    os.environ.setdefault("LAKEHOUSE_SPARK_DRIVER_MEMORY", "2g")
    from lakehouse_assets.local_runner.session import build_local_session

    session = build_local_session("lakehouse-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def runner_url(spark):
    """The local Glue runner serving from the suite's Spark session (no second Spark start)."""
    from lakehouse_assets.local_runner.runner import JobRunner
    from lakehouse_assets.local_runner.server import RunnerServer

    server = RunnerServer(JobRunner(spark), fingerprint="tests")
    server.start_in_thread()
    yield server.url
    server.shutdown()


@pytest.fixture
def lake(tmp_path: Path) -> dict[str, Path]:
    root, landing = tmp_path / "lake", tmp_path / "landing"
    root.mkdir()
    landing.mkdir()
    return {"root": root, "landing": landing, "runner": tmp_path / "runner"}


@pytest.fixture
def launcher(lake, runner_url):
    from lakehouse_assets.resources.launcher import LocalSparkLauncher

    return LocalSparkLauncher(
        lakehouse_root=str(lake["root"]),
        landing=str(lake["landing"]),
        runner_dir=str(lake["runner"]),
        runner_url=runner_url,
        poll_interval_seconds=0.05,
    )


@pytest.fixture(scope="session")
def real_exports() -> Path:
    if not SHARED_EXPORTS.is_dir():
        pytest.skip(f"the real ImportAu exports are not at {SHARED_EXPORTS}")
    return SHARED_EXPORTS


@pytest.fixture(scope="session")
def local_services() -> dict:
    """The local services of a throwaway root, started once for the suite: their endpoints.

    PostgreSQL (role `lakehouse`, a superuser), the AWS endpoint and the API stand-ins, as
    `lakehouse local-services --background` starts them (docs/SOURCES.md). The root is not
    under pytest's temporary folder: every pytest start makes that folder private again,
    which would lock out PostgreSQL's own user (it runs as `pgserver` when tests run as root).
    """
    from lakehouse_assets.local_services.supervisor import start_background, stop_background

    root = Path(tempfile.mkdtemp(prefix="lakehouse-services-")) / "lake"
    try:
        yield start_background(root)
    finally:
        stop_background(root)
        shutil.rmtree(root.parent, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_uri(local_services) -> str:
    """A PostgreSQL superuser URI for the whole suite (sources and the local warehouse)."""
    return local_services["postgres_uri"]
