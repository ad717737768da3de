"""Export N synthetic tables to a local Glue endpoint twice, timing and counting the calls.

    python -m lakehouse_assets.bench.catalog_child --endpoint URL --root DIR --tables N \
        --result FILE

The endpoint must be empty (the harness resets it): the first export creates everything,
the second finds nothing changed. Each export runs `export_catalog` as `lakehouse catalog
export` does (OpenLineage to its default file, facts from the Iceberg tables) with its own call
counter: a boto3 `before-call` hook on every client, one count per API call (a page of a
paginated read is one call).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from lakehouse_assets.catalog.aws import READ_PREFIXES, AwsConnection, CallCounter
from lakehouse_assets.local_aws import LOCAL_REGION


def is_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES)


def export_once(registry, endpoint: str, root: str) -> dict:
    from lakehouse_assets.catalog.export import ExportOptions, export_catalog

    counter = CallCounter()
    connection = AwsConnection(region=LOCAL_REGION, endpoint_url=endpoint, counter=counter)
    start = time.perf_counter()
    report = export_catalog(registry, connection, ExportOptions(root=root))
    seconds = time.perf_counter() - start
    calls = dict(sorted(counter.calls.items()))
    return {
        "seconds": seconds,
        "calls": calls,
        "reads": sum(n for op, n in calls.items() if is_read(op)),
        "writes": sum(n for op, n in calls.items() if not is_read(op)),
        "created": len(report.tables_created),
        "updated": len(report.tables_updated),
        "unchanged": len(report.tables_unchanged),
        "failures": [str(f) for f in report.failures],
        # The exporter's own tally, to cross-check this counter.
        "reported_reads": report.read_calls,
        "reported_writes": report.write_calls,
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakehouse_assets.bench.catalog_child")
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--tables", type=int, required=True)
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    from lakehouse_assets.bench.catalog_specs import commit_tables, synthetic_registry

    start = time.perf_counter()
    registry = synthetic_registry(args.tables)
    commit_tables(args.root, registry)
    setup = time.perf_counter() - start
    first = export_once(registry, args.endpoint, args.root)
    second = export_once(registry, args.endpoint, args.root)
    report = {"tables": len(registry.tables), "setup_seconds": setup}
    report.update(first=first, second=second)
    Path(args.result).write_text(json.dumps(report, indent=1))
    return 0 if not first["failures"] and not second["failures"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
