"""BIX's sample sources: the categories file in the landing, and the sales table in PostgreSQL.

`generate` writes the landing part: `<out>/categoria/categoria.parquet`, the 8 categories of
the real file (id int64, nome_categoria string). The employees come from the API stand-in
(`standins.py`), which knows the 9 real names.

`seed_sources` fills the sales database of the local services once: database
`juniordatabase`, table `public.venda` with `scale` sales over 2017-2020 for the 9 employees
and 8 categories, amounts in the hundreds and thousands and a few absurd ones (917025.00
first), the same for the same `(scale, seed)`. `add_sales` appends newer sales, to show an
incremental load picking them up.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from glue_scripts.lib.sources.connections import redact
from lakehouse_assets.local_services.endpoints import database_uri

# `lakehouse run` fills an empty landing with the categories; `seed_sources` gets this
# scale from `lakehouse local-services`: about as many sales as the reference's table.
SAMPLE_SCALE = 1_000
SOURCE_DATABASE = "juniordatabase"
DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
TABLE = "public.venda"
CATEGORIES = (
    "Babywear",
    "Womens wear",
    "Womens Footwear",
    "Sportwear",
    "Mens Clothes",
    "Bath Clothes",
    "Mens Footwear",
    "Childrens wear",
)
EMPLOYEES = 9
FIRST_DAY = dt.date(2017, 1, 1)
LAST_DAY = dt.date(2020, 12, 31)
# Ordinary amounts, in cents: the hundreds and thousands of the reference table.
AMOUNT_CENTS = (10_000, 350_000)
# The reference table's absurd amount; further outliers are drawn between these bounds.
FIRST_OUTLIER = Decimal("917025.00")
OUTLIER_RANGE = (100_000, 1_000_000)
# One outlier per this many sales (at least one).
OUTLIER_EVERY = 400
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} (id_venda int PRIMARY KEY, id_funcionario int, "
    "id_categoria int, data_venda date, venda numeric)"
)
SALES_SCHEMA = pa.schema(
    [
        ("id_venda", pa.int32()),
        ("id_funcionario", pa.int32()),
        ("id_categoria", pa.int32()),
        ("data_venda", pa.date32()),
        ("venda", pa.decimal128(12, 2)),
    ]
)


class SeedError(RuntimeError):
    """The sales database could not be created or filled."""


def categories_table() -> pa.Table:
    return pa.table(
        {
            "id": pa.array(range(1, len(CATEGORIES) + 1), pa.int64()),
            "nome_categoria": pa.array(CATEGORIES, pa.string()),
        }
    )


def generate(
    out_dir: str | os.PathLike,
    scale: int = SAMPLE_SCALE,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Write `<out_dir>/categoria/categoria.parquet`; return {"categoria": 8}. The file is
    the same whatever `scale` and `seed` (the sales live in PostgreSQL: `seed_sources`)."""
    _check(scale, seed)
    folder = Path(out_dir) / "categoria"
    folder.mkdir(parents=True, exist_ok=True)
    table = categories_table()
    pq.write_table(table, folder / "categoria.parquet")
    if progress is not None:
        progress(f"bix: {table.num_rows} categories")
    return {"categoria": table.num_rows}


def _check(scale: Any, seed: Any) -> None:
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")


def sales(
    count: int,
    seed: int,
    first_id: int = 1,
    days: tuple[dt.date, dt.date] = (FIRST_DAY, LAST_DAY),
    outliers: bool = True,
) -> pa.Table:
    """`count` sales with ids from `first_id`, dated within `days`, deterministic by seed."""
    rng = np.random.default_rng([seed, first_id])
    span = (days[1] - days[0]).days + 1
    offsets = rng.integers(0, span, count)
    cents = rng.integers(AMOUNT_CENTS[0], AMOUNT_CENTS[1] + 1, count)
    amounts = [Decimal(int(c)).scaleb(-2) for c in cents]
    if outliers:
        places = rng.choice(count, size=max(1, count // OUTLIER_EVERY), replace=False)
        for n, place in enumerate(sorted(places)):
            high = int(rng.integers(*OUTLIER_RANGE)) * 100
            amounts[place] = FIRST_OUTLIER if n == 0 else Decimal(high).scaleb(-2)
    return pa.table(
        {
            "id_venda": pa.array(range(first_id, first_id + count), pa.int32()),
            "id_funcionario": pa.array(rng.integers(1, EMPLOYEES + 1, count), pa.int32()),
            "id_categoria": pa.array(rng.integers(1, len(CATEGORIES) + 1, count), pa.int32()),
            "data_venda": pa.array(
                [days[0] + dt.timedelta(days=int(o)) for o in offsets], pa.date32()
            ),
            "venda": pa.array(amounts, pa.decimal128(12, 2)),
        },
        schema=SALES_SCHEMA,
    )


def _connect(uri: str, autocommit: bool = False):
    import adbc_driver_postgresql.dbapi as dbapi

    try:
        return dbapi.connect(uri, autocommit=autocommit)
    except Exception as error:  # the driver's errors carry no password, the URI may
        raise SeedError(
            f"cannot connect to {redact(uri)}: {type(error).__name__}. Start the local "
            "services (`lakehouse local-services start`) or fix the PostgreSQL URI."
        ) from None


def ensure_database(endpoints: dict[str, Any], database: str) -> str:
    """Create `database` on the services' PostgreSQL if missing; return its URI."""
    if not DATABASE_NAME.fullmatch(database):
        raise SeedError(f"database name {database!r} must be lower-case letters, digits and _")
    with _connect(endpoints["postgres_uri"], autocommit=True) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = $1", parameters=(database,))
        if cur.fetchone() is None:
            cur.execute(f'CREATE DATABASE "{database}"')
    return database_uri(endpoints, database)


def seed_sources(
    endpoints: dict[str, Any], scale: int, seed: int, *, database: str = SOURCE_DATABASE
) -> dict[str, int]:
    """Create and fill the sales table once: {"venda": rows in the table}.

    A table that already holds sales is left as it is (their count is returned), so a
    restart of the local services never rewrites what bronze has already loaded.
    """
    _check(scale, seed)
    uri = ensure_database(endpoints, database)
    with _connect(uri) as conn, conn.cursor() as cur:
        cur.execute(CREATE_TABLE)
        # Two services starting at once: the second waits here and then finds the rows.
        cur.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cur.execute(f"SELECT COUNT(*) FROM {TABLE}")
        (rows,) = cur.fetchone()
        if rows == 0:
            rows = cur.adbc_ingest(
                "venda", sales(scale, seed), mode="append", db_schema_name="public"
            )
        conn.commit()
    return {"venda": int(rows)}


def add_sales(
    endpoints: dict[str, Any],
    count: int,
    seed: int,
    day: dt.date | None = None,
    *,
    database: str = SOURCE_DATABASE,
) -> list[int]:
    """Append `count` sales after the highest id, dated `day` (default: the day after the
    latest sale), without outliers; return their ids."""
    _check(count, seed)
    uri = database_uri(endpoints, database)
    with _connect(uri) as conn, conn.cursor() as cur:
        cur.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cur.execute(f"SELECT COALESCE(MAX(id_venda), 0), MAX(data_venda) FROM {TABLE}")
        last_id, last_day = cur.fetchone()
        when = day or (last_day + dt.timedelta(days=1) if last_day else FIRST_DAY)
        new = sales(count, seed, first_id=last_id + 1, days=(when, when), outliers=False)
        cur.adbc_ingest("venda", new, mode="append", db_schema_name="public")
        conn.commit()
    return new.column("id_venda").to_pylist()
