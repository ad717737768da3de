"""The machine and the versions a result was measured with (from /proc and the packages)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

PACKAGES = ("pyspark", "dagster", "duckdb", "pyarrow", "boto3", "moto")


def _cpu_model(cpuinfo: str) -> str:
    for line in cpuinfo.splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _mem_total_gib(meminfo: str) -> float:
    match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else 0.0


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def java_version() -> str:
    try:
        done = subprocess.run(
            ["java", "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    first = (done.stderr or done.stdout).strip().splitlines()
    return first[0] if first else "unknown"


def describe() -> dict[str, str]:
    """CPU model, cores, RAM, load, versions and the date, as strings for the report."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    load = _read("/proc/loadavg").split()[:3]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(_read("/proc/cpuinfo")),
        "cores": str(os.cpu_count() or 0),
        "ram_gib": str(_mem_total_gib(_read("/proc/meminfo"))),
        "load_at_start": " ".join(load) if load else "unknown",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "java": java_version(),
        **versions,
        "spark_driver_memory": os.environ.get("LAKEHOUSE_SPARK_DRIVER_MEMORY", "4g"),
        "spark_cores": os.environ.get("LAKEHOUSE_SPARK_CORES", "all"),
    }
