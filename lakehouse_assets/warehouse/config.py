"""The warehouse's settings, read from the environment when a load starts.

Local target: `LAKEHOUSE_WAREHOUSE_URI` (a PostgreSQL URI), by default the local services'
warehouse. AWS target: `LAKEHOUSE_REDSHIFT_*` (docs/WAREHOUSE.md). Nothing here is kept in
Dagster's resource config, which the UI shows: a URI may carry a password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from lakehouse_assets import local_sources
from lakehouse_assets.settings import ConfigurationError

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")


def local_services_warehouse_uri(root: str) -> str | None:
    """`warehouse_uri` of the running local services (None when they are not running)."""
    try:
        from lakehouse_assets.local_services.endpoints import read_endpoints
    except ImportError:
        return None
    endpoints = read_endpoints(root) or {}
    return endpoints.get("warehouse_uri") or None


def local_uri(root: str, env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    uri = env.get("LAKEHOUSE_WAREHOUSE_URI") or local_services_warehouse_uri(root)
    if not uri and local_sources.is_default_root(root):
        # A fresh clone's warehouse load (from `dagster dev`, say) starts what it needs.
        local_sources.ensure_warehouse_services("local", root)
        uri = local_services_warehouse_uri(root)
    if not uri:
        raise ConfigurationError(
            "no warehouse is configured: start the local services "
            "(`lakehouse local-services --background`), which serve a local PostgreSQL "
            "warehouse, or set LAKEHOUSE_WAREHOUSE_URI=postgresql://user:password@host:port/db"
        )
    if not uri.startswith(("postgresql://", "postgres://")):
        raise ConfigurationError(
            "LAKEHOUSE_WAREHOUSE_URI must be a postgresql:// URI of the local warehouse"
        )
    return uri


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigurationError(f"{name}={raw!r} must be positive")
    return value


def redshift_target(env: Mapping[str, str] | None = None) -> Any:
    """The Redshift the aws target loads, from `LAKEHOUSE_REDSHIFT_*`."""
    from lakehouse_assets.warehouse.redshift import RedshiftTarget

    env = os.environ if env is None else env
    workgroup = (env.get("LAKEHOUSE_REDSHIFT_WORKGROUP") or "").strip() or None
    cluster = (env.get("LAKEHOUSE_REDSHIFT_CLUSTER") or "").strip() or None
    db_user = (env.get("LAKEHOUSE_REDSHIFT_DB_USER") or "").strip() or None
    secret = (env.get("LAKEHOUSE_REDSHIFT_SECRET_ARN") or "").strip() or None
    database = (env.get("LAKEHOUSE_REDSHIFT_DATABASE") or "").strip()
    role = (env.get("LAKEHOUSE_REDSHIFT_COPY_ROLE_ARN") or "").strip() or None
    if bool(workgroup) == bool(cluster):
        raise ConfigurationError(
            "set exactly one of LAKEHOUSE_REDSHIFT_WORKGROUP (Redshift Serverless) and "
            "LAKEHOUSE_REDSHIFT_CLUSTER (provisioned, with LAKEHOUSE_REDSHIFT_DB_USER or "
            "LAKEHOUSE_REDSHIFT_SECRET_ARN)"
        )
    if cluster and not (db_user or secret):
        raise ConfigurationError(
            f"LAKEHOUSE_REDSHIFT_CLUSTER={cluster!r} needs LAKEHOUSE_REDSHIFT_DB_USER "
            "(temporary credentials) or LAKEHOUSE_REDSHIFT_SECRET_ARN (a Secrets Manager secret)"
        )
    if not database:
        raise ConfigurationError(
            "LAKEHOUSE_REDSHIFT_DATABASE is not set: name the Redshift database to load (e.g. dev)"
        )
    if role and not _ROLE_ARN.match(role):
        raise ConfigurationError(
            f"LAKEHOUSE_REDSHIFT_COPY_ROLE_ARN={role!r} is not an IAM role ARN "
            "(arn:aws:iam::<12-digit account>:role/<name>)"
        )
    return RedshiftTarget(
        database=database,
        copy_role_arn=role,
        workgroup=workgroup,
        cluster=cluster,
        db_user=db_user,
        secret_arn=secret,
        poll_seconds=_positive(env, "LAKEHOUSE_REDSHIFT_POLL_SECONDS", 2.0),
        timeout_seconds=_positive(env, "LAKEHOUSE_REDSHIFT_TIMEOUT_SECONDS", 3600.0),
    )


def open_warehouse(target: str, root: str, env: Mapping[str, str] | None = None) -> Any:
    """The configured warehouse: `PostgresWarehouse` locally, `RedshiftWarehouse` on aws."""
    if target == "aws":
        from lakehouse_assets.aws_settings import aws_client
        from lakehouse_assets.warehouse.redshift import RedshiftWarehouse

        return RedshiftWarehouse(redshift_target(env), aws_client("redshift-data"))
    from lakehouse_assets.warehouse.postgres import PostgresWarehouse

    return PostgresWarehouse(local_uri(root, env))
