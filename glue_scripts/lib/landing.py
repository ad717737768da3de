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


def find_source_files(
    landing: str, source: str, load_date: str, domain: str = "<domain>", extension: str = ".csv"
) -> list[str]:
    """The files of one source (of `domain`, named in the error) for one load date.

    Accepted layouts, first match wins: `<landing>/<source>/anomesdia=<date>/*.csv` (daily
    drops), `<landing>/<source>/*.csv` (one folder per source) and `<landing>/<source>.csv`
    (a flat export folder, as the source systems deliver them); `extension` replaces `.csv`
    for sources of another format (`.parquet`).
    """
    fs = filesystem_for(landing)
    folder = join(landing, source)
    daily = join(folder, f"anomesdia={load_date}")
    for candidate in (daily, folder):
        names = [n for n in fs.list_children(candidate) if n.lower().endswith(extension)]
        if names:
            return [join(candidate, n) for n in names]
    flat = join(landing, f"{source}{extension}")
    if fs.exists(flat):
        return [flat]
    raise LandingError(
        f"no landing file for source '{source}' (looked for {daily}/*{extension}, "
        f"{folder}/*{extension} and "
        f"{flat}); generate sample data with `lakehouse generate {domain} --out {landing}` or "
        "point LAKEHOUSE_LANDING at the folder holding the exports"
    )


# Delimiters other exporters use (a spreadsheet in a Brazilian locale writes `;`).
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}


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
    _check_delimiter(uri, line)
    return LandingFile(uri=uri, header=[h.strip() for h in line.split(",")], header_line=line)


def _check_delimiter(uri: str, header: str) -> None:
    """Sources are comma-separated (RFC 4180); a header split by something else is refused
    whole, before its columns would all look missing."""
    commas = header.count(",")
    found = max(OTHER_DELIMITERS, key=header.count)
    if header.count(found) > commas:
        name = OTHER_DELIMITERS[found]
        raise LandingError(
            f"landing file {uri} is delimited by {found!r} ({name}), not by commas: its header "
            f"has {header.count(found) + 1} {name}-separated fields and {commas + 1} "
            "comma-separated one(s); re-export it comma-separated (RFC 4180 CSV) and load "
            "the day again"
        )
