"""The graph without its rules (the other side of the checks' share) on the real registry:
only the ingestion's own rules stay, nothing else of a spec changes, and the specs the jobs
receive are those."""

from __future__ import annotations

import dataclasses

import pytest

from glue_scripts.lib.bronze import uniqueness_rule
from glue_scripts.lib.quality import HISTORY_KINDS, INGESTION_KINDS
from lakehouse_assets.bench.without_rules import install, rule_names, strip_rules, without_rules
from lakehouse_assets.factory import build_job_assets
from lakehouse_assets.registry import registry
from lakehouse_assets.resources.launcher import job_extras

DOMAIN = "importau"


@pytest.fixture
def installed():
    """The process's registry without rules, for one test: the next `registry()` call of
    any other test builds the product's specs again."""
    registry.cache_clear()
    try:
        yield install()
    finally:
        registry.cache_clear()


def _importau(reg):
    return {n: t for n, t in reg.tables.items() if t.domain == DOMAIN}


def test_importau_keeps_only_its_ingestion_rules_and_everything_else():
    product = registry()
    original = _importau(product)
    stripped = _importau(without_rules(product))
    assert stripped.keys() == original.keys() and len(original) == 10
    # The product's specs do have rules of other kinds in every layer: there is something
    # to strip.
    for layer in ("bronze", "silver", "gold"):
        assert any(
            r.kind not in INGESTION_KINDS
            for t in original.values()
            if t.layer == layer
            for r in t.rules
        )
    for name, table in original.items():
        spec = stripped[name]
        assert [r.kind for r in spec.rules if r.kind not in INGESTION_KINDS] == [], name
        # The ingestion's rules all stay, in order, untouched.
        assert spec.rules == tuple(r for r in table.rules if r.kind in INGESTION_KINDS)
        assert dataclasses.replace(spec, rules=table.rules) == table
        body, product_body = spec.payload(), table.payload()
        assert body.pop("rules") != product_body.pop("rules")
        assert body == product_body  # columns, partitions, key, upstream, source, ...
    bronze = [t for t in stripped.values() if t.layer == "bronze"]
    assert {tuple(r.kind for r in t.rules) for t in bronze} == {
        ("row_conservation", "schema_drift")
    }
    assert all(not t.rules for t in stripped.values() if t.layer != "bronze")
    assert registry() is product and _importau(product) == original  # the product's, intact


def test_every_domain_still_validates_and_write_once_tables_keep_their_history():
    product = registry()
    stripped = without_rules(product)  # Registry.build: the product's validation
    assert stripped.tables.keys() == product.tables.keys()
    assert stripped.jobs == product.jobs
    once = [t for t in stripped.tables.values() if t.write_once]
    assert once, "the registry has no write-once table to prove this on"
    for table in once:
        assert [r.kind for r in table.rules if r.kind in HISTORY_KINDS] == list(HISTORY_KINDS)
    for table in stripped.tables.values():
        assert all(r.kind in (*INGESTION_KINDS, *HISTORY_KINDS) for r in table.rules)
        assert table.write_once or not any(r.kind in HISTORY_KINDS for r in table.rules)
    # A spec with no rule of another kind comes back equal.
    assert strip_rules(stripped.tables[once[0].qualified_name]) == once[0]


def test_the_jobs_and_the_assets_get_the_specs_without_rules(installed):
    assert registry() is installed
    allowed = rule_names(installed)
    jobs = sorted({t.job for t in _importau(installed).values()})
    assert len(jobs) == 4
    for job in jobs:
        tables = installed.tables_of_job(job)
        # What the launcher sends the Glue job through the Pipes context.
        payload = job_extras(tables, keep_versions=5)["tables"]
        assert payload.keys() == {t.qualified_name for t in tables}
        for name, body in payload.items():
            assert all(r["kind"] in INGESTION_KINDS for r in body["rules"]), name
            if body["primary_key"] and name.startswith(f"{DOMAIN}_bronze."):
                # Bronze then runs its own repeated-keys query: ingestion, not a check.
                assert uniqueness_rule(body, body["primary_key"]) is None
        # Dagster's check specs of the job's assets: only the kept rules.
        checks = build_job_assets(installed.jobs[job], installed).check_specs
        assert {(*c.asset_key.path, c.name) for c in checks} <= allowed
    bronze = build_job_assets(installed.jobs["importau_bronze_ingest"], installed)
    assert {c.name for c in bronze.check_specs} == {"linhas_conservadas", "esquema_sem_deriva"}
    # The product's registry is built again once the variant's is dropped.
    registry.cache_clear()
    assert any(
        r.kind == "unique"
        for r in registry().tables["importau_silver.fato_pedido_correlacionado"].rules
    )
