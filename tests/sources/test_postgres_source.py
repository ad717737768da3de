"""The PostgreSQL extractor against a real server: full, incremental and failing reads."""

from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import adbc_driver_postgresql.dbapi as adbc
import pyarrow.parquet as pq
import pytest

from glue_scripts.lib.sources import SourceError, extract
from glue_scripts.lib.sources.connections import redact

SETTING = "TEST_SALES_PG_URI"
VENDA = [
    "CREATE TABLE public.venda (id_venda int PRIMARY KEY, id_funcionario int, "
    "id_categoria int, data_venda date, venda numeric, obs text)",
    "INSERT INTO public.venda VALUES "
    "(1, 1, 1, '2020-01-01', 100.50, 'a'), (2, 2, 3, '2020-01-05', 917025.00, NULL), "
    "(3, NULL, 2, '2020-01-08', NULL, 'c'), (4, 9, 8, '2020-01-10', 12.34, 'd'), "
    "(5, 3, 4, NULL, 1.00, 'e')",
]
HEADER = ["id_venda", "id_funcionario", "id_categoria", "data_venda", "venda", "obs", "_record"]


def on_database(uri: str, database: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def run(uri: str, *statements: str) -> None:
    with adbc.connect(uri, autocommit=True) as conn, conn.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def database(pg_uri, monkeypatch) -> str:
    """A fresh database holding public.venda; the setting points at it."""
    name = f"src_{uuid.uuid4().hex[:12]}"
    run(pg_uri, f"CREATE DATABASE {name}")
    uri = on_database(pg_uri, name)
    run(uri, *VENDA)
    monkeypatch.setenv(SETTING, uri)
    yield uri
    run(pg_uri, f"DROP DATABASE {name} WITH (FORCE)")


def source(**overrides) -> dict:
    spec = {
        "kind": "postgres",
        "connection": SETTING,
        "table": "public.venda",
        "database": "juniordatabase",
        "cursor": "data_venda",
        "lookback": 3,
        "batch_rows": 50_000,
    }
    spec.update(overrides)
    return spec


def ids(table) -> list[str]:
    return table.column("id_venda").to_pylist()


def test_full_read_stages_every_column_as_text(database, make_request, read_staged):
    result = extract(make_request(source()))

    staged = read_staged(result.files)
    assert result.rows == 5
    assert result.columns == HEADER[:-1]
    assert result.watermark == "2020-01-10"
    server = urlsplit(database)
    assert result.source_uri == (
        f"postgres://{server.hostname or 'localhost'}:{server.port or 5432}"
        f"{server.path}/public.venda"
    )
    assert staged.schema.names == HEADER
    assert {str(field.type) for field in staged.schema} == {"string"}
    assert staged.to_pylist()[:3] == [
        {
            "id_venda": "1",
            "id_funcionario": "1",
            "id_categoria": "1",
            "data_venda": "2020-01-01",
            "venda": "100.50",
            "obs": "a",
            "_record": '{"id_venda":1,"id_funcionario":1,"id_categoria":1,'
            '"data_venda":"2020-01-01","venda":100.50,"obs":"a"}',
        },
        {
            "id_venda": "2",
            "id_funcionario": "2",
            "id_categoria": "3",
            "data_venda": "2020-01-05",
            "venda": "917025.00",
            "obs": None,
            "_record": '{"id_venda":2,"id_funcionario":2,"id_categoria":3,'
            '"data_venda":"2020-01-05","venda":917025.00,"obs":null}',
        },
        {
            "id_venda": "3",
            "id_funcionario": None,
            "id_categoria": "2",
            "data_venda": "2020-01-08",
            "venda": None,
            "obs": "c",
            "_record": '{"id_venda":3,"id_funcionario":null,"id_categoria":2,'
            '"data_venda":"2020-01-08","venda":null,"obs":"c"}',
        },
    ]
    # Ordered by the cursor; the row without one comes last.
    assert ids(staged) == ["1", "2", "3", "4", "5"]


def test_incremental_reads_from_watermark_less_lookback(database, make_request, read_staged, log):
    result = extract(make_request(source(), watermark="2020-01-08"))

    assert ids(read_staged(result.files)) == ["2", "3", "4"]
    assert (result.rows, result.watermark) == (3, "2020-01-10")
    assert any("WHERE t.\"data_venda\" >= (DATE '2020-01-08' - 3)" in line for line in log.lines)


def test_full_refresh_ignores_the_watermark(database, make_request, read_staged):
    request = make_request(source(), watermark="2020-01-08", args={"full_refresh": "true"})
    result = extract(request)

    assert ids(read_staged(result.files)) == ["1", "2", "3", "4", "5"]
    assert result.watermark == "2020-01-10"


def test_second_load_reads_only_the_lookback_window(database, make_request, read_staged):
    first = extract(make_request(source()))
    run(
        database,
        "INSERT INTO public.venda VALUES (6, 1, 1, '2020-01-09', 5.5, 'late'), "
        "(7, 2, 2, '2020-01-12', 7, 'new')",
    )

    second = extract(make_request(source(), watermark=first.watermark))

    assert ids(read_staged(second.files)) == ["3", "6", "4", "7"]
    assert (second.rows, second.watermark) == (4, "2020-01-12")


def test_no_new_rows_keeps_the_watermark(database, make_request):
    result = extract(make_request(source(lookback=0), watermark="2020-01-11"))

    assert (result.files, result.rows, result.watermark) == ([], 0, "2020-01-11")
    assert result.columns == HEADER[:-1]


def test_the_watermark_is_the_newest_row_staged_even_when_older(database, make_request):
    # The newest rows left the source: what was read says so; the load decides what to commit.
    result = extract(make_request(source(), watermark="2020-01-11"))

    assert (result.rows, result.watermark) == (2, "2020-01-10")


def test_small_batches_are_written_as_they_arrive(database, make_request, read_staged):
    result = extract(make_request(source(batch_rows=2)))

    groups = sum(pq.ParquetFile(f.removeprefix("file://")).num_row_groups for f in result.files)
    assert groups == 3
    assert ids(read_staged(result.files)) == ["1", "2", "3", "4", "5"]


def test_a_gained_and_a_lost_column_are_reported(database, make_request, read_staged):
    run(
        database,
        "ALTER TABLE public.venda ADD COLUMN \"Canal\" text DEFAULT 'loja'",
        "ALTER TABLE public.venda DROP COLUMN obs",
    )

    result = extract(make_request(source()))

    assert result.columns == [
        "id_venda",
        "id_funcionario",
        "id_categoria",
        "data_venda",
        "venda",
        "canal",
    ]
    staged = read_staged(result.files)
    assert staged.column("canal").to_pylist() == ["loja"] * 5
    assert json.loads(staged.column("_record")[0].as_py())["Canal"] == "loja"


def test_timestamptz_cursor_in_utc(database, make_request, read_staged):
    run(
        database,
        "CREATE TABLE public.evento (id bigint, em timestamptz, ok boolean)",
        "INSERT INTO public.evento VALUES (1, '2024-03-01 10:00:00-03', true), "
        "(2, '2024-03-04 23:30:00.25+00', false), (3, '2024-03-06 00:00:00+02', NULL)",
    )
    spec = source(table="public.evento", cursor="em", lookback=1)

    full = extract(make_request(spec))
    incremental = extract(make_request(spec, watermark="2024-03-05 22:00:00"))

    assert read_staged(full.files).select(["id", "em", "ok"]).to_pylist() == [
        {"id": "1", "em": "2024-03-01 13:00:00", "ok": "true"},
        {"id": "2", "em": "2024-03-04 23:30:00.25", "ok": "false"},
        {"id": "3", "em": "2024-03-05 22:00:00", "ok": None},
    ]
    assert full.watermark == "2024-03-05 22:00:00"
    assert read_staged(incremental.files).column("id").to_pylist() == ["2", "3"]
    assert incremental.watermark == "2024-03-05 22:00:00"


def test_integer_cursor_looks_back_in_units(database, make_request, read_staged):
    result = extract(make_request(source(cursor="id_venda", lookback=2), watermark="4"))

    assert ids(read_staged(result.files)) == ["2", "3", "4", "5"]
    assert result.watermark == "5"


def test_a_watermark_of_another_type_asks_for_a_full_refresh(database, make_request):
    with pytest.raises(SourceError, match="not a date .* full_refresh=true"):
        extract(make_request(source(), watermark="yesterday"))


def test_missing_table(database, make_request):
    with pytest.raises(SourceError, match=r"has no table public\.vendas .*check `table`"):
        extract(make_request(source(table="public.vendas")))


def test_missing_cursor_column(database, make_request):
    with pytest.raises(SourceError, match=r"no cursor column 'data' \(its columns: \['id_venda'"):
        extract(make_request(source(cursor="data")))


def test_local_services_endpoints_name_the_server(
    pg_uri, database, make_request, monkeypatch, tmp_path, read_staged
):
    monkeypatch.delenv(SETTING)
    folder = tmp_path / "lake" / "_local_services"
    folder.mkdir(parents=True)
    endpoints = {"postgres_uri": on_database(pg_uri, "postgres"), "apis": {}}
    (folder / "endpoints.json").write_text(json.dumps(endpoints))

    spec = source(database=urlsplit(database).path[1:])
    result = extract(make_request(spec))

    assert result.rows == 5


def test_unreachable_server_names_the_setting_without_the_password(
    make_request, monkeypatch, closed_port
):
    monkeypatch.setenv(SETTING, f"postgresql://sales:Sup3r-S3cret@127.0.0.1:{closed_port}/db")

    with pytest.raises(SourceError) as caught:
        extract(make_request(source()))

    message = str(caught.value)
    assert message.startswith(
        f"cannot reach PostgreSQL at postgresql://sales:***@127.0.0.1:{closed_port}/db ("
    )
    assert "Connection refused" in message
    assert message.endswith(f"start `lakehouse local-services --background` or set {SETTING}")
    assert "Sup3r-S3cret" not in message


def test_a_missing_database(pg_uri, make_request, monkeypatch):
    monkeypatch.setenv(SETTING, on_database(pg_uri, "no_such_db"))

    with pytest.raises(SourceError) as caught:
        extract(make_request(source()))

    message = str(caught.value)
    assert message.startswith(f"PostgreSQL at {redact(on_database(pg_uri, 'no_such_db'))}")
    assert "has no such database (IO: [libpq] Failed to connect: " in message
    assert 'database "no_such_db" does not exist' in message
    assert message.endswith(f"databases) or fix the setting {SETTING}")
    password = urlsplit(pg_uri).password
    assert not password or password not in message


@pytest.fixture
def password_server():
    """A server of its own that asks role `guarded` for a password (pgserver trusts all).

    Not under pytest's temporary root: run as root, pgserver serves the data as its own
    user, and every pytest start makes that root private (0700) again.
    """
    import pgserver

    folder = Path(tempfile.mkdtemp(prefix="lakehouse-pgauth-"))
    server = pgserver.get_server(folder / "data", cleanup_mode="stop")
    uri = server.get_uri()
    with adbc.connect(uri, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT current_setting('hba_file')")
        hba = cursor.fetchone()[0]
        with open(hba, encoding="utf-8") as handle:
            rules = handle.read()
        with open(hba, "w", encoding="utf-8") as handle:
            handle.write(
                "local all guarded scram-sha-256\n"
                "host all guarded 127.0.0.1/32 scram-sha-256\n" + rules
            )
        cursor.execute("CREATE ROLE guarded LOGIN PASSWORD 'Right-Pass-1'")
        cursor.execute("SELECT pg_reload_conf()")
    yield uri
    server.cleanup()
    shutil.rmtree(folder, ignore_errors=True)


def test_a_refused_password_is_named_but_never_shown(password_server, make_request, monkeypatch):
    parts = urlsplit(password_server)
    wrong = urlunsplit(
        (parts.scheme, f"guarded:Wr0ng-Pass-9@{parts.hostname or ''}", "/postgres", parts.query, "")
    )
    monkeypatch.setenv(SETTING, wrong)

    with pytest.raises(SourceError) as caught:
        extract(make_request(source()))

    message = str(caught.value)
    assert "refused the password for user guarded: fix the password in the setting" in message
    assert SETTING in message
    assert "Wr0ng-Pass-9" not in message and "Right-Pass-1" not in message
    assert "guarded:***@" in message
