"""The spec's columns are the output contract: checked, never coerced."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from glue_scripts.lib.masking import apply_masks


class SchemaMismatchError(ValueError):
    """A transform's output does not have the columns or types its spec declares."""


def normalize_type(type_string: str) -> str:
    return type_string.replace(" ", "").lower()


def conform(
    frame: DataFrame, spec: Mapping[str, Any], *, hash_key: bytes | None = None
) -> DataFrame:
    """Select the spec's columns in the spec's order after checking names and types, with
    the spec's PII masks applied (`hash_key` is required when a column is hashed)."""
    problems = mismatches(frame, spec)
    if problems:
        table = f"{spec['database']}.{spec['name']}"
        raise SchemaMismatchError(
            f"output of {table} does not match its spec: {'; '.join(problems)}. "
            "Change the transform's final select or the table spec so they agree."
        )
    return apply_masks(in_spec_order(frame, spec), spec, hash_key)


def in_spec_order(frame: DataFrame, spec: Mapping[str, Any]) -> DataFrame:
    return frame.select(*(F.col(c["name"]) for c in spec["columns"]))


def mismatches(frame: DataFrame, spec: Mapping[str, Any]) -> list[str]:
    """How the columns of `frame` differ from the spec's (names and types); empty if not."""
    expected = {c["name"]: normalize_type(c["type"]) for c in spec["columns"]}
    actual = {f.name: normalize_type(f.dataType.simpleString()) for f in frame.schema.fields}
    problems = []
    missing = [c for c in expected if c not in actual]
    extra = [c for c in actual if c not in expected]
    if missing:
        problems.append(f"missing columns {missing}")
    if extra:
        problems.append(f"columns not in the spec {extra}")
    wrong = [
        f"{c} is {actual[c]}, spec says {t}"
        for c, t in expected.items()
        if c in actual and actual[c] != t
    ]
    problems.extend(wrong)
    return problems
