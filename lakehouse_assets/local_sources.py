"""What a fresh clone's local runs need before the first job: sample landing files, the local
services when a source or the warehouse has no setting, and the seeded source databases.

Shared by `lakehouse run` (for its whole selection, before Dagster starts) and by the local
launcher (for one job's tables, from `dagster dev` or any other run).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lakehouse_assets.cli.generate import SAMPLE_SEED
from lakehouse_assets.domains import domain_names

WAREHOUSE_SETTING = "LAKEHOUSE_WAREHOUSE_URI"

Say = Callable[[str], None]


def _print(line: str) -> None:
    print(line, flush=True)


def file_sources(domain: str) -> list[str]:
    """The domain's bronze sources that are files in the landing (CSV or Parquet)."""
    from lakehouse_assets.registry import registry
    from lakehouse_assets.source_specs import landing_extension

    return sorted(
        t.source
        for t in registry().tables.values()
        if t.domain == domain and t.source and landing_extension(t.extract)
    )


def service_settings(domains: Iterable[str], warehouse: bool = False) -> list[str]:
    """The settings naming a database or an API that a bronze table of `domains` reads (with
    `warehouse`, also the warehouse's when a table of theirs is loaded there)."""
    from lakehouse_assets.registry import registry
    from lakehouse_assets.source_specs import served_connection

    wanted = set(domains)
    tables = [t for t in registry().tables.values() if t.domain in wanted]
    needed = {served_connection(t.extract) for t in tables if t.layer == "bronze"} - {None}
    if warehouse and any(t.warehouse is not None for t in tables):
        needed.add(WAREHOUSE_SETTING)
    return sorted(needed)


def ensure_local_services(
    target: str,
    root: str,
    needed: Iterable[str],
    say: Say = _print,
    warn: Say | None = None,
) -> dict[str, Any] | None:
    """The running local services of this root; started when one of the `needed` settings is
    not in the environment. None on another target, or when nothing needs them."""
    from lakehouse_assets.local_services.endpoints import read_endpoints

    if target != "local":
        return None
    running = read_endpoints(root)
    if running is not None:
        return running
    unset = sorted(name for name in needed if name not in os.environ)
    if not unset:
        return None
    from lakehouse_assets.local_services.supervisor import LocalServicesError, start_background

    sources = [name for name in unset if name != WAREHOUSE_SETTING]
    what = f"sources need {', '.join(sources)}" if sources else f"the warehouse needs {unset[0]}"
    say(
        f"{what}, unset: starting the local services in the background "
        "(`lakehouse local-services --stop` stops them)"
    )
    try:
        return start_background(root)
    except LocalServicesError as err:
        (warn or _stderr)(f"the local services did not start: {err}")
        return None


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def seed_sources(target: str, root: str, domains: Iterable[str], say: Say = _print) -> None:
    """Seed the source databases of `domains` on the running local services (each domain's
    `seed_sources` writes only the first time)."""
    from lakehouse_assets.domains import generator_module
    from lakehouse_assets.local_services.endpoints import read_endpoints

    if target != "local":
        return
    endpoints = read_endpoints(root)
    if endpoints is None:
        return
    for domain in domains:
        module = generator_module(domain)
        seed = getattr(module, "seed_sources", None)
        if seed is None:
            continue
        counts = seed(endpoints, scale=module.SAMPLE_SCALE, seed=SAMPLE_SEED)
        for source, rows in counts.items():
            say(f"{domain} source {source} on the local services: {rows:,} rows")


def ensure_landing(landing: str, domains: Iterable[str] | None = None, say: Say = _print) -> None:
    """Write the sample exports of each domain (all by default) that has file sources and none
    of them in this local landing yet.

    Per domain: a domain added after the landing was filled gets its own sample on the next
    run, and a domain with any of its file sources there is left as it is. A domain whose
    sources are all databases or APIs has nothing to write here (`seed_sources` fills those).
    Callers decide whether the landing is the default one that may be filled.
    """
    if landing.startswith("s3://"):
        return
    from lakehouse_assets.domains import generator_module

    folder = Path(landing.removeprefix("file://"))
    for domain in domain_names() if domains is None else sorted(set(domains)):
        sources = file_sources(domain)
        if not sources or any(
            (folder / name).exists() for s in sources for name in (s, f"{s}.csv", f"{s}.parquet")
        ):
            continue
        module = generator_module(domain)
        say(f"no {domain} landing data yet: generating its sample exports into {landing}")
        module.generate(folder, scale=module.SAMPLE_SCALE, seed=SAMPLE_SEED)


DEFAULT_ROOT = "./.lakehouse"


def same_folder(a: str, b: str) -> bool:
    """Whether two local roots or folders (plain or file://) are the same folder."""
    if a.startswith("s3://") or b.startswith("s3://"):
        return a.rstrip("/") == b.rstrip("/")
    return Path(a.removeprefix("file://")).resolve() == Path(b.removeprefix("file://")).resolve()


def is_default_root(root: str) -> bool:
    """Whether `root` is the default local root (a fresh clone's), where the project may
    start its local services unasked; another root is the user's or a test's own."""
    return same_folder(root, DEFAULT_ROOT)


def ensure_warehouse_services(target: str, root: str, say: Say = _print) -> dict[str, Any] | None:
    """The local services for the local warehouse when `LAKEHOUSE_WAREHOUSE_URI` is unset."""
    return ensure_local_services(target, root, [WAREHOUSE_SETTING], say)


def services_note(target: str, root: str) -> str | None:
    """What to tell the user at the end of a local run when the local services still run."""
    from lakehouse_assets.local_services.endpoints import read_endpoints

    if target != "local" or read_endpoints(root) is None:
        return None
    return (
        "the local services (AWS endpoint, PostgreSQL, MongoDB, API stand-ins) are still "
        "running for the next commands; `lakehouse local-services --stop` (or `make stop`) "
        "stops them"
    )
