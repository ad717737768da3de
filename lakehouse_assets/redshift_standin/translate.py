"""Redshift SQL -> what PostgreSQL runs: layout clauses dropped, COPY recognised."""

from __future__ import annotations

import re
from dataclasses import dataclass


class UnsupportedStatementError(ValueError):
    """Redshift SQL the stand-in cannot run; the message says what it would take."""


@dataclass(frozen=True)
class CopyCommand:
    table: str  # as written: `schema.table`, quoted or not
    source: str  # s3:// prefix, or a manifest's URI
    manifest: bool


_LAYOUT = [
    re.compile(r"\bDISTSTYLE\s+(AUTO|EVEN|ALL|KEY)\b", re.I),
    re.compile(r"\bDISTKEY\s*\([^)]*\)", re.I),
    re.compile(r"\b(COMPOUND\s+|INTERLEAVED\s+)?SORTKEY\s*(AUTO\b|\([^)]*\))", re.I),
    re.compile(r"\bENCODE\s+\w+", re.I),
    re.compile(r"\bBACKUP\s+(YES|NO)\b", re.I),
]
_VARCHAR_MAX = re.compile(r"\b(VARCHAR|CHARACTER\s+VARYING)\s*\(\s*(65535|MAX)\s*\)", re.I)
_COPY = re.compile(
    r"^\s*COPY\s+(?P<table>(\"[^\"]+\"|\w+)(\.(\"[^\"]+\"|\w+))?)\s+FROM\s+'(?P<source>[^']*)'"
    r"(?P<options>.*?);?\s*$",
    re.I | re.S,
)
_EXTERNAL = re.compile(r"^\s*(CREATE|DROP)\s+EXTERNAL\s+(SCHEMA|TABLE)\b", re.I)


def translate(text: str) -> str | CopyCommand:
    """The statement for PostgreSQL, or the COPY to carry out."""
    if _EXTERNAL.match(text):
        raise UnsupportedStatementError(
            "external schemas and tables (Redshift Spectrum over the Glue Data Catalog) exist "
            "only on Redshift; the local stand-in cannot query the catalog in place"
        )
    copy = _COPY.match(text)
    if copy:
        return _copy(copy)
    if re.match(r"^\s*COPY\b", text, re.I):
        raise UnsupportedStatementError(
            "the stand-in runs COPY <table> FROM 's3://...' IAM_ROLE '...' FORMAT AS PARQUET "
            "[MANIFEST] only"
        )
    for pattern in _LAYOUT:
        text = pattern.sub("", text)
    return _VARCHAR_MAX.sub("TEXT", text)


def _copy(match: re.Match) -> CopyCommand:
    options = match["options"].upper()
    source = match["source"]
    if not source.startswith("s3://"):
        raise UnsupportedStatementError(f"COPY reads s3:// only, not {source!r}")
    if not re.search(r"\bFORMAT\s+(AS\s+)?PARQUET\b", options):
        raise UnsupportedStatementError("the stand-in's COPY reads FORMAT AS PARQUET only")
    if "IAM_ROLE" not in options and "CREDENTIALS" not in options:
        # Redshift refuses a COPY without authorization too.
        raise UnsupportedStatementError("COPY needs IAM_ROLE '<arn>' (or CREDENTIALS)")
    return CopyCommand(match["table"], source, manifest=bool(re.search(r"\bMANIFEST\b", options)))
