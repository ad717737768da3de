"""`lakehouse catalog search TERM`: find tables (and Glue jobs) from the catalog alone.

Every word of the term must match the start of a word somewhere in the table: its name,
description, business tags, column names or comments, or the Glue job that writes it.
Matching ignores case and accents ("cambio" finds "Câmbio"). Glue's `search_tables` picks
the candidates where the endpoint has it; where it does not (moto, some proxies) every
database is scanned with `get_databases` + `get_tables`. Imports neither Dagster nor specs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError


def fold(text: str) -> str:
    """Lower-case, no accents, punctuation and `_` as spaces: 'Câmbio_Diário' -> 'cambio diario'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


def _matches(word: str, text: str) -> bool:
    return re.search(rf"(?:^|\s){re.escape(word)}", text) is not None


@dataclass(frozen=True)
class Hit:
    kind: str  # "table" or "job"
    name: str
    description: str
    fields: tuple[str, ...]
    job: str | None = None


@dataclass
class SearchResult:
    term: str
    hits: list[Hit] = field(default_factory=list)
    method: str = "search_tables"
    note: str | None = None


def table_fields(table: dict) -> Iterator[tuple[str, str]]:
    """(field label, text) pairs a table can be found by."""
    params = table.get("Parameters") or {}
    yield "name", f"{table.get('DatabaseName', '')}.{table.get('Name', '')}"
    yield "description", table.get("Description") or ""
    yield "business_tags", params.get("business_tags", "")
    yield "glue_job_name", params.get("glue_job_name", "")
    columns = (table.get("StorageDescriptor") or {}).get("Columns", [])
    for column in [*columns, *(table.get("PartitionKeys") or [])]:
        yield f"column {column['Name']}", column["Name"]
        yield f"column {column['Name']} comment", column.get("Comment") or ""


def match(words: list[str], labelled: Iterable[tuple[str, str]]) -> tuple[str, ...] | None:
    """The fields that match, if every word matches some field; a field holding all wins."""
    folded = [(label, fold(text)) for label, text in labelled]
    per_word = [[label for label, text in folded if _matches(w, text)] for w in words]
    if not words or not all(per_word):
        return None
    whole = [label for label, text in folded if all(_matches(w, text) for w in words)]
    if whole:
        return tuple(whole)
    return tuple(dict.fromkeys(labels[0] for labels in per_word))


def _scan_tables(glue: Any) -> Iterator[dict]:
    for page in glue.get_paginator("get_databases").paginate():
        for database in page.get("DatabaseList", []):
            for tables in glue.get_paginator("get_tables").paginate(DatabaseName=database["Name"]):
                yield from tables.get("TableList", [])


def _search_tables(glue: Any, term: str) -> list[dict]:
    tables, token = [], None
    while True:
        kwargs = {"SearchText": term, "MaxResults": 100}
        if token:
            kwargs["NextToken"] = token
        response = glue.search_tables(**kwargs)
        tables += response.get("TableList", [])
        token = response.get("NextToken")
        if not token:
            return tables


def _jobs(glue: Any) -> list[dict]:
    try:
        return [j for page in glue.get_paginator("get_jobs").paginate() for j in page["Jobs"]]
    except ClientError:
        return []


def search(glue: Any, term: str, scan: bool = False) -> SearchResult:
    """Tables and jobs matching every word of `term`."""
    result = SearchResult(term=term)
    words = fold(term).split()
    candidates: Iterable[dict]
    if scan:
        result.method, candidates = "scan", _scan_tables(glue)
    else:
        try:
            candidates = _search_tables(glue, term)
        except ClientError as err:
            status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = err.response.get("Error", {}).get("Code", "")
            result.method = "scan"
            result.note = (
                f"search_tables is not available at this endpoint ({code or status}); "
                "scanned every database instead"
            )
            candidates = _scan_tables(glue)
    jobs = {job["Name"]: job for job in _jobs(glue)}
    for table in candidates:
        fields = match(words, table_fields(table))
        if fields:
            job = (table.get("Parameters") or {}).get("glue_job_name") or None
            result.hits.append(
                Hit(
                    kind="table",
                    name=f"{table.get('DatabaseName')}.{table['Name']}",
                    description=table.get("Description") or "",
                    fields=fields,
                    job=job,
                )
            )
    for name, job in sorted(jobs.items()):
        fields = match(words, [("job name", name), ("job description", job.get("Description", ""))])
        if fields:
            result.hits.append(Hit("job", name, job.get("Description") or "", fields))
    result.hits.sort(key=lambda h: (h.kind != "table", h.name))
    return result


def render(result: SearchResult, width: int = 100) -> str:
    if not result.hits:
        return f"nothing in the catalog matches {result.term!r}"
    lines = []
    for hit in result.hits:
        label = "job " if hit.kind == "job" else ""
        lines.append(f"{label}{hit.name}    (matched: {', '.join(hit.fields)})")
        text = " ".join(hit.description.split())
        lines.append("    " + (text if len(text) <= width else text[: width - 3] + "..."))
        if hit.job:
            lines.append(f"    written by Glue job {hit.job}")
    return "\n".join(lines)
