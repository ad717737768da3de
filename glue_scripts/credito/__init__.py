"""Glue jobs of the Crédito domain (credit feature store)."""
