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
        *key_rules(primary_key, "row of the load"),
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
