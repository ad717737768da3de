"""`lakehouse conversas dataset`: the ML training CSV of a window of days, without Dagster.

    lakehouse conversas dataset --start 2024-12-01 --end 2024-12-31
        -> <root>/ml-training-data/2024-12-01_to_2024-12-31/conversations_...csv + manifest.json
    lakehouse conversas dataset --start 2024-12-01 --end 2024-12-31 --out train.csv
        -> train.csv and train.csv.manifest.json
    lakehouse conversas dataset --out -      # the last month up to yesterday, CSV to stdout

`lakehouse_assets.cli` finds this module and adds the commands: `add_commands(sub)`.
"""

from __future__ import annotations

import argparse
import sys

EXIT_BAD_WINDOW = 2
EXIT_NO_DATA = 1


def _dataset(args: argparse.Namespace) -> int:
    from glue_scripts.lib.tables import TableNotFoundError
    from lakehouse_assets.domains.conversas import dataset
    from lakehouse_assets.settings import Settings
    from lakehouse_assets.table_reader import MissingFilesError

    try:
        window = dataset.parse_window(args.start, args.end)
    except dataset.WindowError as err:
        print(f"conversas dataset: {err}", file=sys.stderr)
        return EXIT_BAD_WINDOW
    root = args.root or Settings.from_env().root
    try:
        if args.out == "-":
            rows, gold = dataset.write_stdout(root, window, sys.stdout)
            where = "stdout"
            version = gold.version.version
        else:
            written = dataset.write_dataset(root, window, args.out)
            rows, where = written.rows, written.csv_uri
            version = written.gold.version.version
    except (TableNotFoundError, MissingFilesError, dataset.GoldTableError) as err:
        print(f"conversas dataset: {err}", file=sys.stderr)
        return EXIT_NO_DATA
    print(
        f"{rows} session(s) created {window.start} .. {window.end} (UTC, both days included) "
        f"from {dataset.GOLD_DATABASE}.{dataset.GOLD_TABLE} v{version} -> {where}",
        file=sys.stderr,
    )
    if where != "stdout":
        print(f"manifest: {written.manifest_uri}", file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    conversas = sub.add_parser("conversas", help="chat-agent sessions: the ML training dataset")
    commands = conversas.add_subparsers(dest="conversas_command", required=True)
    dataset = commands.add_parser(
        "dataset",
        help="the 48 metrics of the sessions created in a window of days, as one CSV",
        description=(
            "Writes the 48 metric columns (header, training order) of the gold sessions whose "
            "created_at day (UTC) is in [start, end], both included. Without --out: "
            "<root>/ml-training-data/<start>_to_<end>/ with a manifest.json of what it was "
            "built from. Without --start/--end: the last month up to yesterday."
        ),
    )
    dataset.add_argument("--start", help="first day, YYYY-MM-DD (UTC), included")
    dataset.add_argument("--end", help="last day, YYYY-MM-DD (UTC), included")
    dataset.add_argument(
        "--out",
        help="write the CSV to this file (its manifest beside it as <out>.manifest.json); "
        "`-` for stdout (no manifest)",
    )
    dataset.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    dataset.set_defaults(func=_dataset)
