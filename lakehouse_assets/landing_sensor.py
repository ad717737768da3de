"""Event-driven bronze: one sensor per domain starts its bronze load when a delivery lands.

A sensor watches the landing (a local folder or an `s3://` prefix) for its domain's file
sources and requests the domain's landing job (`<domain>_landing`) for the load date of each
complete delivery. The rules (docs/RUNS.md):

- A *load* is one source's files in one place: `<source>/anomesdia=YYYYMMDD/` (load date from
  the folder), `<source>/` or `<source>.csv|.parquet` (no date in the path: the load date is
  the UTC day the files were first seen).
- A load is complete when its folder holds a `_SUCCESS` marker, or when its files (names,
  sizes, modification times or ETags) are unchanged over two consecutive ticks.
- A load is requested once per fingerprint of its files: a re-delivery (a file added,
  replaced or removed) is a new fingerprint and a new run.
- Loads complete on the same tick for the same load date start one run together.
- A load first seen when its bronze partition is already materialized (loaded by
  `lakehouse run` or a schedule before the sensor ran) is adopted, not loaded again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from dagster import (
    AssetKey,
    AssetSelection,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    define_asset_job,
    sensor,
)

from glue_scripts.lib.fs import filesystem_for, local_path, normalize_root
from lakehouse_assets.factory import asset_key, partitions_for
from lakehouse_assets.registry import Registry
from lakehouse_assets.source_specs import landing_extension

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

SUCCESS_MARKER = "_SUCCESS"
MIN_INTERVAL_SECONDS = 30
CURSOR_VERSION = 1
TRIGGER_TAG = "lakehouse/trigger"
SOURCES_TAG = "lakehouse/landing_sources"
_DAILY = re.compile(r"^anomesdia=(\d{8})$")


class LandingListingError(RuntimeError):
    """The landing cannot be listed (a missing bucket, no permission)."""


def landing_job_name(domain: str) -> str:
    return f"{domain}_landing"


def landing_sensor_name(domain: str) -> str:
    return f"{domain}_landing_sensor"


@dataclass(frozen=True)
class FileSource:
    source: str
    extension: str
    key: AssetKey


def file_sources(reg: Registry, domain: str) -> list[FileSource]:
    """The domain's bronze tables fed by files in the landing (not databases or APIs)."""
    return sorted(
        (
            FileSource(source=t.source, extension=landing_extension(t.extract), key=asset_key(t))
            for t in reg.tables.values()
            if t.domain == domain
            and t.layer == "bronze"
            and t.source
            and landing_extension(t.extract)
        ),
        key=lambda s: s.source,
    )


@dataclass(frozen=True)
class LandedFile:
    path: str  # relative to the landing, `/`-separated
    size: int
    version: str  # modification time (ns) locally, the ETag on S3


def list_landing(landing: str) -> list[LandedFile]:
    """Every file below the landing. Locally by `stat` (no hashing: this runs every tick)."""
    if landing.startswith("file://"):
        base = local_path(landing)
        found = []
        for folder, _, names in os.walk(base):
            for name in names:
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:  # moved away while listing
                    continue
                rel = os.path.relpath(path, base).replace(os.sep, "/")
                found.append(LandedFile(rel, stat.st_size, str(stat.st_mtime_ns)))
        return sorted(found, key=lambda f: f.path)
    try:
        listing = filesystem_for(landing).list_files(landing)
    except Exception as err:  # boto3 raises many kinds; the tick must say what to check
        raise LandingListingError(
            f"cannot list the landing {landing} ({type(err).__name__}: {err}); check that it "
            "exists and that the daemon's AWS credentials may list it"
        ) from err
    return [LandedFile(path, size, tag) for path, size, tag in listing]


@dataclass(frozen=True)
class Load:
    """One source's delivery in one place of the landing."""

    source: str
    place: str  # `pedidos/anomesdia=20250105`, `pedidos/` or `pedidos.csv`
    load_date: str | None  # from the path; None when the path has no date
    fingerprint: str
    marked: bool  # a `_SUCCESS` marker sits next to the files


def find_loads(files: Iterable[LandedFile], sources: Iterable[FileSource]) -> list[Load]:
    """Group the landed files into loads, in the layouts the bronze jobs read."""
    by_source = {s.source: s for s in sources}
    data: dict[tuple[str, str, str | None], list[LandedFile]] = defaultdict(list)
    marked: set[tuple[str, str, str | None]] = set()
    for file in files:
        parts = file.path.split("/")
        source = by_source.get(parts[0])
        if len(parts) == 1:
            for s in by_source.values():
                if parts[0] == f"{s.source}{s.extension}":
                    data[(s.source, parts[0], None)].append(file)
            continue
        if source is None or len(parts) > 3:
            continue
        if len(parts) == 2:
            where = (source.source, f"{source.source}/", None)
        else:
            day = _DAILY.match(parts[1])
            if day is None:
                continue
            where = (source.source, f"{source.source}/{parts[1]}", day.group(1))
        if parts[-1] == SUCCESS_MARKER:
            marked.add(where)
        elif parts[-1].lower().endswith(source.extension):
            data[where].append(file)
    return [
        Load(source, place, day, _fingerprint(files), (source, place, day) in marked)
        for (source, place, day), files in sorted(data.items(), key=lambda i: i[0][1])
    ]


def _fingerprint(files: Iterable[LandedFile]) -> str:
    text = json.dumps(sorted((f.path, f.size, f.version) for f in files))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Decision:
    """What a tick does: the loads to request, those adopted, and the next cursor state."""

    ready: dict[str, list[Load]]  # load date -> loads
    adopted: list[tuple[Load, str]]
    waiting: list[tuple[Load, str]]  # complete, but the load date is not a partition yet
    state: dict[str, dict[str, str]]


def decide(
    loads: Iterable[Load],
    state: Mapping[str, Mapping[str, str]] | None,
    today: str,
    is_partition: Callable[[str], bool],
    already_loaded: Callable[[Load, str], bool],
) -> Decision:
    """Apply the completeness rule to this tick's loads against the cursor's state.

    State per place: `requested` (the fingerprint already requested) with its `load_date`,
    and `pending` (the fingerprint seen on the previous tick) with `first_seen` (its UTC day).
    `state` is None on the sensor's first tick: loads already materialized are adopted then.
    """
    ready: dict[str, list[Load]] = defaultdict(list)
    adopted, waiting = [], []
    new_state: dict[str, dict[str, str]] = {}
    for load in loads:
        record = dict((state or {}).get(load.place, {}))
        if record.get("requested") == load.fingerprint:
            new_state[load.place] = record
            continue
        if state is None and already_loaded(load, load.load_date or today):
            load_date = load.load_date or today
            new_state[load.place] = {"requested": load.fingerprint, "load_date": load_date}
            adopted.append((load, load_date))
            continue
        stable = record.get("pending") == load.fingerprint
        first_seen = record.get("first_seen") if "pending" in record else None
        load_date = load.load_date or first_seen or today
        if not (stable or load.marked):
            new_state[load.place] = {"pending": load.fingerprint, "first_seen": first_seen or today}
            continue
        if not is_partition(load_date):
            # A folder dated in the future waits for its day; an impossible date never loads.
            if record.get("waiting") != load.fingerprint:
                waiting.append((load, load_date))
            new_state[load.place] = {
                "pending": load.fingerprint,
                "first_seen": first_seen or today,
                "waiting": load.fingerprint,
            }
            continue
        new_state[load.place] = {"requested": load.fingerprint, "load_date": load_date}
        ready[load_date].append(load)
    # One entry per place still in the landing: places whose files are gone are forgotten
    # (files delivered there again are a new load), so archiving the landing trims the cursor.
    return Decision(dict(ready), adopted, waiting, new_state)


def run_key(domain: str, load_date: str, loads: Iterable[Load]) -> str:
    text = json.dumps(sorted((load.place, load.fingerprint) for load in loads))
    return f"{domain}:{load_date}:{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def read_cursor(cursor: str | None) -> dict[str, dict[str, str]] | None:
    """The state of each place; None before the first tick (or after a cursor reset)."""
    if not cursor:
        return None
    try:
        body = json.loads(cursor)
        loads = body["loads"] if body.get("version") == CURSOR_VERSION else None
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise ValueError(
            f"the sensor cursor {cursor[:80]!r} was not written by a landing sensor; clear it "
            "on the sensor's page in the UI (loads already materialized are then adopted)"
        ) from err
    return loads


def write_cursor(state: Mapping[str, Mapping[str, str]]) -> str:
    return json.dumps({"version": CURSOR_VERSION, "loads": state}, sort_keys=True)


def build_landing_job(reg: Registry, domain: str) -> UnresolvedAssetJobDefinition:
    keys = [s.key for s in file_sources(reg, domain)]
    return define_asset_job(
        landing_job_name(domain),
        selection=AssetSelection.assets(*keys),
        description=(
            f"Loads the {domain} file sources for one load date; started by "
            f"{landing_sensor_name(domain)} when a delivery lands."
        ),
    )


def build_landing_sensor(
    reg: Registry,
    domain: str,
    landing: str,
    job: UnresolvedAssetJobDefinition,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SensorDefinition:
    sources = file_sources(reg, domain)
    key_of = {s.source: s.key for s in sources}
    tables = [t for t in reg.tables.values() if asset_key(t) in key_of.values()]
    partitions = partitions_for(tables)
    uri = normalize_root(landing)

    @sensor(
        name=landing_sensor_name(domain),
        job=job,
        minimum_interval_seconds=MIN_INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description=(
            f"Starts {landing_job_name(domain)} for the load date of each complete delivery "
            f"of {', '.join(key_of)} in the landing (docs/RUNS.md)."
        ),
    )
    def _watch(context: SensorEvaluationContext) -> SensorResult:
        loads = find_loads(list_landing(uri), sources)
        materialized: dict[str, set[str]] = {}

        def already_loaded(load: Load, load_date: str) -> bool:
            source = load.source
            if source not in materialized:
                materialized[source] = context.instance.get_materialized_partitions(key_of[source])
            return load_date in materialized[source]

        decision = decide(
            loads,
            read_cursor(context.cursor),
            today=clock().strftime("%Y%m%d"),
            is_partition=partitions.has_partition_key if partitions else lambda _: False,
            already_loaded=already_loaded,
        )
        for load, load_date in decision.adopted:
            context.log.info(
                f"{load.place}: load {load_date} of {load.source} is already materialized; "
                "adopted without a new run (re-deliver the files to load it again)"
            )
        for load, load_date in decision.waiting:
            context.log.warning(
                f"{load.place}: {load_date} is not a load date of {domain} (a future day, or "
                "before the first partition); it is loaded once the day is valid"
            )
        requests = [
            RunRequest(
                run_key=run_key(domain, load_date, batch),
                partition_key=load_date,
                asset_selection=sorted(
                    {key_of[load.source] for load in batch}, key=lambda k: k.to_user_string()
                ),
                tags={
                    TRIGGER_TAG: "landing",
                    SOURCES_TAG: ",".join(sorted({load.source for load in batch})),
                },
            )
            for load_date, batch in sorted(decision.ready.items())
        ]
        for request in requests:
            context.log.info(
                f"requesting {landing_job_name(domain)} for load {request.partition_key} "
                f"({request.tags[SOURCES_TAG]}), run key {request.run_key}"
            )
        pending = sum("pending" in r for r in decision.state.values())
        return SensorResult(
            run_requests=requests,
            cursor=write_cursor(decision.state),
            skip_reason=None
            if requests
            else f"no complete new delivery ({pending} load(s) waiting to be stable)",
        )

    return _watch


def domains_with_file_sources(reg: Registry) -> list[str]:
    return [d for d in reg.domains() if file_sources(reg, d)]


def build_landing_automation(
    reg: Registry, landing: str
) -> tuple[list[UnresolvedAssetJobDefinition], list[SensorDefinition]]:
    """The landing job and sensor of every domain with file sources."""
    jobs, sensors = [], []
    for domain in domains_with_file_sources(reg):
        job = build_landing_job(reg, domain)
        jobs.append(job)
        sensors.append(build_landing_sensor(reg, domain, landing, job))
    return jobs, sensors
