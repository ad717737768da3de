"""The bare script's checks run the specs' rules on its outputs, and catch a broken one."""

from __future__ import annotations

import shutil

from glue_scripts.importau import fact_changes
from lakehouse_assets.bench import bare_pipeline
from lakehouse_assets.domains.importau.generator import generate
from lakehouse_assets.domains.importau.specs import BRONZE

LOAD_DATE = "20250101"


def test_the_bare_outputs_pass_the_rules_and_a_duplicated_item_fails_them(spark, tmp_path):
    generate(tmp_path / "landing", scale=200, seed=5)
    out = tmp_path / "out"
    bare_pipeline.write_bronze(spark, str(tmp_path / "landing"), LOAD_DATE, out / "bronze")
    bronze = {s.name: spark.read.parquet(str(out / "bronze" / s.name)) for s in BRONZE}
    bare_pipeline.write_silver(bronze, out / "silver", one_load=True)
    fato = spark.read.parquet(str(out / "silver" / bare_pipeline.FACT))
    bare_pipeline.write_gold(fato, bronze["emprestimos"], bronze["cambio"], out / "gold")
    assert bare_pipeline.run_checks(spark, out) == 0

    # One item twice in the fact: its grain (one row per item) and uniqueness rules fail.
    fact = out / "silver" / bare_pipeline.FACT
    copy = tmp_path / "fact_copy"
    shutil.copytree(fact, copy)
    doubled = spark.read.parquet(str(copy))
    writer = doubled.unionByName(doubled.limit(1)).write.mode("overwrite")
    writer.partitionBy(fact_changes.MONTH).parquet(str(fact))
    assert bare_pipeline.run_checks(spark, out) >= 2
