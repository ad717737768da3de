"""The DuckDB examples of docs/TABLES.md, run as written against a real Iceberg table."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from glue_scripts.lib.spark_io import arrow_schema, write_snapshot
from glue_scripts.lib.tables import TableStore

DOC = Path(__file__).resolve().parents[2] / "docs" / "TABLES.md"
BY_DAY = ("data_posicao",)
SCHEMA = (
    "data_venda date, subsidiaria string, gmv decimal(18,2), compras bigint, "
    "compras_pagas bigint, compras_pagas_sem_item bigint, data_posicao date"
)


def duckdb_examples() -> list[str]:
    """The Python blocks of the doc's DuckDB section (other engines' need AWS)."""
    section = DOC.read_text(encoding="utf-8").split("\n## DuckDB\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def publish(spark, store: TableStore, *rows: tuple) -> None:
    """Publish a day of the write-once GMV as its job does: only new partitions."""
    frame = spark.createDataFrame(list(rows), SCHEMA)
    written = write_snapshot(frame, store, BY_DAY)
    store.commit(
        written.snapshot,
        BY_DAY,
        written.rows_by_partition,
        replace_all=False,
        write_once=True,
        schema=arrow_schema(written.data),
    )


def test_the_duckdb_examples_read_the_table_and_its_previous_snapshot(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = TableStore(".lakehouse", "vendas_gold", "gmv_diario_por_subsidiaria")
    day1, day2 = date(2024, 1, 1), date(2024, 1, 2)
    publish(spark, store, (day1, "BR", Decimal("10.50"), 2, 1, 0, day1))
    publish(
        spark,
        store,
        (day1, "BR", Decimal("12.00"), 3, 2, 0, day2),
        (day2, "PT", Decimal("7.25"), 1, 1, 0, day2),
    )
    examples = duckdb_examples()
    assert len(examples) == 2
    namespace: dict = {}
    for example in examples:
        exec(compile(example, str(DOC), "exec"), namespace)
    assert namespace["rows"] == [(day1, Decimal("10.50")), (day2, Decimal("19.25"))]
    assert namespace["known_before"] == 1
