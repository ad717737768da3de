"""`lakehouse local-services`: real servers on loopback, found again, stopped, recovered."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import time
from pathlib import Path

import adbc_driver_postgresql.dbapi as adbc
import boto3
import pymongo
import pytest
import requests

from lakehouse_assets.catalog.aws import resolve_connection
from lakehouse_assets.cli import main
from lakehouse_assets.local_aws import endpoint_from_state
from lakehouse_assets.local_services import supervisor
from lakehouse_assets.local_services.endpoints import (
    address,
    database_uri,
    endpoints_file,
    pid_alive,
    read_endpoints,
)
from lakehouse_assets.local_services.mongodb import LocalMongo


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("services") / "lake"


@pytest.fixture(scope="module")
def started(root):
    """The services of `root`, started once through the command line."""
    assert main(["local-services", "--background", "--root", str(root)]) == 0
    yield read_endpoints(root)
    supervisor.stop_background(root)


def query(uri: str, sql: str) -> list[tuple]:
    with adbc.connect(uri, autocommit=True) as conn, conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def closed(url: str) -> bool:
    try:
        socket.create_connection(address(url), timeout=1).close()
    except OSError:
        return True
    return False


def postgres_pid(endpoints) -> int:
    return int((Path(endpoints["postgres_data"]) / "postmaster.pid").read_text().split()[0])


def mongodb_pid(endpoints) -> int:
    pid = LocalMongo(Path(endpoints["mongodb_data"]).parent).running_pid()
    assert pid is not None
    return pid


def test_the_endpoints_file_names_every_service_and_is_private(started, root):
    path = root / "_local_services" / "endpoints.json"
    assert endpoints_file(str(root)) == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == started
    port = address(started["postgres_uri"])[1]
    password = (root / "_local_services" / "postgres.password").read_text()
    assert started["postgres_uri"] == f"postgresql://lakehouse:{password}@127.0.0.1:{port}/postgres"
    assert started["warehouse_uri"] == database_uri(started, "warehouse")
    assert started["mongodb_uri"] == f"mongodb://127.0.0.1:{address(started['mongodb_uri'])[1]}"
    assert started["mongodb_data"] == str((root / "_local_services" / "mongodb" / "data").resolve())
    assert sorted(started["apis"]) == ["bix_funcionarios"]
    for url in (started["aws_endpoint_url"], started["apis"]["bix_funcionarios"]):
        assert url.startswith("http://127.0.0.1:")
    assert started["pid"] != os.getpid() and pid_alive(started["pid"])
    assert len(password) >= 24
    log = (root / "_local_services" / "services.log").read_text()
    assert password not in log and "postgresql://lakehouse:***@127.0.0.1:" in log


def test_status_and_a_second_start_find_the_running_services(started, root, capsys):
    capsys.readouterr()
    assert main(["local-services", "--status", "--root", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"local services running (pid {started['pid']}):"
    names = [line.split()[0] for line in out[1:]]
    assert names == ["aws", "postgres", "warehouse", "mongodb", "api"]
    assert out[4] == f"  {'mongodb':<24} {started['mongodb_uri']}  answers"
    assert all(line.endswith("  answers") for line in out[1:])
    assert main(["local-services", "--background", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("local services already running:\n")
    assert f"export AWS_ENDPOINT_URL={started['aws_endpoint_url']}" in out
    assert started["postgres_uri"].split(":")[2].split("@")[0] not in out  # the password
    assert read_endpoints(root)["pid"] == started["pid"]


def test_every_endpoint_answers_real_requests(started):
    assert query(started["postgres_uri"], "SELECT current_user, 40 + 2") == [("lakehouse", 42)]
    assert query(started["warehouse_uri"], "SELECT current_database()") == [("warehouse",)]
    superuser = "SELECT rolsuper FROM pg_roles WHERE rolname = 'lakehouse'"
    assert query(started["postgres_uri"], superuser) == [(True,)]
    api = started["apis"]["bix_funcionarios"]
    answer = requests.get(f"{api}/api_challenge_junior", params={"id": 3}, timeout=5)
    assert (answer.status_code, answer.text) == (200, "Tom Lindwall")
    s3 = boto3.client(
        "s3",
        endpoint_url=started["aws_endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    s3.create_bucket(Bucket="lake")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["lake"]
    with pymongo.MongoClient(started["mongodb_uri"], serverSelectionTimeoutMS=5000) as mongo:
        sessions = mongo["agno"]["storage"]
        sessions.insert_many([{"session_id": f"s{n}", "created_at": 100 + n} for n in range(3)])
        found = sessions.find({"created_at": {"$gte": 101}}, {"_id": 0}).sort("created_at", -1)
        assert list(found) == [
            {"session_id": "s2", "created_at": 102},
            {"session_id": "s1", "created_at": 101},
        ]
        assert mongo.admin.command("ping") == {"ok": 1}


def test_later_commands_find_the_aws_endpoint(started, root, monkeypatch, capsys):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert endpoint_from_state(str(root)) == started["aws_endpoint_url"]
    connection = resolve_connection(target="local", root=str(root))
    assert connection.endpoint_url == started["aws_endpoint_url"]
    assert main(["local-aws", "--background", "--root", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        f"local AWS endpoint already running at {started['aws_endpoint_url']}",
        "(part of the local services; `lakehouse local-services --stop` stops them)",
    ]


def test_a_wrong_password_is_refused(started):
    wrong = started["postgres_uri"].replace(
        started["postgres_uri"].split(":")[2].split("@")[0], "not-the-password"
    )
    with pytest.raises(adbc.Error, match='password authentication failed for user "lakehouse"'):
        query(wrong, "SELECT 1")


def test_a_killed_supervisor_is_recovered_and_the_data_kept(started, root):
    query(started["postgres_uri"], "CREATE TABLE kept AS SELECT 7 AS n")
    with pymongo.MongoClient(started["mongodb_uri"]) as mongo:
        mongo["kept"]["docs"].insert_one({"_id": 7})
    orphan = postgres_pid(started)
    mongo_orphan = mongodb_pid(started)
    os.kill(started["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pid_alive(started["pid"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert read_endpoints(root) is None
    assert pid_alive(orphan) and pid_alive(mongo_orphan)  # both outlived their supervisor

    again = supervisor.start_background(root)

    assert again["pid"] != started["pid"] and not pid_alive(orphan)
    assert not pid_alive(mongo_orphan) and mongodb_pid(again) != mongo_orphan
    assert query(again["postgres_uri"], "SELECT n FROM kept") == [(7,)]
    with pymongo.MongoClient(again["mongodb_uri"]) as mongo:
        assert list(mongo["kept"]["docs"].find()) == [{"_id": 7}]
    assert "the supervisor (pid" in (root / "_local_services" / "services.log").read_text()


def test_stop_closes_every_port_and_ends_postgres(started, root, capsys):
    endpoints = read_endpoints(root)
    server = postgres_pid(endpoints)
    mongo = mongodb_pid(endpoints)
    capsys.readouterr()
    assert main(["local-services", "--stop", "--root", str(root)]) == 0
    assert capsys.readouterr().out == "local services stopped\n"
    assert not endpoints_file(root).exists()
    assert not pid_alive(endpoints["pid"]) and not pid_alive(server) and not pid_alive(mongo)
    urls = [endpoints["aws_endpoint_url"], endpoints["postgres_uri"], endpoints["mongodb_uri"]]
    urls += endpoints["apis"].values()
    assert all(closed(url) for url in urls)
    assert main(["local-services", "--status", "--root", str(root)]) == 1
    assert main(["local-services", "--stop", "--root", str(root)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"no local services are running for {root}",
        "no local services were running",
    ]
