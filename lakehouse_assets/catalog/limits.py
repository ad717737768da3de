"""Glue's and Lake Formation's limits, checked before any call: AWS rejects what moto accepts.

Nothing is ever cut to fit: text over a limit is an error that names the table and the
field, so the spec gets fixed instead of the catalog silently saying less than the spec.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# Glue (CreateTable / CreateDatabase API reference).
NAME = re.compile(r"^[a-z0-9_]+$")
MAX_NAME = 255
MAX_DESCRIPTION = 2048
MAX_COMMENT = 255
MAX_OWNER = 255
MAX_PARAMETER_KEY = 255
MAX_PARAMETER_VALUE = 512_000
MAX_TYPE = 131_072
MAX_LOCATION = 2056
MAX_DATABASE_LOCATION = 1024
# Lake Formation: 50 LF-Tags per resource; keys and values of at most 50 characters
# (developer guide, "tag-based access control notes"); characters per the LFTag API shape.
MAX_LF_TAGS_PER_RESOURCE = 50
MAX_LF_TAG_TEXT = 50
LF_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@%]+$")


class CatalogValidationError(ValueError):
    """What the catalog would be given breaks a Glue or Lake Formation limit."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = list(problems)
        lines = [f"  {p}" for p in self.problems]
        super().__init__(
            f"{len(self.problems)} catalog input(s) break Glue's limits; nothing was sent "
            "to AWS. Fix the specs:\n" + "\n".join(lines)
        )


@dataclass(frozen=True)
class Problem:
    table: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"table {self.table}: field `{self.field}` {self.message}"


def check_name(table: str, field: str, value: str) -> list[Problem]:
    if not NAME.match(value or ""):
        return [
            Problem(table, field, f"{value!r} must match ^[a-z0-9_]+$ (Glue lower-cases names)")
        ]
    if len(value) > MAX_NAME:
        return [Problem(table, field, f"has {len(value)} characters; Glue accepts {MAX_NAME}")]
    return []


def check_length(table: str, field: str, value: str | None, limit: int) -> list[Problem]:
    if value is not None and len(value) > limit:
        return [
            Problem(
                table,
                field,
                f"has {len(value)} characters; Glue accepts {limit}: shorten it "
                "(the catalog never truncates)",
            )
        ]
    return []


def check_parameters(table: str, field: str, parameters: Mapping[str, str]) -> list[Problem]:
    problems = []
    for key, value in parameters.items():
        problems += check_length(table, f"{field}.{key} (key)", key, MAX_PARAMETER_KEY)
        problems += check_length(table, f"{field}.{key}", value, MAX_PARAMETER_VALUE)
    return problems


def check_columns(table: str, field: str, columns: Iterable[Mapping]) -> list[Problem]:
    problems = []
    for column in columns:
        where = f"{field}.{column.get('Name')}"
        problems += check_name(table, where, column.get("Name", ""))
        problems += check_length(table, f"{where}.Comment", column.get("Comment"), MAX_COMMENT)
        problems += check_length(table, f"{where}.Type", column.get("Type"), MAX_TYPE)
        problems += check_parameters(table, f"{where}.Parameters", column.get("Parameters", {}))
    return problems


def validate_database_input(database_input: Mapping) -> list[Problem]:
    name = database_input.get("Name", "")
    problems = check_name(name, "Name", name)
    problems += check_length(name, "Description", database_input.get("Description"), 2048)
    problems += check_length(
        name, "LocationUri", database_input.get("LocationUri"), MAX_DATABASE_LOCATION
    )
    problems += check_parameters(name, "Parameters", database_input.get("Parameters", {}))
    return problems


def validate_table_input(database: str, table_input: Mapping) -> list[Problem]:
    """Every Glue limit a TableInput can break, each naming the table and the field."""
    table = f"{database}.{table_input.get('Name')}"
    problems = check_name(table, "database", database)
    problems += check_name(table, "Name", table_input.get("Name", ""))
    problems += check_length(table, "Description", table_input.get("Description"), MAX_DESCRIPTION)
    problems += check_length(table, "Owner", table_input.get("Owner"), MAX_OWNER)
    problems += check_parameters(table, "Parameters", table_input.get("Parameters", {}))
    descriptor = table_input.get("StorageDescriptor", {})
    problems += check_columns(table, "StorageDescriptor.Columns", descriptor.get("Columns", []))
    problems += check_length(
        table, "StorageDescriptor.Location", descriptor.get("Location"), MAX_LOCATION
    )
    return problems


def validate_lf_tags(table: str, field: str, tags: Mapping[str, str]) -> list[Problem]:
    """One resource's LF-Tags: at most 50, keys and values of Lake Formation's characters."""
    problems = []
    if len(tags) > MAX_LF_TAGS_PER_RESOURCE:
        problems.append(
            Problem(
                table,
                field,
                f"needs {len(tags)} LF-Tags on one resource; Lake Formation allows "
                f"{MAX_LF_TAGS_PER_RESOURCE}: use fewer business tags",
            )
        )
    for key, value in tags.items():
        for what, text in (("key", key), ("value", value)):
            if len(text) > MAX_LF_TAG_TEXT or not LF_TAG_TEXT.match(text):
                problems.append(
                    Problem(
                        table,
                        field,
                        f"LF-Tag {what} {text!r} must be 1-{MAX_LF_TAG_TEXT} letters, digits, "
                        "spaces or _.:/=+-@%",
                    )
                )
    return problems
