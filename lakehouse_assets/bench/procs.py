"""Processes of a measurement: run one timed, and read peak memory from /proc.

Peak memory is the kernel's high-water mark of resident memory (`VmHWM` in
`/proc/<pid>/status`), read while the process is still alive. A process tree's peak is
reported per process: the peaks of a runner's Python and its JVM need not coincide, so their
sum is an upper bound of the tree's peak.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak resident memory of a live process in MiB (None when it is gone)."""
    try:
        text = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def _parent_and_name(pid: int) -> tuple[int, str] | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The name is in parentheses and may hold spaces: the fields after the last ')' are fixed.
    name = stat[stat.index("(") + 1 : stat.rindex(")")]
    return int(stat[stat.rindex(")") + 2 :].split()[1]), name


def descendants(pid: int) -> list[int]:
    """Every live process below `pid` (children, grandchildren, ...)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            info = _parent_and_name(int(entry.name))
            if info is not None:
                children.setdefault(info[0], []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_memory_mb(pid: int) -> dict[str, float]:
    """Peak resident memory of `pid` and of each descendant, keyed `name[pid]`."""
    peaks = {}
    for member in [pid, *descendants(pid)]:
        info = _parent_and_name(member)
        peak = vm_hwm_mb(member)
        if info is not None and peak is not None:
            peaks[f"{info[1]}[{member}]"] = round(peak, 1)
    return peaks


def started_at(pid: int) -> float | None:
    """Epoch seconds at which a live process started (from /proc, clock-tick resolution).

    Its start and the uptime both count from the boot; the boot time `btime` would do too,
    but it is rounded to whole seconds."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        uptime = float((PROC / "uptime").read_text().split()[0])
    except (OSError, IndexError, ValueError):
        return None
    ticks = int(stat[stat.rindex(")") + 2 :].split()[19])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ChildRun:
    """What the harness saw of one child process, and what the child reported."""

    returncode: int
    wall_seconds: float
    max_rss_mb: float
    report: dict
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def failure(self, what: str) -> str:
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        return f"{what} exited with code {self.returncode}; log {self.log}, its end:\n{tail}"


def run_child(
    argv: Sequence[str],
    env: Mapping[str, str],
    log: Path,
    result: Path | None = None,
    timeout: float = 4 * 3600,
    cwd: Path | None = None,
) -> ChildRun:
    """Run `argv` in its own session, timed from spawn to exit with `time.perf_counter`.

    stdout and stderr go to `log`; a child that writes JSON to `result` has it in `.report`.
    Past `timeout` the child's whole process group is killed.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    if result is not None:
        result.unlink(missing_ok=True)
    with log.open("wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        timer = threading.Timer(timeout, _kill_group, args=(process.pid,))
        timer.start()
        try:
            # wait4 gives this child's own peak RSS, which Popen.wait would throw away.
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # interrupted (Ctrl-C): the child is in its own session
            _kill_group(process.pid)
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    report = {}
    if result is not None and result.exists():
        report = json.loads(result.read_text())
    return ChildRun(process.returncode, wall, usage.ru_maxrss / 1024, report, log)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
