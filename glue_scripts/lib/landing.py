"""Where a source's exports land, and what their header says."""

from __future__ import annotations

from dataclasses import dataclass

from glue_scripts.lib.fs import filesystem_for, join


class LandingError(ValueError):
    """A landing file is missing or unusable as a whole."""


@dataclass(frozen=True)
class LandingFile:
    uri: str
    header: list[str]
    header_line: str


def find_source_files(landing: str, source: str, load_date: str) -> list[str]:
    """The CSV files of one source for one load date.

    Accepted layouts, first match wins: `<landing>/<source>/anomesdia=<date>/*.csv` (daily
    drops), `<landing>/<source>/*.csv` (one folder per source) and `<landing>/<source>.csv`
    (a flat export folder, as the source systems deliver them).
    """
    fs = filesystem_for(landing)
    folder = join(landing, source)
    daily = join(folder, f"anomesdia={load_date}")
    for candidate in (daily, folder):
        names = [n for n in fs.list_children(candidate) if n.lower().endswith(".csv")]
        if names:
            return [join(candidate, n) for n in names]
    flat = join(landing, f"{source}.csv")
    if fs.exists(flat):
        return [flat]
    raise LandingError(
        f"no landing file for source '{source}' (looked for {daily}/*.csv, {folder}/*.csv and "
        f"{flat}); generate sample data with `lakehouse generate importau --out {landing}` or "
        "point LAKEHOUSE_LANDING at the folder holding the exports"
    )


def read_header(uri: str) -> LandingFile:
    head = filesystem_for(uri).read_head(uri)
    if not head.strip():
        raise LandingError(f"landing file {uri} is empty: it has no header line; re-export it")
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    try:
        line = first.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LandingError(
            f"landing file {uri} is not UTF-8 ({err}); re-export it as UTF-8"
        ) from err
    return LandingFile(uri=uri, header=[h.strip() for h in line.split(",")], header_line=line)
