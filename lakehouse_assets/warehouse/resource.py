"""The `warehouse` resource: which warehouse the warehouse assets load."""

from __future__ import annotations

from typing import Any

from dagster import ConfigurableResource
from pydantic import Field

from lakehouse_assets.settings import Settings
from lakehouse_assets.warehouse.config import open_warehouse


class Warehouse(ConfigurableResource):
    """Locally PostgreSQL (LAKEHOUSE_WAREHOUSE_URI), on aws Redshift (LAKEHOUSE_REDSHIFT_*).

    The connection settings are read from the environment when a load starts, never kept in
    this config, which Dagster's UI shows.
    """

    target: str = Field(default="local", description="`local` or `aws` (LAKEHOUSE_TARGET).")
    lakehouse_root: str = Field(default="./.lakehouse", description="Storage root of the lake.")

    def open(self) -> Any:
        return open_warehouse(self.target, self.lakehouse_root)


def build_warehouse_resource(settings: Settings) -> Warehouse:
    return Warehouse(target=settings.target, lakehouse_root=settings.root)
