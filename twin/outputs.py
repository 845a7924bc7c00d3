"""Writing outputs safely: to a temporary file beside the target, then renamed into place.

A failed run therefore never leaves a half-written report behind.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["emit", "write_atomic"]


def write_atomic(path: str | Path, content: str | bytes) -> Path:
    """Write ``content`` to ``path`` atomically (same directory temp file + rename)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; published files follow the umask
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def emit(content: str, out: str | None) -> None:
    """Print ``content`` to stdout, or write it atomically to ``out`` when given."""
    if out is None or out == "-":
        sys.stdout.write(content)
        sys.stdout.flush()
    else:
        write_atomic(out, content)
