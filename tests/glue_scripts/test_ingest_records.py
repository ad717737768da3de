"""Records extracted from a source system, typed and quarantined like landing lines
(glue_scripts/lib/ingest.py `ingest_records`)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.file_checks import SchemaDriftError
from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.ingest import StagedRecords, ingest_records
from lakehouse_assets.domains.helpers import bronze_table
from lakehouse_assets.source_specs import PostgresTable
from lakehouse_assets.specs import Column

SOURCE = "postgres://127.0.0.1:5432/shop/public.venda"
SPEC = bronze_table(
    domain="shop",
    name="venda",
    description="Sales.",
    owner="team:shop",
    job="shop_bronze",
    columns=(
        Column("id_venda", "int", "Sale id.", nullable=False),
        Column("data_venda", "date", "Day of the sale.", nullable=False),
        Column("venda", "decimal(12,2)", "Amount."),
    ),
    primary_key=("id_venda",),
    extract=PostgresTable(
        connection="SHOP_POSTGRES_URI", table="public.venda", database="shop", cursor="data_venda"
    ),
).payload()


def stage(tmp_path, rows: list[dict], name: str = "part-00000.parquet") -> str:
    """A staged file as the extractors write it: text columns and the record as JSON."""
    columns = list(rows[0]) if rows else ["id_venda", "data_venda", "venda"]
    table = pa.table(
        {
            **{c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns},
            "_record": pa.array([json.dumps(r) for r in rows], pa.string()),
        }
    )
    path = tmp_path / name
    pq.write_table(table, path)
    return normalize_root(str(path))


def load(spark, files, columns=("id_venda", "data_venda", "venda"), single_pass=False):
    staged = StagedRecords(files=files, columns=list(columns), source_uri=SOURCE)
    loaded = ingest_records(spark, staged, SPEC, "2024-10-15 12:00:00", single_pass=single_pass)
    rows = sorted((r.asDict() for r in loaded.rows.collect()), key=lambda r: r["id_venda"])
    quarantine = sorted(
        (r.asDict() for r in loaded.quarantine.collect()), key=lambda q: q["raw_line"]
    )
    counts = loaded.checked()
    loaded.release()
    return rows, quarantine, counts, loaded


def test_records_are_typed_and_bad_ones_quarantined_with_the_record_and_reason(spark, tmp_path):
    good = {"id_venda": "1", "data_venda": "2020-01-05", "venda": "917025.00"}
    no_key = {"id_venda": None, "data_venda": "2020-01-06", "venda": "10.50"}
    bad_amount = {"id_venda": "3", "data_venda": "2020-01-07", "venda": "dez reais"}
    rows, quarantine, counts, loaded = load(spark, [stage(tmp_path, [good, no_key, bad_amount])])
    assert rows == [
        {
            "id_venda": 1,
            "data_venda": dt.date(2020, 1, 5),
            "venda": Decimal("917025.00"),
            "ingested_at": dt.datetime(2024, 10, 15, 12, 0),
            "source_file": SOURCE,
        }
    ]
    assert [(q["raw_line"], q["reason"], q["source_file"]) for q in quarantine] == [
        (json.dumps(bad_amount), "venda: 'dez reais' is not a valid decimal(12,2)", SOURCE),
        (json.dumps(no_key), "id_venda: required value is missing", SOURCE),
    ]
    assert (counts.landing_rows, counts.quarantined_rows) == (3, 2)
    assert loaded.files == [SOURCE]


def test_a_quote_inside_a_record_is_an_ordinary_character(spark, tmp_path):
    # A line with an odd number of quotes is a cut CSV line; a record's JSON is not a line.
    record = {"id_venda": "7", "data_venda": "2020-02-01", "venda": "1.00", "nota": 'a "b'}
    rows, quarantine, _, _ = load(
        spark, [stage(tmp_path, [record])], columns=("id_venda", "data_venda", "venda", "nota")
    )
    assert [r["id_venda"] for r in rows] == [7] and quarantine == []


def test_the_single_pass_load_counts_the_same(spark, tmp_path):
    records = [
        {"id_venda": "1", "data_venda": "2020-01-05", "venda": "1.00"},
        {"id_venda": "2", "data_venda": "2020-13-01", "venda": "2.00"},
    ]
    rows, quarantine, counts, _ = load(spark, [stage(tmp_path, records)], single_pass=True)
    assert [r["id_venda"] for r in rows] == [1]
    assert [q["reason"] for q in quarantine] == ["data_venda: '2020-13-01' is not a valid date"]
    assert (counts.landing_rows, counts.quarantined_rows) == (2, 1)


def test_no_records_is_an_empty_load(spark):
    rows, quarantine, counts, _ = load(spark, [])
    assert (rows, quarantine, counts.landing_rows) == ([], [], 0)


def test_a_column_the_source_added_is_reported_and_not_loaded(spark, tmp_path):
    record = {"id_venda": "1", "data_venda": "2020-01-05", "venda": "1.00", "loja": "Centro"}
    columns = ("id_venda", "data_venda", "venda", "loja")
    rows, _, _, loaded = load(spark, [stage(tmp_path, [record])], columns=columns)
    assert "loja" not in rows[0]
    assert loaded.drift == {SOURCE: ["loja"]}


def test_a_column_the_source_lost_refuses_the_load_naming_the_source(spark, tmp_path):
    record = {"id_venda": "1", "data_venda": "2020-01-05"}
    with pytest.raises(SchemaDriftError) as caught:
        load(spark, [stage(tmp_path, [record])], columns=("id_venda", "data_venda"))
    assert str(caught.value).startswith(
        f"source {SOURCE} lacks column(s) ['venda'] required by shop_bronze.venda"
    )
    assert caught.value.missing == {SOURCE: ["venda"]}


def test_a_retyped_column_refuses_the_load(spark, tmp_path):
    records = [
        {"id_venda": str(i), "data_venda": f"05/01/202{i}", "venda": "1.00"} for i in range(3)
    ]
    with pytest.raises(SchemaDriftError) as caught:
        load(spark, [stage(tmp_path, records)])
    assert f"source {SOURCE}: column data_venda changed: none of its 3 values" in str(caught.value)
