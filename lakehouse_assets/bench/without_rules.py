"""The graph without its quality rules: the variant the bench runs to measure what they cost.

The checks' share of the jobs' time is measured as the rules' marginal cost: the same run
with and without them. Only `framework_child --without-rules` uses this, in its own process;
the product has no such switch.

A rule the ingestion computes anyway stays (row conservation, schema drift, watermark: the
load cannot run without the counts and drift they report), and so does a write-once table's
history rule, without which its spec does not validate.
"""

from __future__ import annotations

import dataclasses

from glue_scripts.lib.quality import HISTORY_KINDS, INGESTION_KINDS
from lakehouse_assets.registry import Registry, registry
from lakehouse_assets.specs import Rule, TableSpec


def kept(spec: TableSpec, rule: Rule) -> bool:
    """Whether the variant keeps `rule` of `spec`."""
    return rule.kind in INGESTION_KINDS or (spec.write_once and rule.kind in HISTORY_KINDS)


def strip_rules(spec: TableSpec) -> TableSpec:
    """`spec` with only the rules the variant keeps; everything else is the same."""
    return dataclasses.replace(spec, rules=tuple(r for r in spec.rules if kept(spec, r)))


def without_rules(reg: Registry) -> Registry:
    """Every table of `reg` without its rules, validated as the product's registry is."""
    return Registry.build([strip_rules(t) for t in reg.tables.values()], reg.jobs.values())


def install() -> Registry:
    """Make this process's `registry()` hold the specs without rules, and return it.

    `registry()` is cached and every consumer (the asset factory and its check specs, the
    launcher's `job_extras`, which builds the jobs' `tables` payload) calls it when it needs
    the specs, so replacing the cached registry's tables before `lakehouse run` builds its
    definitions is enough for the jobs to receive the specs without rules. Some modules
    import the function by name, so the cached object is changed rather than the function.
    """
    cached = registry()
    cached.tables.update(without_rules(cached).tables)
    return cached


def rule_names(reg: Registry) -> set[tuple[str, ...]]:
    """Every (domain, layer, table, rule name) of `reg`: the checks its runs may report."""
    return {(*t.key_path, r.name) for t in reg.tables.values() for r in t.rules}
