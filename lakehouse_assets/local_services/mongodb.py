"""A MongoDB wire-protocol server from the `nx-27017` wheel (SQLite underneath), on 127.0.0.1.

No real `mongod` installs from the package registries; nx-27017 answers pymongo's inserts,
filtered and sorted finds, counts and aggregations (no Decimal128, no authentication, about
3-4k documents of 3 KB a second). It runs as a child process of the supervisor, one SQLite
file per database under `<folder>/data`, kept across stops. Its pid file lets the next start
(or `--stop`) end an orphan left by a supervisor that died.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from lakehouse_assets.local_services.endpoints import pid_alive
from lakehouse_assets.local_services.postgres import free_port

HOST = "127.0.0.1"
PROGRAM = "nx_27017"
# The package's own command line, run by this interpreter (no console script on PATH needed).
LAUNCH = "from nx_27017 import main; main()"


class MongoError(RuntimeError):
    """The local MongoDB stand-in could not be started or stopped."""


@dataclass
class LocalMongo:
    """The server of one folder: `<folder>/data/<database>.db`, `<folder>/mongodb.log`."""

    folder: Path
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).resolve()

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "mongodb.log"

    @property
    def pid_file(self) -> Path:
        return self.folder / "nx-27017.pid"

    @property
    def uri(self) -> str:
        return f"mongodb://{HOST}:{self.port}"

    def running_pid(self) -> int | None:
        """The server of this folder, if one runs (its pid file, checked against /proc)."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if pid_alive(pid) and _is_server(pid) else None

    def start(self, timeout: float = 60) -> None:
        """Start on `port` (a free one when 0); returns once it answers a ping."""
        if self.running_pid() is not None:
            self.stop()  # an orphan of a supervisor that died
        # A stale pid file (killed server, recycled pid) would make nx-27017 refuse to start.
        self.pid_file.unlink(missing_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        command = [sys.executable, "-c", LAUNCH, "--data-dir", str(self.data), "--host", HOST]
        command += ["--port", str(self.port), "--pid-file", str(self.pid_file)]
        # Its messages (and tracebacks) go to our log through stderr, not to a second file.
        command += ["--log-file", os.devnull]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=self.folder, stdout=log, stderr=log, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise MongoError(
                    f"the MongoDB stand-in exited with code {self.process.returncode}; "
                    f"see {self.log}"
                )
            if pings(self.uri):
                return
            time.sleep(0.1)
        self.stop()
        raise MongoError(f"the MongoDB stand-in did not answer in {timeout:.0f} s; see {self.log}")

    def stop(self, timeout: float = 15) -> None:
        """Stop the server of this folder (SIGTERM; SIGKILL if it lingers)."""
        pid = self.running_pid()
        if pid is None and self.process is not None and self.process.poll() is None:
            pid = self.process.pid  # started, pid file not written yet
        if pid is not None:
            _end(pid, timeout)
        if self.process is not None:
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        self.pid_file.unlink(missing_ok=True)


def _end(pid: int, timeout: float) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)


def _is_server(pid: int) -> bool:
    """Guard against a recycled pid: the process must run nx-27017."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc here: trust the pid file
    return PROGRAM.encode() in cmdline


def pings(uri: str, timeout: float = 1.0) -> bool:
    """Whether a MongoDB server answers `ping` at the URI."""
    import pymongo
    import pymongo.errors

    ms = int(timeout * 1000)
    client = pymongo.MongoClient(
        uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms
    )
    try:
        return client.admin.command("ping").get("ok") == 1
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()
