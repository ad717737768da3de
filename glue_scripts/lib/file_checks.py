"""Whole-file checks of a load: the headers against the spec, then, in one pass over the
parse (or from the totals a single-pass load counted while written), encoding, layout and
columns whose values no longer parse.

A file that fails one is refused whole with a `LandingError` naming the file and the fix;
`SchemaDriftError` says which columns changed and how, for the `esquema_sem_deriva` check.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote

from pyspark.sql import Column, DataFrame, Observation, Row
from pyspark.sql import functions as F

from glue_scripts.lib import sql_text
from glue_scripts.lib.landing import LandingError, LandingFile

# Columns of the parsed frame (see ingest._parse_group) that these checks read.
MALFORMED = "_malformed"
NOT_UTF8 = "_not_utf8"


def unparsable_flag(column: str) -> str:
    """The parse's column saying the line's value of `column` is not of its type."""
    return f"_unparsable_{column}"


# A column none of whose values parse, over at least this many values in one file, changed
# its type or format at the source: the load stops rather than quarantining every row. Below
# it, a few bad values are ordinary bad rows.
RETYPED_MIN_VALUES = 3


class SchemaDriftError(LandingError):
    """Landing files changed incompatibly with the spec: columns missing or retyped.

    Attributes:
        added: columns not in the spec, per file (compatible: loaded without them).
        missing: spec columns absent from the header, per file.
        retyped: per file, each column whose values no longer parse, and how.
    """

    def __init__(
        self,
        message: str,
        *,
        added: Mapping[str, list[str]],
        missing: Mapping[str, list[str]],
        retyped: Mapping[str, dict[str, str]],
    ):
        super().__init__(message)
        self.added = dict(added)
        self.missing = dict(missing)
        self.retyped = dict(retyped)


def described(uri: str) -> str:
    """How a message names where rows came from: a landing file, or a source system."""
    return f"landing file {uri}" if uri.startswith(("file:", "s3:", "/")) else f"source {uri}"


def check_headers(
    table: str, headers: Sequence[LandingFile], expected: Sequence[str]
) -> dict[str, list[str]]:
    """Refuse files lacking a spec column; return the columns each file adds."""
    added = {h.uri: [c for c in h.header if c not in expected] for h in headers}
    added = {uri: cols for uri, cols in added.items() if cols}
    missing = {h.uri: [c for c in expected if c not in h.header] for h in headers}
    missing = {uri: cols for uri, cols in missing.items() if cols}
    if missing:
        files_text = "; ".join(
            f"{described(uri)} lacks column(s) {cols} required by {table}"
            for uri, cols in missing.items()
        )
        raise SchemaDriftError(
            f"{files_text}; fix the export, or change the spec if the source really changed",
            added=added,
            missing=missing,
            retyped={},
        )
    return added


def file_stats(parsed: DataFrame, typed_names: Sequence[str]) -> list[Row]:
    """One pass over the parse: the `load_totals` of each file, with an example of each
    problem and the count of good values of each typed column."""
    not_utf8 = F.col(NOT_UTF8)
    aggregates = [
        *load_totals(typed_names),
        F.first(F.when(not_utf8, F.col("raw_line")), ignorenulls=True).alias("not_utf8_line"),
    ]
    for i, name in enumerate(typed_names):
        bad = F.col(unparsable_flag(name))
        example = F.regexp_extract("reason", f"{name}: '(.*?)' is not a valid", 1)
        aggregates += [
            F.count(name).alias(f"ok_{i}"),
            F.first(F.when(bad, example), ignorenulls=True).alias(f"example_{i}"),
        ]
    return parsed.groupBy("source_file").agg(*aggregates).collect()


def load_totals(typed_names: Sequence[str]) -> list[Column]:
    """Lines, refused lines, malformed lines, lines that are not UTF-8 and unparsable values
    per typed column: per file in `file_stats`, or over the whole load as aggregates a Spark
    observation takes while the rows are written (`ingest(single_pass=True)`)."""
    counted = {
        "rows": "true",
        "quarantined": "reason != ''",
        "malformed": MALFORMED,
        "not_utf8": NOT_UTF8,
        **{f"bad_{i}": sql_text.name(unparsable_flag(n)) for i, n in enumerate(typed_names)},
    }
    return [
        F.expr(f"count(CASE WHEN {when} THEN 1 END) AS {name}") for name, when in counted.items()
    ]


def may_refuse(totals: Mapping[str, Any], typed_names: Sequence[str]) -> bool:
    """Whether some file of a load with these `load_totals` could be refused.

    Every refusal of `refuse_unusable_files` needs, in one file, a line that is not UTF-8 or
    at least `RETYPED_MIN_VALUES` malformed lines or unparsable values of one column: a load
    with fewer over all its files needs no count per file.
    """
    counts = [totals["malformed"], *(totals[f"bad_{i}"] for i in range(len(typed_names)))]
    return totals["not_utf8"] > 0 or max(counts) >= RETYPED_MIN_VALUES


# How long the counts of a written load may take to arrive (Spark delivers them on its
# listener bus, normally within milliseconds of the write's end).
OBSERVATION_WAIT_SECONDS = 60.0


def observed_totals(observation: Observation) -> dict[str, Any] | None:
    """The observed `load_totals`, or None if they did not arrive in time.

    Spark's own wait has no time limit: it would hang a run whose plan lost the
    observation, where the caller can count the load again instead.
    """
    result: list[dict[str, Any]] = []
    waiter = threading.Thread(target=lambda: result.append(observation.get), daemon=True)
    waiter.start()
    waiter.join(OBSERVATION_WAIT_SECONDS)
    return result[0] if result else None


def _landing_uri(spark_path: str, uris: Sequence[str]) -> str:
    """The landing URI of a file as Spark names it (`file:/a%20b.csv` for `file:///a b.csv`)."""

    def bare(uri: str) -> str:
        return unquote(uri).split(":", 1)[-1].lstrip("/")

    return next((u for u in uris if bare(u) == bare(spark_path)), spark_path)


def refuse_unusable_files(
    table: str,
    stats: Sequence[Row],
    columns: Sequence[Mapping[str, Any]],
    uris: Sequence[str],
    added: Mapping[str, list[str]],
) -> None:
    typed = [c for c in columns if c["type"].lower() != "string"]
    retyped: dict[str, dict[str, str]] = {}
    for stat in stats:
        uri = _landing_uri(stat["source_file"], uris)
        if stat["not_utf8"]:
            raise LandingError(
                f"landing file {uri} is not UTF-8: {stat['not_utf8']} of its {stat['rows']} "
                f"line(s) hold bytes that are not UTF-8, e.g. {stat['not_utf8_line'][:120]!r}; "
                "re-export it as UTF-8 (it is probably Latin-1 / Windows-1252) and load the "
                "day again"
            )
        if stat["rows"] >= RETYPED_MIN_VALUES and stat["malformed"] == stat["rows"]:
            raise LandingError(
                f"landing file {uri}: none of its {stat['rows']} lines has as many "
                "comma-separated fields as its header, or balanced quotes; check the "
                "export's quoting and delimiter and re-export it"
            )
        for i, column in enumerate(typed):
            bad, ok = stat[f"bad_{i}"], stat[f"ok_{i}"]
            if bad >= RETYPED_MIN_VALUES and ok == 0:
                fmt = f" in format {column['format']}" if column.get("format") else ""
                retyped.setdefault(uri, {})[column["name"]] = (
                    f"none of its {bad} values is a valid {column['type']}{fmt} "
                    f"(e.g. {stat[f'example_{i}']!r})"
                )
    if retyped:
        changes = "; ".join(
            f"{described(uri)}: column {name} changed: {how}"
            for uri, by_column in retyped.items()
            for name, how in by_column.items()
        )
        raise SchemaDriftError(
            f"{changes}; {table} was not loaded. Fix the export, or change the column's type "
            "or format in the spec if the source really changed",
            added=added,
            missing={},
            retyped=retyped,
        )
