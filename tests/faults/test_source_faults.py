"""A bronze table extracted from PostgreSQL, through Dagster and the warm runner: a load that
fails never advances the watermark nor touches the table, and a full refresh re-reads
everything."""

from __future__ import annotations

import uuid

import adbc_driver_postgresql.dbapi as pg
import pytest
from dagster import AssetKey, instance_for_test, materialize

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.factory import build_all_assets
from lakehouse_assets.local_services.endpoints import database_uri
from lakehouse_assets.registry import registry

pytestmark = pytest.mark.faults
VENDA = AssetKey(["bix", "bronze", "venda"])


def execute(uri: str, *statements: str, autocommit: bool = False) -> None:
    with pg.connect(uri, autocommit=autocommit) as conn, conn.cursor() as cur:
        for statement in statements:
            cur.execute(statement)
        if not autocommit:
            conn.commit()


@pytest.fixture
def source(local_services, monkeypatch) -> str:
    name = f"bix_faults_{uuid.uuid4().hex[:8]}"
    execute(local_services["postgres_uri"], f"CREATE DATABASE {name}", autocommit=True)
    uri = database_uri(local_services, name)
    execute(
        uri,
        "CREATE TABLE public.venda (id_venda int PRIMARY KEY, id_funcionario int, "
        "id_categoria int, data_venda date, venda numeric)",
        "INSERT INTO public.venda VALUES (1, 1, 1, DATE '2020-01-10', 100.00), "
        "(2, 2, 2, DATE '2020-01-20', 200.00), (3, 3, 3, DATE '2020-02-18', 300.00)",
    )
    monkeypatch.setenv("BIX_POSTGRES_URI", uri)
    return uri


def load(launcher, instance, day: str, **tags: str):
    return materialize(
        build_all_assets(registry()),
        resources={"launcher": launcher},
        instance=instance,
        partition_key=day,
        selection=[VENDA],
        tags={f"lakehouse/job_arg/{k}": v for k, v in tags.items()},
        raise_on_error=False,
    )


def failure(result) -> str:
    return "\n".join(
        e.event_specific_data.error.to_string()
        for e in result.all_events
        if e.event_type_value == "STEP_FAILURE"
    )


def state(lake) -> tuple[dict[str, int], str | None]:
    store = TableStore(str(lake["root"]), "bix_bronze", "venda")
    version = store.current()
    rows = {name: entry.rows for name, entry in version.partitions.items()}
    return rows, store.watermark_before("anomesdia=99999999")


def test_a_failed_load_leaves_table_and_watermark_and_a_full_refresh_reads_all(
    source, launcher, lake, monkeypatch
):
    with instance_for_test() as instance:
        assert load(launcher, instance, "20240110").success
        before = state(lake)
        assert before == ({"anomesdia=20240110": 3}, "2020-02-18")

        # The source loses a column: refused, naming the source and the column.
        execute(source, "ALTER TABLE public.venda DROP COLUMN venda")
        lost = load(launcher, instance, "20240111")
        assert not lost.success
        assert "lacks column(s) ['venda'] required by bix_bronze.venda" in failure(lost)
        assert state(lake) == before

        # The database refuses the password: no password in the message, nothing changed.
        execute(source, "ALTER TABLE public.venda ADD COLUMN venda numeric DEFAULT 1.00")
        wrong = source.replace("@", "x@", 1).replace("lakehouse:", "lakehouse:wrong-", 1)
        monkeypatch.setenv("BIX_POSTGRES_URI", wrong)
        refused = load(launcher, instance, "20240111")
        assert not refused.success
        message = failure(refused)
        secret = wrong.split(":")[2].split("@")[0]
        assert "password" in message and secret not in message
        assert state(lake) == before

        # Back to the right password: the day reads from the watermark less the look-back.
        monkeypatch.setenv("BIX_POSTGRES_URI", source)
        assert load(launcher, instance, "20240111").success
        assert state(lake) == ({"anomesdia=20240110": 3, "anomesdia=20240111": 1}, "2020-02-18")

        # A full refresh re-reads every sale.
        assert load(launcher, instance, "20240111", full_refresh="true").success
        assert state(lake)[0] == {"anomesdia=20240110": 3, "anomesdia=20240111": 3}


def test_a_source_that_went_back_is_reported_and_the_watermark_stays(source, launcher, lake):
    with instance_for_test() as instance:
        execute(source, "INSERT INTO public.venda VALUES (4, 1, 1, DATE '2020-02-16', 40.00)")
        assert load(launcher, instance, "20240110").success
        # The newest sale leaves the source (restored from an older copy, say): the look-back
        # window reads the sale of 02-16 again, and not the one of 02-18.
        execute(source, "DELETE FROM public.venda WHERE id_venda = 3")
        result = load(launcher, instance, "20240111")
    assert result.success  # a warning: the rows read are still right
    (check,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "marca_dagua_nao_recua"
    ]
    assert not check.passed and check.severity.value == "WARN"
    metadata = {k: v.value for k, v in check.metadata.items()}
    assert (metadata["previous_watermark"], metadata["source_newest"]) == (
        "2020-02-18",
        "2020-02-16",
    )
    assert state(lake) == ({"anomesdia=20240110": 4, "anomesdia=20240111": 1}, "2020-02-18")
