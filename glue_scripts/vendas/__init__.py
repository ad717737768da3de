"""Glue scripts of the vendas domain."""
