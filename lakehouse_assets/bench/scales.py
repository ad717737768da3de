"""Scales are counted in order ITEMS; the ImportAu generator is driven by ORDERS.

The items-per-order ratio is measured on the generator itself (a calibration sample), not
assumed, so a change of the generator's distribution keeps the scales honest; the harness
reports the items actually generated next to the target.
"""

from __future__ import annotations

import re
import tempfile

SUFFIXES = {"": 1, "k": 1_000, "m": 1_000_000}
CALIBRATION_ORDERS = 20_000
# Runs per scale when --runs is not given: enough for a median where a run is cheap, one run
# where a run takes many minutes (see docs/BENCHMARKS.md for the time budget).
DEFAULT_RUNS = {10_000: 3, 1_000_000: 2, 10_000_000: 1}


class ScaleError(ValueError):
    """A scale the bench cannot use."""


def parse_scale(text: str) -> int:
    """'10k' -> 10000, '1M' -> 1000000, '2.5M' -> 2500000, '5000' -> 5000 (items)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not match:
        raise ScaleError(f"scale {text!r} is not a number of items like 10k, 1M or 250000")
    items = round(float(match.group(1)) * SUFFIXES[match.group(2).lower()])
    if items < 100:
        raise ScaleError(f"scale {text!r} is below 100 items; the generator needs more")
    return items


def parse_scales(text: str) -> list[int]:
    scales = [parse_scale(part) for part in text.split(",") if part.strip()]
    if not scales:
        raise ScaleError("no scale given; use e.g. --scales 10k,1M,10M")
    return sorted(set(scales))


def label(items: int) -> str:
    """10000 -> '10k', 1000000 -> '1M' (the inverse of `parse_scale` for round numbers)."""
    for suffix, factor in (("M", 1_000_000), ("k", 1_000)):
        if items >= factor and items % factor == 0:
            return f"{items // factor}{suffix}"
    return str(items)


def default_runs(items: int) -> int:
    return DEFAULT_RUNS.get(items, 3 if items <= 1_000_000 else 1)


def items_per_order(seed: int) -> float:
    """The generator's items per order, measured on a calibration sample."""
    from lakehouse_assets.domains.importau.generator import generate

    with tempfile.TemporaryDirectory(prefix="bench-calibration-") as folder:
        rows = generate(folder, scale=CALIBRATION_ORDERS, seed=seed)
    return rows["itens_pedido"] / rows["pedidos"]


def orders_for(items: int, ratio: float) -> int:
    return max(1, round(items / ratio))
