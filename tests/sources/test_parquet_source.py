"""The landing Parquet extractor: typed columns staged as text, unreadable files refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.landing import LandingError
from glue_scripts.lib.sources import SourceError, extract

CATEGORIES = pa.table(
    {
        "id": pa.array([1, 2, 8], pa.int64()),
        "nome_categoria": ["Babywear", "Womens wear", None],
    }
)


def test_int64_and_strings_are_staged_as_text(tmp_path, make_request, read_staged):
    folder = tmp_path / "landing" / "categoria" / "anomesdia=20240102"
    folder.mkdir(parents=True)
    pq.write_table(CATEGORIES, folder / "categoria.parquet")

    result = extract(make_request({"kind": "parquet_files"}, table="bix_bronze.categoria"))

    assert read_staged(result.files).to_pylist() == [
        {
            "id": "1",
            "nome_categoria": "Babywear",
            "_record": '{"id": 1, "nome_categoria": "Babywear"}',
        },
        {
            "id": "2",
            "nome_categoria": "Womens wear",
            "_record": '{"id": 2, "nome_categoria": "Womens wear"}',
        },
        {"id": "8", "nome_categoria": None, "_record": '{"id": 8, "nome_categoria": null}'},
    ]
    assert (result.rows, result.columns, result.watermark) == (3, ["id", "nome_categoria"], None)
    assert result.source_uri == f"file://{folder}"


def test_the_real_categoria_file(tmp_path, make_request, read_staged):
    real = Path("/work/shared/data/bix/categoria.parquet")
    if not real.is_file():
        pytest.skip(f"the real categoria file is not at {real}")
    (tmp_path / "landing").mkdir()
    (tmp_path / "landing" / "categoria.parquet").write_bytes(real.read_bytes())

    result = extract(make_request({"kind": "parquet_files"}, table="bix_bronze.categoria"))

    staged = read_staged(result.files)
    assert staged.column("id").to_pylist() == [str(n) for n in range(1, 9)]
    assert staged.column("nome_categoria").to_pylist()[-1] == "Childrens wear"


def test_other_types_follow_the_staged_text_format(tmp_path, make_request, read_staged):
    (tmp_path / "landing").mkdir()
    table = pa.table(
        {
            "Valor": pa.array([Decimal("917025.00"), None], pa.decimal128(12, 2)),
            "dia": pa.array([date(2020, 1, 5), None]),
            "em": pa.array(
                [datetime(2024, 3, 1, 13, 0), datetime(2024, 3, 4, 23, 30, 0, 250000)],
                pa.timestamp("us", tz="UTC"),
            ),
            "ok": [True, False],
            "taxa": [1.5, None],
        }
    )
    pq.write_table(table, tmp_path / "landing" / "venda.parquet")

    result = extract(make_request({"kind": "parquet_files"}))

    assert result.columns == ["valor", "dia", "em", "ok", "taxa"]
    assert read_staged(result.files).to_pylist() == [
        {
            "valor": "917025.00",
            "dia": "2020-01-05",
            "em": "2024-03-01 13:00:00",
            "ok": "true",
            "taxa": "1.5",
            "_record": '{"Valor": "917025.00", "dia": "2020-01-05", '
            '"em": "2024-03-01 13:00:00", "ok": true, "taxa": 1.5}',
        },
        {
            "valor": None,
            "dia": None,
            "em": "2024-03-04 23:30:00.25",
            "ok": "false",
            "taxa": None,
            "_record": '{"Valor": null, "dia": null, '
            '"em": "2024-03-04 23:30:00.250000", "ok": false, "taxa": null}',
        },
    ]


def test_many_batches_stream_into_row_groups(tmp_path, make_request, read_staged, monkeypatch):
    from glue_scripts.lib.sources import parquet_files

    monkeypatch.setattr(parquet_files, "BATCH_ROWS", 2)
    (tmp_path / "landing").mkdir()
    pq.write_table(CATEGORIES, tmp_path / "landing" / "categoria.parquet")

    result = extract(make_request({"kind": "parquet_files"}, table="bix_bronze.categoria"))

    assert pq.ParquetFile(result.files[0].removeprefix("file://")).num_row_groups == 2
    assert read_staged(result.files).column("id").to_pylist() == ["1", "2", "8"]


def test_a_file_that_is_not_parquet_is_named(tmp_path, make_request):
    (tmp_path / "landing").mkdir()
    bad = tmp_path / "landing" / "categoria.parquet"
    bad.write_text("id,nome_categoria\n1,Babywear\n")

    with pytest.raises(SourceError) as caught:
        extract(make_request({"kind": "parquet_files"}, table="bix_bronze.categoria"))

    message = str(caught.value)
    assert message.startswith(f"landing file file://{bad} is not a readable Parquet file (")
    assert message.endswith(
        "re-export it as Parquet or remove it from the landing, then load the day again"
    )


def test_no_file_for_the_day(tmp_path, make_request):
    (tmp_path / "landing").mkdir()

    with pytest.raises(
        LandingError,
        match=r"no landing file for source 'categoria' .*`lakehouse "
        r"generate bix --out",
    ):
        extract(make_request({"kind": "parquet_files"}, table="bix_bronze.categoria"))


def test_an_unknown_kind(make_request):
    with pytest.raises(SourceError, match=r"unknown source kind 'kafka'; the known kinds are "):
        extract(make_request({"kind": "kafka"}))
