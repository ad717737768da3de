"""What one `lakehouse bench` invocation measures, parsed and checked before anything runs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from lakehouse_assets.bench.scales import ScaleError, default_runs, parse_scale, parse_scales

SECTIONS = ("overhead", "duckdb", "incremental", "memory", "catalog", "warm")
DEFAULT_SCALES = "10k,1M,10M"
DEFAULT_HISTORY = "30,365"
MAX_HISTORY = 365  # the generator spreads orders over at most 366 days: 365 + the new day
# Where the real ImportAu exports are when the shared data folder sits next to the checkout.
REAL_EXPORTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "importau_csv_exports"


class OptionsError(ValueError):
    """An argument of `lakehouse bench` the harness cannot use."""


@dataclass(frozen=True)
class BenchOptions:
    scales: list[int]
    runs: int | None
    history: list[int]
    out: Path
    work: Path
    only: tuple[str, ...] = SECTIONS
    incremental_items: int = 1_000_000
    catalog_tables: int = 1000
    real_exports: Path | None = REAL_EXPORTS
    seed: int = 42

    def runs_at(self, items: int) -> int:
        return self.runs if self.runs is not None else default_runs(items)

    @property
    def without_rules_runs(self) -> int:
        """Framework runs without rules per scale (the other side of the checks' share):
        one, unless `--runs` sets every count."""
        return self.runs if self.runs is not None else 1

    @property
    def fixed_runs(self) -> int:
        """Runs of the sections that have no scale of their own (incremental, catalog)."""
        return self.runs if self.runs is not None else 3

    @property
    def warm_runs(self) -> int:
        """Timed runs of the warm loop: a few seconds each, so more of them."""
        return self.runs if self.runs is not None else 5

    def wants(self, section: str) -> bool:
        return section in self.only


def parse_only(text: str | None) -> tuple[str, ...]:
    if not text:
        return SECTIONS
    chosen = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(chosen) - set(SECTIONS))
    if unknown or not chosen:
        raise OptionsError(
            f"--only {text!r}: unknown section(s) {unknown}; choose among {', '.join(SECTIONS)}"
        )
    return tuple(s for s in SECTIONS if s in chosen)


def parse_history(text: str) -> list[int]:
    try:
        days = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError as err:
        raise OptionsError(f"--history {text!r} must be day counts like 30,365") from err
    if len(days) < 2 or days[0] < 1 or days[-1] > MAX_HISTORY:
        raise OptionsError(
            f"--history {text!r} needs at least two day counts between 1 and {MAX_HISTORY} "
            "(the ratio compares the largest with the smallest)"
        )
    return days


def from_args(args: argparse.Namespace) -> BenchOptions:
    """Options from the parsed command line; OptionsError names the bad argument."""
    try:
        scales = parse_scales(args.scales)
        incremental = parse_scale(args.incremental_scale)
    except ScaleError as err:
        raise OptionsError(str(err)) from err
    if args.runs is not None and args.runs < 1:
        raise OptionsError(f"--runs {args.runs} must be 1 or more")
    if args.catalog_tables < 1:
        raise OptionsError(f"--catalog-tables {args.catalog_tables} must be 1 or more")
    real = Path(args.real_exports) if args.real_exports else REAL_EXPORTS
    return BenchOptions(
        scales=scales,
        runs=args.runs,
        history=parse_history(args.history),
        out=Path(args.out),
        work=Path(args.work).resolve(),
        only=parse_only(args.only),
        incremental_items=incremental,
        catalog_tables=args.catalog_tables,
        real_exports=real if real.is_dir() else None,
        seed=args.seed,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scales", default=DEFAULT_SCALES, help="order items per scale (default %(default)s)"
    )
    parser.add_argument(
        "--runs",
        type=int,
        help="runs per configuration (default: 3 at 10k items, 2 at 1M, 1 above; one "
        "framework run without rules per scale)",
    )
    parser.add_argument(
        "--history",
        default=DEFAULT_HISTORY,
        help="days of history under the new day, compared (default %(default)s)",
    )
    parser.add_argument("--out", default="docs/BENCHMARKS.md", help="report to write")
    parser.add_argument(
        "--work", default=".bench", help="generated data and run folders (default %(default)s)"
    )
    parser.add_argument("--only", help=f"comma-separated sections among {', '.join(SECTIONS)}")
    parser.add_argument(
        "--incremental-scale",
        default="1M",
        help="order items over the year the daily drops are cut from (default %(default)s)",
    )
    parser.add_argument(
        "--catalog-tables",
        type=int,
        default=1000,
        help="synthetic tables exported to the local catalog (default %(default)s)",
    )
    parser.add_argument(
        "--real-exports",
        help=f"folder of the real ImportAu exports, used only if present (default {REAL_EXPORTS})",
    )
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
