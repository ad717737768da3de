"""The storage-root file system (glue_scripts/lib/fs.py): URIs, exclusive create, listing."""

from __future__ import annotations

import threading
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from glue_scripts.lib.fs import (
    LocalFileSystem,
    S3FileSystem,
    StorageError,
    filesystem_for,
    join,
    local_path,
    normalize_root,
)

# --- normalize_root / join / local_path -------------------------------------------------


def test_normalize_root_resolves_a_relative_path_against_the_working_directory(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert normalize_root("lake") == f"file://{tmp_path.resolve()}/lake"
    assert normalize_root("./lake/../lake/") == f"file://{tmp_path.resolve()}/lake"


def test_normalize_root_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert normalize_root("~/lake") == f"file://{tmp_path.resolve()}/lake"


def test_normalize_root_keeps_a_file_uri_and_drops_the_trailing_slash(tmp_path):
    root = tmp_path.resolve()
    assert normalize_root(f"file://{root}/lake/") == f"file://{root}/lake"
    assert normalize_root(f"file://{root}/lake") == f"file://{root}/lake"


@pytest.mark.parametrize(
    ("root", "expected"),
    [
        ("s3://bucket/prefix/", "s3://bucket/prefix"),
        ("s3://bucket/prefix", "s3://bucket/prefix"),
        ("s3://bucket", "s3://bucket"),
        ("s3a://bucket/prefix/", "s3://bucket/prefix"),
    ],
)
def test_normalize_root_passes_s3_through(root, expected):
    assert normalize_root(root) == expected


def test_a_folder_with_a_space_is_the_same_folder_for_us_and_for_spark(tmp_path):
    # Spark (Hadoop's Path) takes `file://` strings as plain, not percent-encoded, paths:
    # `file:///x/a%20b` is a folder literally named `a%20b`. The root must name the folder
    # that was given, so that landing files in `.../ImportAu exports/` are found.
    folder = tmp_path / "ImportAu exports"
    folder.mkdir()
    (folder / "pedidos.csv").write_text("pedido_id\n", encoding="utf-8")
    root = normalize_root(str(folder))
    assert root == f"file://{folder.resolve()}"
    assert local_path(root) == folder.resolve()
    assert LocalFileSystem().list_children(root) == ["pedidos.csv"]


@pytest.mark.parametrize("name", ["a b", "a#b", "a?b", "a%41b", "a%20b"])
def test_normalize_root_is_idempotent_and_keeps_special_characters(tmp_path, name):
    # The launcher normalizes the root and the script's TableStore normalizes it again.
    folder = (tmp_path / name).resolve()
    root = normalize_root(str(folder))
    assert root == f"file://{folder}"
    assert normalize_root(root) == root
    assert local_path(join(root, "db", "t")) == folder / "db" / "t"


def test_join_strips_slashes_between_parts():
    assert join("s3://bucket/lake/", "/db/", "table/") == "s3://bucket/lake/db/table"
    assert join("file:///lake", "db", "t", "snapshot=1") == "file:///lake/db/t/snapshot=1"


def test_local_path_refuses_other_schemes():
    with pytest.raises(StorageError) as err:
        local_path("s3://bucket/key")
    assert str(err.value) == "s3://bucket/key is not a local file:// URI"


def test_filesystem_for_picks_by_scheme_and_explains_unsupported_uris():
    assert isinstance(filesystem_for("file:///lake"), LocalFileSystem)
    with pytest.raises(StorageError) as err:
        filesystem_for("/plain/path")
    assert str(err.value) == (
        "unsupported storage URI '/plain/path': use a local folder, a file:// URI or "
        "s3://bucket/prefix"
    )


# --- LocalFileSystem ----------------------------------------------------------------------


@pytest.fixture
def fs() -> LocalFileSystem:
    return LocalFileSystem()


def _uri(path: Path) -> str:
    return normalize_root(str(path))


def test_create_exclusive_creates_parents_and_refuses_a_second_create(fs, tmp_path):
    uri = _uri(tmp_path / "t" / "metadata" / "lakehouse-state-1.json")
    assert fs.create_exclusive(uri, '{"version": 1}') is True
    assert fs.create_exclusive(uri, '{"version": "other"}') is False
    assert fs.read_text(uri) == '{"version": 1}'
    # The temporary file used to publish atomically is gone.
    assert fs.list_children(_uri(tmp_path / "t" / "metadata")) == ["lakehouse-state-1.json"]


def test_create_exclusive_writes_the_complete_content(fs, tmp_path):
    uri = _uri(tmp_path / "big.json")
    text = "é" * 300_000 + "end"
    assert fs.create_exclusive(uri, text) is True
    assert fs.read_text(uri) == text


def race(fs: LocalFileSystem, uri: str, text: str, writers: int) -> list[bool | BaseException]:
    """Let `writers` threads create `uri` at the same moment; what each one got."""
    barrier = threading.Barrier(writers)
    results: list[bool | BaseException] = []

    def write() -> None:
        barrier.wait()
        try:
            results.append(fs.create_exclusive(uri, text))
        except BaseException as err:  # collected: the test asserts there is none
            results.append(err)

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_create_exclusive_racing_threads_have_exactly_one_winner(fs, tmp_path):
    # The same text object in every thread, as when writers publish identical content.
    text = "same content"
    rounds, writers = 30, 6
    for round_no in range(rounds):
        uri = _uri(tmp_path / f"v{round_no}.json")
        assert sorted(race(fs, uri, text, writers), key=str) == [False] * (writers - 1) + [True]
        assert fs.read_text(uri) == text
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"v{i}.json" for i in range(rounds))


def test_read_text_of_a_missing_file_is_none(fs, tmp_path):
    assert fs.read_text(_uri(tmp_path / "nope.json")) is None


def test_list_children_lists_files_and_folders_sorted(fs, tmp_path):
    (tmp_path / "snapshot=b").mkdir()
    (tmp_path / "snapshot=a").mkdir()
    (tmp_path / "_lakehouse").mkdir()
    (tmp_path / "snapshot=a" / "part-0.parquet").write_bytes(b"x")
    (tmp_path / "file.csv").write_text("h\n", encoding="utf-8")
    assert fs.list_children(_uri(tmp_path)) == [
        "_lakehouse",
        "file.csv",
        "snapshot=a",
        "snapshot=b",
    ]


def test_list_children_of_a_missing_folder_or_a_file_is_empty(fs, tmp_path):
    (tmp_path / "file.csv").write_text("h\n", encoding="utf-8")
    assert fs.list_children(_uri(tmp_path / "missing")) == []
    assert fs.list_children(_uri(tmp_path / "file.csv")) == []


def test_read_head_reads_at_most_size_bytes(fs, tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"pedido_id,data_pedido\nPED001,2024-10-15\n")
    assert fs.read_head(_uri(path), 9) == b"pedido_id"
    assert fs.read_head(_uri(path)) == b"pedido_id,data_pedido\nPED001,2024-10-15\n"


def test_exists_delete_file_and_delete_tree(fs, tmp_path):
    folder = tmp_path / "snapshot=1" / "anomesdia=20241015"
    folder.mkdir(parents=True)
    (folder / "part-0.parquet").write_bytes(b"x")
    state = tmp_path / "lakehouse-state-1.json"
    state.write_text("{}", encoding="utf-8")

    assert fs.exists(_uri(state)) is True
    fs.delete_file(_uri(state))
    assert fs.exists(_uri(state)) is False
    fs.delete_file(_uri(state))  # deleting a missing file is not an error

    fs.delete_tree(_uri(tmp_path / "snapshot=1"))
    assert fs.exists(_uri(tmp_path / "snapshot=1")) is False
    fs.delete_tree(_uri(tmp_path / "snapshot=1"))  # nor is deleting a missing folder


# --- S3FileSystem.create_exclusive (conditional PUT), with a stubbed client ---------------


@pytest.fixture
def s3_stub():
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _expect_put(stubber: Stubber, **error) -> None:
    params = {"Bucket": "bucket", "Key": "db/t/v1.json", "Body": b"{}", "IfNoneMatch": "*"}
    if error:
        stubber.add_client_error("put_object", expected_params=params, **error)
    else:
        stubber.add_response("put_object", {}, expected_params=params)


def test_s3_create_exclusive_is_a_conditional_put(s3_stub):
    client, stubber = s3_stub
    _expect_put(stubber)
    assert S3FileSystem(client).create_exclusive("s3://bucket/db/t/v1.json", "{}") is True


@pytest.mark.parametrize(
    ("code", "status"),
    [("PreconditionFailed", 412), ("ConditionalRequestConflict", 409)],
)
def test_s3_create_exclusive_loses_when_another_writer_has_the_key(s3_stub, code, status):
    # 412: the key exists; 409: a concurrent conditional write to the key is in flight.
    client, stubber = s3_stub
    _expect_put(stubber, service_error_code=code, http_status_code=status)
    assert S3FileSystem(client).create_exclusive("s3://bucket/db/t/v1.json", "{}") is False


def test_s3_create_exclusive_raises_other_errors(s3_stub):
    client, stubber = s3_stub
    _expect_put(stubber, service_error_code="AccessDenied", http_status_code=403)
    with pytest.raises(client.exceptions.ClientError):
        S3FileSystem(client).create_exclusive("s3://bucket/db/t/v1.json", "{}")
