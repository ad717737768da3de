"""The spec's description and column comments in each table's Iceberg metadata.

On the aws target the Glue catalog is the Iceberg catalog: every commit rewrites the table's
Glue entry from its Iceberg metadata (pyiceberg's GlueCatalog takes `Description` from the
table property of that name and each column's comment from its field doc), so text held only
in Glue would be erased by the next commit. Locally the metadata is what DuckDB and every
other Iceberg reader see. Only what differs is committed: an export with nothing new to say
makes no Iceberg commit.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from glue_scripts.lib.tables import TableStore
from lakehouse_assets.catalog.facts import load_table
from lakehouse_assets.specs import TableSpec

if TYPE_CHECKING:
    from pyiceberg.table import Table

# The table property pyiceberg's GlueCatalog copies into the Glue entry's `Description`.
DESCRIPTION_PROPERTY = "Description"
ATTEMPTS = 5


class DocumentationConflictError(RuntimeError):
    """Other commits kept changing the table while its documentation was being written."""


def changes(table: Table, spec: TableSpec) -> tuple[str | None, dict[str, str]]:
    """(the description to set or None, {field name: doc}) where the metadata differs."""
    schema = table.schema()
    docs = {}
    for column in spec.columns:
        if not column.comment:
            continue
        try:
            found = schema.find_field(column.name, case_sensitive=False)
        except ValueError:
            continue  # not written yet: documented once a commit adds it
        if found.doc != column.comment:
            docs[found.name] = column.comment
    description = spec.description
    if table.properties.get(DESCRIPTION_PROPERTY) == description:
        description = None
    return description, docs


def document(store: TableStore, spec: TableSpec, table: Table | None) -> tuple[Table | None, bool]:
    """Write what differs in one Iceberg commit: (the table as it is now, whether committed).

    `table`: the table as loaded from `store` (None: there is none yet, nothing to write).

    Raises:
        DocumentationConflictError: when other commits won every attempt.
    """
    from pyiceberg.exceptions import CommitFailedException

    for attempt in range(ATTEMPTS):
        if table is None:
            return None, False
        description, docs = changes(table, spec)
        if description is None and not docs:
            return table, False
        try:
            # The commit updates `table` in place: its new metadata file and schema.
            with table.transaction() as tx:
                if description is not None:
                    tx.set_properties({DESCRIPTION_PROPERTY: description})
                if docs:
                    with tx.update_schema() as update:
                        for name, doc in docs.items():
                            update.update_column(name, doc=doc)
        except CommitFailedException:
            # A job committed meanwhile: reload and compare again.
            time.sleep(0.05 * (attempt + 1))
            table = load_table(store)
            continue
        return table, True
    raise DocumentationConflictError(
        f"could not write the description of {store.qualified_name} into its Iceberg metadata "
        f"after {ATTEMPTS} attempts: other runs kept committing to it; export again later"
    )
