"""Glue jobs of the conversas domain: bronze extraction, silver runs, gold session metrics."""
