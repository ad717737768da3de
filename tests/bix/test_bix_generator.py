"""BIX's sample sources: the categories file, and the sales table seeded once in a real
PostgreSQL (the suite's `pg_uri`)."""

from __future__ import annotations

import datetime as dt

import adbc_driver_postgresql.dbapi as dbapi
import pyarrow.parquet as pq
import pytest

from lakehouse_assets.domains.bix import generator
from lakehouse_assets.domains.bix.specs import VENDA_BRONZE
from lakehouse_assets.local_services.endpoints import database_uri

CATEGORIES = [
    (1, "Babywear"),
    (2, "Womens wear"),
    (3, "Womens Footwear"),
    (4, "Sportwear"),
    (5, "Mens Clothes"),
    (6, "Bath Clothes"),
    (7, "Mens Footwear"),
    (8, "Childrens wear"),
]


def test_the_landing_gets_the_eight_real_categories(tmp_path):
    counts = generator.generate(tmp_path, scale=5, seed=3)

    table = pq.read_table(tmp_path / "categoria" / "categoria.parquet")
    assert counts == {"categoria": 8}
    assert str(table.schema.field("id").type) == "int64"
    assert str(table.schema.field("nome_categoria").type) == "string"
    assert [(r["id"], r["nome_categoria"]) for r in table.to_pylist()] == CATEGORIES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["categoria"]


def test_bad_scale_or_seed_says_what_is_expected(tmp_path):
    with pytest.raises(ValueError, match="scale must be a positive integer, got 0"):
        generator.generate(tmp_path, scale=0, seed=1)
    with pytest.raises(ValueError, match="seed must be a non-negative integer, got -1"):
        generator.generate(tmp_path, scale=1, seed=-1)


def test_the_source_database_is_the_one_the_spec_extracts_from():
    assert generator.SOURCE_DATABASE == VENDA_BRONZE.extract.database == "juniordatabase"
    assert VENDA_BRONZE.extract.table == generator.TABLE


def _query(uri: str, sql: str) -> list[tuple]:
    with dbapi.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


SUMMARY = (
    "SELECT COUNT(*), COUNT(DISTINCT id_venda), MIN(id_venda), MAX(id_venda), "
    "COUNT(DISTINCT id_funcionario), MIN(id_funcionario), MAX(id_funcionario), "
    "COUNT(DISTINCT id_categoria), MIN(id_categoria), MAX(id_categoria), "
    "COUNT(*) FILTER (WHERE venda > 10000), "
    "COUNT(*) FILTER (WHERE venda = 917025), COUNT(*) FILTER (WHERE venda < 100), "
    "COUNT(*) FILTER (WHERE venda > 3500 AND venda <= 10000) FROM public.venda"
)
CONTENT = "SELECT md5(string_agg(v::text, '|' ORDER BY id_venda)) FROM public.venda v"


@pytest.fixture(scope="module")
def seeded(pg_uri):
    endpoints = {"postgres_uri": pg_uri}
    first = generator.seed_sources(endpoints, 1000, 7, database="bix_seed_a")
    return endpoints, first


def test_seeding_creates_the_sales_of_nine_employees_and_eight_categories(seeded):
    endpoints, first = seeded
    uri = database_uri(endpoints, "bix_seed_a")

    assert first == {"venda": 1000}
    assert _query(uri, SUMMARY) == [
        (
            1000,
            1000,
            1,
            1000,
            9,
            1,
            9,
            8,
            1,
            8,
            2,  # one outlier per 400 sales
            1,  # the reference's absurd amount
            0,  # ordinary amounts are 100.00 .. 3500.00
            0,
        )
    ]
    first_day, last_day = _query(uri, "SELECT MIN(data_venda), MAX(data_venda) FROM public.venda")[
        0
    ]
    assert dt.date(2017, 1, 1) <= first_day < dt.date(2017, 1, 15)
    assert dt.date(2020, 12, 15) < last_day <= dt.date(2020, 12, 31)
    columns = _query(
        uri,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name = 'venda' ORDER BY ordinal_position",
    )
    assert columns == [
        ("id_venda", "integer"),
        ("id_funcionario", "integer"),
        ("id_categoria", "integer"),
        ("data_venda", "date"),
        ("venda", "numeric"),
    ]


def test_a_second_seeding_adds_nothing_whatever_its_scale(seeded):
    endpoints, _ = seeded
    uri = database_uri(endpoints, "bix_seed_a")
    before = _query(uri, CONTENT)

    again = generator.seed_sources(endpoints, 50, 99, database="bix_seed_a")

    assert again == {"venda": 1000}
    assert _query(uri, CONTENT) == before


def test_the_same_seed_gives_the_same_sales(seeded):
    endpoints, _ = seeded
    generator.seed_sources(endpoints, 1000, 7, database="bix_seed_b")
    generator.seed_sources(endpoints, 1000, 8, database="bix_seed_c")

    a, b, c = (_query(database_uri(endpoints, f"bix_seed_{x}"), CONTENT) for x in "abc")
    assert a == b
    assert a != c


def test_new_sales_come_after_the_latest_one(seeded):
    endpoints, _ = seeded
    generator.seed_sources(endpoints, 20, 1, database="bix_seed_d")
    uri = database_uri(endpoints, "bix_seed_d")
    (last_day,) = _query(uri, "SELECT MAX(data_venda) FROM public.venda")[0]

    added = generator.add_sales(endpoints, 3, seed=5, database="bix_seed_d")

    assert added == [21, 22, 23]
    assert _query(uri, "SELECT COUNT(*), MAX(data_venda) FROM public.venda") == [
        (23, last_day + dt.timedelta(days=1))
    ]
    on_day = generator.add_sales(
        endpoints, 1, seed=6, day=dt.date(2021, 3, 1), database="bix_seed_d"
    )
    assert on_day == [24]
    assert _query(uri, "SELECT data_venda FROM public.venda WHERE id_venda = 24") == [
        (dt.date(2021, 3, 1),)
    ]


def test_an_unreachable_server_is_reported_without_its_password():
    endpoints = {"postgres_uri": "postgresql://lakehouse:s3cret@127.0.0.1:9/postgres"}

    with pytest.raises(generator.SeedError) as error:
        generator.seed_sources(endpoints, 10, 1)

    assert "s3cret" not in str(error.value)
    assert "postgresql://lakehouse:***@127.0.0.1:9/postgres" in str(error.value)
    assert "lakehouse local-services" in str(error.value)


def test_a_database_name_is_checked_before_it_reaches_sql(pg_uri):
    with pytest.raises(generator.SeedError, match="must be lower-case letters, digits and _"):
        generator.seed_sources({"postgres_uri": pg_uri}, 10, 1, database='x"; DROP')
