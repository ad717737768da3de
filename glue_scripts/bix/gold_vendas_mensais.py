"""Glue job `bix_gold_vendas_mensais`: silver sales -> monthly sales by employee and by
category, atypical sales (silver's outlier flag) counted and summed apart. Both tables are
small (months x employees or categories), so each run rebuilds them from silver."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from glue_scripts.bix.transforms import monthly_sales
from glue_scripts.lib.job import GlueJob

JOB = "bix_gold_vendas_mensais"
SILVER = "bix_silver.venda"
# Output table -> its dimension (id, name) in silver.
OUTPUTS = {
    "bix_gold.vendas_mensais_por_funcionario": ("id_funcionario", "nome_funcionario"),
    "bix_gold.vendas_mensais_por_categoria": ("id_categoria", "nome_categoria"),
}
MEASURE_SOURCES = {
    "vendas": ("outlier",),
    "valor_total": ("venda", "outlier"),
    "vendas_atipicas": ("outlier",),
    "valor_atipico": ("venda", "outlier"),
}


def column_lineage(dimension: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    lineage = {"mes_referencia": [(SILVER, "data_venda")]}
    lineage.update({name: [(SILVER, name)] for name in dimension})
    for measure, sources in MEASURE_SOURCES.items():
        lineage[measure] = [(SILVER, source) for source in sources]
    return lineage


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, JOB) as job:
        sales = job.read(SILVER)
        for table, dimension in OUTPUTS.items():
            if job.wants(table):
                job.write(
                    table,
                    monthly_sales(sales, dimension),
                    column_lineage=column_lineage(dimension),
                )


if __name__ == "__main__":
    main(sys.argv[1:])
