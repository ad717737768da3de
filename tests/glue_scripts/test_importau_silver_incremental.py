"""The correlated fact recomputes only the orders a run's loads changed, and publishes the
same table as a recompute of every order from every load, whatever the loads did: new days,
a full extract repeating the master data, a renamed product, a moved item or payment, a
corrected quote back in time, a reloaded day, a removed day, an order moved to another month.
It rewrites only the months of the orders it recomputes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from glue_scripts.importau import gold_agregado_fluxo_de_caixa_mensal as cash
from glue_scripts.importau import gold_features_risco_cambial_mensal as fx
from glue_scripts.importau import silver_fato_pedido_correlacionado as silver
from glue_scripts.lib import masking
from glue_scripts.lib.fs import normalize_root
from glue_scripts.lib.job import CHECK_SECONDS
from glue_scripts.lib.schema import conform
from glue_scripts.lib.spark_io import read_table, write_snapshot
from glue_scripts.lib.tables import TableStore, new_snapshot_id
from lakehouse_assets.registry import registry
from tests.glue_scripts import builders as b
from tests.glue_scripts.pipes_harness import run_job

BY_DAY = ("anomesdia",)
SUPPLIERS = (
    {"fornecedor_id": "FBR", "razao_social": "Nacional Ltda", "moeda_negociacao": "BRL"},
    {"fornecedor_id": "FUS", "razao_social": "US Parts", "cnpj": None, "moeda_negociacao": "USD"},
    {"fornecedor_id": "FEU", "razao_social": "Euro GmbH", "cnpj": None, "moeda_negociacao": "EUR"},
)
PRODUCTS = (
    {"produto_id": "P1", "nome_produto": "Processador"},
    {"produto_id": "P2", "nome_produto": "Memoria"},
    {"produto_id": "P3", "nome_produto": "Placa"},
)

RENAMED_PRODUCTS = ({**PRODUCTS[0], "nome_produto": "CPU"}, *PRODUCTS[1:])
RENAMED_SUPPLIERS = (*SUPPLIERS[:2], {**SUPPLIERS[2], "razao_social": "Euro AG"})


def load(day: str) -> dict[str, str]:
    return b.load(day, f"{day[:4]}-{day[4:6]}-{day[6:]} 06:00:00")


class Lake:
    def __init__(self, spark, base: Path):
        self.spark = spark
        self.root = base / "lake"
        self.base = base

    def commit(self, table: str, day: str, *rows: dict) -> None:
        """Commit the rows as bronze's load of `day` (replacing that load if it was there)."""
        frame = b.bronze(self.spark, table, *({**load(day), **r} for r in rows))
        spec = b.BRONZE_SPECS[table].payload()
        store = TableStore(str(self.root), "importau_bronze", table)
        written = write_snapshot(conform(frame, spec), store, BY_DAY)
        rows_by_partition = written.rows_by_partition or {f"anomesdia={day}": 0}
        store.commit(written.snapshot, BY_DAY, rows_by_partition, replace_all=False)

    def remove(self, table: str, day: str) -> None:
        store = TableStore(str(self.root), "importau_bronze", table)
        store.commit(new_snapshot_id(), BY_DAY, {f"anomesdia={day}": 0}, replace_all=False)

    def master_data(self, day: str, suppliers=SUPPLIERS, products=PRODUCTS) -> None:
        """Today's full extract of suppliers and products."""
        self.commit("fornecedores", day, *suppliers)
        self.commit("produtos", day, *products)

    def silver(self) -> str:
        """Run the fact's job, then the gold jobs, whose tables must equal a recompute from
        the whole fact; the fact's account of what it recomputed."""
        reported = self._run(silver)
        seconds = reported.value("importau/silver/fato_pedido_correlacionado", CHECK_SECONDS)
        assert isinstance(seconds, float) and seconds > 0
        assert not reported.failed_checks() - {
            f"importau/silver/fato_pedido_correlacionado:{n}"
            for n in ("total_pedido_confere_itens", "ptax_disponivel")
        }
        (how,) = [m for m in reported.logs if m.startswith(f"{silver.TARGET}: recomputed")]
        reported = self._run(cash)
        assert not reported.failed_checks()
        (self.cash_how,) = [
            m for m in reported.logs if m.startswith(f"{cash.TARGET}: supplier payments")
        ]
        assert self.cash_flow() == self.cash_flow_recomputed(), self.cash_how
        reported = self._run(fx)
        assert not reported.failed_checks()
        (self.fx_how,) = [m for m in reported.logs if m.startswith(f"{fx.TARGET}: order features")]
        assert self.fx_features() == self.fx_features_recomputed(), self.fx_how
        return how

    def _run(self, script):
        landing, work = self.base / "landing", self.base / "work"
        return run_job(script.main, [script.TARGET], root=self.root, landing=landing, workdir=work)

    def cash_flow(self) -> list:
        store = TableStore(str(self.root), "importau_gold", "agregado_fluxo_de_caixa_mensal")
        return sorted(read_table(self.spark, store).collect())

    def fx_features(self) -> list:
        store = TableStore(str(self.root), "importau_gold", "features_risco_cambial_mensal")
        return sorted(read_table(self.spark, store).collect())

    def fx_features_recomputed(self) -> list:
        fact = read_table(self.spark, self.fact())
        quotes = read_table(self.spark, TableStore(str(self.root), "importau_bronze", "cambio"))
        spec = registry().tables[fx.TARGET].payload()
        return sorted(conform(fx.transform(fact, quotes), spec).collect())

    def cash_flow_recomputed(self) -> list:
        fact = read_table(self.spark, self.fact())
        loans = read_table(self.spark, TableStore(str(self.root), "importau_bronze", "emprestimos"))
        spec = registry().tables[cash.TARGET].payload()
        return sorted(conform(cash.transform(fact, loans), spec).collect())

    def fact(self) -> TableStore:
        return TableStore(str(self.root), "importau_silver", "fato_pedido_correlacionado")

    def published(self) -> list:
        return sorted(read_table(self.spark, self.fact()).collect(), key=lambda r: r["item_id"])

    def months(self) -> dict[str, tuple[str, int]]:
        """The snapshot and rows of each month of the fact."""
        partitions = self.fact().require_current().partitions
        return {name: (entry.snapshot, entry.rows) for name, entry in partitions.items()}

    def recomputed(self) -> list:
        """Every order recomputed from every load, masked like the job masks."""
        loads = {
            name: read_table(self.spark, TableStore(str(self.root), "importau_bronze", name))
            for name in silver.CURRENT_KEYS
        }
        spec = registry().tables[silver.TARGET].payload()
        key = masking.hash_key({"lakehouse_root": normalize_root(str(self.root))})
        frame = conform(silver.transform(**silver.current_versions(loads)), spec, hash_key=key)
        return sorted(frame.collect(), key=lambda r: r["item_id"])


def recomputed_orders(how: str) -> int:
    match = re.match(rf"{re.escape(silver.TARGET)}: recomputed (\d+) order", how)
    assert match, how
    return int(match.group(1))


@pytest.fixture(scope="module")
def lake(spark, tmp_path_factory) -> Lake:
    lake = Lake(spark, tmp_path_factory.mktemp("incremental_fact"))
    for day in ("20241001", "20241002"):
        lake.master_data(day)
    lake.commit(
        "pedidos",
        "20241001",
        {"pedido_id": "O1", "fornecedor_id": "FBR", "data_pedido": "2024-10-01"},
        {"pedido_id": "O2", "fornecedor_id": "FUS", "data_pedido": "2024-10-01"},
        {"pedido_id": "O8", "fornecedor_id": "FBR", "data_pedido": "2024-09-20"},
    )
    lake.commit(
        "itens_pedido",
        "20241001",
        {"item_id": "I1A", "pedido_id": "O1", "produto_id": "P1"},
        {"item_id": "I1B", "pedido_id": "O1", "produto_id": "P2"},
        {"item_id": "I2", "pedido_id": "O2", "produto_id": "P3"},
        # A month fuller than the ones the runs change: the cash flow follows those alone.
        *({"item_id": f"I8-{i}", "pedido_id": "O8", "produto_id": "P2"} for i in range(10)),
    )
    lake.commit(
        "pagamentos",
        "20241001",
        {"pagamento_id": "G1", "pedido_id": "O1"},
        {"pagamento_id": "G2", "pedido_id": "O2"},
    )
    lake.commit("emprestimos", "20241001", {"emprestimo_id": "E1"})
    lake.commit(
        "cambio",
        "20241001",
        {"moeda": "USD", "data_cotacao": "2024-10-01", "taxa_ptax": "5.0000"},
        {"moeda": "EUR", "data_cotacao": "2024-10-01", "taxa_ptax": "6.0000"},
    )
    lake.commit(
        "pedidos",
        "20241002",
        {"pedido_id": "O3", "fornecedor_id": "FUS", "data_pedido": "2024-10-02"},
        {"pedido_id": "O4", "fornecedor_id": "FEU", "data_pedido": "2024-10-02"},
    )
    lake.commit(
        "itens_pedido",
        "20241002",
        {"item_id": "I3", "pedido_id": "O3", "produto_id": "P1", "valor_total_item": "300.00"},
        {"item_id": "I4", "pedido_id": "O4", "produto_id": "P2"},
    )
    lake.commit(
        "pagamentos",
        "20241002",
        {"pagamento_id": "G3A", "pedido_id": "O3", "num_parcelas": 2, "parcela_atual": 1},
        {"pagamento_id": "G3B", "pedido_id": "O3", "num_parcelas": 2, "parcela_atual": 2},
    )
    lake.commit(
        "cambio", "20241002", {"moeda": "USD", "data_cotacao": "2024-10-02", "taxa_ptax": "5.1"}
    )
    return lake


def test_the_first_build_recomputes_every_order(lake):
    assert lake.silver().endswith(
        "recomputed every order: no record of what the fact was built from"
    )
    assert lake.published() == lake.recomputed()
    assert lake.cash_how.endswith(
        "supplier payments from the whole input: no record of what "
        "importau_gold.agregado_fluxo_de_caixa_mensal was built from"
    )
    assert {name: rows for name, (_, rows) in lake.months().items()} == {
        "anomes_pedido=202409": 10,
        "anomes_pedido=202410": 5,
    }


def test_a_new_day_recomputes_the_orders_it_touches_and_no_other(lake):
    september = lake.months()["anomes_pedido=202409"]
    lake.master_data("20241004", suppliers=RENAMED_SUPPLIERS, products=RENAMED_PRODUCTS)
    lake.commit(
        "pedidos",
        "20241004",
        {"pedido_id": "O5", "fornecedor_id": "FBR", "data_pedido": "2024-10-04"},
        {"pedido_id": "O6", "fornecedor_id": "FUS", "data_pedido": "2024-10-04"},
        {"pedido_id": "O1", "fornecedor_id": "FBR", "data_pedido": "2024-10-01", "status": "PAGO"},
    )
    lake.commit(
        "itens_pedido",
        "20241004",
        {"item_id": "I5", "pedido_id": "O5", "produto_id": "P1"},
        {"item_id": "I2", "pedido_id": "O4", "produto_id": "P3"},
        {"item_id": "I6", "pedido_id": "O6", "produto_id": "P2"},
    )
    lake.commit(
        "pagamentos",
        "20241004",
        {"pagamento_id": "G5", "pedido_id": "O5"},
        {"pagamento_id": "G1", "pedido_id": "O5"},
    )
    lake.commit("cambio", "20241004", {"moeda": "USD", "data_cotacao": "2024-10-04"})
    how = lake.silver()
    # New: O5, O6. Changed: O1. Renamed P1: O3 too. Moved I2: O2 and O4. Moved G1: O1 and
    # O5. Renamed Euro AG: O4. The USD quote of 10-04: O6.
    assert recomputed_orders(how) == 6, how
    assert how.endswith(
        "rewrote month(s) 000000, 202410, carrying over their other rows; kept the other months"
    ), how
    assert lake.published() == lake.recomputed()
    assert lake.months()["anomes_pedido=202409"] == september
    assert lake.cash_how.endswith(
        "supplier payments updated from 2 changed partition(s) of the input"
    )
    assert lake.fx_how.endswith("order features updated from 2 changed partition(s) of the input")


def test_a_quote_corrected_back_in_time_recomputes_the_orders_that_used_it(lake):
    # The master data is extracted again as it was yesterday: it changes nothing.
    lake.master_data("20241005", suppliers=RENAMED_SUPPLIERS, products=RENAMED_PRODUCTS)
    lake.commit(
        "cambio", "20241005", {"moeda": "USD", "data_cotacao": "2024-10-02", "taxa_ptax": "5.2"}
    )
    for table in ("pedidos", "itens_pedido", "pagamentos"):
        lake.commit(table, "20241005")
    how = lake.silver()
    # O3 (USD, 10-02) used it; O6 (USD, 10-04) uses the quote of 10-04, O2 (USD, 10-01) the
    # one of 10-01.
    assert recomputed_orders(how) == 1, how
    assert lake.published() == lake.recomputed()


def test_a_reloaded_day_and_a_removed_day_are_followed_too(lake):
    lake.commit("cambio", "20241005", {"moeda": "EUR", "data_cotacao": "2024-10-02"})
    lake.commit(
        "pedidos",
        "20241005",
        {"pedido_id": "O7", "fornecedor_id": "FEU", "data_pedido": "2024-10-05"},
    )
    lake.commit(
        "itens_pedido", "20241005", {"item_id": "I7", "pedido_id": "O7", "produto_id": "P1"}
    )
    how = lake.silver()
    # O3 gets its USD quote of 10-02 back; the EUR orders from 10-02 on, with no later EUR
    # quote, get the new one: O4 and the new O7.
    assert recomputed_orders(how) == 3, how
    assert lake.published() == lake.recomputed()

    for table in ("pedidos", "itens_pedido", "pagamentos", "cambio", "fornecedores", "produtos"):
        lake.remove(table, "20241004")
    how = lake.silver()
    assert recomputed_orders(how) > 0, how
    assert lake.published() == lake.recomputed()


def test_nothing_new_recomputes_nothing(lake):
    how = lake.silver()
    assert how.endswith("recomputed 0 order(s) (nothing changed); rewrote no month"), how
    assert lake.published() == lake.recomputed()


def test_an_order_moved_to_another_month_leaves_its_old_month(lake):
    lake.commit(
        "pedidos",
        "20241006",
        {"pedido_id": "O8", "fornecedor_id": "FBR", "data_pedido": "2024-10-06"},
        {"pedido_id": "O9", "fornecedor_id": "FBR", "data_pedido": None},
    )
    lake.commit(
        "itens_pedido", "20241006", {"item_id": "I9", "pedido_id": "O9", "produto_id": "P2"}
    )
    how = lake.silver()
    assert recomputed_orders(how) == 2, how
    assert "rewrote month(s) 000000, 202409, 202410," in how
    assert lake.published() == lake.recomputed()
    months = lake.months()
    assert months["anomes_pedido=202409"][1] == 0
    assert months["anomes_pedido=000000"][1] == 1


def test_another_hash_key_recomputes_every_order(lake):
    key_file = lake.root / masking.LOCAL_KEY_PATH
    key_file.write_text("ab" * 32)
    assert lake.silver().endswith("recomputed every order: the PII hash key changed")
    assert lake.published() == lake.recomputed()
