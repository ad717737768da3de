"""Vendas: purchase change events (CDC) -> purchase state history -> daily GMV snapshots.

Three source tables send change events of one purchase asynchronously and independently
(`purchase`, `product_item`, `purchase_extra_info`); events may be re-sent to correct any day.
Bronze keeps every event, partitioned by the day it happened; silver holds the state of each
purchase as known at the end of each day (validity intervals); gold holds the daily GMV by
subsidiary as it was known on each day, an immutable history. docs/VENDAS.md explains why.
"""

from __future__ import annotations

from lakehouse_assets.domains.helpers import bronze_table, key_rules
from lakehouse_assets.specs import Column, JobSpec, Rule, TableSpec

DOMAIN = "vendas"
OWNER = "team:vendas-data"
TAGS = ("Vendas", "GMV")
EVENT_DATE = "transaction_date"
EVENT_KEY = ("purchase_id", "transaction_datetime")
SUBSIDIARIES = ("nacional", "internacional")
# The state of a purchase that still holds has no end: its validity runs to this day.
OPEN_END = "9999-12-31"

BRONZE_JOB = JobSpec(
    name="vendas_bronze_ingest",
    domain=DOMAIN,
    script="vendas/bronze_ingest.py",
    description="Loads the day's purchase change events of the three sources into bronze.",
)
SILVER_JOB = JobSpec(
    name="vendas_silver_historico_estado_compra",
    domain=DOMAIN,
    script="vendas/silver_historico_estado_compra.py",
    description="Rebuilds the state history of every purchase from all its change events.",
)
GOLD_JOB = JobSpec(
    name="vendas_gold_gmv_diario_por_subsidiaria",
    domain=DOMAIN,
    script="vendas/gold_gmv_diario_por_subsidiaria.py",
    description="Publishes the daily GMV by subsidiary of the days not yet published.",
)
JOBS = (BRONZE_JOB, SILVER_JOB, GOLD_JOB)

ID = "bigint"
MONEY = "decimal(18,2)"


def _event_columns(what: str) -> tuple[Column, ...]:
    return (
        Column(
            "transaction_datetime",
            "timestamp",
            f"When the source recorded this {what} event (UTC); orders the versions of a purchase.",
            nullable=False,
        ),
        Column(
            EVENT_DATE,
            "date",
            f"Day of the {what} event, as the source sends it (the table's first partition).",
            nullable=False,
        ),
        Column("purchase_id", ID, "Purchase the event is about.", nullable=False),
    )


def _coherent_date_rule() -> Rule:
    return Rule(
        name="data_do_evento_coerente",
        kind="sql",
        severity="WARN",
        blocking=False,
        description=(
            "transaction_date is the day of transaction_datetime. Silver places an event on "
            "transaction_date and orders versions by transaction_datetime."
        ),
        params={
            "query": "SELECT COUNT(*) AS failed FROM this "
            "WHERE transaction_date <> to_date(transaction_datetime)"
        },
    )


def _bronze(name, description, columns, rules=()):
    return bronze_table(
        domain=DOMAIN,
        name=name,
        description=description,
        owner=OWNER,
        job=BRONZE_JOB.name,
        columns=_event_columns(name.replace("_", " ")) + columns,
        primary_key=EVENT_KEY,
        business_tags=TAGS,
        event_date=EVENT_DATE,
        rules=(_coherent_date_rule(), *rules),
    )


PURCHASE = _bronze(
    "purchase",
    "Change events of purchases (CDC): buyer, product item, order date, release (payment) "
    "date and producer, one row per version sent by the purchase system, append-only.",
    (
        Column(
            "buyer_id",
            ID,
            "Buyer's account (a pseudonymous id of a platform customer).",
            pii="customer_id",
            nullable=False,
        ),
        Column("prod_item_id", ID, "Product item bought.", nullable=False),
        Column("order_date", "date", "Day the purchase was ordered (the GMV day).", nullable=False),
        Column(
            "release_date",
            "date",
            "Day the payment was released; empty while unpaid or after a cancellation.",
        ),
        Column(
            "producer_id",
            ID,
            "Producer (seller) account: a pseudonymous id of a platform customer.",
            pii="customer_id",
            nullable=False,
        ),
    ),
)
PRODUCT_ITEM = _bronze(
    "product_item",
    "Change events of the item of each purchase (CDC): product, quantity and purchase value, "
    "one row per version sent by the catalog system, append-only.",
    (
        Column("product_id", ID, "Product of the item.", nullable=False),
        Column(
            "item_quantity", "int", "Units bought; never negative.", nullable=False, min_value=0
        ),
        Column(
            "purchase_value",
            MONEY,
            "Value of the purchase in BRL, the GMV it adds once paid; never negative.",
            nullable=False,
            min_value=0,
        ),
    ),
)
PURCHASE_EXTRA_INFO = _bronze(
    "purchase_extra_info",
    "Change events of the extra information of each purchase (CDC): the subsidiary that "
    "sold it, one row per version sent by the billing system, append-only.",
    (Column("subsidiary", "string", "Subsidiary that sold the purchase.", nullable=False),),
    (
        Rule(
            name="subsidiaria_conhecida",
            kind="accepted_values",
            columns=("subsidiary",),
            params={"values": list(SUBSIDIARIES)},
            severity="WARN",
            blocking=False,
            description="Subsidiaries are nacional or internacional; a new one is reported.",
        ),
    ),
)
BRONZE = (PURCHASE, PRODUCT_ITEM, PURCHASE_EXTRA_INFO)

# The bronze row each part of a state comes from: (purchase_id, transaction_datetime, anomesdia).
_TRACE = tuple(
    column
    for source in ("purchase", "product_item", "purchase_extra_info")
    for column in (
        Column(
            f"{source}_transaction_datetime",
            "timestamp",
            f"transaction_datetime of the {source} event in effect (empty: none yet).",
        ),
        Column(
            f"{source}_anomesdia",
            "string",
            f"Load date of the {source} event in effect: with the purchase and the "
            "transaction_datetime it names exactly one bronze row.",
        ),
    )
)
HISTORICO = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="historico_estado_compra",
    description=(
        "State of every purchase as known at the end of each day, as validity intervals: one "
        "row per purchase and period in which none of its three sources changed. Each row "
        "repeats the version in effect of every source (the latest event on or before the "
        "day) and names the bronze events it comes from. The state on day D: valido_de <= D "
        "<= valido_ate; the current state: vigente. Rebuilt from all events on each run."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=TAGS,
    upstream=tuple(t.qualified_name for t in BRONZE),
    primary_key=("purchase_id", "valido_de"),
    columns=(
        Column("purchase_id", ID, "Purchase.", nullable=False),
        Column("valido_de", "date", "First day this state holds (end of day).", nullable=False),
        Column(
            "valido_ate",
            "date",
            f"Last day this state holds; {OPEN_END} while it still holds.",
            nullable=False,
        ),
        Column("vigente", "boolean", "The state holds today (valido_ate is open).", nullable=False),
        Column("order_date", "date", "Order day (empty until the purchase event arrives)."),
        Column("release_date", "date", "Payment release day (empty: unpaid or cancelled)."),
        Column("pago", "boolean", "Paid: release_date is filled; counts in GMV.", nullable=False),
        Column("subsidiary", "string", "Subsidiary (empty until the extra info arrives)."),
        Column("purchase_value", MONEY, "Purchase value in BRL (empty until the item arrives)."),
        Column("item_quantity", "int", "Units bought."),
        Column("product_id", ID, "Product of the item."),
        Column("prod_item_id", ID, "Product item of the purchase."),
        Column(
            "buyer_id_hash",
            "string",
            "Buyer's account id as a keyed hash (joins and counts still work).",
            pii="customer_id",
            mask="hash",
        ),
        Column(
            "producer_id_hash",
            "string",
            "Producer's account id as a keyed hash.",
            pii="customer_id",
            mask="hash",
        ),
        *_TRACE,
    ),
    rules=(
        *key_rules(("purchase_id", "valido_de"), "purchase state"),
        Rule(
            name="um_estado_por_dia",
            kind="sql",
            description=(
                "No purchase has two states on one day: each state starts after the previous "
                "one ends and ends on or after it starts."
            ),
            params={
                "query": "SELECT COUNT(*) AS failed FROM (SELECT valido_de, valido_ate, "
                "LAG(valido_ate) OVER (PARTITION BY purchase_id ORDER BY valido_de) AS anterior "
                "FROM this) WHERE anterior >= valido_de OR valido_ate < valido_de"
            },
        ),
        Rule(
            name="um_estado_vigente",
            kind="sql",
            description="Every purchase has exactly one state that holds today.",
            params={
                "query": "SELECT COUNT(*) AS failed FROM (SELECT purchase_id FROM this "
                "GROUP BY purchase_id HAVING COUNT_IF(vigente) <> 1)"
            },
        ),
        Rule(
            name="campos_obrigatorios",
            kind="not_null",
            columns=("valido_ate", "vigente", "pago"),
            description="Every state has its validity and its paid flag.",
        ),
        Rule(
            name="valores_nao_negativos",
            kind="non_negative",
            columns=("purchase_value", "item_quantity"),
            description="Purchase values and quantities are never negative.",
        ),
        Rule(
            name="compras_vigentes_completas",
            kind="sql",
            severity="WARN",
            blocking=False,
            description=(
                "Every purchase eventually has its purchase, item and extra-info events; "
                "counts the current states still lacking one (they may arrive later)."
            ),
            params={
                "query": "SELECT COUNT(*) AS failed FROM this WHERE vigente AND (order_date "
                "IS NULL OR purchase_value IS NULL OR subsidiary IS NULL)"
            },
        ),
    ),
)

_SILVER_VIEW = HISTORICO.name
# The states of silver that hold on each snapshot day of the rows this write publishes.
_STATES_ON_SNAPSHOT_DAYS = (
    f"(SELECT DISTINCT data_posicao FROM this) d JOIN {_SILVER_VIEW} s "
    "ON s.valido_de <= d.data_posicao AND d.data_posicao <= s.valido_ate "
    "WHERE s.order_date IS NOT NULL"
)
GMV = TableSpec(
    domain=DOMAIN,
    layer="gold",
    name="gmv_diario_por_subsidiaria",
    description=(
        "Daily GMV by subsidiary as it was known on each day: partition data_posicao = D holds "
        "the GMV of every sale day as known at the end of D (GMV: value of paid purchases, "
        "release_date filled). Immutable history: each partition is written once, on the "
        "days with news and on each processing day (D-1), and never rewritten; late events "
        "change the next snapshot, never the published ones. As known on D: the latest "
        "data_posicao <= D; as known today: the latest data_posicao."
    ),
    owner=OWNER,
    job=GOLD_JOB.name,
    business_tags=(*TAGS, "Immutable History"),
    upstream=(HISTORICO.qualified_name,),
    partition_by=("data_posicao",),
    primary_key=("data_posicao", "data_venda", "subsidiaria"),
    write_once=True,
    columns=(
        Column("data_venda", "date", "Sale day: the purchases' order_date.", nullable=False),
        Column("subsidiaria", "string", "Subsidiary; empty while the extra info is missing."),
        Column("gmv", MONEY, "Sum of the values of the paid purchases.", nullable=False),
        Column("compras", "bigint", "Purchases of the sale day, paid or not.", nullable=False),
        Column("compras_pagas", "bigint", "Paid purchases (counted in gmv).", nullable=False),
        Column(
            "compras_pagas_sem_item",
            "bigint",
            "Paid purchases whose item has not arrived: gmv lacks their value.",
            nullable=False,
        ),
        Column(
            "data_posicao",
            "date",
            "Snapshot day: the GMV as known at the end of this day (partition).",
            nullable=False,
        ),
    ),
    rules=(
        Rule(
            name="chave_nao_nula",
            kind="not_null",
            columns=("data_posicao", "data_venda"),
            description="Every row has its snapshot day and sale day.",
        ),
        Rule(
            name="chave_unica",
            kind="unique",
            columns=("data_posicao", "data_venda", "subsidiaria"),
            description="One row per snapshot day, sale day and subsidiary.",
        ),
        Rule(
            name="gmv_nao_negativo",
            kind="non_negative",
            columns=("gmv", "compras", "compras_pagas", "compras_pagas_sem_item"),
            description="GMV and purchase counts are never negative.",
        ),
        Rule(
            name="historia_imutavel",
            kind="immutable_partitions",
            description=(
                "Every snapshot published before still has exactly the files it was published "
                "with; a run only adds the snapshots of days not published yet."
            ),
        ),
        Rule(
            name="gmv_reconcilia_com_silver",
            kind="sql",
            description=(
                "Each published GMV and purchase count equals the sum over the silver "
                "states that hold on its snapshot day (computed here independently)."
            ),
            params={
                "query": "WITH esperado AS (SELECT d.data_posicao, s.order_date AS data_venda, "
                "s.subsidiary AS subsidiaria, CAST(SUM(CASE WHEN s.pago THEN "
                "COALESCE(s.purchase_value, 0) ELSE 0 END) AS DECIMAL(18,2)) AS gmv, "
                "COUNT(*) AS compras, COUNT_IF(s.pago) AS compras_pagas, COUNT_IF(s.pago AND "
                "s.purchase_value IS NULL) AS sem_item FROM "
                f"{_STATES_ON_SNAPSHOT_DAYS} GROUP BY 1, 2, 3) "
                "SELECT COUNT(*) AS failed FROM esperado e FULL OUTER JOIN this t "
                "ON e.data_posicao = t.data_posicao AND e.data_venda = t.data_venda "
                "AND e.subsidiaria <=> t.subsidiaria WHERE e.gmv IS NULL OR t.gmv IS NULL "
                "OR e.gmv <> t.gmv OR e.compras <> t.compras "
                "OR e.compras_pagas <> t.compras_pagas OR e.sem_item <> t.compras_pagas_sem_item"
            },
        ),
        Rule(
            name="compra_contada_uma_vez",
            kind="sql",
            description=(
                "On every snapshot day the purchases counted equal the distinct purchases of "
                "silver on that day: no purchase is counted twice (or missed)."
            ),
            params={
                "query": "WITH publicado AS (SELECT data_posicao, SUM(compras) AS compras "
                "FROM this GROUP BY data_posicao), distintas AS (SELECT d.data_posicao, "
                "COUNT(DISTINCT s.purchase_id) AS compras FROM "
                f"{_STATES_ON_SNAPSHOT_DAYS} GROUP BY d.data_posicao) "
                "SELECT COUNT(*) AS failed FROM publicado p LEFT JOIN distintas x "
                "ON p.data_posicao = x.data_posicao "
                "WHERE p.compras <> COALESCE(x.compras, 0)"
            },
        ),
    ),
)
TABLES = (*BRONZE, HISTORICO, GMV)
