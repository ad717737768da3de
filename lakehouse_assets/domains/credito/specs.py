"""Crédito's tables: daily credit applications -> cleaned applications + imputation
statistics -> the feature store for credit-decision inference.

Table names follow the business's Portuguese vocabulary; column names keep the public
credit-risk dataset's English names (`person_age`, `loan_grade`, ...), which the models and
the people who build them know.
"""

from __future__ import annotations

from glue_scripts.lib import sql_text
from glue_scripts.lib.feature_config import bands_to_json
from lakehouse_assets.domains.credito import model_inputs as m
from lakehouse_assets.domains.helpers import bronze_table, key_rules
from lakehouse_assets.specs import Column, JobSpec, Rule, TableSpec

DOMAIN = "credito"
OWNER = "team:credito-ml"
TAGS = ("Credit Risk", "Machine Learning", "Feature Store")
SOURCE = "solicitacoes_credito"

BRONZE_JOB = JobSpec(
    name="credito_bronze_ingest",
    domain=DOMAIN,
    script="credito/bronze_ingest.py",
    description="Loads the day's credit application drop into the typed bronze table.",
)
SILVER_JOB = JobSpec(
    name="credito_silver_solicitacoes",
    domain=DOMAIN,
    script="credito/silver_solicitacoes.py",
    description=(
        "Cleans credit applications (outliers, missing values, bands) with imputation "
        "statistics fitted once on the training window and stored."
    ),
)
GOLD_JOB = JobSpec(
    name="credito_gold_feature_store",
    domain=DOMAIN,
    script="credito/gold_feature_store.py",
    description="Builds the daily credit feature store (numeric, history and one-hot features).",
)
JOBS = (BRONZE_JOB, SILVER_JOB, GOLD_JOB)

APPLICANT = Column(
    "applicant_id",
    "string",
    "Applicant identifier from the origination system.",
    pii="customer_id",
    nullable=False,
)
DATASET_COLUMNS = (
    Column("person_age", "int", "Applicant's age in years as keyed (outliers over 120 occur)."),
    Column("person_income", "bigint", "Applicant's declared annual income."),
    Column("person_home_ownership", "string", "Home ownership: RENT, MORTGAGE, OWN or OTHER."),
    Column("person_emp_length", "double", "Years in the current employment (may be empty)."),
    Column(
        "loan_intent",
        "string",
        "Purpose of the loan: EDUCATION, MEDICAL, VENTURE, PERSONAL, DEBTCONSOLIDATION or "
        "HOMEIMPROVEMENT.",
    ),
    Column("loan_grade", "string", "Internal risk grade of the loan, A (best) to G."),
    Column("loan_amnt", "int", "Amount requested."),
    Column("loan_int_rate", "double", "Interest rate offered, % a year (may be empty)."),
    Column(
        "loan_status",
        "int",
        "Outcome label: 1 the loan defaulted, 0 it did not; empty while unknown.",
    ),
    Column("loan_percent_income", "double", "Amount requested as a fraction of the income."),
    Column(
        "cb_person_default_on_file",
        "string",
        "Credit bureau: a default on file, Y or N.",
    ),
    Column("cb_person_cred_hist_length", "int", "Credit bureau: length of credit history, years."),
)

SOLICITACOES = bronze_table(
    domain=DOMAIN,
    name=SOURCE,
    description=(
        "Credit applications as the origination system drops them every day (transient "
        "zone): applicant, application time and the attributes of the public credit-risk "
        "dataset (person, loan and credit-bureau data, with the default label once known). "
        "Typed, one partition per load date; rows that cannot be typed are quarantined."
    ),
    owner=OWNER,
    job=BRONZE_JOB.name,
    columns=(
        APPLICANT,
        Column(
            "application_ts",
            "timestamp",
            "When the application was submitted (yyyy-MM-dd HH:mm:ss).",
            nullable=False,
        ),
        *DATASET_COLUMNS,
    ),
    primary_key=("applicant_id", "application_ts"),
    business_tags=TAGS,
)

_BRONZE = SOLICITACOES.qualified_name
_STATS = f"{DOMAIN}_silver.estatisticas_imputacao"
_CLEAN = f"{DOMAIN}_silver.solicitacoes_credito_limpas"
# The statistics and the cleaning share these: validity rules decide which values fit them.
STATISTICS_PARAMETERS = {
    "statistics_version": m.STATISTICS_VERSION,
    "training_window_start": m.TRAINING_WINDOW[0],
    "training_window_end": m.TRAINING_WINDOW[1],
    "min_working_age": str(m.MIN_WORKING_AGE),
    "age_range": f"{m.AGE_RANGE[0]},{m.AGE_RANGE[1]}",
}


def _quoted(values) -> str:
    return ", ".join(sql_text.literal(v) for v in values)


ESTATISTICAS = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="estatisticas_imputacao",
    description=(
        "Imputation and capping statistics of the credit model, one row per version, "
        "variable, statistic and group: medians, the 99th income percentile and modes fitted "
        "on the applications of the version's training window, and kept: later runs reuse "
        "them and a scoring day never changes them. A new window is a new version."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=TAGS,
    primary_key=("version", "variable", "statistic", "group_value"),
    partition_by=("version",),
    upstream=(_BRONZE,),
    parameters=STATISTICS_PARAMETERS,
    columns=(
        Column("variable", "string", "Input column the statistic describes.", nullable=False),
        Column("statistic", "string", "median, p99 or mode.", nullable=False),
        Column(
            "group_value",
            "string",
            "Group the statistic is for ('*' for all rows; a loan grade for rate medians).",
            nullable=False,
        ),
        Column("numeric_value", "double", "Value of a numeric statistic."),
        Column("category_value", "string", "Value of a categorical statistic (the mode)."),
        Column("rows_used", "bigint", "Valid training rows the statistic was computed from."),
        Column("window_start", "date", "First application date of the training window."),
        Column("window_end", "date", "Last application date of the training window."),
        Column("computed_at", "timestamp", "When the statistics were fitted (UTC)."),
        Column("computed_by_run", "string", "Dagster run that fitted them."),
        Column("version", "string", "Statistics version (partition).", nullable=False),
    ),
    rules=(
        *key_rules(("version", "variable", "statistic", "group_value"), "statistic"),
        Rule(
            name="estatisticas_completas",
            kind="sql",
            params={
                "query": "SELECT COUNT(*) AS failed FROM (SELECT * FROM VALUES "
                + ", ".join(f"('{v}', '{s}')" for v, s in m.STATISTICS)
                + " AS e(variable, statistic)) e LEFT ANTI JOIN (SELECT * FROM this WHERE "
                f"version = '{m.STATISTICS_VERSION}' AND group_value = '*') t "
                "ON e.variable = t.variable AND e.statistic = t.statistic"
            },
            description="The configured version has every statistic the cleaning needs.",
        ),
        Rule(
            name="valores_e_janela_presentes",
            kind="sql",
            params={
                "query": "SELECT COUNT(*) AS failed FROM this WHERE "
                "(numeric_value IS NULL AND category_value IS NULL) OR window_start IS NULL "
                "OR window_end IS NULL OR window_start > window_end OR rows_used < 1"
            },
            description="Every statistic has a value, a training window and rows behind it.",
        ),
    ),
)

BAND_COLUMNS = tuple(
    Column(b.name, "string", f"Band of {b.source}: {', '.join(b.labels)}.", nullable=False)
    for b in m.BANDS
)
CLEAN_FEATURES = (*m.NUMERIC, *m.CATEGORICAL, *(b.name for b in m.BANDS))


def _valid_values_query() -> str:
    low, high = m.AGE_RANGE
    adult_years = f"person_age - {m.MIN_WORKING_AGE}"
    return (
        "SELECT COUNT(*) AS failed FROM this WHERE "
        f"person_age < {low} OR person_age > {high} OR person_income <= 0 "
        f"OR person_emp_length < 0 OR person_emp_length > {adult_years} "
        "OR loan_amnt <= 0 OR loan_int_rate <= 0 OR loan_int_rate > 100 "
        "OR loan_percent_income < 0 OR loan_percent_income > 10 "
        "OR cb_person_cred_hist_length < 0 "
        f"OR cb_person_cred_hist_length > {adult_years}"
    )


def _undeclared_categories_query() -> str:
    tests = {name: f"{name} NOT IN ({_quoted(cats)})" for name, cats in m.CATEGORIES}
    metrics = ", ".join(f"SUM(CAST({t} AS INT)) AS {n}" for n, t in tests.items())
    return f"SELECT COUNT(*) AS failed, {metrics} FROM this WHERE {' OR '.join(tests.values())}"


LIMPAS = TableSpec(
    domain=DOMAIN,
    layer="silver",
    name="solicitacoes_credito_limpas",
    description=(
        "Cleaned credit applications, one row per application (latest load wins): outliers "
        "and missing values replaced by documented rules with the stored imputation "
        "statistics of the configured version, categories normalized, continuous values "
        "banded, every correction listed in `treatments`. The applicant id is a keyed hash."
    ),
    owner=OWNER,
    job=SILVER_JOB.name,
    business_tags=TAGS,
    primary_key=("applicant_id", "application_ts"),
    upstream=(_BRONZE, _STATS),
    parameters={
        **STATISTICS_PARAMETERS,
        "bands": bands_to_json(m.BANDS),
    },
    columns=(
        Column(
            "applicant_id",
            "string",
            "Keyed hash (HMAC-SHA256, hex) of the applicant id: joins and counts applicants "
            "without exposing the id.",
            pii="customer_id",
            mask="hash",
            nullable=False,
        ),
        Column("application_ts", "timestamp", "When the application was submitted."),
        Column("application_date", "date", "Date of the application (the feature date)."),
        Column("load_date", "string", "Load date (yyyymmdd) of the bronze version kept."),
        Column("person_age", "int", "Age; outside 18-100 replaced by the training median."),
        Column("person_income", "bigint", "Income; missing or <= 0 imputed, capped at p99."),
        Column("person_home_ownership", "string", "Home ownership, upper-case; missing: mode."),
        Column(
            "person_emp_length",
            "double",
            "Years employed; missing or outside 0..age-14 imputed (median, at most age-14).",
        ),
        Column("loan_intent", "string", "Loan purpose, upper-case; missing: mode."),
        Column("loan_grade", "string", "Loan grade, upper-case; missing: mode."),
        Column("loan_amnt", "int", "Amount requested; missing or <= 0: median."),
        Column(
            "loan_int_rate",
            "double",
            "Interest rate; missing or outside (0, 100]: median of the grade in training.",
        ),
        Column(
            "loan_percent_income",
            "double",
            "Amount / income; missing or outside 0..10 recomputed from the cleaned values.",
        ),
        Column("cb_person_default_on_file", "string", "Default on file Y/N; missing: mode."),
        Column(
            "cb_person_cred_hist_length",
            "int",
            "Credit history years; missing or outside 0..age-14: median (at most age-14).",
        ),
        Column("loan_status", "int", "Default label (1/0); NULL when unknown or invalid."),
        *BAND_COLUMNS,
        Column(
            "treatments",
            "array<string>",
            "Corrections applied, as column:rule codes (docs/CREDITO.md); empty if none.",
        ),
        Column("statistics_version", "string", "Version of the imputation statistics used."),
    ),
    rules=(
        *key_rules(("applicant_id", "application_ts"), "application"),
        Rule(
            name="uma_linha_por_solicitacao",
            kind="row_count_equals",
            params={"table": _BRONZE, "keys": ["applicant_id", "application_ts"]},
            description="Exactly one row per distinct application of every load.",
        ),
        Rule(
            name="features_sem_nulos",
            kind="not_null",
            columns=("application_ts", "application_date", *CLEAN_FEATURES),
            description="Imputation leaves no model input empty.",
        ),
        Rule(
            name="valores_dentro_das_regras",
            kind="sql",
            params={"query": _valid_values_query()},
            description="Every cleaned value satisfies the outlier rules it was cleaned by.",
        ),
        Rule(
            name="estatisticas_da_versao",
            kind="referential",
            columns=("statistics_version",),
            params={"table": _STATS, "column": "version"},
            description="Rows were imputed with a stored statistics version.",
        ),
        Rule(
            name="rotulo_valido",
            kind="accepted_values",
            columns=("loan_status",),
            params={"values": [0, 1]},
            description="The label is 0, 1 or unknown.",
        ),
        Rule(
            name="data_ate_a_carga",
            kind="sql",
            severity="WARN",
            params={
                "query": "SELECT COUNT(*) AS failed FROM this "
                "WHERE date_format(application_ts, 'yyyyMMdd') > load_date"
            },
            description=(
                "Applications dated after the load that brought them (a clock or keying "
                "error at the source): counted, and featured on their own date."
            ),
        ),
        Rule(
            name="categorias_do_vocabulario",
            kind="sql",
            severity="WARN",
            params={"query": _undeclared_categories_query()},
            description=(
                f"Categories outside vocabulary {m.VOCABULARY_VERSION} (they go to the "
                "`_other` one-hot column), counted per feature."
            ),
        ),
    ),
)

_DAYS = m.HISTORY_DAYS
HISTORY_COLUMNS = (
    Column(
        f"applications_{_DAYS}d",
        "int",
        f"Applications of the applicant in the {_DAYS} days up to the feature date (inclusive).",
    ),
    Column(f"loan_amnt_sum_{_DAYS}d", "double", "Amount requested in those applications."),
    Column(
        "days_since_first_application",
        "int",
        "Days from the applicant's first application on record to the feature date.",
    ),
)
FLAG_COLUMNS = (
    Column("person_emp_length_missing", "int", "1 if the employment length was imputed."),
    Column("loan_int_rate_missing", "int", "1 if the interest rate was imputed."),
    Column("treated_feature_count", "int", "How many inputs silver corrected or imputed."),
)


def _one_hot_columns() -> tuple[Column, ...]:
    columns = []
    for feature, _ in m.VOCABULARY.features:
        for column, category in m.VOCABULARY.columns(feature):
            columns.append(Column(column, "int", f"1 if {feature} is {category}."))
        columns.append(
            Column(
                m.VOCABULARY.other_column(feature),
                "int",
                f"1 if {feature} is any value without a column of its own (OTHER, unseen).",
            )
        )
    return tuple(columns)


ONE_HOT_COLUMNS = _one_hot_columns()
FEATURE_COLUMNS = (
    *(Column(n, "double", f"{n} after cleaning (silver), as a number.") for n in m.NUMERIC),
    *HISTORY_COLUMNS,
    *FLAG_COLUMNS,
    *ONE_HOT_COLUMNS,
)


def _one_hot_sums_query() -> str:
    sums = {
        feature: " + ".join(m.VOCABULARY.encoded_columns(feature))
        for feature, _ in m.VOCABULARY.features
    }
    wrong = {f: f"COALESCE({total}, 0) <> 1" for f, total in sums.items()}
    metrics = ", ".join(f"SUM(CAST({test} AS INT)) AS {f}" for f, test in wrong.items())
    return f"SELECT COUNT(*) AS failed, {metrics} FROM this WHERE {' OR '.join(wrong.values())}"


FEATURE_STORE = TableSpec(
    domain=DOMAIN,
    layer="gold",
    name="feature_store",
    description=(
        "Credit feature store for decision inference: one row per applicant and feature date "
        "(partition anomesdia), with the cleaned numeric inputs, history features over the "
        f"previous {_DAYS} days, imputation flags and the one-hot encoding of every categorical "
        f"and banded input under a fixed, versioned vocabulary ({m.VOCABULARY_VERSION}; unseen "
        "categories go to `<feature>_other`). Point in time: a row only uses applications "
        "dated on or before its feature date; `lakehouse credito features --as-of` serves "
        "the latest row per applicant as of a date."
    ),
    owner=OWNER,
    job=GOLD_JOB.name,
    business_tags=TAGS,
    primary_key=("applicant_id", "anomesdia"),
    partition_by=("anomesdia",),
    upstream=(_CLEAN,),
    parameters={
        "vocabulary_version": m.VOCABULARY_VERSION,
        "vocabulary": m.VOCABULARY.to_json(),
        "history_window_days": str(_DAYS),
    },
    columns=(
        Column(
            "applicant_id",
            "string",
            "Keyed hash of the applicant id, as in silver (hash the raw id with the same key "
            "to look an applicant up).",
            pii="customer_id",
            nullable=False,
        ),
        Column(
            "feature_ts",
            "timestamp",
            "Submission time of the applicant's latest application of the feature date.",
        ),
        *FEATURE_COLUMNS,
        Column("statistics_version", "string", "Imputation statistics version of the inputs."),
        Column("vocabulary_version", "string", "Version of the one-hot vocabulary."),
        Column("anomesdia", "string", "Feature date (yyyymmdd), the partition.", nullable=False),
    ),
    rules=(
        *key_rules(("applicant_id", "anomesdia"), "feature row"),
        Rule(
            name="uma_linha_por_solicitante_e_dia",
            kind="row_count_equals",
            params={"table": _CLEAN, "keys": ["applicant_id", "application_date"]},
            description="One row per applicant and day with an application.",
        ),
        Rule(
            name="features_sem_nulos",
            kind="not_null",
            columns=tuple(c.name for c in FEATURE_COLUMNS),
            description="No feature is empty.",
        ),
        Rule(
            name="one_hot_soma_um",
            kind="sql",
            params={"query": _one_hot_sums_query()},
            description="Each encoded feature has exactly one 1 among its one-hot columns.",
        ),
        Rule(
            name="versao_do_vocabulario",
            kind="sql",
            params={
                "query": "SELECT COUNT(*) AS failed FROM this WHERE vocabulary_version IS NULL "
                f"OR vocabulary_version <> '{m.VOCABULARY_VERSION}'"
            },
            description=f"Every row records vocabulary version {m.VOCABULARY_VERSION}.",
        ),
        Rule(
            name="sem_dados_do_futuro",
            kind="sql",
            params={
                "query": "SELECT COUNT(*) AS failed FROM this WHERE feature_ts IS NULL "
                "OR date_format(feature_ts, 'yyyyMMdd') > anomesdia "
                "OR days_since_first_application < 0 "
                f"OR applications_{_DAYS}d < 1"
            },
            description=("Point in time: no row uses an application dated after its feature date."),
        ),
    ),
)

TABLES: tuple[TableSpec, ...] = (SOLICITACOES, ESTATISTICAS, LIMPAS, FEATURE_STORE)
