"""Publishing the asset graph into the Glue Data Catalog, and reading it back.

Pure modules build and validate what the catalog should hold (`table_input`, `limits`,
`lf_tags`, `diff`, `openlineage_events`); thin effectful ones talk to AWS (`aws`, `apply`,
`search`, `lineage`) or to the tables' Iceberg catalog (`facts`, `iceberg_docs`). `search`
and `lineage` need nothing but Glue: they never import Dagster or the specs, so people
without the project's code can use them.
"""
