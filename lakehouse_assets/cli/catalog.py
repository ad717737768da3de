"""The `lakehouse catalog export|search|lineage` commands.

`lakehouse_assets.cli` adds them with one call: `add_commands(sub)`. Heavy imports (Dagster,
the specs) happen inside `catalog export` only: `search` and `lineage` run on Glue calls alone.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from lakehouse_assets.settings import Settings

TRUE = ("1", "true", "yes", "on")


def _connection(settings: Settings):
    from lakehouse_assets.catalog.aws import resolve_connection

    return resolve_connection(target=settings.target, root=settings.root)


def _settings(args: argparse.Namespace) -> Settings:
    env = dict(os.environ)
    if getattr(args, "root", None):
        env["LAKEHOUSE_ROOT"] = args.root
    return Settings.from_env(env)


def _dagster_instance():
    """The Dagster instance whose materializations are published (None: the commits only)."""
    if "DAGSTER_HOME" not in os.environ:
        default = Path(".dagster_home")
        if not default.is_dir():
            return None
        os.environ["DAGSTER_HOME"] = str(default.resolve())
    from dagster import DagsterInstance

    return DagsterInstance.get()


def _export(args: argparse.Namespace) -> int:
    from lakehouse_assets.catalog.aws import EndpointNotFoundError
    from lakehouse_assets.catalog.export import ExportOptions, export_catalog
    from lakehouse_assets.catalog.limits import CatalogValidationError
    from lakehouse_assets.registry import registry

    settings = _settings(args)
    lake_formation = args.lake_formation or (
        os.environ.get("LAKEHOUSE_LAKE_FORMATION", "").strip().lower() in TRUE
    )
    options = ExportOptions(
        root=settings.root,
        lake_formation=lake_formation,
        delete_undefined=args.delete_undefined,
        openlineage=not args.no_openlineage,
    )
    try:
        connection = _connection(settings)
        print(f"exporting the catalog to {connection.describe()}")
        report = export_catalog(
            registry(), connection, options, instance=_dagster_instance(), progress=print
        )
    except (CatalogValidationError, EndpointNotFoundError) as err:
        print(f"catalog export: {err}", file=sys.stderr)
        return 2
    print(report.summary())
    return 0 if report.ok else 1


def _search(args: argparse.Namespace) -> int:
    from lakehouse_assets.catalog.search import render, search

    term = " ".join(args.term)
    connection = _connection(_settings(args))
    result = search(connection.client("glue"), term, scan=args.scan)
    if result.note:
        print(f"({result.note})", file=sys.stderr)
    print(render(result))
    return 0 if result.hits else 1


def _lineage(args: argparse.Namespace) -> int:
    from lakehouse_assets.catalog.lineage import (
        DOWNSTREAM,
        UPSTREAM,
        CatalogGraph,
        TableNotInCatalogError,
        render_html,
        render_mermaid,
        render_tree,
        walk,
    )

    directions = (
        [UPSTREAM] if args.upstream else [DOWNSTREAM] if args.downstream else [UPSTREAM, DOWNSTREAM]
    )
    graph = CatalogGraph(_connection(_settings(args)).client("glue"))
    name = args.table.strip().lower()
    try:
        trees = {d: walk(graph, name, d) for d in directions}
    except TableNotInCatalogError as err:
        print(str(err), file=sys.stderr)
        return 1
    mermaid = render_mermaid(name, trees, missing=lambda n: graph.table(n) is None)
    if args.format == "mermaid":
        print(mermaid)
    else:
        print("\n\n".join(render_tree(tree, d) for d, tree in trees.items()))
    if args.html:
        Path(args.html).write_text(render_html(name, mermaid), encoding="utf-8")
        print(f"graph written to {args.html}", file=sys.stderr)
    return 0


def _guarded(func):
    def run(args: argparse.Namespace) -> int:
        from lakehouse_assets.catalog.aws import EndpointNotFoundError

        try:
            return func(args)
        except EndpointNotFoundError as err:
            print(str(err), file=sys.stderr)
            return 2
        except (BotoCoreError, ClientError) as err:
            print(
                f"the catalog did not answer: {err}; check AWS_ENDPOINT_URL / credentials, "
                "or start the local endpoint with `lakehouse local-services --background`",
                file=sys.stderr,
            )
            return 1

    return run


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add `catalog export|search|lineage` to the `lakehouse` parser."""
    catalog = sub.add_parser("catalog", help="publish to / discover in the Glue Data Catalog")
    commands = catalog.add_subparsers(dest="catalog_command", required=True)

    export = commands.add_parser("export", help="publish every table into the Glue catalog")
    export.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    export.add_argument(
        "--delete-undefined",
        action="store_true",
        help="delete catalog tables in the lakehouse databases that no spec defines",
    )
    export.add_argument(
        "--lake-formation", action="store_true", help="attach LF-Tags (LAKEHOUSE_LAKE_FORMATION)"
    )
    export.add_argument("--no-openlineage", action="store_true", help="emit no OpenLineage events")
    export.set_defaults(func=_guarded(_export))

    search = commands.add_parser("search", help="find tables and jobs by words")
    search.add_argument("term", nargs="+", help="words that must all match (any order)")
    search.add_argument("--scan", action="store_true", help="scan instead of search_tables")
    search.add_argument("--root", help=argparse.SUPPRESS)
    search.set_defaults(func=_guarded(_search))

    lineage = commands.add_parser("lineage", help="print a table's lineage from the catalog")
    lineage.add_argument("table", help="DATABASE.TABLE")
    direction = lineage.add_mutually_exclusive_group()
    direction.add_argument("--upstream", action="store_true", help="only what it is built from")
    direction.add_argument("--downstream", action="store_true", help="only what is built from it")
    lineage.add_argument("--format", choices=["text", "mermaid"], default="text")
    lineage.add_argument("--html", metavar="FILE", help="also write an HTML page of the graph")
    lineage.add_argument("--root", help=argparse.SUPPRESS)
    lineage.set_defaults(func=_guarded(_lineage))


def main(argv: Sequence[str] | None = None) -> int:
    """These commands alone, as `lakehouse` runs them (for tests and `python -m`)."""
    parser = argparse.ArgumentParser(prog="lakehouse")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
