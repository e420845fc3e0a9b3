"""Writing a file so that a crash never leaves half of it: written beside, then renamed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_write(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path beside `path`; write it, and on leaving the block it replaces
    `path` in one rename (on an error, `path` is untouched and the partial file removed)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.tmp")
    try:
        yield partial
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
