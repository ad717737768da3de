"""The supervisor: one process that starts, watches and stops every local service.

`serve(root)` runs them in this process until SIGINT/SIGTERM; `start_background(root)` runs
`python -m lakehouse_assets.local_services.supervisor --root ROOT` detached (log:
`<root>/_local_services/services.log`) and returns once every endpoint answers. A lock held
for the supervisor's life keeps a second one off the same root; a supervisor that died leaves
its endpoints file and maybe its PostgreSQL and MongoDB behind, and the next start (or
`--stop`) cleans them up.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from glue_scripts.lib.sources.connections import redact
from lakehouse_assets.local_services.endpoints import (
    answers,
    endpoints_file,
    pid_alive,
    read_endpoints,
    read_raw,
    service_urls,
    state_dir,
    write_endpoints,
)

HOST = "127.0.0.1"
LOG_FILE = "services.log"
LOCK_FILE = "supervisor.lock"
POSTGRES_FOLDER = "postgres"
MONGODB_FOLDER = "mongodb"


class LocalServicesError(RuntimeError):
    """The local services could not be started, found or stopped."""


def postgres_of(root: str | Path):
    from lakehouse_assets.local_services.postgres import LocalPostgres

    return LocalPostgres(state_dir(root) / POSTGRES_FOLDER)


def mongodb_of(root: str | Path):
    from lakehouse_assets.local_services.mongodb import LocalMongo

    return LocalMongo(state_dir(root) / MONGODB_FOLDER)


def describe(endpoints: dict[str, Any]) -> list[str]:
    """One line per endpoint, passwords redacted."""
    return [f"  {name:<24} {redact(url)}" for name, url in service_urls(endpoints).items()]


def _lock(root: str | Path) -> TextIO:
    """Hold the supervisor lock of this root (released when the process ends, even killed)."""
    path = state_dir(root) / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise LocalServicesError(
            f"another supervisor runs the local services of {state_dir(root).parent}; "
            "`lakehouse local-services --status` shows them"
        ) from None
    return handle


def _clear_stale(root: str | Path) -> None:
    stale = read_raw(root)
    if stale is not None and not pid_alive(int(stale.get("pid", 0))):
        print(f"the supervisor (pid {stale.get('pid')}) had died: cleaning up", flush=True)
        endpoints_file(root).unlink(missing_ok=True)


def _start_all(root: str | Path, stack: ExitStack) -> dict[str, Any]:
    """Start every service, registering its stop on `stack`; return the endpoints."""
    from lakehouse_assets.local_aws import server_url, start_server
    from lakehouse_assets.local_services import apis

    postgres = postgres_of(root)
    postgres.start()  # stops an orphan server of this data folder first
    stack.callback(postgres.stop)
    mongodb = mongodb_of(root)
    mongodb.start()  # stops an orphan server of this data folder first
    stack.callback(mongodb.stop)
    aws = start_server(HOST, 0, run_jobs_here=True)
    stack.callback(aws.stop)
    # The endpoint's Redshift Data API stand-in runs its statements on the local warehouse.
    aws.standin.redshift_data.warehouse_uri = postgres.uri("warehouse")
    served = apis.serve_all()
    for api in served:
        stack.callback(api.stop)
    return {
        "aws_endpoint_url": server_url(aws),
        "postgres_uri": postgres.uri("postgres"),
        "warehouse_uri": postgres.uri("warehouse"),
        "mongodb_uri": mongodb.uri,
        "apis": {api.name: api.url for api in served},
        "pid": os.getpid(),
        "postgres_data": str(postgres.data),
        "mongodb_data": str(mongodb.data),
    }


def serve(root: str | Path, out: TextIO = sys.stdout) -> int:
    """Run the local services of this root in this process until SIGINT/SIGTERM."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        lock = _lock(root)
    except LocalServicesError as err:
        print(str(err), file=sys.stderr)
        return 3
    with lock, ExitStack() as stack:
        _clear_stale(root)
        try:
            endpoints = _start_all(root, stack)
        except Exception as err:  # every start failure is reported the same way, then undone
            print(f"the local services did not start: {redact(str(err))}", file=sys.stderr)
            return 1
        path = write_endpoints(root, endpoints)
        stack.callback(_forget, root, os.getpid())
        print(f"local services running (pid {os.getpid()}); endpoints in {path}:", file=out)
        print("\n".join(describe(endpoints)), file=out)
        out.flush()
        stop.wait()
        print("stopping the local services", file=out, flush=True)
    return 0


def _forget(root: str | Path, pid: int) -> None:
    current = read_raw(root)
    if current is not None and int(current.get("pid", 0)) == pid:
        endpoints_file(root).unlink(missing_ok=True)


def _all_answer(endpoints: dict[str, Any]) -> list[str]:
    """The names of the endpoints that do not answer."""
    return [name for name, url in service_urls(endpoints).items() if not answers(url)]


def start_background(root: str | Path, timeout: float = 120) -> dict[str, Any]:
    """Start a detached supervisor for this root, or find the running one; its endpoints."""
    running = read_endpoints(root)
    if running is not None:
        silent = _all_answer(running)
        if silent:
            raise LocalServicesError(
                f"the local services (pid {running['pid']}) run but {', '.join(silent)} do(es) "
                "not answer; stop them with `lakehouse local-services --stop` and start again"
            )
        return running
    directory = state_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    log_path = directory / LOG_FILE
    command = [sys.executable, "-m", "lakehouse_assets.local_services.supervisor"]
    command += ["--root", str(directory.parent.resolve())]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        endpoints = read_endpoints(root)
        if endpoints is not None and not _all_answer(endpoints):
            return endpoints
        if process.poll() is not None and endpoints is None:
            raise LocalServicesError(
                f"the local services exited with code {process.returncode}; see {log_path}"
            )
        time.sleep(0.1)
    raise LocalServicesError(
        f"the local services did not answer in {timeout:.0f} s (pid {process.pid}); see "
        f"{log_path}, and stop them with `lakehouse local-services --stop`"
    )


def _is_supervisor(pid: int) -> bool:
    """Guard against a recycled pid: the process must be a supervisor or the CLI's foreground."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return True  # no /proc here: trust the pid
    return "local_services" in cmdline or "local-services" in cmdline


def stop_background(root: str | Path, timeout: float = 60) -> str:
    """Stop the services of this root: 'stopped', 'cleaned' (after a crash) or 'none'."""
    raw = read_raw(root)
    if raw is None:
        return "none"
    pid = int(raw.get("pid", 0))
    if not pid_alive(pid) or not _is_supervisor(pid):
        postgres_of(root).stop()  # orphans of the dead supervisor, if any
        mongodb_of(root).stop()
        endpoints_file(root).unlink(missing_ok=True)
        return "cleaned"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.05)
    if pid_alive(pid):
        raise LocalServicesError(
            f"the local services (pid {pid}) did not stop in {timeout:.0f} s; see "
            f"{state_dir(root) / LOG_FILE}"
        )
    endpoints_file(root).unlink(missing_ok=True)
    return "stopped"


def status(root: str | Path) -> tuple[dict[str, Any] | None, dict[str, bool]]:
    """The running services' endpoints (None if none run) and whether each answers."""
    endpoints = read_endpoints(root)
    if endpoints is None:
        return None, {}
    return endpoints, {name: answers(url) for name, url in service_urls(endpoints).items()}


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.local_services.supervisor")
    parser.add_argument("--root", required=True, help="storage root whose services these are")
    args = parser.parse_args(argv)
    return serve(args.root)


if __name__ == "__main__":
    sys.exit(main())
