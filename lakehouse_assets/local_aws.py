"""`lakehouse local-aws`: a local AWS endpoint (moto's server) on loopback.

S3, Glue, Lake Formation and CloudWatch Logs answer on one port, so the export, search and
lineage talk to a real HTTP endpoint on a laptop exactly as they would to AWS. In the
background it leaves `<root>/_local_aws/endpoint.json` (URL and pid), which later commands
read when `AWS_ENDPOINT_URL` is unset; they find the endpoint of `lakehouse local-services`
the same way. The catalog lives in the server's memory: stopping the server forgets it, and
the next `lakehouse catalog export` fills it again.

This module imports moto only when it starts a server: `endpoint_from_state` must stay
cheap, because `lakehouse catalog lineage` uses it without loading Dagster.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lakehouse_assets.local_services.endpoints import pid_alive

HOST = "127.0.0.1"
STATE_DIR = "_local_aws"
STATE_FILE = "endpoint.json"
LOCAL_REGION = "us-east-1"
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
SERVICES = ("s3", "glue", "lakeformation", "logs", "sts")


class LocalAwsError(RuntimeError):
    """The local endpoint could not be started, found or stopped."""


def start_server(host: str = HOST, port: int = 0, *, run_jobs_here: bool = False) -> Any:
    """Start moto's threaded server and return it (`server.get_host_and_port()` has the port).

    Port 0 lets the system choose a free port. The one place a server is started: the Glue
    stand-in (`lakehouse_assets.glue_standin`) answers Glue's job operations in front of
    moto and really runs the job scripts. `run_jobs_here`: this process only serves the
    endpoint, so the scripts it runs may point its boto3 at the endpoint.
    """
    from lakehouse_assets.glue_standin import start_endpoint

    return start_endpoint(host, port, own_environment=run_jobs_here)


def server_url(server: Any) -> str:
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def state_dir(root: str) -> Path:
    """Where the background endpoint's state lives: under a local root, else ./.lakehouse."""
    if root.startswith("s3://"):
        root = "./.lakehouse"
    base = Path(root.removeprefix("file://")).expanduser()
    return base / STATE_DIR


def _answers(url: str, timeout: float = 1.0) -> bool:
    host, _, port = url.removeprefix("http://").partition(":")
    try:
        with socket.create_connection((host, int(port.split("/")[0])), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def read_state(root: str) -> dict | None:
    path = state_dir(root) / STATE_FILE
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not pid_alive(int(state.get("pid", 0))) or not _answers(state.get("url", "")):
        return None
    return state


def endpoint_from_state(root: str) -> str | None:
    """The URL of a running endpoint started for this root, alone or by the local services."""
    state = read_state(root)
    if state:
        return state["url"]
    from lakehouse_assets.local_services.endpoints import read_endpoints

    services = read_endpoints(root)
    url = services.get("aws_endpoint_url", "") if services else ""
    return url if url and _answers(url) else None


def exports(url: str, env: dict[str, str] | None = None) -> list[str]:
    """Shell lines that point boto3 (and the AWS CLI) at the endpoint."""
    env = dict(os.environ if env is None else env)
    lines = [f"export AWS_ENDPOINT_URL={url}"]
    for name, value in DUMMY_CREDENTIALS.items():
        if not env.get(name):
            lines.append(f"export {name}={value}")
    if not env.get("AWS_REGION") and not env.get("AWS_DEFAULT_REGION"):
        # The AWS CLI reads AWS_REGION; boto3 (1.44) only AWS_DEFAULT_REGION.
        lines.append(f"export AWS_REGION={LOCAL_REGION}")
        lines.append(f"export AWS_DEFAULT_REGION={LOCAL_REGION}")
    return lines


def _write_state(directory: Path, url: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".{STATE_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid(), "services": list(SERVICES)}))
    tmp.replace(directory / STATE_FILE)


def serve(port: int, state: Path | None, out=sys.stdout) -> int:
    """Run the endpoint in this process until SIGINT/SIGTERM."""
    try:
        server = start_server(HOST, port, run_jobs_here=True)
    except OSError as err:
        print(f"cannot start the local AWS endpoint on {HOST}:{port}: {err}", file=sys.stderr)
        return 1
    url = server_url(server)
    if state is not None:
        _write_state(state, url)
    print(f"local AWS endpoint ({', '.join(SERVICES)}) listening on {url}", file=out)
    for line in exports(url):
        print(line, file=out)
    out.flush()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        server.stop()
        if state is not None:
            (state / STATE_FILE).unlink(missing_ok=True)
    return 0


def start_background(root: str, port: int = 0, timeout: float = 60) -> str:
    """Start a detached endpoint for this root (or reuse the running one); return its URL."""
    running = endpoint_from_state(root)
    if running:
        return running
    directory = state_dir(root)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / STATE_FILE).unlink(missing_ok=True)
    log = (directory / "server.log").open("ab")
    command = [sys.executable, "-m", "lakehouse_assets.local_aws", "--port", str(port)]
    command += ["--state", str(directory)]
    with log:
        process = subprocess.Popen(
            command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        url = endpoint_from_state(root)
        if url:
            return url
        if process.poll() is not None:
            raise LocalAwsError(
                f"the local AWS endpoint exited with code {process.returncode}; "
                f"see {directory / 'server.log'}"
            )
        time.sleep(0.1)
    process.terminate()
    raise LocalAwsError(f"the local AWS endpoint did not start in {timeout:.0f} s")


def stop_background(root: str, timeout: float = 15) -> bool:
    """Stop the background endpoint of this root; False if none was running."""
    path = state_dir(root) / STATE_FILE
    try:
        pid = int(json.loads(path.read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return False
    if not pid_alive(pid):
        path.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and pid_alive(pid):
        time.sleep(0.05)
    if pid_alive(pid):
        raise LocalAwsError(f"the local AWS endpoint (pid {pid}) did not stop; kill it")
    path.unlink(missing_ok=True)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.local_aws")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state", help="folder for endpoint.json (background mode)")
    args = parser.parse_args(argv)
    return serve(args.port, Path(args.state) if args.state else None)


if __name__ == "__main__":
    sys.exit(main())
