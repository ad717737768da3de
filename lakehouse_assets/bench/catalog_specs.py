"""Synthetic table specs for the catalog benchmark, and the Iceberg tables that locate them.

Domains of 100 tables each (40 bronze partitioned by load date, 40 silver, 20 gold) with
upstream edges between layers, PII columns and business tags, so every table carries the
parameters, lineage and column comments a real one does. Each table's job points at an
existing Glue script: the export hashes the script into the table's code version.
"""

from __future__ import annotations

from lakehouse_assets.domains.helpers import bronze_table
from lakehouse_assets.registry import Registry
from lakehouse_assets.specs import Column, JobSpec, TableSpec

PER_DOMAIN = 100
BRONZE_SHARE, GOLD_FROM = 40, 80
PARTITIONS = ("20240101", "20240102", "20240103")
SCRIPT = "importau/bronze_ingest.py"
OWNER = "team:bench"
RUN_ID = "bench-catalog-run"


def _columns(table: str) -> tuple[Column, ...]:
    business = tuple(
        Column(f"medida_{n:02d}", kind, f"Synthetic measure {n} of {table}.")
        for n, kind in enumerate(("decimal(18,2)", "int", "date", "string", "bigint", "double"))
    )
    return (
        Column("id", "string", "Synthetic key.", nullable=False),
        *business,
        Column("contato_email", "string", "Contact e-mail.", pii="email"),
        Column("documento", "string", "Tax identifier.", pii="tax_id"),
    )


def _layers(count: int) -> list[str]:
    """40% bronze, 40% silver, 20% gold, in that order, for a domain of `count` tables."""
    layers = []
    for position in range(count):
        share = position * PER_DOMAIN // count
        layers.append(
            "bronze" if share < BRONZE_SHARE else "silver" if share < GOLD_FROM else "gold"
        )
    return layers


def _upstream(domain: str, layer: str, index: int, by_layer: dict[str, list[str]]) -> tuple:
    """Two tables of the layer below (silver reads bronze, gold reads silver)."""
    below = by_layer.get({"silver": "bronze", "gold": "silver"}.get(layer, ""), [])
    if not below:
        return ()
    lower = {"silver": "bronze", "gold": "silver"}[layer]
    picks = {below[index % len(below)], below[(index + 1) % len(below)]}
    return tuple(sorted(f"{domain}_{lower}.{name}" for name in picks))


def synthetic_registry(tables: int) -> Registry:
    """`tables` specs across ceil(tables / 100) domains, validated as one graph."""
    specs, jobs = [], []
    for start in range(0, tables, PER_DOMAIN):
        domain = f"bench{start // PER_DOMAIN:02d}"
        layers = _layers(min(PER_DOMAIN, tables - start))
        by_layer: dict[str, list[str]] = {}
        for position, layer in enumerate(layers):
            by_layer.setdefault(layer, []).append(f"{layer}_{domain}_{position:03d}")
        for layer, names in by_layer.items():
            for index, name in enumerate(names):
                job = JobSpec(
                    name=f"job_{name}", domain=domain, script=SCRIPT, description=f"Builds {name}."
                )
                jobs.append(job)
                upstream = _upstream(domain, layer, index, by_layer)
                specs.append(_spec(domain, layer, name, job.name, upstream))
    return Registry.build(tables=specs, jobs=jobs)


def _spec(domain: str, layer: str, name: str, job: str, upstream: tuple) -> TableSpec:
    description = f"Synthetic {layer} table {name} of {domain} for the benchmark."
    tags = ("Benchmark", f"Grupo {len(name) % 7}")
    columns = _columns(name)
    if layer == "bronze":
        return bronze_table(
            domain=domain,
            name=name,
            description=description,
            owner=OWNER,
            job=job,
            columns=columns,
            primary_key=("id",),
            business_tags=tags,
        )
    return TableSpec(
        domain=domain,
        layer=layer,
        name=name,
        description=description,
        owner=OWNER,
        job=job,
        columns=columns,
        business_tags=tags,
        primary_key=("id",),
        upstream=upstream,
    )


def commit_tables(root: str, registry: Registry) -> None:
    """An Iceberg table per table with one commit of the spec's columns (no data files: the
    catalog reads only the metadata)."""
    from glue_scripts.lib.tables import TableStore
    from lakehouse_assets.warehouse.lake import arrow_schema

    for spec in registry.tables.values():
        store = TableStore(root, spec.database, spec.name)
        if spec.partition_by:
            rows = {f"{spec.partition_by[0]}={d}": 100 for d in PARTITIONS}
        else:
            rows = {"": 1000}
        store.commit(
            "bench",
            spec.partition_by,
            rows,
            replace_all=True,
            run_id=RUN_ID,
            schema=arrow_schema(spec),
        )
