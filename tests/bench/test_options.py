"""`lakehouse bench` arguments: scales in items, sections, histories, runs per scale."""

from __future__ import annotations

from pathlib import Path

import pytest

from lakehouse_assets import cli
from lakehouse_assets.bench.options import (
    SECTIONS,
    OptionsError,
    from_args,
    parse_history,
    parse_only,
)
from lakehouse_assets.bench.scales import ScaleError, label, parse_scale, parse_scales


def options(*argv: str):
    return from_args(cli._parser().parse_args(["bench", *argv]))


@pytest.mark.parametrize(
    ("text", "items"),
    [("10k", 10_000), ("1M", 1_000_000), ("10m", 10_000_000), ("2.5M", 2_500_000), ("250", 250)],
)
def test_scales_are_items_with_k_or_m_suffixes(text, items):
    assert parse_scale(text) == items


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ten", "scale 'ten' is not a number of items like 10k, 1M or 250000"),
        ("1G", "scale '1G' is not a number of items like 10k, 1M or 250000"),
        ("50", "scale '50' is below 100 items; the generator needs more"),
    ],
)
def test_bad_scales_say_what_is_expected(text, message):
    with pytest.raises(ScaleError) as err:
        parse_scale(text)
    assert str(err.value) == message


def test_scales_are_sorted_and_unique_and_labelled_back():
    assert parse_scales("10M,10k,1M,10k") == [10_000, 1_000_000, 10_000_000]
    assert [label(n) for n in (10_000, 1_000_000, 10_000_000, 2_500)] == [
        "10k",
        "1M",
        "10M",
        "2500",
    ]


def test_defaults_measure_every_section_at_three_scales():
    chosen = options()
    assert chosen.scales == [10_000, 1_000_000, 10_000_000]
    assert chosen.only == SECTIONS
    assert chosen.history == [30, 365]
    assert chosen.out == Path("docs/BENCHMARKS.md")
    assert chosen.work == Path(".bench").resolve()
    assert (chosen.incremental_items, chosen.catalog_tables) == (1_000_000, 1000)
    # Several runs where a run is cheap, one where it takes many minutes.
    assert [chosen.runs_at(n) for n in chosen.scales] == [3, 2, 1]
    assert chosen.fixed_runs == 3
    assert chosen.warm_runs == 5  # a warm run takes seconds
    assert chosen.without_rules_runs == 1  # the other side of the checks' share, per scale


def test_explicit_runs_apply_to_every_scale_and_section():
    chosen = options("--scales", "10k,10M", "--runs", "2", "--history", "3,6")
    assert [chosen.runs_at(n) for n in chosen.scales] == [2, 2]
    assert (chosen.fixed_runs, chosen.warm_runs, chosen.history) == (2, 2, [3, 6])
    assert chosen.without_rules_runs == 2


def test_only_keeps_the_canonical_order():
    assert parse_only("catalog,overhead") == ("overhead", "catalog")
    assert parse_only("warm,catalog") == ("catalog", "warm")
    assert parse_only(None) == SECTIONS
    assert "warm" in SECTIONS  # in the default set
    chosen = options("--only", "duckdb")
    assert chosen.wants("duckdb") and not chosen.wants("overhead")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--only", "overhead,speed"),
            "--only 'overhead,speed': unknown section(s) ['speed']; choose among "
            "overhead, duckdb, incremental, memory, catalog, warm",
        ),
        (
            ("--history", "30"),
            "--history '30' needs at least two day counts between 1 and 365 (the ratio compares "
            "the largest with the smallest)",
        ),
        (
            ("--history", "30,400"),
            "--history '30,400' needs at least two day counts between 1 and 365 (the ratio "
            "compares the largest with the smallest)",
        ),
        (("--history", "a,b"), "--history 'a,b' must be day counts like 30,365"),
        (("--runs", "0"), "--runs 0 must be 1 or more"),
        (("--catalog-tables", "0"), "--catalog-tables 0 must be 1 or more"),
        (
            ("--scales", "10k,lots"),
            "scale 'lots' is not a number of items like 10k, 1M or 250000",
        ),
    ],
)
def test_bad_arguments_are_refused_before_anything_runs(argv, message):
    with pytest.raises(OptionsError) as err:
        options(*argv)
    assert str(err.value) == message


def test_the_command_exits_2_with_the_reason(capsys, tmp_path):
    code = cli.main(["bench", "--only", "nothing", "--work", str(tmp_path / "w")])
    assert code == 2
    assert capsys.readouterr().err == (
        "bench: --only 'nothing': unknown section(s) ['nothing']; choose among "
        "overhead, duckdb, incremental, memory, catalog, warm\n"
    )
    assert not (tmp_path / "w").exists()


def test_real_exports_are_used_only_when_present(tmp_path):
    assert options("--real-exports", str(tmp_path / "missing")).real_exports is None
    assert options("--real-exports", str(tmp_path)).real_exports == tmp_path


def test_parse_history_sorts_and_deduplicates():
    assert parse_history("365,30,30") == [30, 365]
