"""Child processes, start times and peak memory from /proc, the runner's share of a run,
items per order, and the daily drops."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from lakehouse_assets.bench.landing_data import BY_DAY, daily_drops, scale_data
from lakehouse_assets.bench.procs import run_child, started_at, tree_memory_mb, vm_hwm_mb
from lakehouse_assets.bench.runs import runner_wait
from lakehouse_assets.bench.scales import items_per_order, orders_for

CHILD = """
import json, os, sys
open(sys.argv[1], "w").write(json.dumps({"pid": os.getpid()}))
sys.exit(int(sys.argv[2]))
"""


def test_a_child_is_timed_with_its_report_exit_code_and_peak_memory(tmp_path):
    argv = [sys.executable, "-c", CHILD, str(tmp_path / "r.json"), "3"]
    run = run_child(argv, os.environ, tmp_path / "log", tmp_path / "r.json")
    assert (run.returncode, run.ok) == (3, False)
    assert run.report["pid"] > 0
    assert run.max_rss_mb > 1  # a Python interpreter holds megabytes
    assert run.failure("child").startswith(f"child exited with code 3; log {tmp_path / 'log'}")


def test_a_child_past_its_timeout_is_killed(tmp_path):
    argv = [sys.executable, "-c", "import time; time.sleep(120)"]
    run = run_child(argv, os.environ, tmp_path / "log", timeout=1)
    assert run.returncode == -9


def test_peak_memory_is_read_for_a_process_and_its_tree():
    assert vm_hwm_mb() > 1
    tree = tree_memory_mb(os.getpid())
    assert list(tree)[0].endswith(f"[{os.getpid()}]")
    assert vm_hwm_mb(2**22 + 1) is None  # no such process


def test_a_process_start_is_read_to_the_clock_tick():
    spawned = time.time()
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        born = started_at(child.pid)
    finally:
        child.kill()
        child.wait()
    # Whole-second boot times would put it up to a second early.
    assert spawned - 0.05 <= born <= time.time()
    assert started_at(2**22 + 1) is None  # no such process


def test_the_first_step_counts_only_what_it_waited_for_the_runner():
    dagster = {"step_starts": {"bronze": 100.0}}
    # Ready while Dagster was still starting: the step did not wait.
    assert runner_wait({"runner_ready_at": 99.0}, dagster, "bronze") == 0.0
    assert runner_wait({"runner_ready_at": 101.5}, dagster, "bronze") == 1.5
    assert runner_wait({}, dagster, "bronze") is None  # a runner started beforehand
    assert runner_wait({"runner_ready_at": 101.5}, {}, "bronze") is None


def test_items_per_order_is_measured_on_the_generator():
    assert items_per_order(42) == 27_580 / 20_000
    assert orders_for(10_000, 27_580 / 20_000) == 7_252


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def drops(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    data = scale_data(work, 4_000, 1.379, seed=42, progress=lambda _: None)
    return data, daily_drops(data, work / "daily", 4)


def test_generated_data_is_reused_when_nothing_changed(drops, tmp_path_factory):
    data, _ = drops
    again = scale_data(data.landing.parents[2], 4_000, 1.379, 42, progress=lambda _: None)
    assert (again.cached, again.orders, again.rows) == (True, data.orders, data.rows)


def _last_complete_day(landing: Path) -> str:
    """The last order day with orders, payments and FX quotes, from the whole exports."""
    orders = _rows(landing / "pedidos" / "pedidos.csv")
    day_of = {o["pedido_id"]: o["data_pedido"] for o in orders}
    paid = {day_of[p["pedido_id"]] for p in _rows(landing / "pagamentos" / "pagamentos.csv")}
    quoted = {q["data_cotacao"] for q in _rows(landing / "cambio" / "cambio.csv")}
    return max(set(day_of.values()) & paid & quoted)


def test_daily_drops_end_on_the_last_complete_day_on_consecutive_load_dates(drops):
    data, cut = drops
    new_day = date.fromisoformat(_last_complete_day(data.landing))
    expected = [(new_day + timedelta(days=d)).strftime("%Y%m%d") for d in (-2, -1, 0, 1)]
    assert cut.load_dates == expected  # an export lands the day after the day it holds
    assert cut.history(2) == expected[1:3]
    drop = cut.landing / "pedidos" / f"anomesdia={cut.new_load_date}" / "pedidos.csv"
    orders = _rows(drop)
    assert {o["data_pedido"] for o in orders} == {new_day.isoformat()}
    everything = _rows(data.landing / "pedidos" / "pedidos.csv")
    assert len(orders) == sum(o["data_pedido"] == new_day.isoformat() for o in everything)
    ids = {o["pedido_id"] for o in orders}
    for name in ("itens_pedido", "pagamentos"):
        rows = _rows(cut.landing / name / f"anomesdia={cut.new_load_date}" / f"{name}.csv")
        assert {r["pedido_id"] for r in rows} <= ids
        assert cut.new_day_rows[name] == len(rows) > 0
    quotes = _rows(cut.landing / "cambio" / f"anomesdia={cut.new_load_date}" / "cambio.csv")
    assert {q["data_cotacao"] for q in quotes} == {new_day.isoformat()}
    assert cut.new_day_rows["cambio"] == len(quotes) > 0


def test_master_data_is_exported_whole_every_day(drops):
    data, cut = drops
    masters = sorted(p.name for p in data.landing.iterdir() if p.name not in BY_DAY)
    assert masters == ["emprestimos", "fornecedores", "produtos"]
    for name in masters:
        whole = (data.landing / name / f"{name}.csv").read_text()
        for load_date in cut.load_dates:
            assert (
                cut.landing / name / f"anomesdia={load_date}" / f"{name}.csv"
            ).read_text() == whole
