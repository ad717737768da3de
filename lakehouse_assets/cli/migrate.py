"""The `lakehouse migrate` command: the tables of the manifest log become Iceberg tables.

`lakehouse_assets.cli` adds it with `add_commands(sub)`; what it does is in
`lakehouse_assets/migration.py` and docs/MIGRATION.md.
"""

from __future__ import annotations

import argparse
import os
import sys

from glue_scripts.lib.fs import normalize_root
from lakehouse_assets.settings import Settings


def _migrate(args: argparse.Namespace) -> int:
    from lakehouse_assets.migration import RootNotFoundError, migrate

    env = dict(os.environ)
    if args.root:
        env["LAKEHOUSE_ROOT"] = args.root
    root = normalize_root(Settings.from_env(env).root)
    print(f"migrating the tables of the manifest log under {root} to Iceberg")
    try:
        report = migrate(root, progress=lambda line: print(f"  {line}", flush=True))
    except RootNotFoundError as err:
        print(f"lakehouse migrate: {err}", file=sys.stderr)
        return 2
    print(report.summary())
    if not report.ok:
        print(
            f"{len(report.failed)} table(s) not migrated: do what their lines say, then run "
            "`lakehouse migrate` again (the tables migrated stay as they are)",
            file=sys.stderr,
        )
        return 1
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `migrate` to the `lakehouse` parser."""
    migrate = sub.add_parser(
        "migrate",
        help="turn the tables of the manifest log into Iceberg tables, data in place",
        description=(
            "Register the current data of every table that has a manifest log "
            "(_lakehouse/manifest) as an Iceberg commit, then delete the log. No data is "
            "copied; safe to run again (docs/MIGRATION.md)."
        ),
    )
    migrate.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    migrate.set_defaults(func=_migrate)
