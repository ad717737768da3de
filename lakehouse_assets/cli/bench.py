"""The `lakehouse bench` command (code in the `lakehouse_assets.bench` package).

`lakehouse_assets.cli` adds it with one call: `add_commands(sub)`. The heavy work runs in child
processes; this process only orchestrates them and writes the report.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _bench(args: argparse.Namespace) -> int:
    from lakehouse_assets.bench.goals import evaluate
    from lakehouse_assets.bench.harness import RESULTS_FILE, run_bench
    from lakehouse_assets.bench.options import OptionsError, from_args

    try:
        options = from_args(args)
    except OptionsError as err:
        print(f"bench: {err}", file=sys.stderr)
        return 2
    command = "lakehouse " + " ".join(sys.argv[1:])
    results = run_bench(options, command=command)
    print()
    for goal in evaluate(results):
        print(f"{goal.status:>12}  {goal.goal}: {goal.measured} (target {goal.target})")
    print(f"\nreport written to {options.out}; every run in {options.work / RESULTS_FILE}")
    if results.errors:
        print(f"{len(results.errors)} section(s) failed; see the report's Errors", file=sys.stderr)
        return 1
    return 0


def add_commands(sub: Any) -> None:
    """Add `bench` to the `lakehouse` parser."""
    from lakehouse_assets.bench.options import SECTIONS, add_arguments

    bench = sub.add_parser(
        "bench",
        help="measure the framework: overhead, DuckDB, incremental day, memory, catalog",
        description=f"Sections: {', '.join(SECTIONS)}. Writes a markdown report with the "
        "goals marked met or missed (docs/BENCHMARKING.md).",
    )
    add_arguments(bench)
    bench.set_defaults(func=_bench)
