"""The local MongoDB stand-in alone: its data kept across stops, orphans and stale pid files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pymongo
import pytest

from lakehouse_assets.local_services import supervisor
from lakehouse_assets.local_services.endpoints import endpoints_file, pid_alive, state_dir
from lakehouse_assets.local_services.mongodb import LocalMongo, pings


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "lake" / "_local_services" / "mongodb"


@pytest.fixture
def server(folder):
    mongo = LocalMongo(folder)
    mongo.start()
    yield mongo
    mongo.stop()


def test_the_data_outlives_a_stop(server, folder):
    with pymongo.MongoClient(server.uri) as client:
        client["agno"]["storage"].insert_one({"_id": "s1", "created_at": 1})
    first = server.running_pid()
    server.stop()

    assert not pid_alive(first) and not pings(server.uri)
    assert sorted(p.name for p in (folder / "data").iterdir() if p.suffix == ".db") == [
        "admin.db",
        "agno.db",
    ]
    again = LocalMongo(folder)
    again.start()
    try:
        with pymongo.MongoClient(again.uri) as client:
            assert list(client["agno"]["storage"].find()) == [{"_id": "s1", "created_at": 1}]
    finally:
        again.stop()


def test_the_next_start_stops_an_orphan(server, folder):
    orphan = server.running_pid()
    successor = LocalMongo(folder)  # a new supervisor knows only the folder

    successor.start()
    try:
        assert not pid_alive(orphan) and not pings(server.uri)
        assert successor.running_pid() not in (None, orphan) and pings(successor.uri)
    finally:
        successor.stop()


def test_a_stale_pid_file_is_neither_obeyed_nor_killed(folder):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    folder.mkdir(parents=True)
    (folder / "nx-27017.pid").write_text(str(other.pid))  # a recycled pid
    mongo = LocalMongo(folder)
    try:
        mongo.start()
        assert pid_alive(other.pid) and pings(mongo.uri)
        assert mongo.running_pid() not in (None, other.pid)
    finally:
        mongo.stop()
        other.kill()
        other.wait()


def test_stop_after_a_dead_supervisor_ends_the_orphan(tmp_path):
    root = tmp_path / "lake"
    mongo = supervisor.mongodb_of(root)
    mongo.start()
    orphan = mongo.running_pid()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state_dir(root).mkdir(parents=True, exist_ok=True)
    endpoints_file(root).write_text(json.dumps({"pid": dead.pid, "mongodb_uri": mongo.uri}))

    try:
        assert supervisor.stop_background(root) == "cleaned"

        assert not pid_alive(orphan) and not pings(mongo.uri)
        assert not endpoints_file(root).exists()
        assert os.path.exists(mongo.data)
    finally:
        mongo.stop()
