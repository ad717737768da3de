"""Loading lake tables into the local PostgreSQL warehouse: real Parquet, real database."""

from __future__ import annotations

import dataclasses
import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from glue_scripts.lib.tables import TableNotFoundError
from lakehouse_assets.warehouse.errors import (
    WarehouseError,
    WarehouseSchemaError,
    WarehouseUnreachableError,
)
from lakehouse_assets.warehouse.lake import LakeSnapshot
from lakehouse_assets.warehouse.postgres import PostgresWarehouse
from tests.warehouse.conftest import (
    PAGAMENTO,
    VENDA,
    VENDA_ROWS,
    arrow_rows,
    fetch,
    parquet_bytes,
    put,
)

VENDA_TABLE = [
    (1, 3, 2, datetime.date(2017, 1, 5), 120.5),
    (2, 1, 8, datetime.date(2019, 7, 14), 917025.0),
    (3, 9, 1, None, None),
]
PAGAMENTO_ROWS = [
    {
        "id_pagamento": 10,
        "valor": "15.20",
        "pago_em": "2024-01-10 08:30:00",
        "metodo": "pix",
        "anomesdia": "20240110",
    },
    {"id_pagamento": 11, "valor": None, "pago_em": None, "metodo": None, "anomesdia": "20240110"},
    {
        "id_pagamento": 10,
        "valor": "15.25",
        "pago_em": "2024-01-11 23:59:59",
        "metodo": "card",
        "anomesdia": "20240111",
    },
]


def load(uri: str, root, spec):
    return PostgresWarehouse(uri).load(LakeSnapshot.current(str(root), spec))


def test_creates_schema_and_table_and_copies_the_rows(warehouse_uri, lake, commit_table):
    commit_table(VENDA, VENDA_ROWS)

    result = load(warehouse_uri, lake["root"], VENDA)

    assert (result.table, result.rows_loaded, result.lake_rows) == ("bix_silver.venda", 3, 3)
    assert (result.table_version, result.created) == (1, True)
    assert fetch(warehouse_uri, "SELECT * FROM bix_silver.venda ORDER BY id_venda") == VENDA_TABLE
    columns = fetch(
        warehouse_uri,
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = 'bix_silver' AND table_name = 'venda' ORDER BY ordinal_position",
    )
    assert columns == [
        ("id_venda", "integer", "NO"),
        ("id_funcionario", "integer", "NO"),
        ("id_categoria", "integer", "NO"),
        ("data_venda", "date", "YES"),
        ("venda", "double precision", "YES"),
    ]
    key = fetch(
        warehouse_uri,
        "SELECT kcu.column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu USING (constraint_name, table_schema) "
        "WHERE tc.table_schema = 'bix_silver' AND tc.constraint_type = 'PRIMARY KEY'",
    )
    assert key == [("id_venda",)]


def test_a_rerun_changes_nothing_and_a_new_version_replaces_the_rows(
    warehouse_uri, lake, commit_table
):
    commit_table(VENDA, VENDA_ROWS)
    load(warehouse_uri, lake["root"], VENDA)

    again = load(warehouse_uri, lake["root"], VENDA)

    assert (again.rows_loaded, again.created, again.table_version) == (3, False, 1)
    assert fetch(warehouse_uri, "SELECT * FROM bix_silver.venda ORDER BY id_venda") == VENDA_TABLE

    commit_table(VENDA, VENDA_ROWS[:1])
    newer = load(warehouse_uri, lake["root"], VENDA)

    assert (newer.rows_loaded, newer.table_version) == (1, 2)
    assert fetch(warehouse_uri, "SELECT * FROM bix_silver.venda") == VENDA_TABLE[:1]


def test_a_partitioned_table_gets_its_partition_values_from_the_folder_names(
    warehouse_uri, lake, commit_table
):
    commit_table(PAGAMENTO, PAGAMENTO_ROWS)

    result = load(warehouse_uri, lake["root"], PAGAMENTO)

    assert (result.table, result.rows_loaded) == ("bix_bronze.pagamentos", 3)
    rows = fetch(
        warehouse_uri,
        "SELECT id_pagamento, valor::text, pago_em, metodo, anomesdia "
        "FROM bix_bronze.pagamentos ORDER BY anomesdia, id_pagamento",
    )
    assert rows == [
        (10, "15.20", datetime.datetime(2024, 1, 10, 8, 30), "pix", "20240110"),
        (11, None, None, None, "20240110"),
        (10, "15.25", datetime.datetime(2024, 1, 11, 23, 59, 59), "card", "20240111"),
    ]
    types = fetch(
        warehouse_uri,
        "SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns "
        "WHERE table_schema = 'bix_bronze' AND column_name = 'valor'",
    )
    assert types == [("numeric", 12, 2)]
    assert Decimal(rows[0][1]) == Decimal("15.20")


def test_a_file_no_version_names_is_not_loaded(warehouse_uri, lake, commit_table):
    store = commit_table(PAGAMENTO, PAGAMENTO_ROWS)
    [day] = store.data_uris(store.current(), ["anomesdia=20240111"])
    # Beside the committed file, one no commit registered (a killed write's, or copied by hand).
    stray = arrow_rows(PAGAMENTO, [{**PAGAMENTO_ROWS[2], "id_pagamento": 99}])
    put(day.replace("part-00000", "part-00001"), parquet_bytes(stray))

    result = load(warehouse_uri, lake["root"], PAGAMENTO)

    assert (result.rows_loaded, result.lake_rows) == (3, 3)
    assert fetch(
        warehouse_uri, "SELECT id_pagamento, anomesdia FROM bix_bronze.pagamentos ORDER BY 2, 1"
    ) == [(10, "20240110"), (11, "20240110"), (10, "20240111")]


def test_an_unreadable_partition_mid_load_keeps_the_previous_rows(
    warehouse_uri, lake, commit_table
):
    commit_table(PAGAMENTO, PAGAMENTO_ROWS[:2])
    load(warehouse_uri, lake["root"], PAGAMENTO)
    store = commit_table(PAGAMENTO, PAGAMENTO_ROWS)
    # A real fault: the second partition's file is damaged after the commit.
    [broken] = store.data_uris(store.current(), ["anomesdia=20240111"])
    Path(broken.removeprefix("file://")).write_bytes(b"not parquet at all")

    with pytest.raises(WarehouseError) as failure:
        load(warehouse_uri, lake["root"], PAGAMENTO)

    assert "rolled back (the previous rows are kept)" in str(failure.value)
    assert "part-00000.parquet" in str(failure.value)
    assert fetch(
        warehouse_uri, "SELECT id_pagamento, anomesdia FROM bix_bronze.pagamentos ORDER BY 1"
    ) == [(10, "20240110"), (11, "20240110")]


def test_a_row_violating_not_null_keeps_the_previous_rows(warehouse_uri, lake, commit_table):
    commit_table(VENDA, VENDA_ROWS)
    load(warehouse_uri, lake["root"], VENDA)
    commit_table(VENDA, [*VENDA_ROWS, {**VENDA_ROWS[0], "id_venda": 4, "id_funcionario": None}])

    with pytest.raises(WarehouseError) as failure:
        load(warehouse_uri, lake["root"], VENDA)

    assert 'null value in column "id_funcionario"' in str(failure.value)
    assert fetch(warehouse_uri, "SELECT * FROM bix_silver.venda ORDER BY id_venda") == VENDA_TABLE


def test_a_table_altered_by_hand_is_refused_before_anything_is_deleted(
    warehouse_uri, lake, commit_table
):
    commit_table(VENDA, VENDA_ROWS)
    load(warehouse_uri, lake["root"], VENDA)
    PostgresWarehouse(warehouse_uri).query("ALTER TABLE bix_silver.venda DROP COLUMN venda")

    with pytest.raises(WarehouseSchemaError) as failure:
        load(warehouse_uri, lake["root"], VENDA)

    assert str(failure.value) == (
        "warehouse table bix_silver.venda does not match its spec: missing columns ['venda']. "
        'Nothing was deleted. Either `DROP TABLE "bix_silver"."venda"` and materialize the '
        'asset again (it is re-created) or add them (ALTER TABLE "bix_silver"."venda" ADD '
        'COLUMN "venda" DOUBLE PRECISION) if they are last in the spec'
    )
    assert fetch(warehouse_uri, "SELECT count(*) FROM bix_silver.venda") == [(3,)]


def test_an_extra_column_is_named(warehouse_uri, lake, commit_table):
    commit_table(VENDA, VENDA_ROWS)
    load(warehouse_uri, lake["root"], VENDA)
    PostgresWarehouse(warehouse_uri).query("ALTER TABLE bix_silver.venda ADD COLUMN nota TEXT")

    with pytest.raises(WarehouseSchemaError, match=r"extra columns \['nota'\]"):
        load(warehouse_uri, lake["root"], VENDA)


def test_an_unreachable_warehouse_is_named_without_its_password(lake, commit_table):
    commit_table(VENDA, VENDA_ROWS)
    uri = "postgresql://loader:s3cr3t-pw@127.0.0.1:9/warehouse"

    with pytest.raises(WarehouseUnreachableError) as failure:
        load(uri, lake["root"], VENDA)

    message = str(failure.value)
    assert "s3cr3t-pw" not in message
    assert message.startswith(
        "the warehouse at postgresql://loader:***@127.0.0.1:9/warehouse cannot be reached ("
    )
    assert message.endswith(
        "Start the local services (`lakehouse local-services --background`) or point "
        "LAKEHOUSE_WAREHOUSE_URI at a PostgreSQL database"
    )


def test_a_lake_table_never_committed_says_to_materialize_it(lake):
    with pytest.raises(TableNotFoundError, match="materialize it first"):
        LakeSnapshot.current(str(lake["root"]), dataclasses.replace(VENDA, name="nunca"))
