"""The `lakehouse credito ...` commands: the credit feature store's inference view.

`lakehouse_assets.cli` finds this module and adds them: `add_commands(sub)`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _features(args: argparse.Namespace) -> int:
    from glue_scripts.lib.tables import TableNotFoundError
    from lakehouse_assets.domains.credito.feature_view import FeatureViewError, features_as_of

    try:
        view = features_as_of(
            args.as_of,
            root=args.root,
            applicants=args.applicant,
            hashed_ids=args.hashed,
            max_age_days=args.max_age_days,
        )
    except (FeatureViewError, TableNotFoundError) as err:
        print(f"credito features: {err}", file=sys.stderr)
        return 2
    dates = view.partitions_read
    span = f"{dates[0]}..{dates[-1]}" if dates else "none"
    print(
        f"{len(view.frame)} applicant(s) as of {view.as_of} from {len(dates)} feature date(s) "
        f"({span}) of credito_gold.feature_store, version {view.table_version}",
        file=sys.stderr,
    )
    if args.out:
        out = Path(args.out)
        if out.suffix == ".parquet":
            view.frame.to_parquet(out, index=False)
        else:
            view.frame.to_csv(out, index=False)
        print(f"written to {out}", file=sys.stderr)
    else:
        view.frame.to_csv(sys.stdout, index=False)
    if view.missing:
        print(
            f"no features on or before {view.as_of} for {len(view.missing)} applicant(s): "
            f"{', '.join(view.missing)} (new applicants, or ids of another system?)",
            file=sys.stderr,
        )
        return 1
    return 0


def add_commands(sub) -> None:
    credito = sub.add_parser("credito", help="credit feature store (domain credito)")
    commands = credito.add_subparsers(dest="credito_command", required=True)
    features = commands.add_parser(
        "features",
        help="each applicant's latest features as of a date (point in time)",
        description="Reads only feature dates on or before --as-of. Prints CSV (or writes "
        "--out); exits 1 when a requested applicant has no features yet.",
    )
    features.add_argument("--as-of", required=True, help="scoring date, 2024-06-30 or 20240630")
    features.add_argument(
        "--applicant",
        action="append",
        help="an applicant id as the origination system knows it (repeatable; hashed with the "
        "lakehouse's PII key); all applicants by default",
    )
    features.add_argument(
        "--hashed", action="store_true", help="--applicant values are already hashed ids"
    )
    features.add_argument(
        "--max-age-days", type=int, help="ignore feature rows older than this many days"
    )
    features.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    features.add_argument("--out", help="write a .csv or .parquet file instead of stdout")
    features.set_defaults(func=_features)
