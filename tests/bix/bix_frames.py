"""Typed frames of BIX's tables for the transform and job tests, built from the specs' column
types. Rows are dicts; a column a row leaves out takes the table's default (or NULL)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lakehouse_assets.domains.bix import specs
from tests.glue_scripts.builders import frame

LOAD = "20240101"


def ingestion(load: str = LOAD, minute: int = 0) -> dict[str, str]:
    """The ingestion columns of a load (yyyymmdd), ingested at 06:<minute> UTC that day."""
    return {
        "anomesdia": load,
        "ingested_at": f"{load[:4]}-{load[4:6]}-{load[6:]} 06:{minute:02d}:00",
        "source_file": "postgres://127.0.0.1:5432/juniordatabase.public.venda",
    }


def venda(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    """Bronze sales; defaults: employee 1, category 1, 2020-01-15, load LOAD."""
    defaults = {"id_funcionario": 1, "id_categoria": 1, "data_venda": "2020-01-15"}
    return frame(spark, specs.VENDA_BRONZE, list(rows), {**defaults, **ingestion()})


def funcionario(spark: SparkSession, *names: tuple[int, str], load: str = LOAD) -> DataFrame:
    rows = [{"id": i, "nome": n} for i, n in names]
    return frame(spark, specs.FUNCIONARIO_BRONZE, rows, ingestion(load))


def categoria(spark: SparkSession, *names: tuple[int, str], load: str = LOAD) -> DataFrame:
    rows = [{"id": i, "nome_categoria": n} for i, n in names]
    return frame(spark, specs.CATEGORIA_BRONZE, rows, ingestion(load))


def silver_venda(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    """Silver sales (gold's input); defaults: a typical sale of employee 1, category 1."""
    defaults = {
        "id_funcionario": 1,
        "id_categoria": 1,
        "data_venda": "2020-01-15",
        "nome_funcionario": "Rob Carsson",
        "nome_categoria": "Babywear",
        "outlier": "false",
        "anomesdia": LOAD,
    }
    return frame(spark, specs.VENDA, list(rows), defaults)


def rows(frame_: DataFrame, *columns: str) -> list[tuple]:
    """The frame's rows as tuples of text (NULL stays None), sorted."""
    return sorted(
        tuple(None if r[c] is None else str(r[c]) for c in columns)
        for r in frame_.select(*columns).collect()
    )
