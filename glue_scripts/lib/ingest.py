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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from glue_scripts.lib import sql_text
from glue_scripts.lib.file_checks import (
    MALFORMED,
    NOT_UTF8,
    check_headers,
    file_stats,
    load_totals,
    may_refuse,
    observed_totals,
    refuse_unusable_files,
    unparsable_flag,
)
from glue_scripts.lib.landing import LandingError, LandingFile, read_header
from glue_scripts.lib.local_rows import local_rows

INGESTION_COLUMNS = ("ingested_at", "source_file")
# The load-date partition of every bronze table (lakehouse_assets/domains/helpers.py names it
# too). Other partition columns of a bronze table are source columns, like an event date.
LOAD_DATE_COLUMN = "anomesdia"
CORRUPT = "_corrupt_record"
QUARANTINE_COLUMNS = ("raw_line", "source_file", "reason", "ingested_at")


@dataclass(frozen=True)
class LoadCounts:
    landing_rows: int
    quarantined_rows: int


@dataclass(frozen=True)
class Ingested:
    """One load of a source: its rows and quarantine, to be written, then `checked()`.

    Call `release()` once rows and quarantine are published.
    """

    rows: DataFrame
    quarantine: DataFrame
    files: list[str]
    drift: dict[str, list[str]]
    _check: Callable[[], LoadCounts] = field(repr=False)
    # The cached parse of an exact load (None for a single pass).
    parsed: DataFrame | None = field(default=None, repr=False)

    def checked(self) -> LoadCounts:
        """The load's counts, once no landing file is refused (`LandingError` otherwise).

        A single-pass load learns them while its rows are written: call this after writing.
        """
        return self._check()

    def release(self) -> None:
        if self.parsed is not None:
            self.parsed.unpersist()


def source_columns(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    skip = {*INGESTION_COLUMNS, LOAD_DATE_COLUMN}
    return [c for c in spec["columns"] if c["name"] not in skip]


def _typed(raw: str, column: Mapping[str, Any]) -> str:
    """SQL of the value of `raw` (the cleaned text) in the column's type; NULL when it is not
    one."""
    kind = column["type"].lower()
    if kind == "string":
        return raw
    if kind in ("date", "timestamp"):
        fmt = column.get("format") or DEFAULT_FORMATS[kind]
        if fmt == DEFAULT_FORMATS[kind]:
            # The ISO text the cast reads, held to the exact layout (the cast alone would take
            # '2024-1-5' or a trailing time); the cast is several times cheaper than a parse
            # with a pattern, and yields NULL for a day that does not exist.
            layout = sql_text.literal(ISO_LAYOUTS[kind])
            return f"CASE WHEN {raw} RLIKE {layout} THEN CAST({raw} AS {kind}) END"
        parsed = f"try_to_timestamp({raw}, {sql_text.literal(fmt)})"
        return f"to_date({parsed})" if kind == "date" else parsed
    # With ANSI mode off (see spark_io.get_spark) a failed cast yields NULL, not an error.
    typed = f"CAST({raw} AS {kind})"
    exact = _exact_number(kind)
    # The cast alone would truncate '5.7' to the int 5 and round '2.345' to the decimal(18,2)
    # 2.35: a value that does not fit its type exactly is a parse error, not a new value.
    if exact is None:
        return typed
    return f"CASE WHEN {raw} RLIKE {sql_text.literal(exact)} THEN {typed} END"


DEFAULT_FORMATS = {"date": "yyyy-MM-dd", "timestamp": "yyyy-MM-dd HH:mm:ss"}
ISO_LAYOUTS = {
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$",
}
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


def _cleaned(raw: str, column: Mapping[str, Any]) -> str:
    """Empty strings and the spec's null tokens (like `--` for a missing CNPJ) become NULL."""
    tokens = ", ".join(sql_text.literal(t) for t in ["", *column.get("null_values", [])])
    return f"CASE WHEN trim({raw}) IN ({tokens}) THEN NULL ELSE trim({raw}) END"


def _problems(name: str, raw: str, typed: str, column: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(condition, message) pairs of one column's value, in the order they are reported."""

    def message(text: str) -> str:
        start = sql_text.literal(f"{name}: '")
        return f"concat({start}, {raw}, {sql_text.literal(text)})"

    problems = []
    if not column.get("nullable", True):
        problems.append((f"{raw} IS NULL", sql_text.literal(f"{name}: required value is missing")))
    problems.append(
        (f"{raw} IS NOT NULL AND {typed} IS NULL", message(f"' is not a valid {column['type']}"))
    )
    minimum = column.get("min_value")
    if minimum is not None:
        bound = f"CAST({sql_text.literal(minimum)} AS {column['type']})"
        problems.append(
            (f"coalesce({typed} < {bound}, false)", message(f"' is below the minimum {minimum}"))
        )
    return problems


def _typed_names(columns: Sequence[Mapping[str, Any]]) -> list[str]:
    """Columns whose values can fail to parse (strings always parse)."""
    return [c["name"] for c in columns if c["type"].lower() != "string"]


def _raw_name(name: str) -> str:
    return f"_raw_{name}"


def _split_csv(lines: DataFrame, header: list[str]) -> DataFrame:
    """Each line's fields as text (`_p`, a struct by header name), and whether the line is
    malformed: a field count other than the header's, or a quoted field cut short."""
    q = sql_text.name
    schema = ", ".join(f"{q(h)} STRING" for h in [*header, CORRUPT])
    # RFC 4180 quoting, as spreadsheets and most exporters write it: `"a ""b"", c"` is the
    # value `a "b", c` (Spark's default escape character is a backslash).
    options = f"map('mode', 'PERMISSIVE', 'columnNameOfCorruptRecord', '{CORRUPT}', 'escape', '\"')"
    # An odd number of quotes is a quoted field cut short: a truncated line, or a field with a
    # line break that this line-by-line read split in two. from_csv would accept the rest.
    odd_quotes = (
        "(instr(raw_line, '\"') > 0 AND "
        "(length(raw_line) - length(translate(raw_line, '\"', ''))) % 2 = 1)"
    )
    split = lines.selectExpr(
        *SPLIT_KEPT, f"from_csv(raw_line, {sql_text.literal(schema)}, {options}) AS _p"
    )
    return split.selectExpr(
        *SPLIT_KEPT, "_p", f"(_p.{q(CORRUPT)} IS NOT NULL OR {odd_quotes}) AS {MALFORMED}"
    )


SPLIT_KEPT = ("raw_line", "source_file", "line_id")


def _parse_split(
    split: DataFrame,
    columns: Sequence[Mapping[str, Any]],
    malformed_reason: str,
    invalid_when: Sequence[Sequence[str]] = (),
) -> DataFrame:
    """Typed columns, the reason a line is refused ("" when it is not) and the facts the file
    checks need, from lines split into text fields (`_p`) and flagged `MALFORMED`. The raw
    line is kept only where it may be shown: refused or not UTF-8.

    Each step is its own projection so that Spark computes the cleaned text and the typed
    value of a column once; written as one expression, every reference to them (the value,
    its reason, its check) would evaluate them again.
    """
    q = sql_text.name
    by_name = {c["name"]: c for c in columns}
    # Spark keeps a line's bytes as read; re-encoding turns invalid UTF-8 into U+FFFD, so
    # the two differ exactly when the line is not valid UTF-8.
    not_utf8 = "encode(raw_line, 'UTF-8') != CAST(raw_line AS BINARY)"
    cleaned = split.selectExpr(
        *SPLIT_KEPT,
        MALFORMED,
        f"{not_utf8} AS {NOT_UTF8}",
        *(f"{_cleaned(f'_p.{q(n)}', c)} AS {q(_raw_name(n))}" for n, c in by_name.items()),
    )
    typed = cleaned.selectExpr(
        "*", *(f"{_typed(q(_raw_name(n)), c)} AS {q(n)}" for n, c in by_name.items())
    )
    problems = [_problems(n, q(_raw_name(n)), q(n), c) for n, c in by_name.items()]
    # The spec's own conditions on a whole row (its typed values), each with its reason.
    problems += [
        [(f"coalesce(({condition}), false)", sql_text.literal(reason))]
        for condition, reason in invalid_when
    ]
    refused = " OR ".join([MALFORMED, *(f"({cond})" for p in problems for cond, _ in p)])
    flagged = typed.selectExpr("*", f"({refused}) AS _refused")
    malformed = sql_text.literal(malformed_reason)
    reasons = [
        "CASE " + " ".join(f"WHEN {cond} THEN {text}" for cond, text in column) + " END"
        for column in problems
    ]
    # Most lines are fine: the reason text is built only for the others.
    reason = f"concat_ws('; ', CASE WHEN {MALFORMED} THEN {malformed} END, {', '.join(reasons)})"
    return flagged.selectExpr(
        f"CASE WHEN _refused OR {NOT_UTF8} THEN raw_line END AS raw_line",
        "source_file",
        "line_id",
        f"CASE WHEN _refused THEN {reason} ELSE '' END AS reason",
        MALFORMED,
        NOT_UTF8,
        *(
            f"{q(_raw_name(n))} IS NOT NULL AND {q(n)} IS NULL AS {q(unparsable_flag(n))}"
            for n in _typed_names(columns)
        ),
        *(q(n) for n in by_name),
    )


def ingest(
    spark: SparkSession,
    files: Sequence[str],
    spec: Mapping[str, Any],
    ingested_at: str,
    *,
    single_pass: bool = False,
) -> Ingested:
    """Parse one source's landing files against the bronze spec.

    By default the parse is persisted once (memory, spilling to disk) and counted per file
    before anything is written: the landing count, the checks for unusable files, repeated
    keys and both writes read it instead of parsing the text again; a refused file raises
    here. Release it with `Ingested.release()`.

    `single_pass=True` parses the text while the rows are written, counting the load on the
    way (a Spark observation), so a clean load reads its text once. It trusts that keys do
    not repeat within the load: the caller checks the written rows for repeated keys
    (`bronze.uniqueness_rule`) and loads again without it if they do. Unusable files are
    refused by `checked()`, after the write; the quarantine is parsed again, only when there
    is one.
    """
    columns = source_columns(spec)
    table = f"{spec['database']}.{spec['name']}"
    headers: list[LandingFile] = [read_header(f) for f in files]
    if not headers:
        raise LandingError(f"no landing files given for {table}")
    added = check_headers(table, headers, [c["name"] for c in columns])
    uris = [h.uri for h in headers]
    parsed, texts = _parse_files(spark, headers, columns, spec.get("invalid_when", ()))
    return _ingested(parsed, texts, spec, added, uris, list(files), ingested_at, single_pass)


@dataclass(frozen=True)
class StagedRecords:
    """Records a source extracted and staged as Parquet: one text column per column the
    source sent, and `_record`, the record as the source sent it (JSON text)."""

    files: list[str]
    columns: list[str]
    source_uri: str


RECORD_COLUMN = "_record"


def ingest_records(
    spark: SparkSession,
    records: StagedRecords,
    spec: Mapping[str, Any],
    ingested_at: str,
    *,
    single_pass: bool = False,
) -> Ingested:
    """`ingest` for records extracted from a database or an API: typed, quarantined and
    checked exactly like landing lines, the record's JSON standing for the raw line and the
    source's URI for the file."""
    columns = source_columns(spec)
    table = f"{spec['database']}.{spec['name']}"
    source = LandingFile(uri=records.source_uri, header=list(records.columns), header_line="")
    added = check_headers(table, [source], [c["name"] for c in columns])
    if records.files:
        staged = spark.read.parquet(*records.files)
    else:
        text_columns = [RECORD_COLUMN, *records.columns]
        staged = local_rows(
            spark, [], ", ".join(f"{sql_text.name(c)} string" for c in text_columns)
        )
    fields = ", ".join(sql_text.name(c["name"]) for c in columns)
    lines = staged.selectExpr(
        f"{RECORD_COLUMN} AS raw_line",
        f"{sql_text.literal(records.source_uri)} AS source_file",
        "monotonically_increasing_id() AS line_id",
        f"struct({fields}) AS _p",
    )
    # A record arrives in fields: it cannot be cut short or split wrongly like a text line.
    split = lines.selectExpr(*SPLIT_KEPT, "_p", f"false AS {MALFORMED}")
    parsed = _parse_split(split, columns, "malformed record", spec.get("invalid_when", ()))
    texts = lines.select(*SPLIT_KEPT)
    uris = [records.source_uri]
    return _ingested(parsed, texts, spec, added, uris, uris, ingested_at, single_pass)


def _ingested(
    parsed: DataFrame,
    texts: DataFrame,
    spec: Mapping[str, Any],
    added: dict[str, list[str]],
    uris: list[str],
    files: list[str],
    ingested_at: str,
    single_pass: bool,
) -> Ingested:
    columns = source_columns(spec)
    table = f"{spec['database']}.{spec['name']}"
    if single_pass:
        return _single_pass(parsed, table, columns, uris, added, files, ingested_at)
    # Deserialized: serializing the cached batches again would cost as much as building them.
    cached = parsed.persist(StorageLevel.MEMORY_AND_DISK_DESER)
    try:
        parsed = _flag_duplicates(cached, list(spec.get("primary_key", ())), texts)
        stats = file_stats(parsed, _typed_names(columns))
        refuse_unusable_files(table, stats, columns, uris, added)
    except BaseException:
        cached.unpersist()
        raise
    counts = LoadCounts(
        landing_rows=sum(s["rows"] for s in stats),
        quarantined_rows=sum(s["quarantined"] for s in stats),
    )
    rows, quarantine = _split(parsed, columns, ingested_at)
    return Ingested(rows, quarantine, files, added, lambda: counts, cached)


def _parse_files(
    spark: SparkSession,
    headers: Sequence[LandingFile],
    columns: Sequence[Mapping[str, Any]],
    invalid_when: Sequence[Sequence[str]] = (),
) -> tuple[DataFrame, DataFrame]:
    """The parse of every line, and the lines' text (raw_line by source_file and line_id).

    Files are read together per header line, so that each group is split by its own header.
    """
    groups: dict[str, list[LandingFile]] = {}
    for landing in headers:
        groups.setdefault(landing.header_line, []).append(landing)
    parsed = texts = None
    for header_line, members in groups.items():
        lines = (
            spark.read.text([m.uri for m in members])
            .selectExpr(
                "value AS raw_line",
                "_metadata.file_path AS source_file",
                "monotonically_increasing_id() AS line_id",
            )
            .where(f"trim(raw_line) != '' AND raw_line != {sql_text.literal(header_line)}")
        )
        header = members[0].header
        malformed = f"malformed line: expected {len(header)} comma-separated fields"
        frame = _parse_split(_split_csv(lines, header), columns, malformed, invalid_when)
        parsed = frame if parsed is None else parsed.unionByName(frame)
        texts = lines if texts is None else texts.unionByName(lines)
    return parsed, texts


def _split(
    parsed: DataFrame, columns: Sequence[Mapping[str, Any]], ingested_at: str
) -> tuple[DataFrame, DataFrame]:
    """The good rows, with the ingestion columns, and the quarantine rows."""
    stamp = f"to_timestamp({sql_text.literal(ingested_at)}) AS ingested_at"
    names = (sql_text.name(c["name"]) for c in columns)
    good = parsed.where("reason = ''").selectExpr(*names, stamp, "source_file")
    bad = parsed.where("reason != ''").selectExpr("raw_line", "source_file", "reason", stamp)
    return good, bad


def _single_pass(
    parsed: DataFrame,
    table: str,
    columns: Sequence[Mapping[str, Any]],
    uris: list[str],
    added: dict[str, list[str]],
    files: list[str],
    ingested_at: str,
) -> Ingested:
    typed = _typed_names(columns)
    observation = Observation()
    observed = parsed.observe(observation, *load_totals(typed))
    rows, _ = _split(observed, columns, ingested_at)
    # Not observed: parsing the text again is paid only by a load that has a quarantine.
    _, quarantine = _split(parsed, columns, ingested_at)
    counted: list[LoadCounts] = []

    def check() -> LoadCounts:
        if not counted:
            totals = observed_totals(observation)
            if totals is None or may_refuse(totals, typed):
                # The exact count per file, in a pass of its own: rare (bad input), or the
                # observation never came.
                stats = file_stats(parsed, typed)
                refuse_unusable_files(table, stats, columns, uris, added)
                totals = {k: sum(s[k] for s in stats) for k in ("rows", "quarantined")}
            counted.append(LoadCounts(totals["rows"], totals["quarantined"]))
        return counted[0]

    return Ingested(rows, quarantine, files, added, check)


def _flag_duplicates(parsed: DataFrame, key: list[str], texts: DataFrame) -> DataFrame:
    """Within one load, the last line of a key wins; earlier ones are quarantined.

    Repeated keys are rare: they are found by aggregating the key columns alone (a small
    shuffle) and collected, so the lines themselves are never shuffled; with none, the
    parse is returned as it is. `texts` (raw_line by source_file and line_id) gives back
    the text of the lines quarantined here, which the parse dropped as good.
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
    marked = flagged.select(
        *(c for c in parsed.columns if c != "reason"),
        F.when(
            duplicate, F.concat(F.lit("duplicate key "), key_text, F.lit(" (a later line wins)"))
        )
        .otherwise(F.col("reason"))
        .alias("reason"),
        duplicate.alias("_duplicate"),
    )
    # Line ids are unique within a file read, not across groups of files with other headers.
    line = ["source_file", "line_id"]
    dropped = marked.where("_duplicate").select(*line)
    lost = texts.join(dropped, on=line, how="left_semi").select(
        *line, F.col("raw_line").alias("_text")
    )
    return (
        marked.join(lost, on=line, how="left")
        .withColumn("raw_line", F.coalesce("raw_line", "_text"))
        .select(*parsed.columns)
    )
