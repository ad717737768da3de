"""Landing data of the bench: generated once per scale and reused, and cut into daily drops.

A scale's folder holds a marker with the generator's fingerprint, the orders, the rows and
the generation time; a later bench with the same scale, seed and generator reuses it (and
reports the time recorded when it was generated).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lakehouse_assets.bench.scales import label, orders_for

MARKER = "generated.json"
# Bumped whenever the way drops are cut changes, so older drops are cut again.
CUT_VERSION = 2


@dataclass(frozen=True)
class GeneratedData:
    landing: Path
    items_target: int
    orders: int
    rows: dict[str, int]
    seconds: float
    cached: bool


def _generator_fingerprint() -> str:
    from lakehouse_assets.domains.importau import generator

    return hashlib.sha256(Path(generator.__file__).read_bytes()).hexdigest()[:16]


def scale_data(
    work: Path, items: int, ratio: float, seed: int, progress: Callable[[str], None] = print
) -> GeneratedData:
    """The landing folder of a scale: generated now, or reused when the marker matches."""
    from lakehouse_assets.domains.importau.generator import generate

    folder = work / "data" / f"importau-{label(items)}-seed{seed}"
    orders = orders_for(items, ratio)
    wanted = {"orders": orders, "seed": seed, "generator": _generator_fingerprint()}
    marker = folder / MARKER
    if marker.exists():
        recorded = json.loads(marker.read_text())
        if {k: recorded.get(k) for k in wanted} == wanted:
            progress(f"  reusing {folder} (generated in {recorded['seconds']:.1f} s)")
            return GeneratedData(
                folder / "landing", items, orders, recorded["rows"], recorded["seconds"], True
            )
    shutil.rmtree(folder, ignore_errors=True)
    progress(f"  generating {orders:,} orders (~{label(items)} items) into {folder}")
    start = time.perf_counter()
    rows = generate(folder / "landing", scale=orders, seed=seed)
    seconds = time.perf_counter() - start
    marker.write_text(json.dumps({**wanted, "rows": rows, "seconds": seconds}, indent=1))
    return GeneratedData(folder / "landing", items, orders, rows, seconds, False)


# Sources cut by day (column, and whether it holds the day or an order id); the others are
# master data, exported whole every day as their source systems do.
BY_DAY = {
    "pedidos": ("data_pedido", "day"),
    "itens_pedido": ("pedido_id", "order"),
    "pagamentos": ("pedido_id", "order"),
    "cambio": ("data_cotacao", "day"),
}


@dataclass(frozen=True)
class DailyDrops:
    landing: Path
    load_dates: list[str]
    new_day_rows: dict[str, int]

    @property
    def new_load_date(self) -> str:
        return self.load_dates[-1]

    def history(self, days: int) -> list[str]:
        """The load dates of the `days` days before the new day."""
        return self.load_dates[-1 - days : -1]


def _lines(path: Path) -> tuple[str, list[str]]:
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    return header, rows


def _by_day(landing: Path, day_of_order: dict[str, str]) -> dict[str, dict[str, list[str]]]:
    """The rows of each source of BY_DAY, cut by day."""
    cut = {}
    for name, (column, kind) in BY_DAY.items():
        header, rows = _lines(landing / name / f"{name}.csv")
        at = header.split(",").index(column)
        by_day: dict[str, list[str]] = {}
        for row in rows:
            value = row.split(",")[at]
            day = value if kind == "day" else day_of_order.get(value)
            by_day.setdefault(day, []).append(row)
        cut[name] = by_day
    return cut


def _chosen_days(all_days: list[str], cut: dict[str, dict[str, list[str]]], days: int) -> list:
    """The new day and the days before it, oldest first.

    The new day is the last one with orders, payments and FX quotes (the generator leaves the
    newest orders unpaid and stops the quotes two weeks early); a long history wraps around
    the generated year. Days share no keys (the master data aside, identical every day), so
    their order does not change what silver and gold compute.
    """
    if len(all_days) < days:
        raise ValueError(f"the generated data has {len(all_days)} order days, {days} needed")
    complete = [d for d in all_days if all(cut[name].get(d) for name in BY_DAY)]
    if not complete:
        raise ValueError(
            "no generated day has orders, payments and FX quotes; raise --incremental-scale"
        )
    last = all_days.index(complete[-1])
    return [all_days[(last - back) % len(all_days)] for back in range(days - 1, -1, -1)]


def daily_drops(source: GeneratedData, out: Path, days: int) -> DailyDrops:
    """Cut `days` order days of a generated year into `<source>/anomesdia=<d>/` drops, on
    consecutive load dates ending the day after the new day.

    A day's drop holds that day's orders with their items and payments, that day's FX quotes
    (a header alone on days without quotes) and the whole master data.
    """
    marker = out / MARKER
    wanted = {"source": str(source.landing), "orders": source.orders, "days": days}
    wanted["cut"] = CUT_VERSION
    if marker.exists():
        recorded = json.loads(marker.read_text())
        if {k: recorded.get(k) for k in wanted} == wanted:
            return DailyDrops(out, recorded["load_dates"], recorded["new_day_rows"])
    shutil.rmtree(out, ignore_errors=True)
    header, orders = _lines(source.landing / "pedidos" / "pedidos.csv")
    at = header.split(",").index("data_pedido")
    day_of_order = {row.split(",", 1)[0]: row.split(",")[at] for row in orders}
    cut = _by_day(source.landing, day_of_order)
    chosen = _chosen_days(sorted(set(day_of_order.values())), cut, days)
    # An export lands the day after the business day it holds.
    landed = date.fromisoformat(chosen[-1]) + timedelta(days=1)
    load_dates = [(landed - timedelta(days=days - 1 - i)).strftime("%Y%m%d") for i in range(days)]
    new_day_rows: dict[str, int] = {}
    for name in sorted(p.name for p in source.landing.iterdir() if p.is_dir()):
        header, rows = _lines(source.landing / name / f"{name}.csv")
        for day, load_date in zip(chosen, load_dates, strict=True):
            folder = out / name / f"anomesdia={load_date}"
            folder.mkdir(parents=True)
            picked = cut[name].get(day, []) if name in cut else rows
            (folder / f"{name}.csv").write_text("\n".join([header, *picked]) + "\n")
        new_day_rows[name] = len(cut[name].get(chosen[-1], [])) if name in cut else len(rows)
    marker.write_text(
        json.dumps({**wanted, "load_dates": load_dates, "new_day_rows": new_day_rows}, indent=1)
    )
    return DailyDrops(out, load_dates, new_day_rows)
