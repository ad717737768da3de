"""Bronze history for the incremental measurement, written straight through the library.

Loading 365 days one `lakehouse run` at a time would take hours, so the history's bronze
partitions are written in one Spark job per table, into the framework's own layout: the
spec's types (`conform`), one snapshot holding one folder (and file) per load date, one
Iceberg commit listing every load date, and empty quarantine partitions, as the bronze job
commits them. Silver and gold are not seeded: the measured day computes them.

    python -m lakehouse_assets.bench.seed_history --landing L --root R --load-dates a,b,...
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from glue_scripts.lib.fs import normalize_root, spark_path
from glue_scripts.lib.schema import conform
from glue_scripts.lib.spark_io import arrow_schema, write_snapshot
from glue_scripts.lib.tables import TableStore, new_snapshot_id, partition_name
from lakehouse_assets.bench.bare_read import read_source
from lakehouse_assets.domains.helpers import LOAD_PARTITION
from lakehouse_assets.domains.importau.specs import BRONZE

QUARANTINE_SUFFIX = "__quarantine"


def publish_bronze(frame, root: str, spec, load_dates: Sequence[str]) -> int:
    """Commit `frame` (typed rows with `anomesdia`) as the bronze table's loads of those dates."""
    frame = conform(frame, spec.payload()).repartition(LOAD_PARTITION)
    store = TableStore(root, spec.database, spec.name)
    partition_by = (LOAD_PARTITION,)
    written = write_snapshot(frame, store, partition_by)
    rows = dict(written.rows_by_partition)
    for load_date in load_dates:  # a day without rows is still a loaded day
        rows.setdefault(partition_name(partition_by, (load_date,)), 0)
    store.commit(
        written.snapshot,
        partition_by,
        rows,
        replace_all=False,
        run_id="bench-history",
        schema=arrow_schema(frame),
    )
    quarantine = TableStore(root, spec.database, spec.name + QUARANTINE_SUFFIX)
    empty = {partition_name(partition_by, (d,)): 0 for d in load_dates}
    quarantine.commit(new_snapshot_id(), partition_by, empty, replace_all=False)
    return written.rows


def seed_table(spark, landing: str, root: str, spec, load_dates: Sequence[str]) -> int:
    """Load the daily drops `<landing>/<source>/anomesdia=<d>/` of `load_dates` at once."""
    base = f"{landing.rstrip('/')}/{spec.source}"
    folders = [spark_path(f"{base}/{LOAD_PARTITION}={d}") for d in load_dates]
    frame = read_source(spark, folders, spec, base_path=spark_path(base))
    return publish_bronze(frame, root, spec, load_dates)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.bench.seed_history")
    parser.add_argument("--landing", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--load-dates", required=True)
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    from lakehouse_assets.local_runner.session import build_local_session

    start = time.perf_counter()
    spark = build_local_session("lakehouse-bench-history")
    load_dates = [d for d in args.load_dates.split(",") if d]
    landing, root = normalize_root(args.landing), normalize_root(args.root)
    rows = {spec.name: seed_table(spark, landing, root, spec, load_dates) for spec in BRONZE}
    spark.stop()
    report = {"rows": rows, "days": len(load_dates), "seconds": time.perf_counter() - start}
    Path(args.result).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
