"""Names and values written into Spark SQL text.

Expressions built as SQL text cost one call into the JVM per projection, where the same
expressions built from `pyspark.sql.functions` cost several per function and column (a
bronze table's parse made about 1,700 of them, which cost it 0.2 s, warm or cold).
"""

from __future__ import annotations


def name(identifier: str) -> str:
    """A column or field name, quoted: any character, a backtick included, stays part of it."""
    return "`" + identifier.replace("`", "``") + "`"


def literal(value: object) -> str:
    """A string literal. Spark reads backslash escapes in literals, and two quotes in a row
    are two literals joined (`'It''s'` is `Its`), so both are escaped with a backslash."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"
