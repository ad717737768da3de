"""`lakehouse generate DOMAIN --out FOLDER`: deterministic sample source exports."""

from __future__ import annotations

import argparse
from typing import Any

from lakehouse_assets.domains import domain_names

SAMPLE_SEED = 42


def _generate(args: argparse.Namespace) -> int:
    from lakehouse_assets.domains import generator_module

    module = generator_module(args.domain)
    scale = args.scale if args.scale is not None else module.SAMPLE_SCALE
    counts = module.generate(args.out, scale=scale, seed=args.seed, progress=print)
    for source, rows in counts.items():
        print(f"  {source:<22} {rows:>12,} rows")
    print(f"sample {args.domain} exports written to {args.out}")
    return 0


def add_commands(sub: Any) -> None:
    gen = sub.add_parser("generate", help="write deterministic sample source exports")
    gen.add_argument("domain", choices=domain_names())
    gen.add_argument(
        "--scale",
        type=int,
        help="size of the sample (ImportAu: orders, Crédito: applications); the domain's "
        "sample scale by default",
    )
    gen.add_argument("--seed", type=int, default=SAMPLE_SEED)
    gen.add_argument("--out", required=True, help="landing folder to write")
    gen.set_defaults(func=_generate)
