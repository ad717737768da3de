"""BIX's silver transforms on hand-made rows: the version kept per sale, the outlier fences
and flag, and the enriched sale (names joined, no sale dropped)."""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from glue_scripts.bix.transforms import enriched_sales, is_outlier, latest_sale, outlier_fences
from glue_scripts.lib.local_rows import local_rows
from lakehouse_assets.domains.bix import generator
from tests.bix.bix_frames import LOAD, categoria, funcionario, ingestion, rows, venda

# Ten amounts: sorted, Q1 sits at position 9 x 0.25 = 2.25 -> 300 + 0.25 x 100 = 325 and Q3 at
# 6.75 -> 700 + 0.75 x 100 = 775; IQR 450, fences 325 - 3 x 450 = -1025 and 775 + 1350 = 2125.
AMOUNTS = ("100", "200", "300", "400", "500", "600", "700", "800", "900", "917025")


def ten_sales(spark):
    return venda(spark, *({"id_venda": i + 1, "venda": a} for i, a in enumerate(AMOUNTS)))


def test_the_latest_sale_date_wins_and_ties_go_to_the_later_load(spark):
    versions = venda(
        spark,
        # Sale 1: the later load carries an earlier date; the later date wins.
        {"id_venda": 1, "data_venda": "2020-01-02", "venda": "10.00"},
        {"id_venda": 1, "data_venda": "2020-01-01", "venda": "11.00", **ingestion("20240102")},
        # Sale 2: same date in two loads; the later load wins.
        {"id_venda": 2, "data_venda": "2020-02-01", "venda": "20.00"},
        {"id_venda": 2, "data_venda": "2020-02-01", "venda": "21.00", **ingestion("20240102")},
        # Sale 3: same date and load date (a re-run); the later ingestion wins.
        {"id_venda": 3, "data_venda": "2020-03-01", "venda": "30.00", **ingestion(minute=1)},
        {"id_venda": 3, "data_venda": "2020-03-01", "venda": "31.00", **ingestion(minute=2)},
        {"id_venda": 4, "venda": "40.00"},
    )

    kept = latest_sale(versions)

    assert rows(kept, "id_venda", "data_venda", "venda", "anomesdia") == [
        ("1", "2020-01-02", "10.00", "20240101"),
        ("2", "2020-02-01", "21.00", "20240102"),
        ("3", "2020-03-01", "31.00", "20240101"),
        ("4", "2020-01-15", "40.00", "20240101"),
    ]
    assert kept.columns == [
        "id_venda",
        "id_funcionario",
        "id_categoria",
        "data_venda",
        "venda",
        "anomesdia",
    ]


def test_fences_are_three_interquartile_ranges_outside_the_exact_quartiles(spark):
    fences = outlier_fences(ten_sales(spark), factor=3, min_sales=10).collect()

    assert [tuple(r) for r in fences] == [(10, 325.0, 775.0, -1025.0, 2125.0)]


def test_too_few_sales_give_no_fences(spark):
    fences = outlier_fences(ten_sales(spark).where("id_venda <= 9"), factor=3, min_sales=10)

    assert [tuple(r) for r in fences.collect()] == [(9, None, None, None, None)]


@pytest.mark.parametrize(
    ("amount", "lower", "upper", "flagged"),
    [
        ("2125.00", -1025.0, 2125.0, False),  # on the fence: not beyond it
        ("2125.01", -1025.0, 2125.0, True),
        ("99.99", 100.0, 2125.0, True),
        ("100.00", 100.0, 2125.0, False),
        ("917025.00", None, None, False),  # no fences: nothing flagged
    ],
)
def test_an_amount_is_an_outlier_only_beyond_a_fence(spark, amount, lower, upper, flagged):
    row = spark.range(1).select(
        is_outlier(
            F.lit(amount).cast("decimal(12,2)"),
            F.lit(lower).cast("double"),
            F.lit(upper).cast("double"),
        ).alias("o")
    )

    assert row.collect()[0]["o"] is flagged


def test_sales_get_names_and_flags_and_none_is_dropped(spark):
    sales = latest_sale(
        venda(
            spark,
            {"id_venda": 1, "id_funcionario": 1, "id_categoria": 2, "venda": "100.00"},
            {"id_venda": 2, "id_funcionario": 10, "id_categoria": 1, "venda": "917025.00"},
            {"id_venda": 3, "id_funcionario": 2, "id_categoria": 9, "venda": "250.50"},
        )
    )
    employees = funcionario(spark, (1, "Rob Carsson"), (2, "Eli Preston"))
    categories = categoria(spark, (1, "Babywear"), (2, "Womens wear"))
    fences = spark.sql("SELECT 3L AS sales, 0D AS q1, 0D AS q3, -10D AS lower, 1000D AS upper")

    result = enriched_sales(sales, employees, categories, fences)

    assert result.columns == [
        "id_venda",
        "id_funcionario",
        "id_categoria",
        "data_venda",
        "venda",
        "nome_funcionario",
        "nome_categoria",
        "outlier",
        "anomesdia",
    ]
    assert rows(result, *result.columns) == [
        ("1", "1", "2", "2020-01-15", "100.00", "Rob Carsson", "Womens wear", "False", "20240101"),
        ("2", "10", "1", "2020-01-15", "917025.00", None, "Babywear", "True", "20240101"),
        ("3", "2", "9", "2020-01-15", "250.50", "Eli Preston", None, "False", "20240101"),
    ]


def test_the_reference_outlier_is_flagged_among_ordinary_amounts(spark):
    sales = latest_sale(ten_sales(spark))
    employees = funcionario(spark, (1, "Rob Carsson"))
    categories = categoria(spark, (1, "Babywear"))
    fences = outlier_fences(sales, factor=3, min_sales=10)

    result = enriched_sales(sales, employees, categories, fences)

    assert rows(result.where("outlier"), "id_venda", "venda") == [("10", "917025.00")]
    assert result.count() == 10


def test_on_the_sample_sales_the_rule_flags_exactly_the_planted_outliers(spark):
    sample = generator.sales(1000, seed=7).to_pylist()
    planted = sorted(r["id_venda"] for r in sample if r["venda"] > 10_000)
    sales = local_rows(
        spark,
        [(r["id_venda"], r["venda"], LOAD) for r in sample],
        "id_venda int, venda decimal(12,2), anomesdia string",
    )

    fences = outlier_fences(sales, factor=3, min_sales=10)
    flagged = sales.crossJoin(fences).where(
        is_outlier(F.col("venda"), F.col("lower"), F.col("upper"))
    )

    assert len(planted) == 2
    assert sorted(r["id_venda"] for r in flagged.collect()) == planted
