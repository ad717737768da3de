"""Crédito: a feature store for credit-decision inference, from daily application drops."""
