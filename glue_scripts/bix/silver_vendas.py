"""Glue job `bix_silver_vendas`: bronze employees, sales and categories -> silver.

`funcionario` and `categoria` are the latest load's row of each id. `venda` keeps one row per
sale id (the latest data_venda, ties to the later load), joins the names in and flags
atypical amounts against fences computed from all sales of this run; every sale is kept.
The fences are collected once (one row) and reported, so the run states the rule it applied.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from pyspark.sql import DataFrame

from glue_scripts.bix.transforms import enriched_sales, latest_sale, outlier_fences
from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.local_rows import local_rows

JOB = "bix_silver_vendas"
BRONZE_FUNCIONARIO = "bix_bronze.funcionario"
BRONZE_VENDA = "bix_bronze.venda"
BRONZE_CATEGORIA = "bix_bronze.categoria"
FUNCIONARIO = "bix_silver.funcionario"
CATEGORIA = "bix_silver.categoria"
VENDA = "bix_silver.venda"
FENCES = "sales bigint, q1 double, q3 double, lower double, upper double"


def _lineage(names: Sequence[str], table: str) -> dict[str, list[tuple[str, str]]]:
    return {name: [(table, name)] for name in names}


def _venda_lineage() -> dict[str, list[tuple[str, str]]]:
    lineage = _lineage(
        ("id_venda", "id_funcionario", "id_categoria", "data_venda", "venda", "anomesdia"),
        BRONZE_VENDA,
    )
    lineage["outlier"] = [(BRONZE_VENDA, "venda")]
    lineage["nome_funcionario"] = [(BRONZE_FUNCIONARIO, "nome")]
    lineage["nome_categoria"] = [(BRONZE_CATEGORIA, "nome_categoria")]
    return lineage


def _write_sales(job: GlueJob, funcionarios: DataFrame, categorias: DataFrame) -> None:
    parameters = job.tables[VENDA]["parameters"]
    sales = latest_sale(job.read(BRONZE_VENDA))
    computed = outlier_fences(
        sales,
        factor=float(parameters["outlier_iqr_factor"]),
        min_sales=int(parameters["outlier_min_sales"]),
    ).first()
    fences = tuple(computed)
    job.log.info(f"outlier fences over {fences[0]} sale(s): lower {fences[3]}, upper {fences[4]}")
    job.write(
        VENDA,
        enriched_sales(sales, funcionarios, categorias, local_rows(job.spark, [fences], FENCES)),
        column_lineage=_venda_lineage(),
        extra_metadata={"bix/outlier_fences": {"type": "json", "raw_value": computed.asDict()}},
    )


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, JOB) as job:
        sales = job.wants(VENDA)
        funcionarios = categorias = None
        if sales or job.wants(FUNCIONARIO):
            funcionarios = job.read_latest(BRONZE_FUNCIONARIO, ["id"])
        if sales or job.wants(CATEGORIA):
            categorias = job.read_latest(BRONZE_CATEGORIA, ["id"])
        if job.wants(FUNCIONARIO):
            job.write(
                FUNCIONARIO,
                funcionarios.select("id", "nome"),
                column_lineage=_lineage(("id", "nome"), BRONZE_FUNCIONARIO),
            )
        if job.wants(CATEGORIA):
            job.write(
                CATEGORIA,
                categorias.select("id", "nome_categoria"),
                column_lineage=_lineage(("id", "nome_categoria"), BRONZE_CATEGORIA),
            )
        if sales:
            _write_sales(job, funcionarios, categorias)


if __name__ == "__main__":
    main(sys.argv[1:])
