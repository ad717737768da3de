"""One bare cold Spark start: a fresh Python creates the runner's SparkSession, runs one
trivial action and stops. The harness times the whole process, spawn to exit.

    python -m lakehouse_assets.bench.cold_start --result FILE [--default]

`--default` starts PySpark as it comes, `SparkSession.builder.getOrCreate()` on every core
without the runner's JVM tuning (class archive, C1-only JIT): what a user's own script
pays, for scale.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.bench.cold_start")
    parser.add_argument("--result", required=True)
    parser.add_argument("--default", action="store_true", help="PySpark untuned")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.default:
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.master("local[*]").appName("lakehouse-bench-default-start")
        spark = builder.config("spark.ui.enabled", "false").getOrCreate()
    else:
        from lakehouse_assets.local_runner.session import build_local_session

        spark = build_local_session("lakehouse-bench-cold-start")
    built = time.perf_counter()
    rows = spark.range(1).count()
    acted = time.perf_counter()
    spark.stop()
    phases = {
        "spark_start": built - start,
        "first_action": acted - built,
        "spark_stop": time.perf_counter() - acted,
    }
    Path(args.result).write_text(json.dumps({"phases": phases, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
