"""Glue jobs of the BIX sales domain: bronze extraction, silver sales, gold monthly sales."""
