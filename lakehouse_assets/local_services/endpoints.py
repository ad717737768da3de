"""The endpoints file of the local services, read without importing moto or Dagster.

`<root>/_local_services/endpoints.json` (mode 0600: it holds the local password):

    {"aws_endpoint_url": "http://127.0.0.1:P", "postgres_uri": "postgresql://lakehouse:...",
     "warehouse_uri": "...", "mongodb_uri": "mongodb://127.0.0.1:P2",
     "apis": {"bix_funcionarios": "http://127.0.0.1:P3"}, "pid": N}
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

STATE_DIR = "_local_services"
ENDPOINTS_FILE = "endpoints.json"
DEFAULT_ROOT = "./.lakehouse"


def state_dir(root: str | Path) -> Path:
    """The services' folder under a local root (an S3 root keeps it under ./.lakehouse)."""
    text = str(root)
    if text.startswith("s3://"):
        text = DEFAULT_ROOT
    return Path(text.removeprefix("file://")).expanduser() / STATE_DIR


def endpoints_file(root: str | Path) -> Path:
    return state_dir(root) / ENDPOINTS_FILE


def pid_alive(pid: int) -> bool:
    """Whether the process runs (a child of ours that exited is reaped, not counted)."""
    if pid <= 0:
        return False
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    """A killed process whose parent never reaps it (a container's init may not) is dead."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def read_raw(root: str | Path) -> dict[str, Any] | None:
    """The endpoints file as written, alive or not (None when absent or unreadable)."""
    try:
        return json.loads(endpoints_file(root).read_text())
    except (OSError, ValueError):
        return None


def read_endpoints(root: str | Path) -> dict[str, Any] | None:
    """The endpoints of the running local services of this root; None when none run."""
    endpoints = read_raw(root)
    if endpoints is None or not pid_alive(int(endpoints.get("pid", 0))):
        return None
    return endpoints


def write_endpoints(root: str | Path, endpoints: dict[str, Any]) -> Path:
    """Write the file atomically, readable by its owner only."""
    path = endpoints_file(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(endpoints, out, indent=2)
    tmp.replace(path)
    return path


def database_uri(endpoints: dict[str, Any], database: str) -> str:
    """The local PostgreSQL URI of the services, for another database."""
    parts = urlsplit(endpoints["postgres_uri"])
    return urlunsplit(parts._replace(path=f"/{database}"))


def address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or 0


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether something accepts TCP connections at the URL's host and port (a MongoDB URL:
    whether the server answers a `ping`)."""
    if url.startswith("mongodb://"):
        from lakehouse_assets.local_services.mongodb import pings

        return pings(url, timeout)
    host, port = address(url)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def service_urls(endpoints: dict[str, Any]) -> dict[str, str]:
    """Every endpoint by name: `aws`, `postgres`, `warehouse`, `mongodb` and `api <name>` per
    stand-in."""
    urls = {
        "aws": endpoints["aws_endpoint_url"],
        "postgres": endpoints["postgres_uri"],
        "warehouse": endpoints["warehouse_uri"],
    }
    if "mongodb_uri" in endpoints:  # absent from the file of services started before it existed
        urls["mongodb"] = endpoints["mongodb_uri"]
    urls.update({f"api {name}": url for name, url in endpoints.get("apis", {}).items()})
    return urls
