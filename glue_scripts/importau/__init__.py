"""Glue jobs of the ImportAu domain."""
