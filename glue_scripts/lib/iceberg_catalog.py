"""The Iceberg catalog that serializes the commits of a storage root's tables.

On `s3://` (the aws target, and its tests against the local AWS endpoint) it is the Glue Data
Catalog, so Athena, Glue Spark, Redshift and EMR find every table with its current metadata.
On a local folder it is a SQLite catalog under the root (`<root>/_catalog/iceberg.db`): a
laptop has no Glue, and moto's Glue stand-in ignores `VersionId`, so it could not refuse a
commit made on a stale version. `lakehouse catalog export` then registers the local tables in
the local Glue endpoint too.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from glue_scripts.lib.fs import join, local_path, normalize_root

if TYPE_CHECKING:
    from pyiceberg.catalog import Catalog

CATALOG_NAME = "lakehouse"
LOCAL_CATALOG_FILE = "_catalog/iceberg.db"

_catalogs: dict[str, Catalog] = {}
_lock = threading.Lock()


def local_catalog_uri(root: str) -> str:
    """Where the SQLite catalog of a local root lives (`file://...`)."""
    return join(normalize_root(root), LOCAL_CATALOG_FILE)


def catalog_for(root: str) -> Catalog:
    """The catalog of the tables under `root`, one per process, root and endpoint."""
    root = normalize_root(root)
    # A process may talk to several endpoints in turn (tests start one per case): a catalog
    # kept for another endpoint would read another Glue.
    key = f"{root}|{sorted(s3_properties().items())}" if root.startswith("s3://") else root
    with _lock:
        catalog = _catalogs.get(key)
        if catalog is None:
            catalog = _catalogs[key] = _open(root)
        return catalog


def _open(root: str) -> Catalog:
    if root.startswith("s3://"):
        from pyiceberg.catalog.glue import GlueCatalog

        return GlueCatalog(CATALOG_NAME, **s3_properties())
    from pyiceberg.catalog.sql import SqlCatalog

    database = local_path(local_catalog_uri(root))
    database.parent.mkdir(parents=True, exist_ok=True)
    from sqlalchemy.exc import OperationalError

    try:
        return SqlCatalog(CATALOG_NAME, uri=f"sqlite:///{database}", warehouse=root)
    except OperationalError:
        # Two processes creating the catalog's tables at once: the loser finds them made.
        return SqlCatalog(CATALOG_NAME, uri=f"sqlite:///{database}", warehouse=root)


def s3_properties() -> dict[str, str]:
    """pyiceberg's S3 and Glue settings from the environment boto3 reads too."""
    properties: dict[str, str] = {}
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if endpoint:
        properties["s3.endpoint"] = endpoint
        properties["glue.endpoint"] = endpoint
    if region:
        properties["s3.region"] = region
        properties["glue.region"] = region
    return properties
