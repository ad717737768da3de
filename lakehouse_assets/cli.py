"""`lakehouse`: what a data engineer does without the Dagster UI."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from lakehouse_assets.cli_catalog import add_commands as add_catalog_commands
from lakehouse_assets.cli_deploy import add_commands as add_deploy_commands
from lakehouse_assets.settings import ConfigurationError, Settings

SAMPLE_SCALE = 30
SAMPLE_SEED = 42


def _generate(args: argparse.Namespace) -> int:
    if args.domain != "importau":
        print(f"unknown domain {args.domain!r}; available: importau", file=sys.stderr)
        return 2
    from lakehouse_assets.domains.importau.generator import generate

    counts = generate(args.out, scale=args.scale, seed=args.seed, progress=print)
    for source, rows in counts.items():
        print(f"  {source:<14} {rows:>12,} rows")
    print(f"sample exports written to {args.out}")
    return 0


def _ensure_landing(settings: Settings, explicit: bool) -> None:
    """A fresh clone has no landing data: the default landing gets the sample exports."""
    landing = Path(settings.landing)
    if explicit or settings.landing.startswith("s3://") or "LAKEHOUSE_LANDING" in os.environ:
        return
    if landing.exists() and any(landing.iterdir()):
        return
    from lakehouse_assets.domains.importau.generator import generate

    print(f"no landing data yet: generating ImportAu sample exports into {landing}")
    generate(landing, scale=SAMPLE_SCALE, seed=SAMPLE_SEED)


def _run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.landing:
        env["LAKEHOUSE_LANDING"] = args.landing
    if args.root:
        env["LAKEHOUSE_ROOT"] = args.root
    settings = Settings.from_env(env)
    if args.landing and not Path(args.landing).exists() and "://" not in args.landing:
        print(f"landing folder {args.landing} does not exist; check the path", file=sys.stderr)
        return 2
    _ensure_landing(settings, explicit=bool(args.landing))
    os.environ.setdefault("DAGSTER_HOME", str(Path(".dagster_home").resolve()))
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)

    from lakehouse_assets.headless import run_selection

    load_date = args.load_date or datetime.now(UTC).strftime("%Y%m%d")
    try:
        ok = run_selection(settings, selection=args.select, load_date=load_date)
    finally:
        if settings.target == "local" and not args.keep_runner:
            from lakehouse_assets.local_runner.process import stop_runner

            stop_runner(Path(settings.runner_dir))
    return 0 if ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lakehouse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write deterministic sample source exports")
    gen.add_argument("domain", choices=["importau"])
    gen.add_argument("--scale", type=int, default=SAMPLE_SCALE, help="number of orders")
    gen.add_argument("--seed", type=int, default=SAMPLE_SEED)
    gen.add_argument("--out", required=True, help="landing folder to write")
    gen.set_defaults(func=_generate)

    run = sub.add_parser("run", help="materialize assets headlessly through Dagster")
    run.add_argument("--landing", help="folder of the source exports (LAKEHOUSE_LANDING)")
    run.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    run.add_argument(
        "--select",
        default="*",
        help="Dagster asset selection, e.g. 'group:importau' or 'key:importau/bronze/*'",
    )
    run.add_argument("--load-date", help="load date yyyymmdd of the bronze partition (today)")
    run.add_argument(
        "--keep-runner", action="store_true", help="leave the warm Spark runner up afterwards"
    )
    run.set_defaults(func=_run)

    add_catalog_commands(sub)
    add_deploy_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigurationError as err:
        print(f"configuration error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
