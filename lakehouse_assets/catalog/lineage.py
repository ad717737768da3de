"""`lakehouse catalog lineage DATABASE.TABLE`: the graph from catalog Parameters alone.

Walks `upstream_tables` / `downstream_tables` with `get_table` calls and nothing else: no
Dagster, no specs, so anyone with read access to the catalog can trace a table.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"
PARAMETER = {UPSTREAM: "upstream_tables", DOWNSTREAM: "downstream_tables"}


class TableNotInCatalogError(LookupError):
    """The table to trace is not in the catalog."""


@dataclass
class Node:
    name: str
    found: bool = True
    cycle: bool = False
    repeated: bool = False
    children: list[Node] = field(default_factory=list)


class CatalogGraph:
    """Tables read from Glue on demand, each once."""

    def __init__(self, glue: Any):
        self.glue = glue
        self._tables: dict[str, dict | None] = {}

    def table(self, name: str) -> dict | None:
        if name not in self._tables:
            database, _, table = name.partition(".")
            try:
                self._tables[name] = self.glue.get_table(DatabaseName=database, Name=table)["Table"]
            except ClientError as err:
                if err.response.get("Error", {}).get("Code") != "EntityNotFoundException":
                    raise
                self._tables[name] = None
        return self._tables[name]

    def neighbours(self, name: str, direction: str) -> list[str]:
        table = self.table(name) or {}
        raw = (table.get("Parameters") or {}).get(PARAMETER[direction], "")
        return sorted({n.strip() for n in raw.split(",") if n.strip()})


def walk(graph: CatalogGraph, start: str, direction: str) -> Node:
    if graph.table(start) is None:
        raise TableNotInCatalogError(
            f"table {start} is not in the Glue Data Catalog; check the name "
            "(DATABASE.TABLE, lower-case) or run `lakehouse catalog export` first"
        )
    expanded: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> Node:
        node = Node(name, found=graph.table(name) is not None)
        if name in path:
            node.cycle = True
            return node
        if name in expanded:
            node.repeated = bool(graph.neighbours(name, direction))
            return node
        expanded.add(name)
        node.children = [visit(n, (*path, name)) for n in graph.neighbours(name, direction)]
        return node

    return visit(start, ())


def _label(node: Node) -> str:
    notes = []
    if not node.found:
        notes.append("not in the catalog: export it or fix the parameter that names it")
    if node.cycle:
        notes.append("cycle: already on this path")
    if node.repeated:
        notes.append("shown above")
    return node.name + (f"  ({'; '.join(notes)})" if notes else "")


def render_tree(root: Node, direction: str) -> str:
    lines = [f"{direction} of {root.name}:", root.name]

    def draw(node: Node, prefix: str) -> None:
        for i, child in enumerate(node.children):
            last = i == len(node.children) - 1
            lines.append(f"{prefix}{'└── ' if last else '├── '}{_label(child)}")
            draw(child, prefix + ("    " if last else "│   "))

    draw(root, "")
    if not root.children:
        lines.append(f"    (no {direction} tables)")
    return "\n".join(lines)


def edges(root: Node, direction: str) -> set[tuple[str, str]]:
    """(from, to) pairs in data-flow order: upstream table -> downstream table."""
    found: set[tuple[str, str]] = set()

    def visit(node: Node) -> None:
        for child in node.children:
            pair = (child.name, node.name) if direction == UPSTREAM else (node.name, child.name)
            found.add(pair)
            visit(child)

    visit(root)
    return found


def _node_id(name: str) -> str:
    return re.sub(r"\W", "_", name)


def render_mermaid(start: str, trees: dict[str, Node], missing: Callable[[str], bool]) -> str:
    pairs = set()
    for direction, tree in trees.items():
        pairs |= edges(tree, direction)
    names = sorted({start} | {n for pair in pairs for n in pair})
    lines = ["graph LR"]
    for name in names:
        suffix = " (not in catalog)" if missing(name) else ""
        lines.append(f'    {_node_id(name)}["{name}{suffix}"]')
    for source, target in sorted(pairs):
        lines.append(f"    {_node_id(source)} --> {_node_id(target)}")
    lines.append(f"    style {_node_id(start)} stroke-width:3px")
    return "\n".join(lines)


def render_html(start: str, mermaid: str) -> str:
    """A page that draws the graph with Mermaid (loaded from a CDN by the browser)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lineage of {html.escape(start)}</title>
<script type="module">
import mermaid from "https://cdn.jsdelivr.net/npm/mermaid@11/dist/mermaid.esm.min.mjs";
mermaid.initialize({{ startOnLoad: true }});
</script></head>
<body><h1>Lineage of {html.escape(start)}</h1>
<pre class="mermaid">
{html.escape(mermaid)}
</pre>
<p>From the Glue Data Catalog's <code>upstream_tables</code> / <code>downstream_tables</code>
parameters. Without network access the Mermaid source above is shown as text.</p>
</body></html>
"""
