"""OpenLineage run events (START, COMPLETE) for each new materialization the export publishes.

Datasets are named the way OpenLineage names Glue tables and Amazon DataZone lineage keys
them: namespace `arn:aws:glue:{region}:{account}`, name `table/{database}/{table}`, which
joined with `:` are the table's ARN. Events are built from the catalog entry alone, so the
OpenLineage view and the Glue view cannot disagree.

Transport: the standard OpenLineage configuration when there is one (`OPENLINEAGE_URL`,
`OPENLINEAGE_CONFIG`, `OPENLINEAGE__TRANSPORT__*`, an `openlineage.yml`,
`OPENLINEAGE_DISABLED`); otherwise, on a local root, a JSON-lines file
`<root>/openlineage/events.jsonl`; otherwise none.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from lakehouse_assets.catalog.facts import iso_time
from lakehouse_assets.catalog.table_input import TableEntry

PRODUCER = "urn:lakehouse:catalog-export"
DEFAULT_NAMESPACE = "lakehouse"
EVENTS_FILE = "openlineage/events.jsonl"
_RUN_IDS = uuid.UUID("6f1c1f5e-7a1d-4c55-9a53-2b1e0f6c0d11")


def glue_dataset(region: str, account: str, qualified_name: str) -> tuple[str, str]:
    database, table = qualified_name.split(".", 1)
    return f"arn:aws:glue:{region}:{account}", f"table/{database}/{table}"


def table_arn(region: str, account: str, qualified_name: str) -> str:
    return ":".join(glue_dataset(region, account, qualified_name))


def source_dataset(uri: str) -> tuple[str, str]:
    """An OpenLineage dataset of a source system, named as OpenLineage's naming spec does:
    `postgres://host:port` + `db.schema.table`, `http://host:port` + the path, `s3://bucket`
    + the key, `file` + the path."""
    parsed = urlsplit(uri)
    if parsed.scheme == "file":
        return "file", parsed.path
    path = parsed.path.lstrip("/")
    if parsed.scheme in ("postgres", "postgresql"):
        return f"postgres://{parsed.netloc}", path.replace("/", ".")
    return f"{parsed.scheme}://{parsed.netloc}", path


def _uuid(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(_RUN_IDS, text))


def run_events(entry: TableEntry, region: str, account: str, namespace: str) -> list:
    """START and COMPLETE of the run that materialized the entry's table."""
    from openlineage.client.event_v2 import (
        InputDataset,
        Job,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
    )
    from openlineage.client.facet_v2 import (
        documentation_dataset,
        job_type_job,
        ownership_dataset,
        parent_run,
        schema_dataset,
    )
    from openlineage.client.facet_v2 import output_statistics_output_dataset as statistics

    mat = entry.materialization
    assert mat is not None and mat.run_id
    body = entry.table_input
    params = body["Parameters"]
    asset = params.get("dagster_asset_key", entry.qualified_name)
    glue_job = params.get("glue_job_name", asset)
    columns = body["StorageDescriptor"]["Columns"]
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(
                name=c["Name"], type=c["Type"], description=c.get("Comment"), ordinal_position=i
            )
            for i, c in enumerate(columns, start=1)
        ]
    )
    out_ns, out_name = glue_dataset(region, account, entry.qualified_name)
    output = OutputDataset(
        namespace=out_ns,
        name=out_name,
        facets={
            "schema": schema,
            "documentation": documentation_dataset.DocumentationDatasetFacet(
                description=body["Description"]
            ),
            "ownership": ownership_dataset.OwnershipDatasetFacet(
                owners=[ownership_dataset.Owner(name=body["Owner"])]
            ),
        },
        outputFacets=(
            {
                "outputStatistics": statistics.OutputStatisticsOutputDatasetFacet(
                    rowCount=mat.row_count
                )
            }
            if mat.row_count is not None
            else {}
        ),
    )
    inputs = [
        InputDataset(*glue_dataset(region, account, name))
        for name in filter(None, params.get("upstream_tables", "").split(","))
    ]
    if params.get("source_system"):
        inputs.append(InputDataset(*source_dataset(params["source_system"])))
    job = Job(
        namespace=namespace,
        name=asset,
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="DAGSTER", jobType="ASSET"
            )
        },
    )
    run = Run(
        runId=_uuid(f"{mat.run_id}/{asset}"),
        facets={
            "parent": parent_run.ParentRunFacet(
                run=parent_run.Run(runId=_uuid(mat.run_id)),
                job=parent_run.Job(namespace=namespace, name=glue_job),
            )
        },
    )
    started = iso_time(mat.run_started if mat.run_started else mat.timestamp)
    return [
        RunEvent(
            eventType=state,
            eventTime=when,
            run=run,
            job=job,
            inputs=inputs,
            outputs=[output],
            producer=PRODUCER,
        )
        for state, when in ((RunState.START, started), (RunState.COMPLETE, mat.time_iso))
    ]


def standard_config_present(env: dict[str, str] | None = None) -> bool:
    env = dict(os.environ if env is None else env)
    if any(k in env for k in ("OPENLINEAGE_URL", "OPENLINEAGE_CONFIG", "OPENLINEAGE_DISABLED")):
        return True
    if any(k.startswith("OPENLINEAGE__") for k in env):
        return True
    home = Path(env.get("HOME", "~")).expanduser()
    return (Path.cwd() / "openlineage.yml").exists() or (
        home / ".openlineage" / "openlineage.yml"
    ).exists()


def events_file(root: str) -> Path | None:
    if root.startswith("s3://"):
        return None
    return Path(root.removeprefix("file://")).expanduser() / EVENTS_FILE


def build_client(root: str):
    """The OpenLineage client for this configuration, or None when there is nowhere to send."""
    from openlineage.client import OpenLineageClient

    if standard_config_present():
        return OpenLineageClient()
    path = events_file(root)
    if path is None:
        return None
    from openlineage.client.transport.file import FileConfig, FileTransport

    path.parent.mkdir(parents=True, exist_ok=True)
    return OpenLineageClient(
        transport=FileTransport(FileConfig(log_file_path=str(path), append=True))
    )


def emitter(client, region: str, account: Callable[[], str]) -> Callable[[TableEntry, str], int]:
    """`emit(entry, catalog_id)` for the applier; the account comes from the catalog id."""
    namespace = os.environ.get("OPENLINEAGE_NAMESPACE", DEFAULT_NAMESPACE)

    def emit(entry: TableEntry, catalog_id: str) -> int:
        events = run_events(entry, region, catalog_id or account(), namespace)
        for event in events:
            client.emit(event)
        return len(events)

    return emit
