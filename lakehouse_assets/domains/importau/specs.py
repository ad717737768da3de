"""ImportAu's tables: seven bronze sources, the correlated order fact, two gold tables."""

from __future__ import annotations

from lakehouse_assets.domains.helpers import bronze_table, key_rules
from lakehouse_assets.specs import Column, JobSpec, Rule, TableSpec

DOMAIN = "importau"
OWNER = "team:importau-data"
CORE = "Core Domain"

BRONZE_JOB = JobSpec(
    name="importau_bronze_ingest",
    domain=DOMAIN,
    script="importau/bronze_ingest.py",
    description="Loads the seven ImportAu source exports of one day into typed bronze tables.",
)
SILVER_JOB = JobSpec(
    name="importau_silver_fato_pedido_correlacionado",
    domain=DOMAIN,
    script="importau/silver_fato_pedido_correlacionado.py",
    description="Correlates items, orders, products, suppliers, payments and PTAX into one fact.",
)
GOLD_CASH_JOB = JobSpec(
    name="importau_gold_agregado_fluxo_de_caixa_mensal",
    domain=DOMAIN,
    script="importau/gold_agregado_fluxo_de_caixa_mensal.py",
    description="Builds the monthly cash flow (Fluxo de Caixa) for BI dashboards.",
)
GOLD_FX_JOB = JobSpec(
    name="importau_gold_features_risco_cambial_mensal",
    domain=DOMAIN,
    script="importau/gold_features_risco_cambial_mensal.py",
    description="Builds ML features for FX-risk (Risco Cambial) forecasting per supplier.",
)
JOBS = (BRONZE_JOB, SILVER_JOB, GOLD_CASH_JOB, GOLD_FX_JOB)

ID = "string"
MONEY = "decimal(18,2)"
RATE = "decimal(18,4)"
PCT = "decimal(9,2)"


def _bronze(name, description, columns, key, tags=()):
    return bronze_table(
        domain=DOMAIN,
        name=name,
        description=description,
        owner=OWNER,
        job=BRONZE_JOB.name,
        columns=columns,
        primary_key=key,
        business_tags=tags,
    )


CAMBIO = _bronze(
    "cambio",
    "Daily FX quotes (PTAX, buy and sell rates) per currency from the Central Bank feed, "
    "as exported by the treasury system. Days without a quote are simply absent.",
    (
        Column("data_cotacao", "date", "Quote date.", nullable=False),
        Column("moeda", ID, "ISO currency code quoted against BRL.", nullable=False),
        Column("taxa_compra", RATE, "Buy rate in BRL per unit of the currency."),
        Column("taxa_venda", RATE, "Sell rate in BRL per unit of the currency."),
        Column("taxa_ptax", RATE, "PTAX rate, the Central Bank reference.", nullable=False),
        Column("variacao_dia_percentual", PCT, "Change of the day in percent."),
        Column("fonte", ID, "System the quote came from."),
        Column("tipo_cambio", ID, "Exchange type (COMERCIAL, TURISMO)."),
        Column("hora_atualizacao", ID, "Time of the quote update (HH:MM:SS, Brasilia)."),
    ),
    ("data_cotacao", "moeda"),
    ("Finance", "Risco Cambial"),
)
EMPRESTIMOS = _bronze(
    "emprestimos",
    "Bank loans of ImportAu: principal, rate, term, monthly installment and balance, "
    "from the finance system.",
    (
        Column("emprestimo_id", ID, "Loan identifier.", nullable=False),
        Column("data_contratacao", "date", "Date the loan was signed."),
        Column("instituicao_financeira", ID, "Lending institution."),
        Column("valor_principal_brl", MONEY, "Principal in BRL."),
        Column("taxa_juros_anual", PCT, "Annual interest rate in percent."),
        Column("prazo_meses", "int", "Term in months (number of installments)."),
        Column("valor_parcela_mensal", MONEY, "Monthly installment in BRL."),
        Column("saldo_devedor", MONEY, "Outstanding balance in BRL."),
        Column("status", ID, "Loan status (ATIVO, QUITADO, ...)."),
        Column("finalidade", ID, "What the loan finances."),
        Column("data_vencimento_proxima", "date", "Due date of the next installment."),
        Column("num_parcelas_pagas", "int", "Installments already paid."),
        Column(
            "usuario_responsavel",
            ID,
            "Employee responsible for the loan.",
            pii="employee_username",
        ),
    ),
    ("emprestimo_id",),
    ("Finance",),
)
FORNECEDORES = _bronze(
    "fornecedores",
    "Suppliers of ImportAu, national and foreign: company data, tax ID (CNPJ), currency "
    "of negotiation, rating and contacts, from the procurement system.",
    (
        Column("fornecedor_id", ID, "Supplier identifier.", nullable=False),
        Column("razao_social", ID, "Registered company name."),
        Column(
            "cnpj",
            ID,
            "Brazilian company tax ID; empty (exported as --) for foreign suppliers.",
            pii="tax_id",
            null_values=("--",),
        ),
        Column("pais_origem", ID, "Country of the supplier."),
        Column("categoria", ID, "Supplier category."),
        Column("rating", ID, "Internal supplier rating (A+ best)."),
        Column("tempo_parceria_anos", "int", "Years of partnership."),
        Column("condicoes_pagamento", ID, "Agreed payment terms."),
        Column("moeda_negociacao", ID, "Currency the supplier is paid in."),
        Column("contato_email", ID, "Contact e-mail of the supplier.", pii="email"),
        Column("telefone", ID, "Contact phone of the supplier.", pii="phone"),
    ),
    ("fornecedor_id",),
    ("Master Data",),
)
ITENS_PEDIDO = _bronze(
    "itens_pedido",
    "Purchase order items: product, quantity, unit price, discount and item total, from "
    "the purchasing system.",
    (
        Column("item_id", ID, "Item identifier.", nullable=False),
        Column("pedido_id", ID, "Order the item belongs to.", nullable=False),
        Column("produto_id", ID, "Product ordered.", nullable=False),
        Column("quantidade", "int", "Quantity ordered."),
        Column("preco_unitario", MONEY, "Unit price in BRL."),
        Column("desconto_percentual", PCT, "Discount in percent."),
        Column("valor_total_item", MONEY, "Item total in BRL after discount."),
        Column("data_inclusao", "date", "Date the item was added to the order."),
        Column("observacoes", ID, "Free-text notes."),
    ),
    ("item_id",),
    (CORE,),
)
PAGAMENTOS = _bronze(
    "pagamentos",
    "Supplier payments and installments of each order: due date, amount in BRL and in "
    "the original currency, applied FX rate and status, from accounts payable.",
    (
        Column("pagamento_id", ID, "Payment identifier.", nullable=False),
        Column("pedido_id", ID, "Order paid.", nullable=False),
        Column("fornecedor_id", ID, "Supplier paid."),
        Column("data_pagamento", "date", "Payment date (planned for open installments)."),
        Column("valor_pago_brl", MONEY, "Amount in BRL."),
        Column("metodo_pagamento", ID, "Payment method (BOLETO, PIX, ...)."),
        Column("status_pagamento", ID, "PAGO, PENDENTE, AGENDADO or CANCELADO."),
        Column("taxa_cambio_aplicada", RATE, "FX rate applied (1 for BRL)."),
        Column("moeda_origem", ID, "Currency of the payment."),
        Column("valor_moeda_origem", MONEY, "Amount in the payment currency."),
        Column("num_parcelas", "int", "Number of installments of the order."),
        Column("parcela_atual", "int", "Installment number of this payment."),
        Column("data_vencimento", "date", "Due date."),
        Column("usuario_aprovacao", ID, "Employee who approved it.", pii="employee_username"),
    ),
    ("pagamento_id",),
    ("Finance",),
)
PEDIDOS = _bronze(
    "pedidos",
    "Purchase orders placed with suppliers: date, supplier, total, status and payment "
    "terms, from the purchasing system.",
    (
        Column("pedido_id", ID, "Order identifier.", nullable=False),
        Column("data_pedido", "date", "Order date.", nullable=False),
        Column("fornecedor_id", ID, "Supplier of the order.", nullable=False),
        Column("valor_total_brl", MONEY, "Order total in BRL as keyed in the system."),
        Column("status", ID, "ENTREGUE, EM_TRANSITO, PENDENTE or CANCELADO."),
        Column("tipo_pagamento", ID, "Payment type agreed."),
        Column("prazo_dias", "int", "Payment term in days."),
        Column("data_entrega_prevista", "date", "Expected delivery date."),
        Column("usuario_criacao", ID, "Employee who created the order.", pii="employee_username"),
        Column("observacoes", ID, "Free-text notes."),
    ),
    ("pedido_id",),
    (CORE,),
)
PRODUTOS = _bronze(
    "produtos",
    "Product catalogue: category, supplier, price in BRL and in the original currency, "
    "stock levels and lead time.",
    (
        Column("produto_id", ID, "Product identifier.", nullable=False),
        Column("nome_produto", ID, "Product name."),
        Column("categoria", ID, "Product category."),
        Column("subcategoria", ID, "Product subcategory."),
        Column("fornecedor_id", ID, "Main supplier of the product."),
        Column("preco_unitario_brl", MONEY, "Unit price in BRL."),
        Column("moeda_origem", ID, "Currency of the original price."),
        Column("preco_origem", MONEY, "Unit price in the original currency."),
        Column("unidade_medida", ID, "Unit of measure."),
        Column("peso_kg", "decimal(12,3)", "Unit weight in kg."),
        Column("estoque_atual", "int", "Units in stock."),
        Column("estoque_minimo", "int", "Reorder level."),
        Column("lead_time_dias", "int", "Supplier lead time in days."),
        Column("origem_fabricacao", ID, "Country of manufacture."),
    ),
    ("produto_id",),
    ("Master Data",),
)
BRONZE = (CAMBIO, EMPRESTIMOS, FORNECEDORES, ITENS_PEDIDO, PAGAMENTOS, PEDIDOS, PRODUTOS)

PAYMENT_STRUCT = (
    "array<struct<parcela_atual:int,pagamento_id:string,num_parcelas:int,"
    "data_vencimento:date,data_pagamento:date,status_pagamento:string,"
    "valor_pago_brl:decimal(18,2),valor_parcela_brl:decimal(18,2),moeda_origem:string,"
    "valor_moeda_origem:decimal(18,2)>>"
)


def _b(table: str) -> str:
    return f"{DOMAIN}_bronze.{table}"


FATO = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="fato_pedido_correlacionado",
    description=(
        "Correlated order fact (FATO_PEDIDO_CORRELACIONADO), one row per order item, enriched "
        "with its order, product and supplier, the order's payments aggregated without fanning "
        "out the grain (installments kept as an array), and the PTAX rate of the order date for "
        "the supplier's currency (last quote on or before that date). The latest load of each "
        "source wins. Partitioned by the order's month: a run rewrites only the months of the "
        "orders its loads changed."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=(CORE,),
    primary_key=("item_id",),
    partition_by=("anomes_pedido",),
    upstream=tuple(
        _b(t)
        for t in ("cambio", "fornecedores", "itens_pedido", "pagamentos", "pedidos", "produtos")
    ),
    columns=(
        Column("item_id", ID, "Order item identifier (the grain).", nullable=False),
        Column("pedido_id", ID, "Order identifier.", nullable=False),
        Column("produto_id", ID, "Product identifier.", nullable=False),
        Column("fornecedor_id", ID, "Supplier of the order.", nullable=False),
        Column("data_pedido", "date", "Order date."),
        Column("status_pedido", ID, "Order status."),
        Column("tipo_pagamento", ID, "Payment type of the order."),
        Column("prazo_dias", "int", "Payment term of the order in days."),
        Column("data_entrega_prevista", "date", "Expected delivery date."),
        Column("data_inclusao_item", "date", "Date the item was added."),
        Column("quantidade", "int", "Quantity ordered."),
        Column("preco_unitario", MONEY, "Unit price in BRL."),
        Column("desconto_percentual", PCT, "Discount in percent."),
        Column("valor_total_item", MONEY, "Item total in BRL after discount."),
        Column("valor_total_pedido", MONEY, "Order total in BRL as keyed in the order."),
        Column("valor_itens_pedido", MONEY, "Sum of the totals of the order's items in BRL."),
        Column("nome_produto", ID, "Product name."),
        Column("categoria_produto", ID, "Product category."),
        Column("subcategoria_produto", ID, "Product subcategory."),
        Column("razao_social_fornecedor", ID, "Supplier company name."),
        Column("pais_origem_fornecedor", ID, "Supplier country."),
        Column("categoria_fornecedor", ID, "Supplier category."),
        Column(
            "cnpj_fornecedor_hash",
            ID,
            "Keyed hash (HMAC-SHA256, hex) of the supplier's CNPJ: joins and counts suppliers "
            "by tax ID without exposing it. NULL for foreign suppliers.",
            pii="tax_id",
            mask="hash",
        ),
        Column("moeda_negociacao", ID, "Currency the supplier is paid in."),
        Column("taxa_ptax", RATE, "PTAX of the order date (last quote on or before it)."),
        Column("data_cotacao_ptax", "date", "Date of the quote used as PTAX."),
        Column(
            "valor_total_item_moeda_negociacao",
            MONEY,
            "Item total converted to the supplier's currency at the PTAX.",
        ),
        Column("qtd_parcelas", "int", "Number of payments (installments) of the order."),
        Column("valor_pago_brl", MONEY, "Paid installments of the order in BRL (status PAGO)."),
        Column("valor_em_aberto_brl", MONEY, "Open amount in BRL (PENDENTE or AGENDADO)."),
        Column("valor_cancelado_brl", MONEY, "Cancelled amount of the order in BRL."),
        Column("data_ultimo_vencimento", "date", "Latest due date among the installments."),
        Column(
            "pagamentos",
            PAYMENT_STRUCT,
            "The order's installments; valor_parcela_brl is each one's own amount (the source "
            "repeats the order total on every installment row).",
        ),
        Column(
            "anomes_pedido",
            ID,
            "Month of the order date (yyyymm), the partition; 000000 for an order without a "
            "date or an item whose order is missing.",
            nullable=False,
        ),
    ),
    rules=(
        # Checked on the months a run writes: an item is in its order's month, and a run
        # rewrites every month an order it recomputes was or is in.
        *key_rules(("item_id",), "fact row"),
        Rule(
            name="grao_um_por_item",
            kind="row_count_equals",
            params={"table": _b("itens_pedido"), "keys": ["item_id"], "over": "table"},
            description="The fact has exactly one row per distinct order item.",
        ),
        Rule(
            name="pedido_existe",
            kind="referential",
            columns=("pedido_id",),
            params={"table": _b("pedidos")},
            description="Every item's order exists in pedidos.",
        ),
        Rule(
            name="produto_existe",
            kind="referential",
            columns=("produto_id",),
            params={"table": _b("produtos")},
            description="Every item's product exists in produtos.",
        ),
        Rule(
            name="fornecedor_existe",
            kind="referential",
            columns=("fornecedor_id",),
            params={"table": _b("fornecedores")},
            description="Every order's supplier exists in fornecedores.",
        ),
        Rule(
            name="ptax_disponivel",
            kind="sql",
            severity="WARN",
            params={
                "query": "SELECT COUNT(*) AS failed FROM this "
                "WHERE moeda_negociacao <> 'BRL' AND taxa_ptax IS NULL"
            },
            description="Items in a foreign currency have a PTAX on or before the order date.",
        ),
        Rule(
            name="total_pedido_confere_itens",
            kind="sql",
            severity="WARN",
            params={
                # One shuffle: the orders that disagree, each once (an order's totals repeat
                # on each of its items), then counted.
                "query": "SELECT COUNT(*) AS failed, CAST(SUM(diferenca) AS DOUBLE) AS "
                "diferenca_brl FROM (SELECT DISTINCT pedido_id, "
                "valor_total_pedido - valor_itens_pedido AS diferenca FROM this "
                "WHERE valor_total_pedido <> valor_itens_pedido)"
            },
            description=(
                "Known source inconsistency: orders whose keyed total differs from the sum of "
                "their items (counted, not hidden)."
            ),
        ),
    ),
)

_SILVER = f"{DOMAIN}_silver.fato_pedido_correlacionado"
_FLOW_TOTAL = (
    "pagamentos_pagos_brl + pagamentos_pendentes_brl + pagamentos_agendados_brl"
    " + pagamentos_cancelados_brl"
)

FLUXO_DE_CAIXA = TableSpec(
    domain=DOMAIN,
    layer="gold",
    name="agregado_fluxo_de_caixa_mensal",
    description=(
        "Monthly cash flow (Fluxo de Caixa Mensal) for BI dashboards: supplier payments by "
        "status and currency in BRL, loan installments, and the resulting total outflow per "
        "month. Paid installments count in the month they were paid, open ones in the month "
        "they fall due; cancelled payments are shown but not counted in the outflow."
    ),
    owner=OWNER,
    job=GOLD_CASH_JOB.name,
    business_tags=("BI", "Finance"),
    primary_key=("mes_referencia", "moeda"),
    upstream=(_SILVER, _b("emprestimos")),
    columns=(
        Column("mes_referencia", "date", "First day of the month.", nullable=False),
        Column("moeda", ID, "Currency of the payments (loans are in BRL).", nullable=False),
        Column("pagamentos_pagos_brl", MONEY, "Supplier payments made (PAGO), BRL."),
        Column("pagamentos_pendentes_brl", MONEY, "Supplier payments due, not paid, BRL."),
        Column("pagamentos_agendados_brl", MONEY, "Supplier payments scheduled, BRL."),
        Column("pagamentos_cancelados_brl", MONEY, "Cancelled supplier payments, BRL."),
        Column("parcelas_emprestimos_brl", MONEY, "Loan installments of the month, BRL."),
        Column(
            "saida_total_brl",
            MONEY,
            "Total outflow: non-cancelled payments plus loan installments.",
        ),
        Column("qtd_pagamentos", "bigint", "Supplier payments in the month."),
        Column("qtd_parcelas_emprestimos", "bigint", "Loan installments in the month."),
    ),
    rules=(
        *key_rules(("mes_referencia", "moeda"), "month and currency"),
        Rule(
            name="pagamentos_reconciliam_com_silver",
            kind="sql",
            params={
                "query": "SELECT CAST(ABS(g.total - s.total) > 0 AS INT) AS failed, "
                "CAST(g.total AS DOUBLE) AS gold_brl, CAST(s.total AS DOUBLE) AS silver_brl FROM "
                f"(SELECT COALESCE(SUM({_FLOW_TOTAL}), 0) AS total FROM this) g CROSS JOIN "
                # Each order once: every item of an order carries its installments. Its
                # total is what is compared, so the arrays themselves are never shuffled.
                "(SELECT COALESCE(SUM(total), 0) AS total FROM (SELECT DISTINCT pedido_id, "
                "aggregate(pagamentos, CAST(0 AS DECIMAL(38,2)), "
                "(acc, p) -> acc + COALESCE(p.valor_parcela_brl, 0)) AS total "
                "FROM fato_pedido_correlacionado)) s"
            },
            description="Supplier payments in the cash flow add up to the payments in the fact.",
        ),
        Rule(
            name="parcelas_reconciliam_com_emprestimos",
            kind="sql",
            params={
                "query": "SELECT CAST(ABS(g.total - e.total) > 0 AS INT) AS failed, "
                "CAST(g.total AS DOUBLE) AS gold_brl, CAST(e.total AS DOUBLE) AS loans_brl FROM "
                "(SELECT COALESCE(SUM(parcelas_emprestimos_brl), 0) AS total FROM this) g "
                "CROSS JOIN (SELECT COALESCE(SUM(prazo_meses * valor_parcela_mensal), 0) "
                "AS total FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY emprestimo_id "
                "ORDER BY anomesdia DESC, ingested_at DESC, source_file DESC) AS newest "
                "FROM emprestimos) WHERE newest = 1 AND status <> 'CANCELADO') e"
            },
            description="Loan installments add up to term x installment of the active loans.",
        ),
        Rule(
            name="valores_nao_negativos",
            kind="non_negative",
            columns=("pagamentos_pagos_brl", "parcelas_emprestimos_brl", "saida_total_brl"),
            description="Amounts are never negative.",
        ),
    ),
)

RISCO_CAMBIAL = TableSpec(
    domain=DOMAIN,
    layer="gold",
    name="features_risco_cambial_mensal",
    description=(
        "ML-ready features for FX risk (Risco Cambial) Forecast models: one row per foreign-"
        "currency supplier, currency and month with the exposure in foreign currency and in "
        "BRL, open amounts, PTAX level, volatility and change in the month, and payment terms. "
        "Used to forecast the BRL cost of imports and hedge needs."
    ),
    owner=OWNER,
    job=GOLD_FX_JOB.name,
    business_tags=("Machine Learning", "Forecast", "Risco Cambial"),
    primary_key=("fornecedor_id", "moeda", "mes_referencia"),
    upstream=(_SILVER, _b("cambio")),
    columns=(
        Column("fornecedor_id", ID, "Supplier identifier.", nullable=False),
        Column("moeda", ID, "Foreign currency the supplier is paid in.", nullable=False),
        Column("mes_referencia", "date", "First day of the month of the orders.", nullable=False),
        Column("qtd_pedidos", "bigint", "Orders placed in the month."),
        Column("valor_pedidos_brl", MONEY, "Value of the month's order items in BRL."),
        Column(
            "exposicao_moeda_estrangeira",
            MONEY,
            "Value of the month's order items in the foreign currency at the order-date PTAX.",
        ),
        Column("exposicao_aberta_brl", MONEY, "Open (unpaid) payments of those orders, BRL."),
        Column("ptax_media_pedidos", "decimal(18,6)", "Mean PTAX applied to the orders."),
        Column("ptax_media_mes", "decimal(18,6)", "Mean PTAX of the month's quotes."),
        Column("ptax_volatilidade_mes", "double", "Std. dev. of daily PTAX change in the month."),
        Column("ptax_variacao_mes_percentual", "double", "PTAX change first to last quote, %."),
        Column("qtd_cotacoes_mes", "bigint", "Quotes available in the month (0: none yet)."),
        Column("prazo_medio_pagamento_dias", "double", "Mean payment term of the orders, days."),
        Column("dias_desde_ultima_cotacao", "int", "Max age in days of the PTAX used."),
    ),
    rules=(
        *key_rules(("fornecedor_id", "moeda", "mes_referencia"), "supplier, currency and month"),
        Rule(
            name="exposicao_reconcilia_com_silver",
            kind="sql",
            params={
                "query": "SELECT CAST(ABS(g.total - s.total) > 0 AS INT) AS failed, "
                "CAST(g.total AS DOUBLE) AS gold_brl, CAST(s.total AS DOUBLE) AS silver_brl FROM "
                "(SELECT COALESCE(SUM(valor_pedidos_brl), 0) AS total FROM this) g CROSS JOIN "
                "(SELECT COALESCE(SUM(valor_total_item), 0) AS total "
                "FROM fato_pedido_correlacionado WHERE moeda_negociacao <> 'BRL') s"
            },
            description="Order value per supplier adds up to the foreign-currency items in silver.",
        ),
        Rule(
            name="somente_moeda_estrangeira",
            kind="sql",
            params={"query": "SELECT COUNT(*) AS failed FROM this WHERE moeda = 'BRL'"},
            description="Only foreign-currency exposure is FX risk.",
        ),
    ),
)

TABLES: tuple[TableSpec, ...] = (*BRONZE, FATO, FLUXO_DE_CAIXA, RISCO_CAMBIAL)
