"""Vendas: daily GMV by subsidiary from purchase change events."""
