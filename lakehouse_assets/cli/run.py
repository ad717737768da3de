"""`lakehouse run`: materialize a selection headlessly through Dagster.

On the local target it first prepares the sources: sample landing files for a fresh clone,
the local services when a bronze table reads a database or an API whose setting is not in
the environment, and each domain's seeded source databases. Then it starts the Spark runner,
before Dagster is imported, so the two cold starts overlap.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lakehouse_assets import local_sources
from lakehouse_assets.dagster_home import ensure_dagster_home, quiet_dagster_warnings
from lakehouse_assets.domains import domain_names
from lakehouse_assets.settings import Settings


def _selected_domains(selection: str) -> list[str]:
    """The domains a selection names (`group:vendas`, `key:vendas/...`); all if it names none
    (`*`, tags, ...)."""
    named = [d for d in domain_names() if re.search(rf"group:{d}\b|(?<![\w/]){d}/", selection)]
    return named or domain_names()


def _ensure_landing(settings: Settings, explicit: bool) -> None:
    """A fresh clone has no landing data: the default landing gets every domain's sample
    (never a landing given by --landing or LAKEHOUSE_LANDING, nor one on S3)."""
    if explicit or "LAKEHOUSE_LANDING" in os.environ:
        return
    local_sources.ensure_landing(settings.landing)


def _domains_in_landing(landing: str, load_date: str) -> dict[str, list[str]]:
    """The domains with at least one source in the landing folder, and those sources."""
    from glue_scripts.lib.fs import normalize_root
    from glue_scripts.lib.landing import LandingError, find_source_files
    from lakehouse_assets.registry import registry

    reg = registry()
    found: dict[str, list[str]] = {}
    for domain in reg.domains():
        for source in reg.sources(domain):
            try:
                find_source_files(normalize_root(landing), source, load_date)
            except LandingError:
                continue
            found.setdefault(domain, []).append(source)
    return found


def _all_sources() -> list[str]:
    from lakehouse_assets.registry import registry

    return [source for domain in registry().domains() for source in registry().sources(domain)]


def _selection(args: argparse.Namespace, settings: Settings, load_date: str) -> str | None:
    """The asset selection to run; None (after printing why) when there is nothing to run."""
    from lakehouse_assets.catalog.asset import CATALOG_ASSET_KEY
    from lakehouse_assets.registry import registry

    domains = list(args.domain or [])
    unknown = sorted(set(domains) - set(registry().domains()))
    if unknown:
        print(
            f"unknown domain(s) {unknown}; available: {', '.join(registry().domains())}",
            file=sys.stderr,
        )
        return None
    if args.select != "*" or (not domains and not args.landing):
        return args.select
    if not domains:
        # An explicit landing folder usually holds one domain's exports: run what it feeds.
        found = _domains_in_landing(settings.landing, load_date)
        if not found:
            print(
                f"{args.landing} holds no source export of any domain; expected files named "
                f"after a bronze source ({', '.join(_all_sources())}); check the path or pass "
                "--domain",
                file=sys.stderr,
            )
            return None
        domains = sorted(found)
        skipped = sorted(set(registry().domains()) - set(domains))
        print(f"landing {args.landing} feeds domain(s) {', '.join(domains)}", end="")
        print(f"; skipping {', '.join(skipped)} (no export there)" if skipped else "")
    groups = " or ".join(f"group:{d}" for d in domains)
    return f"{groups} or key:{CATALOG_ASSET_KEY.to_user_string()}"


def _run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    quiet_dagster_warnings()
    env = dict(os.environ)
    if args.landing:
        env["LAKEHOUSE_LANDING"] = args.landing
    if args.root:
        env["LAKEHOUSE_ROOT"] = args.root
    settings = Settings.from_env(env)
    if args.landing and not Path(args.landing).exists() and "://" not in args.landing:
        print(f"landing folder {args.landing} does not exist; check the path", file=sys.stderr)
        return 2
    _ensure_landing(settings, explicit=bool(args.landing))
    load_date = args.load_date or datetime.now(UTC).strftime("%Y%m%d")
    selection = _selection(args, settings, load_date)
    if selection is None:
        return 2
    domains = _selected_domains(selection)
    # The landing, services and seeding of a fresh clone (shared with the local launcher).
    needed = local_sources.service_settings(domains)
    local_sources.ensure_local_services(settings.target, settings.root, needed)
    local_sources.seed_sources(settings.target, settings.root, domains)
    ensure_dagster_home()
    job_args = dict(pair.split("=", 1) for pair in args.job_arg or [])
    early = _start_runner_early(settings)
    try:
        from lakehouse_assets.headless import run_selection

        ok = run_selection(
            settings,
            selection=selection,
            load_date=load_date,
            job_args=job_args,
            verbose=args.verbose,
            started=started,
        )
    finally:
        if early is not None:
            early.wait()
        if settings.target == "local" and not args.keep_runner:
            from lakehouse_assets.local_runner.process import stop_runner

            stop_runner(Path(settings.runner_dir))
    note = local_sources.services_note(settings.target, settings.root)
    if note:
        print(note)
    return 0 if ok else 1


def _start_runner_early(settings: Settings):
    """Every local run needs the Spark runner: start it now, before Dagster is imported."""
    if settings.target != "local":
        return None
    from lakehouse_assets.local_runner import jit
    from lakehouse_assets.local_runner.process import EarlyStart

    try:
        choice = jit.choose([settings.landing, settings.root])
    except ValueError:
        return None  # a bad JIT setting: the first step reports it
    return EarlyStart(Path(settings.runner_dir), choice)


def _job_arg(text: str) -> str:
    name, sep, _ = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE")
    return text


def add_commands(sub: Any) -> None:
    run = sub.add_parser("run", help="materialize assets headlessly through Dagster")
    run.add_argument("--landing", help="folder of the source exports (LAKEHOUSE_LANDING)")
    run.add_argument("--root", help="storage root (LAKEHOUSE_ROOT)")
    run.add_argument(
        "--select",
        default="*",
        help="Dagster asset selection, e.g. 'group:importau' or 'key:importau/bronze/*'",
    )
    run.add_argument(
        "--domain",
        action="append",
        choices=domain_names(),
        help="run this domain's assets (repeatable); by default every domain, or with "
        "--landing the domains whose exports are in that folder",
    )
    run.add_argument("--load-date", help="load date yyyymmdd of the bronze partition (today)")
    run.add_argument(
        "--keep-runner", action="store_true", help="leave the warm Spark runner up afterwards"
    )
    run.add_argument(
        "--verbose",
        action="store_true",
        help="also print Dagster's event log (always written to $DAGSTER_HOME/logs/)",
    )
    run.add_argument(
        "--job-arg",
        action="append",
        type=_job_arg,
        metavar="NAME=VALUE",
        help="pass --NAME VALUE to every Glue job of the run (repeatable), e.g. "
        "retrain_statistics=true",
    )
    run.set_defaults(func=_run)
