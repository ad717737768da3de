"""The three vendas Glue jobs over successive daily drops, on real Spark, Parquet and the commit
protocol (run through a Pipes channel, without Dagster): late events, a silent source,
a re-run of a day, loads out of order and a tampered snapshot."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.job import BlockingCheckError
from glue_scripts.lib.tables import TableStore
from glue_scripts.vendas import (
    bronze_ingest,
    gold_gmv_diario_por_subsidiaria,
    silver_historico_estado_compra,
)
from lakehouse_assets.duckdb_iceberg import connect, scan
from tests.glue_scripts.pipes_harness import run_job

SOURCES = ("purchase", "product_item", "purchase_extra_info")
SILVER = "vendas_silver.historico_estado_compra"
GOLD = "vendas_gold.gmv_diario_por_subsidiaria"
GOLD_ASSET = "vendas/gold/gmv_diario_por_subsidiaria"
HEADERS = {
    "purchase": "transaction_datetime,transaction_date,purchase_id,buyer_id,prod_item_id,"
    "order_date,release_date,producer_id",
    "product_item": "transaction_datetime,transaction_date,purchase_id,product_id,item_quantity,"
    "purchase_value",
    "purchase_extra_info": "transaction_datetime,transaction_date,purchase_id,subsidiary",
}
# Purchase 1 is paid from the start; purchase 2 is paid on 01-03.
DROPS = {
    "20240103": {
        "purchase": [
            "2024-01-01 10:00:00,2024-01-01,1,11,21,2024-01-01,2024-01-01,31",
            "2024-01-02 09:00:00,2024-01-02,2,12,22,2024-01-02,,32",
        ],
        "product_item": [
            "2024-01-01 10:01:00,2024-01-01,1,41,1,100.00",
            "2024-01-02 09:01:00,2024-01-02,2,42,2,40.00",
        ],
        "purchase_extra_info": [
            "2024-01-01 10:02:00,2024-01-01,1,nacional",
            "2024-01-02 09:02:00,2024-01-02,2,internacional",
        ],
    },
    "20240104": {
        "purchase": ["2024-01-03 08:00:00,2024-01-03,2,12,22,2024-01-02,2024-01-03,32"],
        # Late: purchase 1's value was corrected on 01-02, the event arrives a day late.
        "product_item": ["2024-01-02 15:00:00,2024-01-02,1,41,1,90.00"],
        "purchase_extra_info": [],  # silent
    },
    # Loaded before 20240105: purchase 1 is cancelled on 01-05.
    "20240106": {
        "purchase": ["2024-01-05 11:00:00,2024-01-05,1,11,21,2024-01-01,,31"],
        "product_item": [],
        "purchase_extra_info": [],
    },
    # Loaded last: purchase 2's subsidiary corrected on 01-04.
    "20240105": {
        "purchase": [],
        "product_item": [],
        "purchase_extra_info": ["2024-01-04 12:00:00,2024-01-04,2,nacional"],
    },
}


def write_drop(landing: Path, load: str) -> None:
    for source, lines in DROPS[load].items():
        folder = landing / source / f"anomesdia={load}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{source}.csv").write_text("\n".join([HEADERS[source], *lines]) + "\n")


class Lake:
    def __init__(self, base: Path):
        self.root, self.landing, self.work = base / "lake", base / "landing", base / "pipes"
        self.root.mkdir()

    def run(self, job, tables, **keys):
        return run_job(
            job.main, tables, root=self.root, landing=self.landing, workdir=self.work, **keys
        )

    def day(self, load: str, *, sources=SOURCES, silver: bool = True) -> dict:
        """Load `sources` of the day's drop (a Dagster subset of the bronze job: sources
        without news need no run), then silver and gold as that day's run would."""
        write_drop(self.landing, load)
        tables = [f"vendas_bronze.{s}" for s in sources]
        reported = {"bronze": self.run(bronze_ingest, tables, partition_keys=[load])}
        if silver:
            reported["silver"] = self.run(silver_historico_estado_compra, [SILVER])
        reported["gold"] = self.run(gold_gmv_diario_por_subsidiaria, [GOLD], run_partition_key=load)
        return reported

    def store(self, table: str) -> TableStore:
        database, name = table.split(".")
        return TableStore(normalize_root(str(self.root)), database, name)

    def query(self, table: str, sql: str) -> list[tuple]:
        """`sql` over the view `t`: the table's current version, as DuckDB reads Iceberg."""
        con = connect()
        con.execute(f"CREATE VIEW t AS SELECT * FROM {scan(self.store(table).metadata_location())}")
        return con.execute(sql).fetchall()

    def gold(self) -> list[tuple]:
        return self.query(
            GOLD,
            "SELECT CAST(data_posicao AS VARCHAR), CAST(data_venda AS VARCHAR), subsidiaria, "
            "CAST(gmv AS VARCHAR), compras, compras_pagas FROM t ORDER BY 1, 2, 3",
        )

    def gold_files(self) -> dict[str, str]:
        """Every file of every published snapshot, with its SHA-256."""
        base = Path(self.store(GOLD).location.removeprefix("file://"))
        manifest = self.store(GOLD).require_current()
        files = {}
        for name, entry in manifest.partitions.items():
            for path in sorted((base / f"snapshot={entry.snapshot}" / name).rglob("*")):
                files[str(path.relative_to(base))] = hashlib.sha256(path.read_bytes()).hexdigest()
        return files


@pytest.fixture(scope="module")
def history(spark, tmp_path_factory):
    """Runs the days in order and records what each step left behind."""
    lake = Lake(tmp_path_factory.mktemp("vendas_jobs"))
    steps = {"20240103": lake.day("20240103")}
    steps["gold_after_0103"] = lake.gold()
    files_before = lake.gold_files()
    steps["20240104"] = lake.day("20240104")
    steps["gold_after_0104"] = lake.gold()
    steps["files_kept"] = {k: v for k, v in lake.gold_files().items() if k in files_before}
    steps["files_before"] = files_before
    steps["bronze_item_partitions"] = sorted(
        lake.store("vendas_bronze.product_item").require_current().partitions
    )
    gold_version = lake.store(GOLD).require_current().version
    files_0104 = lake.gold_files()
    steps["rerun"] = lake.day("20240104", sources=("product_item",), silver=False)
    steps["gold_version_change"] = (gold_version, lake.store(GOLD).require_current().version)
    steps["files_after_rerun_equal"] = lake.gold_files() == files_0104
    items = lake.store("vendas_bronze.product_item").require_current()
    steps["bronze_item_rows"], steps["bronze_item_partitions_after_rerun"] = (
        items.rows,
        sorted(items.partitions),
    )
    steps["20240106"] = lake.day("20240106", sources=("purchase",))
    steps["20240105"] = lake.day("20240105", sources=("purchase_extra_info",))
    steps["gold_after_out_of_order"] = lake.gold()
    steps["silver_purchase_2"] = lake.query(
        SILVER,
        "SELECT CAST(valido_de AS VARCHAR), CAST(valido_ate AS VARCHAR), subsidiary, pago "
        "FROM t WHERE purchase_id = 2 ORDER BY 1",
    )
    steps["lake"] = lake
    return steps


def test_events_land_in_the_partition_of_their_day_under_the_load_that_brought_them(history):
    assert history["bronze_item_partitions"] == [
        "transaction_date=2024-01-01/anomesdia=20240103",
        "transaction_date=2024-01-02/anomesdia=20240103",
        "transaction_date=2024-01-02/anomesdia=20240104",
    ]
    first = history["20240103"]["bronze"]
    assert first.value("vendas/bronze/purchase", "dagster/row_count") == 2
    assert first.failed_checks() == set()


def test_the_first_load_publishes_its_days_with_news_and_its_processing_day(history):
    assert history["gold_after_0103"] == [
        ("2024-01-01", "2024-01-01", "nacional", "100.00", 1, 1),
        ("2024-01-02", "2024-01-01", "nacional", "100.00", 1, 1),
        ("2024-01-02", "2024-01-02", "internacional", "0.00", 1, 0),
    ]
    gold = history["20240103"]["gold"]
    assert gold.value(GOLD_ASSET, "lakehouse/partitions_written") == [
        "data_posicao=2024-01-01",
        "data_posicao=2024-01-02",
    ]
    assert gold.failed_checks() == set()


def test_a_late_event_changes_the_next_snapshot_never_the_published_ones(history):
    # 01-02 still says 100.00, as known then; 01-03 knows the correction (90.00) and the payment.
    assert history["gold_after_0104"] == [
        ("2024-01-01", "2024-01-01", "nacional", "100.00", 1, 1),
        ("2024-01-02", "2024-01-01", "nacional", "100.00", 1, 1),
        ("2024-01-02", "2024-01-02", "internacional", "0.00", 1, 0),
        ("2024-01-03", "2024-01-01", "nacional", "90.00", 1, 1),
        ("2024-01-03", "2024-01-02", "internacional", "40.00", 1, 1),
    ]
    assert history["files_kept"] == history["files_before"]
    gold = history["20240104"]["gold"]
    checks = {k.split(":")[1]: c["passed"] for k, c in gold.checks.items()}
    assert checks == {
        "chave_nao_nula": True,
        "chave_unica": True,
        "gmv_nao_negativo": True,
        "gmv_reconcilia_com_silver": True,
        "compra_contada_uma_vez": True,
        "historia_imutavel": True,
    }
    immutable = gold.checks[f"{GOLD_ASSET}:historia_imutavel"]
    assert immutable["metadata"]["published_partitions"]["raw_value"] == 2


def test_a_rerun_of_a_day_duplicates_nothing_and_changes_no_snapshot(history):
    assert history["bronze_item_rows"] == 3
    assert history["bronze_item_partitions_after_rerun"] == history["bronze_item_partitions"]
    before, after = history["gold_version_change"]
    assert before == after
    assert history["files_after_rerun_equal"] is True
    gold = history["rerun"]["gold"]
    assert gold.value(GOLD_ASSET, "lakehouse/partitions_written") == []
    assert gold.value(GOLD_ASSET, "lakehouse/partitions_kept") == 3
    assert gold.value(GOLD_ASSET, "dagster/row_count") == 0
    assert gold.failed_checks() == set()


def test_a_load_processed_late_shows_in_silver_and_in_no_published_snapshot(history):
    # 20240106 published 01-05 (purchase 1 cancelled); 20240105 came after: nothing to publish.
    assert history["gold_after_out_of_order"][-2:] == [
        ("2024-01-05", "2024-01-01", "nacional", "0.00", 1, 0),
        ("2024-01-05", "2024-01-02", "internacional", "40.00", 1, 1),
    ]
    assert len(history["gold_after_out_of_order"]) == 7
    late = history["20240105"]["gold"]
    assert (
        late.value("vendas/gold/gmv_diario_por_subsidiaria", "lakehouse/partitions_written") == []
    )
    assert history["silver_purchase_2"] == [
        ("2024-01-02", "2024-01-02", "internacional", False),
        ("2024-01-03", "2024-01-03", "internacional", True),
        ("2024-01-04", "9999-12-31", "nacional", True),
    ]


def test_the_next_processing_day_knows_the_late_load(history):
    lake = history["lake"]
    reported = lake.run(gold_gmv_diario_por_subsidiaria, [GOLD], run_partition_key="20240107")
    assert reported.value(
        "vendas/gold/gmv_diario_por_subsidiaria", "lakehouse/partitions_written"
    ) == ["data_posicao=2024-01-06"]
    assert lake.gold()[-2:] == [
        ("2024-01-06", "2024-01-01", "nacional", "0.00", 1, 0),
        ("2024-01-06", "2024-01-02", "nacional", "40.00", 1, 1),
    ]


@pytest.mark.faults
def test_a_tampered_snapshot_stops_the_next_publication(history):
    lake = history["lake"]
    store = lake.store(GOLD)
    manifest = store.require_current()
    entry = manifest.partitions["data_posicao=2024-01-02"]
    folder = Path(store.data_uri(entry.snapshot, "data_posicao=2024-01-02").removeprefix("file://"))
    part = next(folder.glob("*.parquet"))
    part.write_bytes(part.read_bytes()[:-1] + b"\x00")
    with pytest.raises(BlockingCheckError) as err:
        lake.run(gold_gmv_diario_por_subsidiaria, [GOLD], run_partition_key="20240109")
    assert "historia_imutavel failed on 1 row(s)" in str(err.value)
    assert store.require_current().version == manifest.version
