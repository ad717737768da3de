"""A hash of the code a warm runner has imported, to know when it must be restarted."""

from __future__ import annotations

import hashlib
from pathlib import Path

import glue_scripts

_PACKAGE = Path(glue_scripts.__file__).parent


def code_fingerprint() -> str:
    """Scripts are re-read on every run; the shared lib and the runner are imported once."""
    digest = hashlib.sha256()
    roots = [_PACKAGE / "lib", Path(__file__).parent]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
