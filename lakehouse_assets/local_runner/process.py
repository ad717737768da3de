"""Start, find and stop the local runner process shared by all steps of a Dagster run."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import threading
import time
from contextlib import contextmanager, suppress
from pathlib import Path

from lakehouse_assets.local_runner import jit
from lakehouse_assets.local_runner.client import RunnerUnavailableError, call
from lakehouse_assets.local_runner.fingerprint import code_fingerprint


class RunnerStartError(RuntimeError):
    """The local runner process could not be started."""


@contextmanager
def _locked(state_dir: Path):
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "runner.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _running(state_dir: Path) -> dict | None:
    try:
        info = json.loads((state_dir / "runner.json").read_text())
    except (OSError, ValueError):
        return None
    try:
        health = call(info["url"], "/health", timeout=5)
    except RunnerUnavailableError:
        return None
    return {**info, **health}


def ensure_runner(
    state_dir: Path,
    idle_timeout: float = 300,
    start_timeout: float = 180,
    jit_choice: str | None = None,
) -> str:
    """The URL of a live runner with the current code, starting one if needed.

    Steps of one Dagster run run in separate processes; the lock makes them share one runner
    (one Spark start) instead of racing to start several. `jit_choice` (`c1` or `full`, see
    jit.py) applies to a runner started here; a live one is used as it is.
    """
    with _locked(state_dir):
        info = _running(state_dir)
        if info and info["fingerprint"] == code_fingerprint():
            return info["url"]
        if info and info["active_runs"] == 0:
            # The shared script library changed since this runner imported it.
            call(info["url"], "/shutdown", {})
            _wait_gone(info["pid"])
        elif info:
            return info["url"]
        return _start(state_dir, idle_timeout, start_timeout, jit_choice)


class EarlyStart:
    """A runner start begun in a background thread, while the caller imports Dagster and
    plans its run: the JVM's start (about 2 s) overlaps that work instead of following it.

    The steps' own `ensure_runner` waits on the lock until this start is done and then uses
    the runner. A start that fails here is left to that call, which starts again and reports
    the error where the step fails.
    """

    def __init__(self, state_dir: Path, jit_choice: str):
        self._thread = threading.Thread(
            target=self._start,
            args=(state_dir, jit_choice),
            name="lakehouse-runner-start",
            daemon=True,
        )
        self._thread.start()

    @staticmethod
    def _start(state_dir: Path, jit_choice: str) -> None:
        # Whatever fails here fails again in the step's own start, which reports it.
        with suppress(Exception):
            ensure_runner(state_dir, jit_choice=jit_choice)

    def wait(self) -> None:
        """Until the start is over: a runner must be stopped only once it is up."""
        self._thread.join()


def _start(
    state_dir: Path, idle_timeout: float, start_timeout: float, jit_choice: str | None
) -> str:
    log_path = state_dir / "runner.log"
    (state_dir / "runner.json").unlink(missing_ok=True)
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lakehouse_assets.local_runner",
                "--state-dir",
                str(state_dir),
                "--idle-timeout",
                str(idle_timeout),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives the Dagster step that started it
            env={**os.environ, **({jit.SETTING: jit_choice} if jit_choice else {})},
        )
    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise RunnerStartError(
                f"the local Spark runner exited with code {process.returncode} while starting. "
                f"Check that Java 17 is installed (JAVA_HOME). Log tail from {log_path}:\n{tail}"
            )
        info = _running(state_dir)
        if info and info["pid"] == process.pid:
            return info["url"]
        time.sleep(0.2)
    process.kill()
    raise RunnerStartError(
        f"the local Spark runner did not answer within {start_timeout:.0f}s; see {log_path}"
    )


def _wait_gone(pid: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # The runner is our own child when this process started it: an exited child stays
            # a zombie (os.kill still finds it) until it is reaped, which would cost the whole
            # timeout at the end of every `lakehouse run`.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass  # not our child: another process reaps it
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


def stop_runner(state_dir: Path) -> bool:
    """Ask a running runner to exit; True if one was running."""
    info = _running(state_dir)
    if not info:
        return False
    call(info["url"], "/shutdown", {})
    _wait_gone(info["pid"])
    return True
