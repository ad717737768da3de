"""DuckDB reading the lakehouse's Iceberg tables, offline.

DuckDB fetches its extensions from the internet on first use; the `duckdb-extension-iceberg`
and `duckdb-extension-avro` packages ship them as files instead, so a laptop without internet
access (and CI) reads Iceberg like any other engine: `iceberg_scan(<metadata location>)`.
"""

from __future__ import annotations

import importlib
from pathlib import Path

EXTENSIONS = ("avro", "iceberg")


def extension_file(name: str) -> Path:
    """The extension binary a `duckdb-extension-<name>` package holds for this DuckDB."""
    import duckdb

    package = importlib.import_module(f"duckdb_extension_{name}")
    path = (
        Path(package.__file__).parent
        / "extensions"
        / f"v{duckdb.__version__}"
        / f"{name}.duckdb_extension"
    )
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: duckdb-extension-{name} must be the release of duckdb "
            f"{duckdb.__version__} (`make setup` installs the pinned pair)"
        )
    return path


def connect():
    """A DuckDB connection with the Iceberg extension loaded."""
    import duckdb

    connection = duckdb.connect()
    for name in EXTENSIONS:
        connection.execute(f"LOAD '{extension_file(name)}'")
    return connection


def scan(metadata_location: str, snapshot_id: int | None = None) -> str:
    """The `iceberg_scan(...)` table function reading a table's version (the one the
    metadata file names as current, or `snapshot_id`)."""
    quoted = metadata_location.replace("'", "''")
    if snapshot_id is None:
        return f"iceberg_scan('{quoted}')"
    return f"iceberg_scan('{quoted}', snapshot_from_id = {int(snapshot_id)})"
