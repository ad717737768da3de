"""DuckDB SQL equivalents of ImportAu's silver fact and two gold tables.

Each statement mirrors its transform in glue_scripts/importau (same joins, the same
latest-load-wins rule, the same grain) and Spark's decimal arithmetic: DuckDB divides
decimals in DOUBLE, so the divisions whose results are rounded to cents or averaged into
decimals are done on integers (cents, 1e-4 units) with Spark's HALF_UP rounding; other
doubles (volatility, variation, mean term) may differ from Spark's in the last bits.
tests/bench/test_duckdb_equivalence.py proves the equivalence on generated data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

LOAD_ORDER = "anomesdia DESC, ingested_at DESC, source_file DESC"

MACROS = (
    # round(n / d) half away from zero, on integers (d > 0): Spark's HALF_UP on decimals.
    "CREATE OR REPLACE MACRO half_up_div(n, d) AS "
    "sign(n) * ((2 * abs(n::HUGEINT) + d) // (2 * d::HUGEINT))",
    # Integer units of a decimal, and back to a decimal of that scale.
    "CREATE OR REPLACE MACRO units(x, per) AS (x * per)::HUGEINT",
    "CREATE OR REPLACE MACRO cents_to_money(c) AS (c::DECIMAL(38,0) * 0.01)::DECIMAL(18,2)",
    # Spark's avg of a decimal(18,4): exact mean rounded to 8 places, cast to decimal(18,6).
    "CREATE OR REPLACE MACRO avg_rate(sum_units, n) AS "
    "(half_up_div(half_up_div(sum_units * 10000, nullif(n, 0)), 100)::DECIMAL(38,0) "
    "* 0.000001)::DECIMAL(18,6)",
)


def latest(table: str, keys: str) -> str:
    """Bronze keeps every load: per key, the row of the newest load (`latest_by_key`)."""
    return (
        f"SELECT * FROM {table} "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {LOAD_ORDER}) = 1"
    )


PAYMENT_STRUCT = (
    "struct_pack(parcela_atual, pagamento_id, num_parcelas, data_vencimento, data_pagamento, "
    "status_pagamento, valor_pago_brl, valor_parcela_brl, moeda_origem, valor_moeda_origem)"
)
EMPTY_PAYMENTS = (
    "[]::STRUCT(parcela_atual INTEGER, pagamento_id VARCHAR, num_parcelas INTEGER, "
    "data_vencimento DATE, data_pagamento DATE, status_pagamento VARCHAR, "
    "valor_pago_brl DECIMAL(18,2), valor_parcela_brl DECIMAL(18,2), moeda_origem VARCHAR, "
    "valor_moeda_origem DECIMAL(18,2))[]"
)

SILVER = f"""
WITH
i AS ({latest("itens_pedido", "item_id")}),
p AS ({latest("pedidos", "pedido_id")}),
pr AS ({latest("produtos", "produto_id")}),
f AS ({latest("fornecedores", "fornecedor_id")}),
pay AS ({latest("pagamentos", "pagamento_id")}),
q AS ({latest("cambio", "data_cotacao, moeda")}),
order_items AS (
  SELECT pedido_id, sum(valor_total_item) AS valor_itens_pedido FROM i GROUP BY pedido_id),
pairs AS (
  SELECT DISTINCT f.moeda_negociacao, p.data_pedido
  FROM p LEFT JOIN f ON p.fornecedor_id = f.fornecedor_id
  WHERE f.moeda_negociacao <> 'BRL'),
ptax AS (
  SELECT pairs.moeda_negociacao, pairs.data_pedido, q.taxa_ptax, q.data_cotacao
  FROM pairs JOIN q ON q.moeda = pairs.moeda_negociacao AND q.data_cotacao <= pairs.data_pedido
  QUALIFY row_number() OVER (
    PARTITION BY pairs.moeda_negociacao, pairs.data_pedido ORDER BY q.data_cotacao DESC) = 1),
installments AS (
  SELECT pay.*, CASE
    WHEN pay.num_parcelas > 1 AND pay.valor_pago_brl = p.valor_total_brl THEN cents_to_money(
      CASE WHEN pay.parcela_atual = pay.num_parcelas
        THEN units(pay.valor_pago_brl, 100)
          - half_up_div(units(pay.valor_pago_brl, 100), pay.num_parcelas) * (pay.num_parcelas - 1)
        ELSE half_up_div(units(pay.valor_pago_brl, 100), pay.num_parcelas) END)
    ELSE pay.valor_pago_brl END::DECIMAL(18,2) AS valor_parcela_brl
  FROM pay LEFT JOIN p ON pay.pedido_id = p.pedido_id),
pg AS (
  SELECT pedido_id,
    count(*)::INTEGER AS qtd_parcelas,
    sum(CASE WHEN status_pagamento = 'PAGO' THEN valor_parcela_brl ELSE 0 END) AS valor_pago_brl,
    sum(CASE WHEN status_pagamento IN ('PENDENTE', 'AGENDADO') THEN valor_parcela_brl ELSE 0 END)
      AS valor_em_aberto_brl,
    sum(CASE WHEN status_pagamento = 'CANCELADO' THEN valor_parcela_brl ELSE 0 END)
      AS valor_cancelado_brl,
    max(data_vencimento) AS data_ultimo_vencimento,
    list({PAYMENT_STRUCT} ORDER BY parcela_atual NULLS FIRST, pagamento_id NULLS FIRST)
      AS pagamentos
  FROM installments GROUP BY pedido_id),
joined AS (
  SELECT i.*, p.fornecedor_id, p.data_pedido, p.status AS status_pedido, p.tipo_pagamento,
    p.prazo_dias, p.data_entrega_prevista, p.valor_total_brl,
    pr.nome_produto, pr.categoria AS categoria_produto, pr.subcategoria AS subcategoria_produto,
    f.razao_social, f.pais_origem, f.categoria AS categoria_fornecedor, f.cnpj,
    f.moeda_negociacao, oi.valor_itens_pedido, x.taxa_ptax AS ptax, x.data_cotacao,
    pg.qtd_parcelas, pg.valor_pago_brl, pg.valor_em_aberto_brl, pg.valor_cancelado_brl,
    pg.data_ultimo_vencimento, pg.pagamentos,
    CASE WHEN f.moeda_negociacao = 'BRL' THEN 1::DECIMAL(18,4) ELSE x.taxa_ptax END AS rate
  FROM i
  LEFT JOIN p ON i.pedido_id = p.pedido_id
  LEFT JOIN pr ON i.produto_id = pr.produto_id
  LEFT JOIN f ON p.fornecedor_id = f.fornecedor_id
  LEFT JOIN pg ON i.pedido_id = pg.pedido_id
  LEFT JOIN order_items oi ON i.pedido_id = oi.pedido_id
  LEFT JOIN ptax x ON x.moeda_negociacao = f.moeda_negociacao AND x.data_pedido = p.data_pedido)
SELECT item_id, pedido_id, produto_id, fornecedor_id, data_pedido, status_pedido,
  tipo_pagamento, prazo_dias, data_entrega_prevista, data_inclusao AS data_inclusao_item,
  quantidade, preco_unitario, desconto_percentual, valor_total_item,
  valor_total_brl AS valor_total_pedido,
  valor_itens_pedido::DECIMAL(18,2) AS valor_itens_pedido,
  nome_produto, categoria_produto, subcategoria_produto,
  razao_social AS razao_social_fornecedor, pais_origem AS pais_origem_fornecedor,
  categoria_fornecedor, cnpj AS cnpj_fornecedor_hash, moeda_negociacao,
  rate::DECIMAL(18,4) AS taxa_ptax,
  CASE WHEN moeda_negociacao = 'BRL' THEN NULL ELSE data_cotacao END::DATE AS data_cotacao_ptax,
  cents_to_money(half_up_div(units(valor_total_item, 100) * 10000,
    nullif(units(rate, 10000), 0))) AS valor_total_item_moeda_negociacao,
  coalesce(qtd_parcelas, 0) AS qtd_parcelas,
  coalesce(valor_pago_brl::DECIMAL(18,2), 0::DECIMAL(18,2)) AS valor_pago_brl,
  coalesce(valor_em_aberto_brl::DECIMAL(18,2), 0::DECIMAL(18,2)) AS valor_em_aberto_brl,
  coalesce(valor_cancelado_brl::DECIMAL(18,2), 0::DECIMAL(18,2)) AS valor_cancelado_brl,
  data_ultimo_vencimento,
  coalesce(pagamentos, {EMPTY_PAYMENTS}) AS pagamentos
FROM joined
"""

STATUS_COLUMNS = {
    "PAGO": "pagamentos_pagos_brl",
    "PENDENTE": "pagamentos_pendentes_brl",
    "AGENDADO": "pagamentos_agendados_brl",
    "CANCELADO": "pagamentos_cancelados_brl",
}
_BY_STATUS = ",\n    ".join(
    f"sum(CASE WHEN p.status_pagamento = '{s}' THEN p.valor_parcela_brl ELSE 0 END) AS {c}"
    for s, c in STATUS_COLUMNS.items()
)
_MONEY = ",\n  ".join(f"coalesce({c}, 0)::DECIMAL(18,2) AS {c}" for c in STATUS_COLUMNS.values())
_OUTFLOW = " + ".join(f"coalesce({c}, 0)::DECIMAL(18,2)" for c in list(STATUS_COLUMNS.values())[:3])

GOLD_CASH = f"""
WITH
installments AS (
  SELECT unnest(pagamentos) AS p FROM (SELECT DISTINCT pedido_id, pagamentos FROM fato)),
payments AS (
  SELECT date_trunc('month', CASE WHEN p.status_pagamento = 'PAGO' THEN p.data_pagamento
      ELSE p.data_vencimento END)::DATE AS mes_referencia,
    p.moeda_origem AS moeda,
    {_BY_STATUS},
    count(*) AS qtd_pagamentos
  FROM installments GROUP BY 1, 2),
loans AS ({latest("emprestimos", "emprestimo_id")}),
loan_installments AS (
  SELECT data_vencimento_proxima, num_parcelas_pagas, valor_parcela_mensal,
    unnest(generate_series(1, prazo_meses)) AS k
  FROM loans WHERE status <> 'CANCELADO' AND prazo_meses >= 1),
loan_months AS (
  SELECT (date_trunc('month', data_vencimento_proxima)
      + to_months((k - num_parcelas_pagas - 1)::INTEGER))::DATE AS mes_referencia,
    'BRL' AS moeda,
    sum(valor_parcela_mensal) AS parcelas_emprestimos_brl,
    count(*) AS qtd_parcelas_emprestimos
  FROM loan_installments GROUP BY 1, 2)
SELECT mes_referencia, moeda,
  {_MONEY},
  coalesce(parcelas_emprestimos_brl, 0)::DECIMAL(18,2) AS parcelas_emprestimos_brl,
  ({_OUTFLOW} + coalesce(parcelas_emprestimos_brl, 0)::DECIMAL(18,2))::DECIMAL(18,2)
    AS saida_total_brl,
  coalesce(qtd_pagamentos, 0)::BIGINT AS qtd_pagamentos,
  coalesce(qtd_parcelas_emprestimos, 0)::BIGINT AS qtd_parcelas_emprestimos
FROM payments FULL JOIN loan_months USING (mes_referencia, moeda)
"""

GOLD_FX = f"""
WITH
items AS (
  SELECT fornecedor_id, moeda_negociacao AS moeda,
    date_trunc('month', data_pedido)::DATE AS mes_referencia, pedido_id, prazo_dias,
    valor_total_item, valor_total_item_moeda_negociacao, valor_em_aberto_brl, taxa_ptax,
    data_pedido - data_cotacao_ptax AS idade_cotacao_dias
  FROM fato WHERE moeda_negociacao <> 'BRL'),
by_items AS (
  SELECT fornecedor_id, moeda, mes_referencia,
    sum(valor_total_item)::DECIMAL(18,2) AS valor_pedidos_brl,
    sum(valor_total_item_moeda_negociacao)::DECIMAL(18,2) AS exposicao_moeda_estrangeira,
    max(idade_cotacao_dias)::INTEGER AS dias_desde_ultima_cotacao
  FROM items GROUP BY 1, 2, 3),
by_orders AS (
  SELECT fornecedor_id, moeda, mes_referencia,
    count(*) AS qtd_pedidos,
    sum(valor_em_aberto_brl)::DECIMAL(18,2) AS exposicao_aberta_brl,
    avg_rate(sum(units(taxa_ptax, 10000)), count(taxa_ptax)) AS ptax_media_pedidos,
    avg(prazo_dias)::DOUBLE AS prazo_medio_pagamento_dias
  FROM (SELECT DISTINCT fornecedor_id, moeda, mes_referencia, pedido_id, valor_em_aberto_brl,
      prazo_dias, taxa_ptax FROM items)
  GROUP BY 1, 2, 3),
quotes AS ({latest("cambio", "data_cotacao, moeda")}),
quote_stats AS (
  SELECT moeda, date_trunc('month', data_cotacao)::DATE AS mes_referencia,
    avg_rate(sum(units(taxa_ptax, 10000)), count(taxa_ptax)) AS ptax_media_mes,
    stddev_samp(variacao_dia_percentual::DOUBLE) AS ptax_volatilidade_mes,
    ((arg_max(taxa_ptax, data_cotacao) / arg_min(taxa_ptax, data_cotacao) - 1) * 100)::DOUBLE
      AS ptax_variacao_mes_percentual,
    count(*) AS qtd_cotacoes_mes
  FROM quotes GROUP BY 1, 2)
SELECT fornecedor_id, moeda, mes_referencia, qtd_pedidos::BIGINT AS qtd_pedidos,
  valor_pedidos_brl, exposicao_moeda_estrangeira, exposicao_aberta_brl, ptax_media_pedidos,
  ptax_media_mes, ptax_volatilidade_mes, ptax_variacao_mes_percentual,
  coalesce(qtd_cotacoes_mes, 0)::BIGINT AS qtd_cotacoes_mes, prazo_medio_pagamento_dias,
  dias_desde_ultima_cotacao
FROM by_items
JOIN by_orders USING (fornecedor_id, moeda, mes_referencia)
LEFT JOIN quote_stats USING (moeda, mes_referencia)
"""


def bronze_views(con, files_by_table: Mapping[str, Sequence[str]]) -> None:
    """One view per bronze table over its current Parquet files (load date from the path)."""
    for statement in MACROS:
        con.execute(statement)
    for table, files in files_by_table.items():
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(
            f"CREATE OR REPLACE VIEW {table} AS SELECT * EXCLUDE (snapshot) FROM read_parquet("
            f"[{listed}], hive_partitioning = true, hive_types_autocast = false)"
        )
