"""A class-data-sharing archive of the local Spark driver's JVM: a start in about half the time.

A JVM loads and verifies some ten thousand classes before Spark answers its first query. Java
(13+) can dump the classes a run loaded into an archive at exit and map it at the next start
(AppCDS). The first start of a given Spark and JIT setting writes the archive (it appears
when that JVM exits, under a temporary name), and a later start promotes it and uses it.
An archive the JVM cannot use (another JDK, another class path) is ignored by the JVM, which
then starts as usual: it can only make a start faster.

Each archive is some 150 MB, and a new one comes with every change of Spark or of the JVM's
options: an archive no start used for `UNUSED_DAYS` is deleted, and so is a finished dump of
another setting (only a start of its own setting would promote it).

`LAKEHOUSE_SPARK_CLASS_ARCHIVE=0` turns it off; `LAKEHOUSE_CACHE_DIR` moves it (default
`~/.cache/lakehouse`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from pathlib import Path

import pyspark

# A dump still being written when its process has just exited must not be promoted.
_SETTLE_SECONDS = 30
UNUSED_DAYS = 14
_PREFIX = "spark-driver-"


def archive_options(java_options: str) -> str:
    """JVM options that use (or create) the archive for these options; '' if turned off."""
    if os.environ.get("LAKEHOUSE_SPARK_CLASS_ARCHIVE", "1") == "0":
        return ""
    folder = Path(os.environ.get("LAKEHOUSE_CACHE_DIR") or Path.home() / ".cache" / "lakehouse")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return ""
    key = hashlib.sha256(f"{pyspark.__file__}|{pyspark.__version__}|{java_options}".encode())
    archive = folder / f"{_PREFIX}{key.hexdigest()[:12]}.jsa"
    _settle_dumps(archive)
    _drop_unused(archive)
    if archive.exists() and archive.stat().st_size > 0:
        with contextlib.suppress(OSError):
            os.utime(archive)  # its last use, which keeps it from `_drop_unused`
        return f"-XX:SharedArchiveFile={archive}"
    if _dump_pids(archive):
        return ""  # a dump is being written or settling: one is enough
    return f"-XX:ArchiveClassesAtExit={archive}.{os.getpid()}.dump"


def _dump_pids(archive: Path) -> list[int]:
    pids = []
    for dump in archive.parent.glob(f"{archive.name}.*.dump"):
        pid = dump.name[len(archive.name) + 1 : -len(".dump")]
        if pid.isdigit():
            pids.append(int(pid))
    return pids


def _settle_dumps(archive: Path) -> None:
    """Promote a finished dump to the archive; drop the finished dumps not needed."""
    for pid in _dump_pids(archive):
        dump = archive.parent / f"{archive.name}.{pid}.dump"
        try:
            if _pid_alive(pid) or time.time() - dump.stat().st_mtime < _SETTLE_SECONDS:
                continue
            if not archive.exists() and dump.stat().st_size > 0:
                os.replace(dump, archive)
            else:
                dump.unlink()
        except OSError:
            continue


def _drop_unused(keep: Path) -> None:
    """Delete the archives of other settings that no start used for `UNUSED_DAYS`, and the
    finished dumps of other settings."""
    now = time.time()
    for path in keep.parent.glob(f"{_PREFIX}*.jsa*"):
        if path.name.startswith(keep.name):
            continue
        try:
            age = now - path.stat().st_mtime
            if path.name.endswith(".jsa"):
                stale = age > UNUSED_DAYS * 86400
            else:
                pid = path.name.removesuffix(".dump").rsplit(".", 1)[-1]
                stale = pid.isdigit() and not _pid_alive(int(pid)) and age > _SETTLE_SECONDS
            if stale:
                path.unlink()
        except OSError:
            continue


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
