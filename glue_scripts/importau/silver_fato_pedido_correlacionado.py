"""Glue job `importau_silver_fato_pedido_correlacionado`: bronze sources -> correlated fact."""

from __future__ import annotations

import hashlib
import inspect
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

from glue_scripts.importau import fact_changes
from glue_scripts.lib import masking
from glue_scripts.lib.job import GlueJob
from glue_scripts.lib.latest import Latest
from glue_scripts.lib.previous import previous_output
from glue_scripts.lib.schema import mismatches
from glue_scripts.lib.transforms import latest_by_key

BRONZE = "importau_bronze"
TARGET = "importau_silver.fato_pedido_correlacionado"
MONEY = "decimal(18,2)"
# parcela_atual first: sort_array orders the installments by it.
PAYMENT_FIELDS = (
    ("parcela_atual", "int"),
    ("pagamento_id", "string"),
    ("num_parcelas", "int"),
    ("data_vencimento", "date"),
    ("data_pagamento", "date"),
    ("status_pagamento", "string"),
    ("valor_pago_brl", MONEY),
    ("valor_parcela_brl", MONEY),
    ("moeda_origem", "string"),
    ("valor_moeda_origem", MONEY),
)
PAYMENT_ARRAY = "array<struct<" + ",".join(f"{n}:{t}" for n, t in PAYMENT_FIELDS) + ">>"
OPEN_STATUSES = ("PENDENTE", "AGENDADO")


def installment_amounts(pagamentos: DataFrame, pedidos: DataFrame) -> DataFrame:
    """Each installment's own amount in BRL, as `valor_parcela_brl`.

    The payables export repeats the order's total on every installment of a multi-installment
    order (PED003: 3 rows of 12300.75 for a 12300.75 order). Such a row's own amount is
    total / installments, the last installment absorbing the rounding cents, so installments
    add up to the order total. Rows with their own amount are kept as they are.
    """
    totals = pedidos.select("pedido_id", F.col("valor_total_brl").alias("_order_total"))
    n = F.col("num_parcelas")
    repeats_total = (n > 1) & (F.col("valor_pago_brl") == F.col("_order_total"))
    share = F.round(F.col("valor_pago_brl") / n, 2)
    last_share = F.col("valor_pago_brl") - share * (n - F.lit(1))
    own = F.when(F.col("parcela_atual") == n, last_share).otherwise(share)
    return pagamentos.join(totals, on="pedido_id", how="left").select(
        *pagamentos.columns,
        F.when(repeats_total, own)
        .otherwise(F.col("valor_pago_brl"))
        .cast(MONEY)
        .alias("valor_parcela_brl"),
    )


def payments_by_order(pagamentos: DataFrame, pedidos: DataFrame) -> DataFrame:
    """One row per order: its installments as an array plus totals by status."""
    status = F.col("status_pagamento")
    amount = F.col("valor_parcela_brl")
    return (
        installment_amounts(pagamentos, pedidos)
        .groupBy("pedido_id")
        .agg(
            F.count(F.lit(1)).cast("int").alias("qtd_parcelas"),
            F.sum(F.when(status == "PAGO", amount).otherwise(F.lit(0))).alias("valor_pago_brl"),
            F.sum(F.when(status.isin(*OPEN_STATUSES), amount).otherwise(F.lit(0))).alias(
                "valor_em_aberto_brl"
            ),
            F.sum(F.when(status == "CANCELADO", amount).otherwise(F.lit(0))).alias(
                "valor_cancelado_brl"
            ),
            F.max("data_vencimento").alias("data_ultimo_vencimento"),
            F.sort_array(F.collect_list(F.struct(*(F.col(n) for n, _ in PAYMENT_FIELDS)))).alias(
                "pagamentos"
            ),
        )
    )


def ptax_as_of(order_currencies: DataFrame, cambio: DataFrame) -> DataFrame:
    """The last PTAX on or before each (currency, order date): quotes skip days and stop early.

    Joining distinct (currency, date) pairs instead of every item keeps the non-equi join
    small whatever the number of items.
    """
    pairs = order_currencies.select("moeda_negociacao", "data_pedido").distinct()
    quotes = cambio.select("moeda", "data_cotacao", "taxa_ptax")
    newest_first = Window.partitionBy("moeda_negociacao", "data_pedido").orderBy(
        F.col("data_cotacao").desc()
    )
    on_or_before = (F.col("moeda") == F.col("moeda_negociacao")) & (
        F.col("data_cotacao") <= F.col("data_pedido")
    )
    return (
        pairs.join(F.broadcast(quotes), on=on_or_before, how="inner")
        .select("*", F.row_number().over(newest_first).alias("_rank"))
        .where(F.col("_rank") == 1)
        .select("moeda_negociacao", "data_pedido", "taxa_ptax", "data_cotacao")
    )


# Bronze keeps every load; the fact is built from the current version of each key.
CURRENT_KEYS = {
    "itens_pedido": ["item_id"],
    "pedidos": ["pedido_id"],
    "produtos": ["produto_id"],
    "fornecedores": ["fornecedor_id"],
    "pagamentos": ["pagamento_id"],
    "cambio": ["data_cotacao", "moeda"],
}


def current_versions(loads: Mapping[str, DataFrame]) -> dict[str, DataFrame]:
    """What `GlueJob.read_latest` returns, computed from inputs holding every load."""
    return {
        name: frame.transform(latest_by_key(CURRENT_KEYS[name])) for name, frame in loads.items()
    }


def transform(
    itens_pedido: DataFrame,
    pedidos: DataFrame,
    produtos: DataFrame,
    fornecedores: DataFrame,
    pagamentos: DataFrame,
    cambio: DataFrame,
) -> DataFrame:
    """One row per order item, enriched without ever multiplying the item grain.

    Each input holds the current version of each of its keys (`CURRENT_KEYS`).
    """
    items = itens_pedido.alias("i")
    orders = pedidos.alias("p")
    products = produtos.alias("pr")
    suppliers = fornecedores.alias("f")
    payments = pagamentos
    quotes = cambio

    order_items = items.groupBy("pedido_id").agg(
        F.sum("valor_total_item").alias("valor_itens_pedido")
    )
    order_currency = orders.join(
        suppliers.select("fornecedor_id", "moeda_negociacao"), on="fornecedor_id", how="left"
    )
    ptax = ptax_as_of(order_currency.where(F.col("moeda_negociacao") != "BRL"), quotes).alias("x")
    joined = (
        items.join(orders, on=F.col("i.pedido_id") == F.col("p.pedido_id"), how="left")
        .join(products, on=F.col("i.produto_id") == F.col("pr.produto_id"), how="left")
        .join(
            F.broadcast(suppliers),
            on=F.col("p.fornecedor_id") == F.col("f.fornecedor_id"),
            how="left",
        )
        .join(
            payments_by_order(payments, orders).alias("pg"),
            on=F.col("i.pedido_id") == F.col("pg.pedido_id"),
            how="left",
        )
        .join(order_items.alias("oi"), on=F.col("i.pedido_id") == F.col("oi.pedido_id"), how="left")
    )
    joined = joined.join(
        F.broadcast(ptax),
        on=(F.col("x.moeda_negociacao") == F.col("f.moeda_negociacao"))
        & (F.col("x.data_pedido") == F.col("p.data_pedido")),
        how="left",
    )
    is_brl = F.col("f.moeda_negociacao") == "BRL"
    rate = F.when(is_brl, F.lit(1).cast("decimal(18,4)")).otherwise(F.col("x.taxa_ptax"))
    no_payments = F.array().cast(PAYMENT_ARRAY)
    zero = F.lit(0).cast(MONEY)
    return joined.select(
        F.col("i.item_id").alias("item_id"),
        F.col("i.pedido_id").alias("pedido_id"),
        F.col("i.produto_id").alias("produto_id"),
        F.col("p.fornecedor_id").alias("fornecedor_id"),
        F.col("p.data_pedido").alias("data_pedido"),
        F.col("p.status").alias("status_pedido"),
        F.col("p.tipo_pagamento").alias("tipo_pagamento"),
        F.col("p.prazo_dias").alias("prazo_dias"),
        F.col("p.data_entrega_prevista").alias("data_entrega_prevista"),
        F.col("i.data_inclusao").alias("data_inclusao_item"),
        F.col("i.quantidade").alias("quantidade"),
        F.col("i.preco_unitario").alias("preco_unitario"),
        F.col("i.desconto_percentual").alias("desconto_percentual"),
        F.col("i.valor_total_item").alias("valor_total_item"),
        F.col("p.valor_total_brl").alias("valor_total_pedido"),
        F.col("oi.valor_itens_pedido").cast(MONEY).alias("valor_itens_pedido"),
        F.col("pr.nome_produto").alias("nome_produto"),
        F.col("pr.categoria").alias("categoria_produto"),
        F.col("pr.subcategoria").alias("subcategoria_produto"),
        F.col("f.razao_social").alias("razao_social_fornecedor"),
        F.col("f.pais_origem").alias("pais_origem_fornecedor"),
        F.col("f.categoria").alias("categoria_fornecedor"),
        # The raw CNPJ: the framework hashes it when it conforms the output (spec: mask="hash").
        F.col("f.cnpj").alias("cnpj_fornecedor_hash"),
        F.col("f.moeda_negociacao").alias("moeda_negociacao"),
        rate.cast("decimal(18,4)").alias("taxa_ptax"),
        F.when(is_brl, F.lit(None))
        .otherwise(F.col("x.data_cotacao"))
        .cast("date")
        .alias("data_cotacao_ptax"),
        F.round(F.col("i.valor_total_item") / rate, 2)
        .cast(MONEY)
        .alias("valor_total_item_moeda_negociacao"),
        F.coalesce(F.col("pg.qtd_parcelas"), F.lit(0)).alias("qtd_parcelas"),
        F.coalesce(F.col("pg.valor_pago_brl").cast(MONEY), zero).alias("valor_pago_brl"),
        F.coalesce(F.col("pg.valor_em_aberto_brl").cast(MONEY), zero).alias("valor_em_aberto_brl"),
        F.coalesce(F.col("pg.valor_cancelado_brl").cast(MONEY), zero).alias("valor_cancelado_brl"),
        F.col("pg.data_ultimo_vencimento").alias("data_ultimo_vencimento"),
        F.coalesce(F.col("pg.pagamentos"), no_payments).alias("pagamentos"),
        fact_changes.order_month(F.col("p.data_pedido")).alias(fact_changes.MONTH),
    )


def _from(table: str, *columns: str) -> list[tuple[str, str]]:
    return [(f"{BRONZE}.{table}", c) for c in columns]


COLUMN_LINEAGE = {
    "item_id": _from("itens_pedido", "item_id"),
    "pedido_id": _from("itens_pedido", "pedido_id"),
    "produto_id": _from("itens_pedido", "produto_id"),
    "fornecedor_id": _from("pedidos", "fornecedor_id"),
    "data_pedido": _from("pedidos", "data_pedido"),
    "status_pedido": _from("pedidos", "status"),
    "tipo_pagamento": _from("pedidos", "tipo_pagamento"),
    "prazo_dias": _from("pedidos", "prazo_dias"),
    "data_entrega_prevista": _from("pedidos", "data_entrega_prevista"),
    "data_inclusao_item": _from("itens_pedido", "data_inclusao"),
    "quantidade": _from("itens_pedido", "quantidade"),
    "preco_unitario": _from("itens_pedido", "preco_unitario"),
    "desconto_percentual": _from("itens_pedido", "desconto_percentual"),
    "valor_total_item": _from("itens_pedido", "valor_total_item"),
    "valor_total_pedido": _from("pedidos", "valor_total_brl"),
    "valor_itens_pedido": _from("itens_pedido", "valor_total_item"),
    "nome_produto": _from("produtos", "nome_produto"),
    "categoria_produto": _from("produtos", "categoria"),
    "subcategoria_produto": _from("produtos", "subcategoria"),
    "razao_social_fornecedor": _from("fornecedores", "razao_social"),
    "pais_origem_fornecedor": _from("fornecedores", "pais_origem"),
    "categoria_fornecedor": _from("fornecedores", "categoria"),
    "cnpj_fornecedor_hash": _from("fornecedores", "cnpj"),
    "moeda_negociacao": _from("fornecedores", "moeda_negociacao"),
    "taxa_ptax": _from("cambio", "taxa_ptax") + _from("fornecedores", "moeda_negociacao"),
    "data_cotacao_ptax": _from("cambio", "data_cotacao"),
    "valor_total_item_moeda_negociacao": _from("itens_pedido", "valor_total_item")
    + _from("cambio", "taxa_ptax"),
    "qtd_parcelas": _from("pagamentos", "pagamento_id"),
    "valor_pago_brl": _from("pagamentos", "valor_pago_brl", "status_pagamento"),
    "valor_em_aberto_brl": _from("pagamentos", "valor_pago_brl", "status_pagamento"),
    "valor_cancelado_brl": _from("pagamentos", "valor_pago_brl", "status_pagamento"),
    "data_ultimo_vencimento": _from("pagamentos", "data_vencimento"),
    "pagamentos": _from("pagamentos", *(n for n, _ in PAYMENT_FIELDS)),
    fact_changes.MONTH: _from("pedidos", "data_pedido"),
}


def _code_digest() -> str:
    """Rows carried over were computed by this code: another version recomputes them all."""
    # This script runs from its file (Glue, the local runner); the module it uses may come
    # from the library zip, whose loader still gives its source.
    source = Path(__file__).read_bytes() + inspect.getsource(fact_changes).encode()
    return hashlib.sha256(source).hexdigest()[:16]


def _record(job: GlueJob, latest: Mapping[str, Latest]) -> dict:
    spec = job.tables[TARGET]
    key = masking.hash_key(job.args) if masking.needs_key(spec) else b""
    return {
        "code": _code_digest(),
        "mask_key": hashlib.sha256(key).hexdigest()[:16],
        "inputs": {name: result.version for name, result in latest.items()},
    }


def _why_everything(job: GlueJob, latest: Mapping[str, Latest], record: dict) -> str | None:
    """Why the whole fact must be recomputed; None when only changed orders need to be."""
    before = job.built_from(TARGET)
    if before is None:
        return "no record of what the fact was built from"
    if before.get("code") != record["code"]:
        return "the fact's code changed"
    if before.get("mask_key") != record["mask_key"]:
        return "the PII hash key changed"
    built_from = before.get("inputs") or {}
    for name, result in latest.items():
        if result.changes is None or result.changes.since != built_from.get(name):
            return f"the changes of {name} since the fact's last build are not known"
    return None


@dataclass(frozen=True)
class Build:
    """What a run publishes: new rows, rows carried over as they are, the months they replace
    (None: every month) and how, for the log."""

    frame: DataFrame
    carried: DataFrame | None
    months: list[str] | None
    how: str


def build(job: GlueJob, latest: Mapping[str, Latest], record: dict) -> Build:
    states = {name: result.frame for name, result in latest.items()}
    why = _why_everything(job, latest, record)
    previous = None if why else previous_output(job, TARGET)
    if why is None and previous is None:
        why = "the fact holds no rows yet"
    if why is None and mismatches(previous, job.tables[TARGET]):
        why = "the fact's columns changed"
    affected = None
    if why is None:
        changes = {name: result.changes for name, result in latest.items()}
        affected = fact_changes.affected_orders(states, changes)
        if affected is None:
            why = f"more than {fact_changes.MAX_ORDERS} orders changed"
    if why is not None:
        return Build(transform(**states), None, None, f"recomputed every order: {why}")
    inputs = dict(states)
    for name in ("itens_pedido", "pedidos", "pagamentos"):
        inputs[name] = fact_changes.only_orders(states[name], affected.orders)
    months = fact_changes.months_to_rewrite(previous, states["pedidos"], affected.orders)
    in_months = previous.where(F.col(fact_changes.MONTH).isin(months))
    carried = fact_changes.without_orders(in_months, affected.orders)
    reasons = "; ".join(affected.reasons) or "nothing changed"
    how = f"recomputed {len(affected.orders)} order(s) ({reasons}); {_rewrote(months)}"
    return Build(transform(**inputs), carried, months, how)


def _rewrote(months: Sequence[str], at_most: int = 6) -> str:
    if not months:
        return "rewrote no month"
    shown = ", ".join(months[:at_most])
    if len(months) > at_most:
        shown += f" and {len(months) - at_most} more"
    return f"rewrote month(s) {shown}, carrying over their other rows; kept the other months"


def main(argv: Sequence[str]) -> None:
    with GlueJob(argv, "importau_silver_fato_pedido_correlacionado") as job:
        latest = {
            name: job.read_latest_changes(f"{BRONZE}.{name}", keys)
            for name, keys in CURRENT_KEYS.items()
        }
        record = _record(job, latest)
        plan = build(job, latest, record)
        job.log.info(f"{TARGET}: {plan.how}")
        job.write(
            TARGET,
            plan.frame,
            carried=plan.carried,
            partitions=[{fact_changes.MONTH: m} for m in plan.months or ()],
            replace_all=plan.months is None,
            column_lineage=COLUMN_LINEAGE,
            built_from=record,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
