"""The warehouse: a sink of the asset graph.

A table whose spec has `warehouse=WarehouseTable(...)` gets an asset downstream of it that
copies the table's current snapshot into `<glue database>.<name>` of the warehouse, in one
transaction (create if missing, delete, copy, commit): the local PostgreSQL on the local
target, Redshift through the Data API on the aws target. `docs/WAREHOUSE.md` tells the
settings, the permissions and what is atomic.
"""
