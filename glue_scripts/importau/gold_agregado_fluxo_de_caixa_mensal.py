"""Glue job `importau_gold_agregado_fluxo_de_caixa_mensal`: fact + loans -> monthly cash flow."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import reduce

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib import partition_delta
from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.partition_delta import PartitionDelta
from glue_scripts.lib.transforms import latest_by_key, month_start

FACT = "importau_silver.fato_pedido_correlacionado"
LOANS = "importau_bronze.emprestimos"
TARGET = "importau_gold.agregado_fluxo_de_caixa_mensal"
MONEY = "decimal(18,2)"
STATUS_COLUMNS = {
    "PAGO": "pagamentos_pagos_brl",
    "PENDENTE": "pagamentos_pendentes_brl",
    "AGENDADO": "pagamentos_agendados_brl",
    "CANCELADO": "pagamentos_cancelados_brl",
}


def supplier_payments_by_month(fato: DataFrame) -> DataFrame:
    """Each installment once (every item of an order carries the order's installments)."""
    installments = (
        fato.select("pedido_id", "pagamentos")
        .distinct()
        .select(F.explode("pagamentos").alias("p"))
        .select("p.*")
    )
    paid = F.col("status_pagamento") == "PAGO"
    # Paid installments count when they were paid, open ones when they fall due.
    cash_date = F.when(paid, F.col("data_pagamento")).otherwise(F.col("data_vencimento"))
    amount_when = {
        column: F.sum(
            F.when(F.col("status_pagamento") == status, F.col("valor_parcela_brl")).otherwise(
                F.lit(0)
            )
        ).alias(column)
        for status, column in STATUS_COLUMNS.items()
    }
    return (
        installments.select(
            month_start(cash_date).alias("mes_referencia"),
            F.col("moeda_origem").alias("moeda"),
            "status_pagamento",
            "valor_parcela_brl",
        )
        .groupBy("mes_referencia", "moeda")
        .agg(*amount_when.values(), F.count(F.lit(1)).alias("qtd_pagamentos"))
    )


def loan_installments_by_month(emprestimos: DataFrame) -> DataFrame:
    """Every installment of every live loan, paid ones in the past and open ones ahead."""
    # A term below 1 has no installments (sequence(1, 0) would count down and make two).
    loans = emprestimos.transform(latest_by_key(["emprestimo_id"])).where(
        (F.col("status") != "CANCELADO") & (F.col("prazo_meses") >= 1)
    )
    # Installment k falls due (k - next) months after the next due date, where next is the
    # number of the next installment to pay.
    offset = F.col("k") - F.col("num_parcelas_pagas") - F.lit(1)
    return (
        loans.select(
            "data_vencimento_proxima",
            "num_parcelas_pagas",
            "valor_parcela_mensal",
            F.explode(F.sequence(F.lit(1), F.col("prazo_meses"))).alias("k"),
        )
        .select(
            month_start(F.add_months("data_vencimento_proxima", offset)).alias("mes_referencia"),
            F.lit("BRL").alias("moeda"),
            "valor_parcela_mensal",
        )
        .groupBy("mes_referencia", "moeda")
        .agg(
            F.sum("valor_parcela_mensal").alias("parcelas_emprestimos_brl"),
            F.count(F.lit(1)).alias("qtd_parcelas_emprestimos"),
        )
    )


def transform(fato: DataFrame, emprestimos: DataFrame) -> DataFrame:
    return combine(supplier_payments_by_month(fato), loan_installments_by_month(emprestimos))


def updated_payments(previous: DataFrame, delta: PartitionDelta) -> DataFrame:
    """`supplier_payments_by_month` of the whole fact, from the previous cash flow and the
    fact's changed months: minus their installments then, plus their installments now.

    Every item of an order is in the order's month, so an order's installments are wholly
    in the `before` or wholly outside it, and likewise in the `after`.
    """
    keys = ("mes_referencia", "moeda")
    money = tuple(STATUS_COLUMNS.values())
    wide = "decimal(28,2)"

    def signed(frame: DataFrame, minus: bool) -> DataFrame:
        sign = (lambda c: -c) if minus else (lambda c: c)
        return frame.select(
            *keys,
            *(sign(F.col(c)).cast(wide).alias(c) for c in money),
            sign(F.col("qtd_pagamentos")).cast("bigint").alias("qtd_pagamentos"),
        )

    # Rows without installments hold only loans, which are recomputed from the loans.
    parts = [signed(previous.where(F.col("qtd_pagamentos") > 0), minus=False)]
    if delta.after is not None:
        parts.append(signed(supplier_payments_by_month(delta.after), minus=False))
    if delta.before is not None:
        parts.append(signed(supplier_payments_by_month(delta.before), minus=True))
    return (
        reduce(DataFrame.unionByName, parts)
        .groupBy(*keys)
        .agg(*(F.sum(c).alias(c) for c in (*money, "qtd_pagamentos")))
        .where(F.col("qtd_pagamentos") > 0)
    )


def combine(payments: DataFrame, loans: DataFrame) -> DataFrame:
    """Supplier payments and loan installments by month and currency, with the outflow."""
    both = payments.alias("pg").join(loans.alias("lo"), on=["mes_referencia", "moeda"], how="full")
    money = {c: F.coalesce(F.col(c), F.lit(0)).cast(MONEY) for c in STATUS_COLUMNS.values()}
    loans_brl = F.coalesce(F.col("parcelas_emprestimos_brl"), F.lit(0)).cast(MONEY)
    outflow = (
        money["pagamentos_pagos_brl"]
        + money["pagamentos_pendentes_brl"]
        + money["pagamentos_agendados_brl"]
        + loans_brl
    )
    return both.select(
        "mes_referencia",
        "moeda",
        *(value.alias(name) for name, value in money.items()),
        loans_brl.alias("parcelas_emprestimos_brl"),
        outflow.cast(MONEY).alias("saida_total_brl"),
        F.coalesce(F.col("qtd_pagamentos"), F.lit(0)).cast("bigint").alias("qtd_pagamentos"),
        F.coalesce(F.col("qtd_parcelas_emprestimos"), F.lit(0))
        .cast("bigint")
        .alias("qtd_parcelas_emprestimos"),
    )


COLUMN_LINEAGE = {
    "mes_referencia": [
        (FACT, "pagamentos"),
        (LOANS, "data_vencimento_proxima"),
        (LOANS, "num_parcelas_pagas"),
    ],
    "moeda": [(FACT, "pagamentos")],
    **{c: [(FACT, "pagamentos")] for c in STATUS_COLUMNS.values()},
    "parcelas_emprestimos_brl": [(LOANS, "valor_parcela_mensal"), (LOANS, "prazo_meses")],
    "saida_total_brl": [(FACT, "pagamentos"), (LOANS, "valor_parcela_mensal")],
    "qtd_pagamentos": [(FACT, "pagamentos")],
    "qtd_parcelas_emprestimos": [(LOANS, "prazo_meses")],
}


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "importau_gold_agregado_fluxo_de_caixa_mensal") as job:
        fato = job.read(FACT)
        loans = loan_installments_by_month(job.read_latest(LOANS, ["emprestimo_id"]))
        last = partition_delta.since_last_build(job, TARGET, FACT, __file__)
        by_month, how = last.content(supplier_payments_by_month(fato), updated_payments)
        job.log.info(f"{TARGET}: supplier payments {how}")
        job.write(
            TARGET, combine(by_month, loans), column_lineage=COLUMN_LINEAGE, built_from=last.record
        )


if __name__ == "__main__":
    main(sys.argv[1:])
