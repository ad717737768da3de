"""ImportAu, an importer: suppliers, products, orders, items, payments, FX quotes and loans."""
