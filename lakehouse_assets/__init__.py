"""The Dagster side of the lakehouse: specs, the asset factory, resources and the CLI."""
