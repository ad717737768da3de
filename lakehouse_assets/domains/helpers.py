"""Spec-building helpers shared by the domains, so each table states only what is its own."""

from __future__ import annotations

from lakehouse_assets.specs import Column, Rule, TableSpec

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
) -> TableSpec:
    """A bronze table: the source's typed columns, ingestion columns, one partition a load."""
    ingestion = (
        Column("ingested_at", "timestamp", "When the load that brought this row ran (UTC)."),
        Column("source_file", "string", "Landing file the row was read from."),
        Column(
            LOAD_PARTITION,
            "string",
            "Load date (yyyymmdd): the day the source export landed.",
            nullable=False,
        ),
    )
    rules = (
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
    return TableSpec(
        domain=domain,
        layer="bronze",
        name=name,
        description=description,
        owner=owner,
        job=job,
        columns=columns + ingestion,
        business_tags=business_tags,
        partition_by=(LOAD_PARTITION,),
        primary_key=primary_key,
        rules=rules,
        source=name,
        daily_partitions_start=partitions_start,
    )
