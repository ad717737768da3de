"""`catalog lineage`: the graph from catalog Parameters alone, both ways, cycles and gaps."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from lakehouse_assets.catalog.lineage import (
    DOWNSTREAM,
    UPSTREAM,
    CatalogGraph,
    TableNotInCatalogError,
    render_mermaid,
    render_tree,
    walk,
)
from tests.catalog.helpers import connect, export

GOLD = "importau_gold.agregado_fluxo_de_caixa_mensal"
FATO = "importau_silver.fato_pedido_correlacionado"


@pytest.fixture
def graph(aws, reg, root):
    export(reg, aws, root)
    return CatalogGraph(connect(aws).client("glue"))


def _names(node) -> set[str]:
    return {node.name} | {n for child in node.children for n in _names(child)}


def test_upstream_of_gold_reaches_the_fact_and_the_bronze_tables(graph, reg):
    tree = walk(graph, GOLD, UPSTREAM)
    assert [c.name for c in tree.children] == ["importau_bronze.emprestimos", FATO]
    fato = tree.children[1]
    assert {c.name for c in fato.children} == set(reg.tables[FATO].upstream)
    text = render_tree(tree, UPSTREAM)
    assert text.splitlines()[:4] == [
        f"upstream of {GOLD}:",
        GOLD,
        "├── importau_bronze.emprestimos",
        f"└── {FATO}",
    ]
    assert "    ├── importau_bronze.cambio" in text


def test_downstream_of_bronze_reaches_gold(graph):
    tree = walk(graph, "importau_bronze.cambio", DOWNSTREAM)
    assert _names(tree) == {
        "importau_bronze.cambio",
        FATO,
        GOLD,
        "importau_gold.features_risco_cambial_mensal",
    }
    text = render_tree(tree, DOWNSTREAM)
    assert "importau_gold.features_risco_cambial_mensal" in text


def test_mermaid_draws_data_flow_edges(graph):
    trees = {d: walk(graph, FATO, d) for d in (UPSTREAM, DOWNSTREAM)}
    text = render_mermaid(FATO, trees, missing=lambda n: graph.table(n) is None)
    assert text.startswith("graph LR")
    assert "importau_bronze_cambio --> importau_silver_fato_pedido_correlacionado" in text
    assert f"importau_silver_fato_pedido_correlacionado --> {GOLD.replace('.', '_')}" in text


def test_cycles_and_missing_tables_are_named_not_followed(aws):
    glue = connect(aws).client("glue")
    glue.create_database(DatabaseInput={"Name": "loop"})
    for name, upstream in (("a", "loop.b"), ("b", "loop.a,loop.gone")):
        glue.create_table(
            DatabaseName="loop",
            TableInput={"Name": name, "Parameters": {"upstream_tables": upstream}},
        )
    text = render_tree(walk(CatalogGraph(glue), "loop.a", UPSTREAM), UPSTREAM)
    assert "loop.a  (cycle: already on this path)" in text
    assert "loop.gone  (not in the catalog: export it or fix the parameter" in text
    with pytest.raises(TableNotInCatalogError, match="loop.nope is not in the Glue Data Catalog"):
        walk(CatalogGraph(glue), "loop.nope", UPSTREAM)


def test_lineage_command_runs_without_dagster_or_the_specs(graph, aws, tmp_path):
    html = tmp_path / "lineage.html"
    script = textwrap.dedent(
        f"""
        import sys
        from lakehouse_assets.cli.catalog import main
        code = main(["catalog", "lineage", "{GOLD}", "--upstream", "--html", "{html}"])
        loaded = sorted(m for m in sys.modules if m.split(".")[0] == "dagster"
                        or m in ("lakehouse_assets.specs", "lakehouse_assets.registry"))
        print("LOADED", loaded)
        sys.exit(code)
        """
    )
    env = {"AWS_ENDPOINT_URL": aws, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "LOADED []" in done.stdout
    assert f"└── {FATO}" in done.stdout
    assert "importau_bronze.pagamentos" in done.stdout
    assert 'class="mermaid"' in html.read_text()
