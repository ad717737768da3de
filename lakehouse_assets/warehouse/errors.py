"""What goes wrong with the warehouse; each message says what to do next."""


class WarehouseError(RuntimeError):
    """A load or a query on the warehouse failed."""


class WarehouseUnreachableError(WarehouseError):
    """The warehouse does not answer (its URI or workgroup is named, without secrets)."""


class WarehouseSchemaError(WarehouseError):
    """The table in the warehouse has other columns than the spec; nothing was changed."""


class WarehouseStatementError(WarehouseError):
    """A statement failed on Redshift (or its stand-in); the message names it and its error."""
