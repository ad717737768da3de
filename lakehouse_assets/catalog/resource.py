"""The `catalog` resource: which Glue Data Catalog the governance asset exports to."""

import os

from dagster import ConfigurableResource
from pydantic import Field

from lakehouse_assets.catalog.aws import AwsConnection, resolve_connection
from lakehouse_assets.settings import Settings

TRUE = ("1", "true", "yes", "on")


class GlueCatalog(ConfigurableResource):
    """The Glue Data Catalog (locally: the endpoint of `lakehouse local-aws`)."""

    target: str = Field(default="local", description="`local` or `aws` (LAKEHOUSE_TARGET).")
    lakehouse_root: str = Field(default="./.lakehouse", description="Storage root of the tables.")
    region: str | None = Field(default=None, description="AWS region; AWS_REGION if unset.")
    endpoint_url: str | None = Field(
        default=None,
        description="Endpoint; AWS_ENDPOINT_URL, then the local endpoint's state file, if unset.",
    )
    lake_formation: bool = Field(
        default=False, description="Create and attach LF-Tags (LAKEHOUSE_LAKE_FORMATION)."
    )
    delete_undefined: bool = Field(
        default=False, description="Delete catalog tables that no spec defines (else report)."
    )
    openlineage: bool = Field(default=True, description="Emit OpenLineage run events.")
    max_attempts: int | None = Field(
        default=None, description="Attempts per AWS call (AWS_MAX_ATTEMPTS, boto3's default)."
    )

    def connection(self) -> AwsConnection:
        """Resolve the endpoint now (not at load), so a later `local-aws` is picked up.

        Raises:
            EndpointNotFoundError: on the local target when no local endpoint runs.
        """
        return resolve_connection(
            target=self.target,
            root=self.lakehouse_root,
            region=self.region,
            endpoint_url=self.endpoint_url,
            max_attempts=self.max_attempts,
        )


def build_catalog_resource(settings: Settings, env: dict[str, str] | None = None) -> GlueCatalog:
    env = dict(os.environ if env is None else env)
    return GlueCatalog(
        target=settings.target,
        lakehouse_root=settings.root,
        lake_formation=env.get("LAKEHOUSE_LAKE_FORMATION", "").strip().lower() in TRUE,
    )
