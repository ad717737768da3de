"""A PostgreSQL server from the `pgserver` wheel, on 127.0.0.1 with password authentication.

pgserver's own API listens on a Unix socket only, so its binaries (initdb, pg_ctl) are run
here directly: `initdb --auth=scram-sha-256` with a generated password for the superuser
`lakehouse`, then `postgres -h 127.0.0.1 -p PORT` with a socket folder of its own. The data
folder persists across stops. PostgreSQL refuses to run as root: as root (containers, CI) the
server runs as the system user `pgserver`, created if missing, and every parent folder of the
data folder is opened for reading and traversal by others (pgserver's own helpers do both).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from lakehouse_assets.local_services.endpoints import pid_alive

HOST = "127.0.0.1"
SUPERUSER = "lakehouse"
SYSTEM_USER = "pgserver"
WAREHOUSE_DATABASE = "warehouse"
# The longest Unix socket path is 107 bytes; `.s.PGSQL.NNNNN` takes 14 of them.
_SOCKET_DIR_MAX = 90


class PostgresError(RuntimeError):
    """The local PostgreSQL could not be initialized, started or stopped."""


def _commands():
    # pgserver looks up a runtime folder when imported and warns that XDG_RUNTIME_DIR is unset
    # (usual in containers); it is not used here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver import _commands, utils
    return _commands, utils


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class LocalPostgres:
    """The server of one folder: `<folder>/data`, `<folder>/postgres.log`, `<folder>/socket`.

    The password lives in `<folder>.password` (mode 0600) beside the folder, outside what
    PostgreSQL's system user may read.
    """

    folder: Path
    port: int = 0

    def __post_init__(self) -> None:
        self.folder = Path(self.folder).resolve()

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.folder.with_name(f"{self.folder.name}.password")

    @property
    def socket_dir(self) -> Path:
        own = self.folder / "socket"
        if len(str(own)) <= _SOCKET_DIR_MAX:
            return own
        digest = hashlib.sha256(str(self.folder).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"lakehouse-pg-{digest}"

    @property
    def system_user(self) -> str | None:
        return SYSTEM_USER if os.geteuid() == 0 else None

    def uri(self, database: str = "postgres") -> str:
        password = self.password_file.read_text().strip()
        return f"postgresql://{SUPERUSER}:{password}@{HOST}:{self.port}/{database}"

    def _run(self, program: str, args: list[str], timeout: float = 60) -> str:
        commands, _ = _commands()
        try:
            return getattr(commands, program)(
                args, pgdata=self.data, user=self.system_user, timeout=timeout
            )
        except subprocess.CalledProcessError as err:
            raise PostgresError(
                f"{program} {args[-1]} failed (exit {err.returncode}); see {self.log}"
            ) from None
        except subprocess.TimeoutExpired:
            raise PostgresError(f"{program} {args[-1]} did not finish in {timeout:.0f} s") from None

    def _prepare_folders(self) -> None:
        for path in (self.folder, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
        user = self.system_user
        if user is None:
            return
        import pwd
        import stat

        _, utils = _commands()
        utils.ensure_user_exists(user)
        entry = pwd.getpwnam(user)
        bin_path = Path(_commands()[0].POSTGRES_BIN_PATH)
        utils.ensure_prefix_permissions(self.folder)
        utils.ensure_prefix_permissions(self.socket_dir)
        utils.ensure_prefix_permissions(bin_path)
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        utils.ensure_folder_permissions(bin_path, read | execute)
        utils.ensure_folder_permissions(bin_path.parent / "lib", read)
        for path in (self.folder, self.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        if self.data.exists():
            os.chown(self.data, entry.pw_uid, entry.pw_gid)

    def initialized(self) -> bool:
        return (self.data / "PG_VERSION").exists() and self.password_file.exists()

    def initialize(self) -> None:
        """Create the cluster with a new password (the data folder must not hold one yet)."""
        if (self.data / "PG_VERSION").exists():
            raise PostgresError(
                f"{self.data} holds a cluster but its password file {self.password_file} is "
                "missing; delete the folder to start afresh (its databases are lost)"
            )
        self._prepare_folders()
        password = secrets.token_urlsafe(24)
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password)
        # initdb reads the password from a file its user can read, deleted right after.
        pwfile = self.folder / ".initdb-password"
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(password)
        if self.system_user is not None:
            import pwd

            entry = pwd.getpwnam(self.system_user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        try:
            self._run(
                "initdb",
                [
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    f"--username={SUPERUSER}",
                    "--encoding=UTF8",
                    "--no-instructions",
                ],
            )
        finally:
            pwfile.unlink(missing_ok=True)

    def running_pid(self) -> int | None:
        """The postmaster of this data folder, if one runs (from `postmaster.pid`)."""
        try:
            pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def start(self) -> None:
        """Start on `port` (a free one when 0), initializing the cluster the first time."""
        if not self.initialized():
            self.initialize()
        else:
            self._prepare_folders()
        if self.running_pid() is not None:
            # An orphan of a supervisor that died: stop it cleanly, then start ours.
            self.stop()
        self.port = self.port or free_port()
        options = f"-h {HOST} -p {self.port} -k {self.socket_dir}"
        self._run("pg_ctl", ["-w", "-t", "60", "-o", options, "-l", str(self.log), "start"], 90)
        self._ensure_database(WAREHOUSE_DATABASE)

    def stop(self) -> None:
        """Stop the server of this data folder (fast: open sessions are rolled back)."""
        pid = self.running_pid()
        if pid is None:
            return
        self._run("pg_ctl", ["-w", "-t", "60", "-m", "fast", "stop"], 90)
        # pg_ctl returns once the pid file is gone, which can be a moment before the server
        # process itself has exited: wait for the process, so a stop means stopped.
        deadline = time.monotonic() + 10
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def _ensure_database(self, name: str) -> None:
        import adbc_driver_postgresql.dbapi as pg

        with pg.connect(self.uri(), autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = $1", parameters=(name,))
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{name}"')
