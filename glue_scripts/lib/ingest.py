"""Landing CSV -> typed bronze rows + quarantine rows; every landing row ends in one place.

Lines are read as text and parsed with `from_csv`, so a row that cannot be typed keeps its raw
line, its file and the reason it was rejected. No UDFs: every conversion is a built-in that
yields NULL on failure, and a NULL where the raw value was not empty is a parse error.

What is refused whole instead of row by row (a `LandingError` naming the file and the fix):
a file without a header or with another delimiter (`landing.read_header`), and, checked in
`file_checks`, bytes that are not UTF-8 anywhere in the file (the encoding is a property of
the file: quarantining only the lines with accents would load a biased subset) and
incompatible schema drift (`SchemaDriftError`): a spec column missing from the header, or a
column none of whose values parse any more (a changed type or format at the source).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_scripts.lib.file_checks import (
    MALFORMED,
    UNPARSABLE,
    check_headers,
    file_stats,
    refuse_unusable_files,
)
from glue_scripts.lib.landing import LandingError, LandingFile, read_header

INGESTION_COLUMNS = ("ingested_at", "source_file")
# The load-date partition of every bronze table (lakehouse_assets/domains/helpers.py names it
# too). Other partition columns of a bronze table are source columns, like an event date.
LOAD_DATE_COLUMN = "anomesdia"
CORRUPT = "_corrupt_record"
QUARANTINE_COLUMNS = ("raw_line", "source_file", "reason", "ingested_at")


@dataclass(frozen=True)
class Ingested:
    """One load of a source. `parsed` is cached: call `release()` once rows and quarantine
    are published."""

    rows: DataFrame
    quarantine: DataFrame
    landing_rows: int
    files: list[str]
    drift: dict[str, list[str]]
    parsed: DataFrame = field(repr=False)
    quarantined_rows: int = 0

    def release(self) -> None:
        self.parsed.unpersist()


def source_columns(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    skip = {*INGESTION_COLUMNS, LOAD_DATE_COLUMN}
    return [c for c in spec["columns"] if c["name"] not in skip]


def _typed(raw: Column, column: Mapping[str, Any]) -> Column:
    kind = column["type"].lower()
    if kind == "string":
        return raw
    if kind == "date":
        return F.to_date(F.try_to_timestamp(raw, F.lit(column.get("format") or "yyyy-MM-dd")))
    if kind == "timestamp":
        return F.try_to_timestamp(raw, F.lit(column.get("format") or "yyyy-MM-dd HH:mm:ss"))
    # With ANSI mode off (see spark_io.get_spark) a failed cast yields NULL, not an error.
    typed = raw.cast(kind)
    exact = _exact_number(kind)
    # The cast alone would truncate '5.7' to the int 5 and round '2.345' to the decimal(18,2)
    # 2.35: a value that does not fit its type exactly is a parse error, not a new value.
    return typed if exact is None else F.when(raw.rlike(exact), typed)


INTEGRAL_TYPES = ("tinyint", "smallint", "int", "integer", "bigint", "byte", "short", "long")
_DECIMAL = re.compile(r"(?:decimal|dec|numeric)(?:\((\d+)(?:,(\d+))?\))?")


def _exact_number(kind: str) -> str | None:
    """A pattern of the texts a numeric type holds without losing digits (None: no check)."""
    kind = kind.replace(" ", "")
    if kind in INTEGRAL_TYPES:
        return r"^[+-]?[0-9]+$"
    decimal = _DECIMAL.fullmatch(kind)
    if decimal is None:
        return None
    scale = int(decimal.group(2) or 0)
    # At most `scale` digits after the point, trailing zeros aside; no exponent.
    fraction = rf"(\.[0-9]{{0,{scale}}}0*)?"
    return rf"^[+-]?([0-9]+{fraction}|\.[0-9]{{0,{scale}}}0*)$"


def _cleaned(raw: Column, column: Mapping[str, Any]) -> Column:
    """Empty strings and the spec's null tokens (like `--` for a missing CNPJ) become NULL."""
    trimmed = F.trim(raw)
    tokens = ["", *column.get("null_values", [])]
    return F.when(trimmed.isin(tokens), F.lit(None)).otherwise(trimmed)


def _reason(name: str, raw: Column, typed: Column, column: Mapping[str, Any]) -> Column:
    missing = raw.isNull() & F.lit(not column.get("nullable", True))
    unparsable = raw.isNotNull() & typed.isNull()
    reason = F.when(missing, F.lit(f"{name}: required value is missing")).when(
        unparsable, F.concat(F.lit(f"{name}: '"), raw, F.lit(f"' is not a valid {column['type']}"))
    )
    minimum = column.get("min_value")
    if minimum is None:
        return reason
    below = typed < F.lit(str(minimum)).cast(column["type"])
    return reason.when(
        below, F.concat(F.lit(f"{name}: '"), raw, F.lit(f"' is below the minimum {minimum}"))
    )


def _typed_names(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    """Columns whose values can fail to parse (strings always parse)."""
    return [c["name"] for c in columns if c["type"].lower() != "string"]


def _parse_group(
    lines: DataFrame, header: list[str], columns: Sequence[Mapping[str, Any]]
) -> DataFrame:
    schema = ", ".join(f"`{h}` STRING" for h in header) + f", `{CORRUPT}` STRING"
    # RFC 4180 quoting, as spreadsheets and most exporters write it: `"a ""b"", c"` is the
    # value `a "b", c` (Spark's default escape character is a backslash).
    options = {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": CORRUPT, "escape": '"'}
    parsed = lines.select("*", F.from_csv("raw_line", schema, options).alias("_p"))
    by_name = {c["name"]: c for c in columns}
    raws = {n: _cleaned(F.col(f"_p.`{n}`"), c) for n, c in by_name.items()}
    typed = {n: _typed(raws[n], c) for n, c in by_name.items()}
    reasons = [_reason(n, raws[n], typed[n], c) for n, c in by_name.items()]
    # An odd number of quotes is a quoted field cut short: a truncated line, or a field with a
    # line break that this line-by-line read split in two. from_csv would accept the rest.
    quotes = F.length("raw_line") - F.length(F.regexp_replace("raw_line", '"', ""))
    malformed = F.when(
        F.col(f"_p.`{CORRUPT}`").isNotNull() | (quotes % 2 == 1),
        F.lit(f"malformed line: expected {len(header)} comma-separated fields"),
    )
    unparsable = [
        F.when(raws[n].isNotNull() & typed[n].isNull(), F.lit(n)) for n in _typed_names(columns)
    ]
    return parsed.select(
        "raw_line",
        "source_file",
        "line_id",
        F.concat_ws("; ", malformed, *reasons).alias("reason"),
        malformed.isNotNull().alias(MALFORMED),
        F.array_compact(F.array(*unparsable)).alias(UNPARSABLE)
        if unparsable
        else F.array().cast("array<string>").alias(UNPARSABLE),
        *(typed[n].alias(n) for n in raws),
    )


def ingest(
    spark: SparkSession,
    files: Sequence[str],
    spec: Mapping[str, Any],
    ingested_at: str,
) -> Ingested:
    """Parse one source's landing files against the bronze spec.

    The parse is persisted once (memory, spilling to disk) and counted per file: the landing
    count, the checks for unusable files and both writes (rows and quarantine) read it
    instead of parsing the text again. Release it with `Ingested.release()`.
    """
    columns = source_columns(spec)
    expected = [c["name"] for c in columns]
    table = f"{spec['database']}.{spec['name']}"
    headers: list[LandingFile] = [read_header(f) for f in files]
    if not headers:
        raise LandingError(f"no landing files given for {table}")
    added = check_headers(table, headers, expected)
    groups: dict[str, list[LandingFile]] = {}
    for landing in headers:
        groups.setdefault(landing.header_line, []).append(landing)
    parsed = None
    for header_line, members in groups.items():
        lines = (
            spark.read.text([m.uri for m in members])
            .select(
                F.col("value").alias("raw_line"),
                F.col("_metadata.file_path").alias("source_file"),
                F.monotonically_increasing_id().alias("line_id"),
            )
            .where((F.trim("raw_line") != "") & (F.col("raw_line") != header_line))
        )
        frame = _parse_group(lines, members[0].header, columns)
        parsed = frame if parsed is None else parsed.unionByName(frame)
    cached = parsed.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        parsed = _flag_duplicates(cached, list(spec.get("primary_key", ())))
        stats = file_stats(parsed, _typed_names(columns))
        refuse_unusable_files(table, stats, columns, [h.uri for h in headers], added)
    except BaseException:
        cached.unpersist()
        raise
    stamp = F.to_timestamp(F.lit(ingested_at))
    good = parsed.where(F.col("reason") == "").select(
        *expected, stamp.alias("ingested_at"), "source_file"
    )
    bad = parsed.where(F.col("reason") != "").select(
        "raw_line", "source_file", "reason", stamp.alias("ingested_at")
    )
    landing_rows = sum(s["rows"] for s in stats)
    quarantined = sum(s["quarantined"] for s in stats)
    return Ingested(good, bad, landing_rows, list(files), added, cached, quarantined)


def _flag_duplicates(parsed: DataFrame, key: list[str]) -> DataFrame:
    """Within one load, the last line of a key wins; earlier ones are quarantined.

    Repeated keys are rare: they are found by aggregating the key columns alone (a small
    shuffle) and collected, so the lines themselves are never shuffled; with none, the
    parse is returned as it is.
    """
    if not key:
        return parsed
    valid = F.col("reason") == ""
    repeated = (
        parsed.where(valid)
        .groupBy(*key)
        .agg(F.max("line_id").alias("_kept_line"), F.count(F.lit(1)).alias("_lines"))
        .where(F.col("_lines") > 1)
        .drop("_lines")
    )
    if repeated.isEmpty():
        return parsed
    # Few keys repeat (each is a data error): broadcast them rather than shuffle the lines.
    flagged = parsed.join(F.broadcast(repeated), on=key, how="left")
    duplicate = valid & F.col("_kept_line").isNotNull() & (F.col("line_id") != F.col("_kept_line"))
    key_text = F.concat_ws(", ", *(F.concat(F.lit(f"{k}="), F.col(k).cast("string")) for k in key))
    return flagged.select(
        *(c for c in parsed.columns if c != "reason"),
        F.when(
            duplicate, F.concat(F.lit("duplicate key "), key_text, F.lit(" (a later line wins)"))
        )
        .otherwise(F.col("reason"))
        .alias("reason"),
    ).select(*parsed.columns)
