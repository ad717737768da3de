"""The MongoDB extractor against the local services' MongoDB: full, incremental, failing reads."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pyarrow.parquet as pq
import pymongo
import pymongo.database
import pymongo.errors
import pytest
from bson import Decimal128, ObjectId

from glue_scripts.lib.sources import SourceError, extract
from glue_scripts.lib.sources.mongodb import document_json, float_text, lineage_uri, text

SETTING = "TEST_SESSIONS_MONGODB_URI"
DATABASE_SETTING = "TEST_SESSIONS_MONGODB_DATABASE"
COLLECTION_SETTING = "TEST_SESSIONS_MONGODB_COLLECTION"
DAY = 86_400
JAN_1 = 1_704_067_200  # 2024-01-01 00:00:00 UTC


def oid(n: int) -> ObjectId:
    return ObjectId(f"{n:024x}")


DOCUMENTS = [
    {
        "_id": oid(1),
        "session_id": "s1",
        "created_at": JAN_1,
        "agent_data": {"name": "sup", "model": {"id": "gpt", "provider": "openai"}},
        "memory": {"runs": [{"run_id": "r1", "metrics": {"total_tokens": [120], "time": [1.5]}}]},
        "score": 0.25,
        "turns": 3,
        "ok": True,
    },
    {
        "_id": oid(2),
        "session_id": "s2",
        "created_at": JAN_1 + DAY + 0.75,
        "agent_data": None,
        "memory": {"runs": []},
        "score": 1e-07,
        "turns": 0,
    },
    {
        "_id": oid(3),
        "session_id": "s3",
        "created_at": JAN_1 + 2 * DAY,
        "tags": ["a", "b"],
        "score": 12.0,
        "Channel": "web",
        "updated_at": datetime(2024, 1, 3, 12, 0, 0, 500000),
    },
    {"_id": oid(4), "session_id": "s4", "created_at": "yesterday"},
    {"_id": oid(5), "session_id": "s5"},
]
SPEC_COLUMNS = ["session_id", "created_at", "agent_data", "memory", "user_id", "document", "day"]
# The spec's columns, then the fields it does not name, as they first appear (but `_id`).
STAGED = [*SPEC_COLUMNS, "score", "turns", "ok", "tags", "channel", "updated_at"]


def source(**overrides) -> dict:
    spec = {
        "kind": "mongodb",
        "connection": SETTING,
        "database_setting": DATABASE_SETTING,
        "database_default": "agno",
        "collection_setting": COLLECTION_SETTING,
        "collection_default": "sessions",
        "document_column": "document",
        "cursor": "created_at",
        "lookback": DAY,
        "day_column": "day",
        "batch_rows": 5_000,
    }
    spec.update(overrides)
    return spec


@pytest.fixture
def request_for(make_request):
    def make(spec: dict | None = None, **overrides):
        columns = [{"name": name, "type": "string"} for name in SPEC_COLUMNS]
        return make_request(
            spec or source(), table="conversas_bronze.sessions", columns=columns, **overrides
        )

    return make


@pytest.fixture
def mongo(local_services, monkeypatch):
    """A fresh database holding `sessions`; the settings point at it."""
    uri = local_services["mongodb_uri"]
    name = f"src_{uuid.uuid4().hex[:12]}"
    client = pymongo.MongoClient(uri)
    client[name]["sessions"].insert_many(copy.deepcopy(DOCUMENTS))
    monkeypatch.setenv(SETTING, uri)
    monkeypatch.setenv(DATABASE_SETTING, name)
    monkeypatch.delenv(COLLECTION_SETTING, raising=False)
    yield client[name]
    client.drop_database(name)
    client.close()


def ids(table) -> list[str]:
    return table.column("session_id").to_pylist()


def test_full_read_stages_every_field_as_text(mongo, request_for, read_staged, local_services):
    result = extract(request_for())

    staged = read_staged(result.files)
    assert (result.rows, result.watermark) == (5, str(JAN_1 + 2 * DAY))
    assert result.columns == STAGED
    assert result.source_uri == f"{local_services['mongodb_uri']}/{mongo.name}.sessions"
    assert staged.schema.names == [*STAGED, "_record"]
    assert {str(field.type) for field in staged.schema} == {"string"}
    # Sorted by the cursor then _id: a missing cursor first, numbers, then text (BSON order).
    assert ids(staged) == ["s5", "s1", "s2", "s3", "s4"]
    s1 = (
        '{"_id":"000000000000000000000001","session_id":"s1","created_at":1704067200,'
        '"agent_data":{"name":"sup","model":{"id":"gpt","provider":"openai"}},'
        '"memory":{"runs":[{"run_id":"r1","metrics":{"total_tokens":[120],"time":[1.5]}}]},'
        '"score":0.25,"turns":3,"ok":true}'
    )
    s3 = (
        '{"_id":"000000000000000000000003","session_id":"s3","created_at":1704240000,'
        '"tags":["a","b"],"score":12.0,"Channel":"web","updated_at":"2024-01-03 12:00:00.5"}'
    )
    none = dict.fromkeys(STAGED)
    assert staged.to_pylist() == [
        none
        | {
            "session_id": "s5",
            "document": '{"_id":"000000000000000000000005","session_id":"s5"}',
            "_record": '{"_id":"000000000000000000000005","session_id":"s5"}',
        },
        none
        | {
            "session_id": "s1",
            "created_at": "1704067200",
            "agent_data": '{"name":"sup","model":{"id":"gpt","provider":"openai"}}',
            "memory": '{"runs":[{"run_id":"r1","metrics":{"total_tokens":[120],"time":[1.5]}}]}',
            "document": s1,
            "day": "2024-01-01",
            "score": "0.25",
            "turns": "3",
            "ok": "true",
            "_record": s1,
        },
        none
        | {
            "session_id": "s2",
            "created_at": "1704153600.75",
            "agent_data": None,
            "memory": '{"runs":[]}',
            "document": (
                '{"_id":"000000000000000000000002","session_id":"s2",'
                '"created_at":1704153600.75,"agent_data":null,"memory":{"runs":[]},'
                '"score":1e-07,"turns":0}'
            ),
            "day": "2024-01-02",
            "score": "0.0000001",
            "turns": "0",
            "_record": (
                '{"_id":"000000000000000000000002","session_id":"s2",'
                '"created_at":1704153600.75,"agent_data":null,"memory":{"runs":[]},'
                '"score":1e-07,"turns":0}'
            ),
        },
        none
        | {
            "session_id": "s3",
            "created_at": "1704240000",
            "document": s3,
            "day": "2024-01-03",
            "score": "12.0",
            "tags": '["a","b"]',
            "channel": "web",
            "updated_at": "2024-01-03 12:00:00.5",
            "_record": s3,
        },
        none
        | {
            "session_id": "s4",
            "created_at": "yesterday",  # staged as sent: the bronze typing quarantines it
            "document": '{"_id":"000000000000000000000004","session_id":"s4",'
            '"created_at":"yesterday"}',
            "_record": '{"_id":"000000000000000000000004","session_id":"s4",'
            '"created_at":"yesterday"}',
        },
    ]


def test_incremental_reads_from_watermark_less_lookback(mongo, request_for, read_staged, log):
    result = extract(request_for(watermark=str(JAN_1 + DAY)))

    # Numbers at or after JAN_1; the text and the missing cursors are never after a number.
    assert ids(read_staged(result.files)) == ["s1", "s2", "s3"]
    assert (result.rows, result.watermark) == (3, str(JAN_1 + 2 * DAY))
    query = "{'created_at': {'$gte': 1704067200, '$type': 'number'}}"
    assert any(f"find({query})" in line for line in log.lines)


def test_full_refresh_ignores_the_watermark(mongo, request_for, read_staged):
    result = extract(request_for(watermark=str(JAN_1 + DAY), args={"full_refresh": "true"}))

    assert ids(read_staged(result.files)) == ["s5", "s1", "s2", "s3", "s4"]
    assert result.watermark == str(JAN_1 + 2 * DAY)


def test_second_load_reads_only_the_lookback_window(mongo, request_for, read_staged):
    first = extract(request_for())
    mongo["sessions"].insert_many(
        [
            {"_id": oid(6), "session_id": "late", "created_at": JAN_1 + DAY + 3600},
            {"_id": oid(7), "session_id": "new", "created_at": JAN_1 + 3 * DAY + 59.9},
        ]
    )

    second = extract(request_for(watermark=first.watermark))

    assert ids(read_staged(second.files)) == ["s2", "late", "s3", "new"]
    # Floored to whole seconds: the next read starts at or before the newest document.
    assert (second.rows, second.watermark) == (4, str(JAN_1 + 3 * DAY + 59))


def test_no_new_documents_keep_the_watermark(mongo, request_for):
    later = str(JAN_1 + 5 * DAY)
    result = extract(request_for(source(lookback=0), watermark=later))

    assert (result.files, result.rows, result.watermark) == ([], 0, later)
    assert result.columns == SPEC_COLUMNS  # what the spec names: no drift to report


def test_id_is_a_column_when_the_spec_names_it(mongo, make_request, read_staged):
    columns = [{"name": name, "type": "string"} for name in ["_id", "session_id"]]
    result = extract(make_request(source(), columns=columns))

    assert result.columns[:4] == ["_id", "session_id", "created_at", "agent_data"]
    staged = read_staged(result.files)
    assert staged.column("_id").to_pylist()[:2] == [
        "000000000000000000000005",
        "000000000000000000000001",
    ]


def test_small_batches_pad_the_fields_a_batch_lacks(mongo, request_for, read_staged):
    whole = read_staged(extract(request_for()).files)
    result = extract(request_for(source(batch_rows=2)))

    parts = [pq.ParquetFile(f.removeprefix("file://")) for f in result.files]
    assert sum(part.num_row_groups for part in parts) == 3
    assert result.columns == STAGED
    assert read_staged(result.files).to_pylist() == whole.to_pylist()


def test_an_empty_collection_stages_nothing(mongo, request_for, monkeypatch):
    mongo.create_collection("empty")
    monkeypatch.setenv(COLLECTION_SETTING, "empty")

    result = extract(request_for(watermark="17"))

    assert (result.files, result.rows, result.watermark) == ([], 0, "17")
    assert result.source_uri.endswith(f"/{mongo.name}.empty")


def test_a_missing_collection_is_named_with_those_that_exist(mongo, request_for, monkeypatch):
    monkeypatch.setenv(COLLECTION_SETTING, "sesions")

    with pytest.raises(SourceError) as caught:
        extract(request_for())

    message = str(caught.value)
    assert f"has no collection 'sesions' in database '{mongo.name}'" in message
    assert "its collections: ['sessions']" in message
    assert f"check the settings {DATABASE_SETTING} (default 'agno') and {COLLECTION_SETTING}" in (
        message
    )


def test_unset_database_and_collection_settings_take_the_defaults(
    mongo, request_for, monkeypatch, read_staged
):
    monkeypatch.delenv(DATABASE_SETTING)
    spec = source(database_default=mongo.name, collection_default="sessions", cursor=None)
    spec.update(lookback=0, day_column=None)

    result = extract(request_for(spec, watermark=str(JAN_1)))

    assert result.watermark is None  # no cursor: read whole every time
    assert ids(read_staged(result.files)) == ["s1", "s2", "s3", "s4", "s5"]  # by _id


def test_the_local_services_endpoint_is_the_default(mongo, request_for, monkeypatch, tmp_path):
    uri = mongo.client.address
    monkeypatch.delenv(SETTING)
    services = tmp_path / "lake" / "_local_services"
    services.mkdir(parents=True)
    endpoints = {"mongodb_uri": f"mongodb://{uri[0]}:{uri[1]}"}
    (services / "endpoints.json").write_text(json.dumps(endpoints))

    result = extract(request_for())

    assert result.rows == 5
    assert result.source_uri == f"mongodb://{uri[0]}:{uri[1]}/{mongo.name}.sessions"


def test_an_unreachable_server_says_what_to_do(request_for, monkeypatch, closed_port):
    uri = f"mongodb://reader:S3cret-pw@127.0.0.1:{closed_port}/?serverSelectionTimeoutMS=300"
    monkeypatch.setenv(SETTING, uri)

    with pytest.raises(SourceError) as caught:
        extract(request_for())

    message = str(caught.value)
    assert message.startswith(
        f"cannot reach MongoDB at mongodb://reader:***@127.0.0.1:{closed_port}/"
        "?serverSelectionTimeoutMS=300 ("
    )
    assert message.endswith(f"): start `lakehouse local-services --background` or set {SETTING}")
    assert "S3cret-pw" not in message and "Topology Description" not in message


def test_refused_credentials_never_show_the_password(mongo, request_for, monkeypatch):
    # The local stand-in has no authentication: the server's refusal is simulated.
    def refuse(self, *args, **kwargs):
        raise pymongo.errors.OperationFailure("Authentication failed.", code=18)

    monkeypatch.setattr(pymongo.database.Database, "list_collection_names", refuse)
    host, port = mongo.client.address
    monkeypatch.setenv(SETTING, f"mongodb://reader:S3cret-pw@{host}:{port}/?retryWrites=true")

    with pytest.raises(SourceError) as caught:
        extract(request_for())

    assert str(caught.value) == (
        f"MongoDB at mongodb://reader:***@{host}:{port}/?retryWrites=true refused the "
        f"credentials of user reader: fix the user or password in the setting {SETTING} "
        "(environment, --connections_secret secret or local services)"
    )


def test_a_watermark_that_is_not_unix_seconds_asks_for_a_full_refresh(mongo, request_for):
    with pytest.raises(SourceError, match="load once with full_refresh=true"):
        extract(request_for(watermark="2024-01-01"))


def test_a_field_colliding_with_an_added_column_is_refused(mongo, request_for):
    mongo["sessions"].insert_one({"_id": oid(9), "Document": "x", "created_at": JAN_1})

    with pytest.raises(SourceError, match="the field 'Document' collides"):
        extract(request_for())


def test_source_uri_names_the_first_host_without_credentials():
    assert lineage_uri(
        "mongodb://u:p@Db1.example:27018,db2:27019/admin?replicaSet=rs", "agno", "storage"
    ) == ("mongodb://db1.example:27018/agno.storage")
    assert lineage_uri("mongodb://127.0.0.1", "a", "b") == "mongodb://127.0.0.1:27017/a.b"
    assert lineage_uri("mongodb://[::1]:4000/", "a", "b") == "mongodb://[::1]:4000/a.b"
    assert lineage_uri(
        "mongodb+srv://u:p@cluster0.ab1cd.mongodb.net/?retryWrites=true", "agno", "storage"
    ) == ("mongodb://cluster0.ab1cd.mongodb.net/agno.storage")


def test_values_as_text():
    aware = datetime(2024, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=-3)))
    assert [
        text(None),
        text(False),
        text(2**62),
        text(1.5),
        text(1e16),
        text(float("nan")),
        text(oid(255)),
        text(aware),
        text(datetime(2024, 1, 1, tzinfo=UTC)),
        text(Decimal128("1.10")),
        text(b"\x01\xff"),
        text({"a": [1, None, oid(1)]}),
    ] == [
        None,
        "false",
        "4611686018427387904",
        "1.5",
        "10000000000000000",
        "NaN",
        "0000000000000000000000ff",
        "2024-01-01 12:30:00",
        "2024-01-01 00:00:00",
        "1.10",
        "01ff",
        '{"a":[1,null,"000000000000000000000001"]}',
    ]
    assert float_text(-2.5e-10) == "-0.00000000025"
    assert document_json({"d": Decimal("1.0"), "é": "ã"}) == '{"d":"1.0","é":"ã"}'
