"""The JVM class archive of the local Spark driver: created once, then used (class_archive)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from lakehouse_assets.local_runner import class_archive


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LAKEHOUSE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("LAKEHOUSE_SPARK_CLASS_ARCHIVE", raising=False)
    return tmp_path


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def settled(path, seconds_ago: float = 120) -> None:
    then = time.time() - seconds_ago
    os.utime(path, (then, then))


def test_the_first_start_asks_the_jvm_to_dump_its_classes_at_exit(cache):
    options = class_archive.archive_options("-XX:TieredStopAtLevel=1")
    assert options.startswith("-XX:ArchiveClassesAtExit=")
    dump = options.split("=", 1)[1]
    assert dump.startswith(str(cache))
    assert dump.endswith(f".{os.getpid()}.dump")


def test_a_settled_dump_of_an_ended_process_becomes_the_archive(cache):
    options = class_archive.archive_options("")
    archive = options.split("=", 1)[1].rsplit(".", 2)[0]
    pid = dead_pid()
    finished = f"{archive}.{pid}.dump"
    with open(finished, "wb") as f:
        f.write(b"archive")
    settled(finished)
    assert class_archive.archive_options("") == f"-XX:SharedArchiveFile={archive}"
    with open(archive, "rb") as f:
        assert f.read() == b"archive"
    assert not os.path.exists(finished)


def test_a_fresh_or_empty_dump_is_not_used(cache):
    archive = class_archive.archive_options("x").split("=", 1)[1].rsplit(".", 2)[0]
    recent, empty = f"{archive}.{dead_pid()}.dump", f"{archive}.{dead_pid()}.dump"
    with open(recent, "wb") as f:
        f.write(b"half written")
    assert class_archive.archive_options("x") == ""  # may still be being written
    assert not os.path.exists(archive)
    os.unlink(recent)
    with open(empty, "wb"):
        pass
    settled(empty)
    assert class_archive.archive_options("x").startswith("-XX:ArchiveClassesAtExit=")
    assert not os.path.exists(empty)  # an empty dump is dropped, and a new one is made


def test_each_setting_has_its_own_archive_and_it_can_be_turned_off(cache, monkeypatch):
    c1 = class_archive.archive_options("-XX:TieredStopAtLevel=1")
    full = class_archive.archive_options("")
    assert c1.split("=", 1)[1].rsplit(".", 2)[0] != full.split("=", 1)[1].rsplit(".", 2)[0]
    monkeypatch.setenv("LAKEHOUSE_SPARK_CLASS_ARCHIVE", "0")
    assert class_archive.archive_options("") == ""


def test_archives_of_settings_unused_for_weeks_and_stray_dumps_are_deleted(cache):
    def archive_of(options: str) -> str:
        return class_archive.archive_options(options).split("=", 1)[1].rsplit(".", 2)[0]

    old, recent = archive_of("old"), archive_of("recent")
    for path in (old, recent):
        with open(path, "wb") as f:
            f.write(b"archive")
    settled(old, seconds_ago=(class_archive.UNUSED_DAYS + 1) * 86400)
    settled(recent, seconds_ago=(class_archive.UNUSED_DAYS - 1) * 86400)
    stray, running = f"{old}.{dead_pid()}.dump", f"{recent}.{os.getpid()}.dump"
    for path in (stray, running):
        with open(path, "wb") as f:
            f.write(b"dump")
        settled(path)

    class_archive.archive_options("")

    assert not os.path.exists(old) and not os.path.exists(stray)
    assert os.path.exists(recent) and os.path.exists(running)
    # A start that uses an archive marks it used, so it outlives settings used less lately.
    settled(recent, seconds_ago=(class_archive.UNUSED_DAYS - 1) * 86400)
    assert class_archive.archive_options("recent") == f"-XX:SharedArchiveFile={recent}"
    assert time.time() - os.stat(recent).st_mtime < 60
