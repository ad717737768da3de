"""One `dagster dev` for every UI test, and a headless Chromium driven by Playwright."""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ui.dagster_dev import DagsterDev, lakehouse_env

CHROMIUM = Path("/usr/bin/chromium")
DOMAIN = "vendas"  # the smallest sample that runs fastest
SCREENSHOTS = pytest.StashKey[Path]()
TELEMETRY_OFF = "telemetry:\n  enabled: false\n"
VIEWPORT = {"width": 1400, "height": 900}


@dataclass(frozen=True)
class DagsterUI:
    dev: DagsterDev
    root: Path
    landing: Path

    @property
    def url(self) -> str:
        return self.dev.url

    @property
    def log_path(self) -> Path:
        return self.dev.log_path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        return self.dev.graphql(query, variables)


@pytest.fixture(scope="session")
def dagster_ui(tmp_path_factory) -> DagsterUI:
    """`dagster dev` on a free port over a temporary instance and lake with a sample landing.

    Sensors that start runs by themselves are stopped before the landing is filled, so the
    only runs are the ones a test launches from the browser.
    """
    from lakehouse_assets.domains import generator_module
    from lakehouse_assets.local_runner.process import stop_runner
    from lakehouse_assets.local_services.supervisor import stop_background

    logs = tmp_path_factory.mktemp("ui")
    # Not under pytest's folder, which each pytest start makes private again: a local
    # PostgreSQL a job may start runs as its own user (see the `local_services` fixture).
    base = Path(tempfile.mkdtemp(prefix="lakehouse-ui-"))
    dagster_home, root = base / "dagster_home", base / "lake"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text(TELEMETRY_OFF)
    landing = root / "landing"
    landing.mkdir(parents=True)
    env = lakehouse_env(dagster_home, root)
    try:
        dev = DagsterDev.start(env, logs / "dagster_dev.log")
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    try:
        dev.stop_running_sensors()
        generator_module(DOMAIN).generate(landing, seed=42)
        yield DagsterUI(dev=dev, root=root, landing=landing)
    finally:
        dev.stop()
        # Started by the runs, in sessions of their own: they outlive dagster dev.
        stop_runner(Path(env["LAKEHOUSE_RUNNER_DIR"]))
        stop_background(root)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: run `.venv/bin/pip install -e '.[dev]'`")
    if not CHROMIUM.exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium is not at {CHROMIUM}: install it with `apt-get install chromium`")
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ui-screenshots")


@pytest.fixture(scope="session")
def first_visit(browser, dagster_ui) -> None:
    """A fresh instance greets its first visitor with a dialog: skip it, as a user does.

    Dagster remembers the answer in DAGSTER_HOME; dismissing it once here keeps it from
    popping up over another dialog in the middle of a test.
    """
    from playwright.sync_api import expect

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(dagster_ui.url)
    dialog = page.get_by_role("dialog").filter(has_text="Join the Dagster community")
    try:
        dialog.get_by_role("button", name=re.compile(r"\bSkip$")).click(timeout=60_000)
        expect(dialog).to_be_hidden()
    finally:
        context.close()
    deadline = time.monotonic() + 30
    while dagster_ui.graphql("{ shouldShowNux }")["shouldShowNux"]:
        assert time.monotonic() < deadline, "Dagster did not store that its dialog was skipped"
        time.sleep(0.2)


@pytest.fixture
def page(browser, first_visit, screenshots, request):
    """A fresh browser context per test."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(30_000)
    page = context.new_page()
    request.node.stash[SCREENSHOTS] = screenshots
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A screenshot of the page of a failed test; its path is printed with the failure."""
    report = yield
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        path = item.stash[SCREENSHOTS] / f"{item.name}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            report.sections.append(("screenshot", f"{path} (page {page.url})"))
        except Exception as err:  # a closed page must not hide the test's own failure
            report.sections.append(("screenshot", f"none: {err}"))
    return report
