"""BIX's transforms, pure `DataFrame(s) -> DataFrame`: the sale kept per id, the outlier
fences and flag, the enriched sale, and the monthly aggregates."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from glue_scripts.lib.transforms import month_start

# Of the versions of one sale, the latest data_venda wins (the reference's rule); a tie goes
# to the later load, then the later ingestion, then the file name, so the choice is total.
VERSION_ORDER = ("data_venda", "anomesdia", "ingested_at", "source_file")
SALE_COLUMNS = ("id_venda", "id_funcionario", "id_categoria", "data_venda", "venda")
MONEY = "decimal(12,2)"
TOTAL = "decimal(18,2)"


def latest_sale(versions: DataFrame) -> DataFrame:
    """One row per id_venda: the version with the latest VERSION_ORDER."""
    newest_first = Window.partitionBy("id_venda").orderBy(
        *(F.col(c).desc_nulls_last() for c in VERSION_ORDER)
    )
    return (
        versions.select(*SALE_COLUMNS, "anomesdia", F.row_number().over(newest_first).alias("n"))
        .where(F.col("n") == 1)
        .drop("n")
    )


def outlier_fences(sales: DataFrame, factor: float, min_sales: int) -> DataFrame:
    """One row (sales, q1, q3, lower, upper): exact quartiles of all amounts (linear
    interpolation) and the fences `factor` interquartile ranges outside them. With fewer
    than `min_sales` sales the fences are NULL: nothing is flagged."""
    quartiles = sales.agg(
        F.count("venda").alias("sales"),
        F.expr("percentile(CAST(venda AS DOUBLE), array(0.25, 0.75))").alias("q"),
    )
    enough = F.col("sales") >= F.lit(min_sales)
    q1, q3 = F.col("q")[0], F.col("q")[1]
    iqr = q3 - q1
    return quartiles.select(
        "sales",
        F.when(enough, q1).alias("q1"),
        F.when(enough, q3).alias("q3"),
        F.when(enough, q1 - F.lit(factor) * iqr).alias("lower"),
        F.when(enough, q3 + F.lit(factor) * iqr).alias("upper"),
    )


def is_outlier(amount: Column, lower: Column, upper: Column) -> Column:
    amount = amount.cast("double")
    beyond = (amount < lower) | (amount > upper)
    return F.coalesce(beyond, F.lit(False))


def enriched_sales(
    sales: DataFrame, funcionarios: DataFrame, categorias: DataFrame, fences: DataFrame
) -> DataFrame:
    """Sales with their employee's and category's names and the outlier flag; every sale
    stays (an unknown employee or category gives an empty name)."""
    names = funcionarios.select(F.col("id").alias("_f"), F.col("nome").alias("nome_funcionario"))
    categories = categorias.select(F.col("id").alias("_c"), "nome_categoria")
    joined = (
        sales.join(F.broadcast(names), F.col("id_funcionario") == F.col("_f"), "left")
        .join(F.broadcast(categories), F.col("id_categoria") == F.col("_c"), "left")
        .crossJoin(F.broadcast(fences.select("lower", "upper")))
    )
    return joined.select(
        "id_venda",
        "id_funcionario",
        "id_categoria",
        "data_venda",
        F.col("venda").cast(MONEY).alias("venda"),
        "nome_funcionario",
        "nome_categoria",
        is_outlier(F.col("venda"), F.col("lower"), F.col("upper")).alias("outlier"),
        "anomesdia",
    )


def monthly_sales(sales: DataFrame, dimension: Sequence[str]) -> DataFrame:
    """Sales by month and `dimension` (its id then its name): typical sales counted and
    summed apart from the atypical ones (outlier)."""
    typical = ~F.col("outlier")
    zero = F.lit(0).cast(TOTAL)

    def total(where: Column) -> Column:
        return F.coalesce(F.sum(F.when(where, F.col("venda"))), zero).cast(TOTAL)

    return sales.groupBy(month_start("data_venda").alias("mes_referencia"), *dimension).agg(
        F.count_if(typical).alias("vendas"),
        total(typical).alias("valor_total"),
        F.count_if(F.col("outlier")).alias("vendas_atipicas"),
        total(F.col("outlier")).alias("valor_atipico"),
    )
