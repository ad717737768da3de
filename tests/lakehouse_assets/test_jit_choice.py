"""The local driver's JIT follows the size of the data unless a user forces one."""

import pytest

from lakehouse_assets.local_runner import jit


def _file(path, size):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


@pytest.fixture
def small_limit(monkeypatch):
    monkeypatch.delenv(jit.SETTING, raising=False)
    monkeypatch.setattr(jit, "FULL_JIT_FROM_BYTES", 1000)


def test_small_data_gets_c1_for_a_fast_start(tmp_path, small_limit):
    _file(tmp_path / "landing" / "pedidos" / "a.csv", 600)
    assert jit.choose([f"file://{tmp_path / 'landing'}", tmp_path / "missing"]) == "c1"
    assert jit.java_options("c1") == "-XX:TieredStopAtLevel=1"


def test_landing_and_lakehouse_together_past_the_limit_get_the_full_jit(tmp_path, small_limit):
    _file(tmp_path / "landing" / "pedidos" / "a.csv", 600)
    _file(tmp_path / "lake" / "importau_bronze" / "pedidos" / "part-0.parquet", 600)
    folders = [f"file://{tmp_path / 'landing'}", str(tmp_path / "lake")]
    assert jit.choose(folders) == "full"
    assert jit.java_options("full") == jit.FULL_JIT
    assert "-XX:+UseParallelGC" in jit.FULL_JIT


def test_object_storage_is_not_counted(tmp_path, small_limit):
    assert jit.choose(["s3://bucket/landing", None]) == "c1"


def test_a_forced_choice_wins_and_a_typo_says_what_is_accepted(tmp_path, monkeypatch):
    _file(tmp_path / "big.csv", 10)
    monkeypatch.setattr(jit, "FULL_JIT_FROM_BYTES", 1)
    monkeypatch.setenv(jit.SETTING, "c1")
    assert jit.choose([tmp_path]) == "c1"
    monkeypatch.setenv(jit.SETTING, "fast")
    with pytest.raises(ValueError, match="LAKEHOUSE_SPARK_JIT='fast' is not one of auto, c1, full"):
        jit.choose([tmp_path])
