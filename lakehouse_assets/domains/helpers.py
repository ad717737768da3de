"""Spec-building helpers shared by the domains, so each table states only what is its own."""

from __future__ import annotations

from lakehouse_assets.source_specs import SourceSpec
from lakehouse_assets.specs import Column, Rule, SpecError, TableSpec
from lakehouse_assets.warehouse_specs import WarehouseTable

# glue_scripts/lib/ingest.py LOAD_DATE_COLUMN names the same column on the Spark side.
LOAD_PARTITION = "anomesdia"


def key_rules(key: tuple[str, ...], what: str) -> tuple[Rule, ...]:
    return (
        Rule(
            name="chave_nao_nula",
            kind="not_null",
            columns=key,
            description=f"Every {what} has its key {', '.join(key)}.",
        ),
        Rule(
            name="chave_unica",
            kind="unique",
            columns=key,
            description=f"No key {', '.join(key)} appears twice.",
        ),
    )


def bronze_table(
    *,
    domain: str,
    name: str,
    description: str,
    owner: str,
    job: str,
    columns: tuple[Column, ...],
    primary_key: tuple[str, ...],
    business_tags: tuple[str, ...] = (),
    partitions_start: str = "2024-01-01",
    event_date: str | None = None,
    rules: tuple[Rule, ...] = (),
    extract: SourceSpec | None = None,
    warehouse: WarehouseTable | None = None,
    invalid_when: tuple[tuple[str, str], ...] = (),
) -> TableSpec:
    """A bronze table: the source's typed columns, ingestion columns, one partition a load.

    With `event_date` (a required date column of the source, such as the transaction date of
    change events) the table is partitioned by that date first and by load date second:
    `<event_date>=2023-01-20/anomesdia=20240110`. Events then land in the partition of the
    day they happened, whatever load brings them, and a re-load of a drop replaces exactly
    the partitions of its load date, so late events never displace what earlier loads wrote.

    With `extract` (`lakehouse_assets/source_specs.py`) the rows come from a database or an
    API instead of landing files; `source_file` then names the source system.
    """
    if event_date is not None:
        _check_event_date(name, domain, columns, event_date)
    ingestion = (
        Column("ingested_at", "timestamp", "When the load that brought this row ran (UTC)."),
        Column(
            "source_file",
            "string",
            "Landing file the row was read from."
            if extract is None
            else "Source system the row was extracted from (no credentials).",
        ),
        Column(
            LOAD_PARTITION,
            "string",
            "Load date (yyyymmdd): the day the source export landed.",
            nullable=False,
        ),
    )
    standard = (
        Rule(
            name="linhas_conservadas",
            kind="row_conservation",
            description="Every landing row is either in the table or in its quarantine.",
        ),
        Rule(
            name="esquema_sem_deriva",
            kind="schema_drift",
            severity="WARN",
            description=(
                "Landing files have exactly the spec's columns. Added columns are reported and "
                "not loaded; a missing or retyped column stops the load."
            ),
        ),
        Rule(
            name="chave_nao_nula",
            kind="not_null",
            columns=primary_key,
            description=f"Every row of a load has its key {', '.join(primary_key)}.",
        ),
        # Bronze keeps every load, so a key repeats across load dates (a backfill writes
        # several at once); within one load it is unique.
        Rule(
            name="chave_unica",
            kind="unique",
            columns=(*primary_key, LOAD_PARTITION),
            description=f"No key {', '.join(primary_key)} appears twice in one load.",
        ),
    )
    if getattr(extract, "cursor", None):
        standard += (
            Rule(
                name="marca_dagua_nao_recua",
                kind="watermark",
                severity="WARN",
                description=(
                    "The newest cursor value the load read is not older than the watermark "
                    "the previous load committed (else rows the look-back window read again "
                    "left the source, or it was restored from an older copy); the watermark "
                    "itself never moves back. A window with no rows at all proves nothing."
                ),
            ),
        )
    return TableSpec(
        domain=domain,
        layer="bronze",
        name=name,
        description=description,
        owner=owner,
        job=job,
        columns=columns + ingestion,
        business_tags=business_tags,
        partition_by=(LOAD_PARTITION,) if event_date is None else (event_date, LOAD_PARTITION),
        primary_key=primary_key,
        rules=standard + rules,
        source=name,
        daily_partitions_start=partitions_start,
        extract=extract,
        warehouse=warehouse,
        invalid_when=invalid_when,
    )


def _check_event_date(name: str, domain: str, columns: tuple[Column, ...], event_date: str) -> None:
    where = f"table {domain}_bronze.{name}: field `event_date`"
    column = next((c for c in columns if c.name == event_date), None)
    if column is None:
        raise SpecError(f"{where} names unknown column {event_date!r}")
    if column.type != "date" or column.nullable:
        raise SpecError(
            f"{where} names {event_date!r}, which must be a date column with nullable=False "
            "(a row without it has no partition to land in; the ingestion quarantines it)"
        )
