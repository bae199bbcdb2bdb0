"""Write a file under a temporary name and rename it over the target only when it is whole."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing"]

_NAME_KEPT = 64
"""Characters of the target's name kept in the temporary name (file names have a length cap)."""


@contextmanager
def replacing(path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed over ``path`` when the block succeeds.

    The temporary file is in the same folder (so the rename is atomic on one file system) and
    hidden. When the block raises, the temporary file is removed and ``path`` is untouched:
    no truncated export is ever left behind, and a previous export at ``path`` survives.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with replacing(target) as part:
    ...     _ = part.write_text("whole")
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('whole', ['out.txt'])
    """
    path = Path(path)
    part = path.with_name(f".{path.name[:_NAME_KEPT]}.{secrets.token_hex(6)}.part")
    try:
        yield part
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)
