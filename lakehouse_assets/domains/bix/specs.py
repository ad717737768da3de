"""BIX's tables: employees (HTTP API), sales (PostgreSQL) and categories (Parquet) -> the
de-duplicated, enriched sales with outliers flagged -> monthly sales by employee and by
category; the silver and gold tables are copied into the warehouse for BI.

Table and column names keep the business's Portuguese vocabulary (`venda`, `funcionario`,
`categoria`), as the source systems and the warehouse the BI reports read already do.
docs/BIX.md explains the choices.
"""

from __future__ import annotations

from lakehouse_assets.domains.helpers import bronze_table, key_rules
from lakehouse_assets.source_specs import HttpApi, ParquetFiles, PostgresTable
from lakehouse_assets.specs import Column, JobSpec, Rule, TableSpec
from lakehouse_assets.warehouse_specs import WarehouseTable

DOMAIN = "bix"
OWNER = "team:bix-vendas"
TAGS = ("Sales", "BI")
# The source's `numeric` amount, exact: sums in gold must not drift as doubles do.
MONEY = "decimal(12,2)"
TOTAL = "decimal(18,2)"
# An amount is atypical beyond this many interquartile ranges outside the quartiles
# (Tukey's "far out" fence); glue_scripts/bix/transforms.py applies it.
OUTLIER_IQR_FACTOR = 3
# With fewer sales the quartiles say nothing: no sale is flagged.
OUTLIER_MIN_SALES = 10

BRONZE_JOB = JobSpec(
    name="bix_bronze_ingest",
    domain=DOMAIN,
    script="bix/bronze_ingest.py",
    description=(
        "Extracts BIX's employees (HTTP API), sales (PostgreSQL, incremental with a lookback) "
        "and categories (Parquet file) into bronze."
    ),
)
SILVER_JOB = JobSpec(
    name="bix_silver_vendas",
    domain=DOMAIN,
    script="bix/silver_vendas.py",
    description=(
        "De-duplicates BIX's sales, joins employee and category names, flags atypical amounts "
        "and publishes the employee and category dimensions."
    ),
)
GOLD_JOB = JobSpec(
    name="bix_gold_vendas_mensais",
    domain=DOMAIN,
    script="bix/gold_vendas_mensais.py",
    description="Aggregates BIX's sales by month and employee, and by month and category.",
)
JOBS = (BRONZE_JOB, SILVER_JOB, GOLD_JOB)


def _bronze(name, description, columns, key, extract):
    return bronze_table(
        domain=DOMAIN,
        name=name,
        description=description,
        owner=OWNER,
        job=BRONZE_JOB.name,
        columns=columns,
        primary_key=key,
        business_tags=TAGS,
        extract=extract,
    )


FUNCIONARIO_BRONZE = _bronze(
    "funcionario",
    "BIX's employees (salespeople) as the employee API answers them: one request per id "
    "(1, 2, ...) until the API says the id does not exist; each load holds every employee.",
    (
        Column("id", "bigint", "Employee id, as requested from the API.", nullable=False),
        Column("nome", "string", "Employee's name, as the API answers it.", pii="person_name"),
    ),
    ("id",),
    HttpApi(
        connection="BIX_EMPLOYEE_API_URL",
        standin="bix_funcionarios",
        path="/api_challenge_junior",
        end_text="The argument is not correct",
        id_column="id",
        text_column="nome",
    ),
)
VENDA_BRONZE = _bronze(
    "venda",
    "BIX's sales from table public.venda of the sales database (PostgreSQL): one row per "
    "sale, its employee, category, date and amount. Loads are incremental: the sales dated "
    "from the last committed watermark less 3 days, so a sale may appear in several loads.",
    (
        Column("id_venda", "int", "Sale id (the source's primary key).", nullable=False),
        Column("id_funcionario", "int", "Employee who made the sale.", nullable=False),
        Column("id_categoria", "int", "Category of the product sold.", nullable=False),
        Column("data_venda", "date", "Day of the sale.", nullable=False),
        Column(
            "venda",
            MONEY,
            "Sale amount (source type numeric); a negative amount is quarantined.",
            nullable=False,
            min_value=0,
        ),
    ),
    ("id_venda",),
    PostgresTable(
        connection="BIX_POSTGRES_URI",
        table="public.venda",
        database="juniordatabase",
        cursor="data_venda",
        lookback=3,
    ),
)
CATEGORIA_BRONZE = _bronze(
    "categoria",
    "BIX's product categories, from the categoria.parquet file dropped in the landing by "
    "hand; each load holds every category.",
    (
        Column("id", "bigint", "Category id.", nullable=False),
        Column("nome_categoria", "string", "Category name (Babywear, Sportwear, ...)."),
    ),
    ("id",),
    ParquetFiles(),
)
BRONZE = (FUNCIONARIO_BRONZE, VENDA_BRONZE, CATEGORIA_BRONZE)

_EMPLOYEE_NAME = "Employee's name (a person's name, kept readable: BI reports show it)."


def _row_per_key(source: TableSpec, key: str, what: str) -> Rule:
    return Rule(
        name="uma_linha_por_chave",
        kind="row_count_equals",
        columns=(key,),
        params={"table": source.qualified_name},
        description=f"One row per distinct {what} in bronze: no {what} is dropped or repeated.",
    )


FUNCIONARIO = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="funcionario",
    description=(
        "BIX's employees: one row per employee id with the name of the latest load. "
        "Copied to the warehouse (the reference's silver.funcionario)."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=(*TAGS, "Master Data"),
    upstream=(FUNCIONARIO_BRONZE.qualified_name,),
    primary_key=("id",),
    columns=(
        Column("id", "bigint", "Employee id.", nullable=False),
        Column("nome", "string", _EMPLOYEE_NAME, pii="person_name"),
    ),
    rules=(
        *key_rules(("id",), "employee"),
        _row_per_key(FUNCIONARIO_BRONZE, "id", "employee"),
    ),
    warehouse=WarehouseTable(dist_style="ALL", sort_keys=("id",)),
)
CATEGORIA = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="categoria",
    description=(
        "BIX's product categories: one row per category id with the name of the latest load. "
        "Copied to the warehouse (the reference's silver.categoria)."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=(*TAGS, "Master Data"),
    upstream=(CATEGORIA_BRONZE.qualified_name,),
    primary_key=("id",),
    columns=(
        Column("id", "bigint", "Category id.", nullable=False),
        Column("nome_categoria", "string", "Category name."),
    ),
    rules=(
        *key_rules(("id",), "category"),
        _row_per_key(CATEGORIA_BRONZE, "id", "category"),
    ),
    warehouse=WarehouseTable(dist_style="ALL", sort_keys=("id",)),
)
VENDA = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="venda",
    description=(
        "BIX's sales, one row per sale id: of the versions bronze holds, the one with the "
        "latest data_venda (ties: the latest load), with its employee's and category's names "
        f"and an outlier flag (amount beyond {OUTLIER_IQR_FACTOR} interquartile ranges "
        "outside the quartiles of all sales). No sale is dropped: a sale of an unknown "
        "employee or category keeps an empty name. Copied to the warehouse (the reference's "
        "silver.venda)."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=TAGS,
    upstream=tuple(t.qualified_name for t in BRONZE),
    primary_key=("id_venda",),
    columns=(
        Column("id_venda", "int", "Sale id.", nullable=False),
        Column("id_funcionario", "int", "Employee who made the sale.", nullable=False),
        Column("id_categoria", "int", "Category of the product sold.", nullable=False),
        Column("data_venda", "date", "Day of the sale.", nullable=False),
        Column("venda", MONEY, "Sale amount.", nullable=False),
        Column(
            "nome_funcionario",
            "string",
            "Employee's name (empty if the employee API does not know the id).",
            pii="person_name",
        ),
        Column(
            "nome_categoria",
            "string",
            "Category name (empty if the categories file lacks the id).",
        ),
        Column(
            "outlier",
            "boolean",
            f"Atypical amount: beyond Q1 - {OUTLIER_IQR_FACTOR} IQR or Q3 + "
            f"{OUTLIER_IQR_FACTOR} IQR of all sales. Gold counts these apart.",
            nullable=False,
        ),
        Column(
            "anomesdia",
            "string",
            "Load date (yyyymmdd) of the bronze version kept: traces the row to its load.",
            nullable=False,
        ),
    ),
    rules=(
        *key_rules(("id_venda",), "sale"),
        Rule(
            name="campos_obrigatorios",
            kind="not_null",
            columns=("id_funcionario", "id_categoria", "data_venda", "venda", "outlier"),
            description="Every sale has its employee, category, date, amount and flag.",
        ),
        Rule(
            name="valor_nao_negativo",
            kind="non_negative",
            columns=("venda",),
            description="Sale amounts are never negative (bronze quarantines them).",
        ),
        _row_per_key(VENDA_BRONZE, "id_venda", "sale"),
        Rule(
            name="funcionario_existe",
            kind="referential",
            columns=("id_funcionario",),
            params={"table": FUNCIONARIO_BRONZE.qualified_name, "column": "id"},
            severity="WARN",
            blocking=False,
            description=(
                "Every sale's employee is known to the employee API; a sale of an unknown "
                "one is kept with an empty name and counted here."
            ),
        ),
        Rule(
            name="categoria_existe",
            kind="referential",
            columns=("id_categoria",),
            params={"table": CATEGORIA_BRONZE.qualified_name, "column": "id"},
            severity="WARN",
            blocking=False,
            description=(
                "Every sale's category is in the categories file; a sale of an unknown one "
                "is kept with an empty name and counted here."
            ),
        ),
    ),
    parameters={
        "outlier_iqr_factor": str(OUTLIER_IQR_FACTOR),
        "outlier_min_sales": str(OUTLIER_MIN_SALES),
    },
    warehouse=WarehouseTable(
        dist_style="KEY", dist_key="id_funcionario", sort_keys=("id_categoria", "id_funcionario")
    ),
)
SILVER = (VENDA, FUNCIONARIO, CATEGORIA)

MONTH = Column("mes_referencia", "date", "First day of the month of the sales.", nullable=False)
MEASURES = (
    Column("vendas", "bigint", "Sales of the month, atypical ones excluded.", nullable=False),
    Column(
        "valor_total",
        TOTAL,
        "Sum of the amounts of those sales (atypical ones excluded).",
        nullable=False,
    ),
    Column("vendas_atipicas", "bigint", "Atypical sales (outlier) of the month.", nullable=False),
    Column("valor_atipico", TOTAL, "Sum of the atypical sales' amounts.", nullable=False),
)
_MEASURE_NAMES = tuple(c.name for c in MEASURES)


def _monthly(name, description, dimension, key, tags) -> TableSpec:
    grain = ("mes_referencia", key)
    return TableSpec(
        domain=DOMAIN,
        layer="gold",
        name=name,
        description=description,
        owner=OWNER,
        job=GOLD_JOB.name,
        business_tags=(*TAGS, *tags),
        upstream=(VENDA.qualified_name,),
        primary_key=grain,
        columns=(MONTH, *dimension, *MEASURES),
        rules=(
            *key_rules(grain, "month and " + key.removeprefix("id_")),
            Rule(
                name="valores_nao_negativos",
                kind="non_negative",
                columns=_MEASURE_NAMES,
                description="Counts and amounts are never negative.",
            ),
            Rule(
                name="reconcilia_com_silver",
                kind="sql",
                description=(
                    "Every silver sale is counted exactly once: the counts and amounts, "
                    "typical and atypical, add up to silver's."
                ),
                params={
                    "query": "SELECT COUNT(*) AS failed FROM (SELECT SUM(vendas + "
                    "vendas_atipicas) AS n, SUM(valor_total + valor_atipico) AS v FROM this) g "
                    "CROSS JOIN (SELECT COUNT(*) AS n, COALESCE(SUM(venda), 0) AS v FROM venda) s "
                    "WHERE COALESCE(g.n, 0) <> s.n OR COALESCE(g.v, 0) <> s.v"
                },
            ),
        ),
        warehouse=WarehouseTable(sort_keys=grain),
    )


VENDAS_POR_FUNCIONARIO = _monthly(
    "vendas_mensais_por_funcionario",
    "BIX's sales by month and employee: number and amount of the typical sales, and the "
    "atypical ones (silver's outlier flag) counted apart so one absurd amount cannot distort "
    "a month. Rebuilt from silver on each run.",
    (
        Column("id_funcionario", "int", "Employee.", nullable=False),
        Column("nome_funcionario", "string", _EMPLOYEE_NAME, pii="person_name"),
    ),
    "id_funcionario",
    ("Sales Performance",),
)
VENDAS_POR_CATEGORIA = _monthly(
    "vendas_mensais_por_categoria",
    "BIX's sales by month and product category: number and amount of the typical sales, and "
    "the atypical ones (silver's outlier flag) counted apart. Rebuilt from silver on each run.",
    (
        Column("id_categoria", "int", "Category.", nullable=False),
        Column("nome_categoria", "string", "Category name."),
    ),
    "id_categoria",
    ("Product Mix",),
)
GOLD = (VENDAS_POR_FUNCIONARIO, VENDAS_POR_CATEGORIA)
TABLES = (*BRONZE, *SILVER, *GOLD)
