"""A lake table marked for the warehouse: how its copy there is laid out.

A `TableSpec` with `warehouse=WarehouseTable(...)` gets a warehouse asset downstream of it
(`lakehouse_assets/warehouse/`): the table's current snapshot loaded, in one transaction, into
`<database>.<name>` of the configured warehouse (Redshift on AWS, the local PostgreSQL
locally). Schemas are named like the Glue databases (`bix_silver`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIST_STYLES = ("AUTO", "EVEN", "ALL", "KEY")
NAME = re.compile(r"^[a-z][a-z0-9_]{0,126}$")


class WarehouseSpecError(ValueError):
    """A warehouse spec is invalid; the message names the field."""


@dataclass(frozen=True)
class WarehouseTable:
    """`name`: the table's name in the warehouse (the lake table's name by default).
    `dist_style`, `dist_key` and `sort_keys` are Redshift's; the local PostgreSQL ignores
    them (a primary key from the lake spec is declared in both)."""

    name: str | None = None
    dist_style: str = "AUTO"
    dist_key: str | None = None
    sort_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.name is not None and not NAME.match(self.name):
            raise WarehouseSpecError(f"warehouse field `name` {self.name!r} is not a valid name")
        if self.dist_style not in DIST_STYLES:
            raise WarehouseSpecError(
                f"warehouse field `dist_style` {self.dist_style!r} is not one of {DIST_STYLES}"
            )
        if (self.dist_style == "KEY") != (self.dist_key is not None):
            raise WarehouseSpecError(
                "warehouse fields `dist_style` and `dist_key`: a KEY distribution needs a "
                "dist_key, and a dist_key needs dist_style='KEY'"
            )

    def columns_named(self) -> list[str]:
        return [c for c in (self.dist_key, *self.sort_keys) if c]
