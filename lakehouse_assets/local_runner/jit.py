"""Which JIT the local Spark driver gets: chosen from the size of the data it will work on.

C1 alone (`-XX:TieredStopAtLevel=1`) makes the start and small runs fastest: the sample graph
takes 23 s with it and 31 s with the full tiered JIT on 2 cores, whose profiling tier is
slower until the optimizing compiler catches up. On a million rows the order reverses: the
ingestion of 1M `itens_pedido` lines takes 18 s with C1 and 8 to 14 s with the full JIT. So
a run whose landing folder and lakehouse together hold more than `FULL_JIT_FROM_BYTES` gets
the full JIT.

Large data also gets a JVM tuned for throughput (`FULL_JIT`; docs/BENCHMARKING.md, "The JVM
of large runs"), measured on the ImportAu graph at 1M items on two cores:
- the JIT compiles later than its defaults (thresholds six times higher): its compiler
  threads take cores from Spark's tasks, and every distinct query brings generated classes
  of its own to compile. The compilers used 58 s of CPU in a run of about 95 s, then 42 s, and
  the graph's steps took 81 s instead of 88 s;
- the parallel collector instead of G1: the tasks' own CPU fell by a tenth (cheaper write
  barriers), and the steps took 74 s instead of 81 s (the bare script's 48 s instead of 52 s).

`LAKEHOUSE_SPARK_JIT`: `auto` (default), `c1` or `full` to force one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

SETTING = "LAKEHOUSE_SPARK_JIT"
CHOICES = ("auto", "c1", "full")
FULL_JIT_FROM_BYTES = 64 * 1024 * 1024
C1_ONLY = "-XX:TieredStopAtLevel=1"
FULL_JIT = "-XX:CompileThresholdScaling=6 -XX:+UseParallelGC"


def setting() -> str:
    value = os.environ.get(SETTING, "auto").strip().lower() or "auto"
    if value not in CHOICES:
        raise ValueError(
            f"{SETTING}={value!r} is not one of {', '.join(CHOICES)}; unset it to let the "
            "size of the data choose"
        )
    return value


def java_options(choice: str) -> str:
    """The driver's JIT flags for `c1` or `full` (`auto` not yet decided: C1)."""
    return FULL_JIT if choice == "full" else C1_ONLY


def choose(folders: Iterable[str | Path | None]) -> str:
    """`c1` or `full`: the forced setting, or by the bytes under the local `folders`."""
    forced = setting()
    if forced != "auto":
        return forced
    total = 0
    for folder in folders:
        for size in _file_sizes(folder):
            total += size
            if total > FULL_JIT_FROM_BYTES:
                return "full"
    return "c1"


def _file_sizes(folder: str | Path | None) -> Iterable[int]:
    if folder is None:
        return
    text = str(folder)
    if "://" in text and not text.startswith("file://"):
        return  # object storage: the local runner does not read it
    root = Path(text.removeprefix("file://"))
    for directory, _, files in os.walk(root):
        for name in files:
            try:
                yield (Path(directory) / name).stat().st_size
            except OSError:
                continue  # removed while walking
