"""Silver and gold written by two engines, compared by row counts and sums of money columns.

Both engines write `<out>/<layer>/<table>/*.parquet`; DuckDB reads both sides, so the
comparison is cheap at any scale and independent of the engine that wrote the data.
"""

from __future__ import annotations

from pathlib import Path

TABLES = {
    "silver/fato_pedido_correlacionado": (
        "valor_total_item",
        "valor_total_pedido",
        "valor_itens_pedido",
        "valor_total_item_moeda_negociacao",
        "valor_pago_brl",
        "valor_em_aberto_brl",
        "valor_cancelado_brl",
        "taxa_ptax",
    ),
    "gold/agregado_fluxo_de_caixa_mensal": (
        "pagamentos_pagos_brl",
        "pagamentos_pendentes_brl",
        "pagamentos_agendados_brl",
        "pagamentos_cancelados_brl",
        "parcelas_emprestimos_brl",
        "saida_total_brl",
        "qtd_pagamentos",
        "qtd_parcelas_emprestimos",
    ),
    "gold/features_risco_cambial_mensal": (
        "qtd_pedidos",
        "valor_pedidos_brl",
        "exposicao_moeda_estrangeira",
        "exposicao_aberta_brl",
        "ptax_media_pedidos",
        "ptax_media_mes",
        "qtd_cotacoes_mes",
    ),
}
INSTALLMENTS = "silver/fato_pedido_correlacionado"


def engine_files(out: Path) -> dict[str, list[str]]:
    """The Parquet files of each table an engine wrote under `out` (partition folders
    included), as glob patterns."""
    return {table: [str(out / table / "**" / "*.parquet")] for table in TABLES}


def framework_files(root: str) -> dict[str, list[str]]:
    """The current Parquet files of each table the framework committed under `root`, as
    Iceberg's plan gives them."""
    from glue_scripts.lib.fs import local_path, normalize_root
    from glue_scripts.lib.tables import TableStore

    files = {}
    for table in TABLES:
        layer, name = table.split("/")
        uris = TableStore(normalize_root(root), f"importau_{layer}", name).current_data_uris()
        files[table] = [str(local_path(uri)) for uri in uris]
    return files


def _read(patterns: list[str]) -> str:
    # Without hive_partitioning the partition folders add no column: both engines compare
    # the columns their files hold.
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in patterns)
    return f"read_parquet([{listed}], hive_partitioning = false)"


def summary(con, files: dict[str, list[str]]) -> dict[str, dict[str, object]]:
    """Per table: rows and the exact sum of each money (decimal) or count column."""
    result = {}
    for table, columns in TABLES.items():
        source = _read(files[table])
        sums = ", ".join(f"sum({c})" for c in columns)
        row = con.execute(f"SELECT count(*), {sums} FROM {source}").fetchone()
        result[table] = {"rows": row[0], **dict(zip(columns, row[1:], strict=True))}
    # The installments inside the fact: each order's array once, as the cash flow reads it.
    row = con.execute(
        "SELECT count(*), sum(p.valor_parcela_brl) FROM (SELECT unnest(pagamentos) AS p FROM "
        f"(SELECT DISTINCT pedido_id, pagamentos FROM {_read(files[INSTALLMENTS])}))"
    ).fetchone()
    result[INSTALLMENTS].update({"installments": row[0], "installments_brl": row[1]})
    return result


def differences(left: dict, right: dict) -> list[str]:
    """What differs between two summaries, one line per value (empty: they agree)."""
    found = []
    for table in sorted(set(left) | set(right)):
        a, b = left.get(table, {}), right.get(table, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                found.append(f"{table}.{key}: {a.get(key)} != {b.get(key)}")
    return found


def compare(left: dict[str, list[str]], right: dict[str, list[str]]) -> list[str]:
    """Differences between the tables of two writers (`engine_files`, `framework_files`)."""
    import duckdb

    con = duckdb.connect()
    try:
        return differences(summary(con, left), summary(con, right))
    finally:
        con.close()
