"""BIX: sales from an HTTP API, a PostgreSQL table and a Parquet file, into a warehouse."""
