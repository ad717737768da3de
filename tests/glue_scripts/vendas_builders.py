"""Small typed frames for the vendas transform tests: bronze events as the silver job reads
them, and silver states as the gold job reads them. Values are text cast by Spark; a column a
row leaves out is NULL (or the default named below), an unknown column is an error."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lakehouse_assets.domains.vendas.specs import BRONZE, HISTORICO

LOAD = "20240110"


def _columns(ddl: str) -> list[tuple[str, str]]:
    # Commas inside decimal(18,2) do not separate columns.
    parts = re.split(r",(?![^(]*\))", ddl)
    return [tuple(part.strip().split(" ", 1)) for part in parts]


def bronze_schema(source: str) -> str:
    """The columns of a bronze table as the silver job reads them (partitions are text)."""
    spec = next(t for t in BRONZE if t.name == source)
    data = [f"{c.name} {c.type}" for c in spec.columns if c.name not in spec.partition_by]
    return ", ".join([*data, *(f"{p} string" for p in spec.partition_by)])


def typed_frame(spark: SparkSession, ddl: str, rows: Sequence[Mapping[str, Any]]) -> DataFrame:
    """A local relation with the DDL's columns; each value is cast from its text."""
    columns = _columns(ddl)
    names = [n for n, _ in columns]
    for row in rows:
        unknown = set(row) - set(names)
        if unknown:
            raise KeyError(f"columns not in {names}: {sorted(unknown)}")

    def literal(value: Any, kind: str) -> str:
        if value is None:
            return f"CAST(NULL AS {kind})"
        return f"CAST('{value}' AS {kind})"

    values = [
        "(" + ", ".join(literal(row.get(n), k) for n, k in columns) + ")" for row in rows
    ] or ["(" + ", ".join(literal(None, k) for _, k in columns) + ")"]
    sql = f"SELECT * FROM VALUES {', '.join(values)} AS t({', '.join(names)})"
    frame = spark.sql(sql)
    return frame if rows else frame.where("false")


def events(spark: SparkSession, source: str, *rows: Mapping[str, Any]) -> DataFrame:
    """Bronze events of `source`: `at` is the transaction_datetime (its date is the
    transaction_date unless `transaction_date` is given), `load` the anomesdia."""
    full = []
    for row in rows:
        values = {k: v for k, v in row.items() if k not in ("at", "load")}
        values["transaction_datetime"] = row["at"]
        values.setdefault("transaction_date", row["at"][:10])
        values["anomesdia"] = row.get("load", LOAD)
        load = values["anomesdia"]
        values.setdefault("ingested_at", f"{load[:4]}-{load[4:6]}-{load[6:]} 06:00:00")
        values.setdefault("source_file", f"{source}_{values['anomesdia']}.csv")
        full.append(values)
    return typed_frame(spark, bronze_schema(source), full)


def none(spark: SparkSession, source: str) -> DataFrame:
    """A source that sent nothing yet."""
    return typed_frame(spark, bronze_schema(source), [])


HISTORICO_DDL = ", ".join(f"{c.name} {c.type}" for c in HISTORICO.columns)
STATE_DEFAULTS = {"pago": "false", "vigente": "false", "valido_ate": "9999-12-31"}


def states(spark: SparkSession, *rows: Mapping[str, Any]) -> DataFrame:
    """Silver states (the gold job's input); `pago` is derived from release_date."""
    full = []
    for row in rows:
        values = {**STATE_DEFAULTS, **row}
        values["pago"] = "true" if values.get("release_date") else "false"
        values["vigente"] = "true" if values["valido_ate"] == "9999-12-31" else "false"
        full.append(values)
    return typed_frame(spark, HISTORICO_DDL, full)
