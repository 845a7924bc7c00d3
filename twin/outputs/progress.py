"""A progress bar on standard error for long runs; silent when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Context manager drawing ``label [#####     ] done/total`` on a terminal.

    Updates are throttled to ten a second; nothing is written when the stream is
    not a TTY (CI logs, pipes), so outputs stay byte-identical.
    """

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.width = width
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def update(self, done: int, total: int, stage: str | None = None) -> None:
        if not self.enabled or total <= 0:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = int(self.width * done / total)
        bar = "#" * filled + " " * (self.width - filled)
        name = f"{self.label}: {stage}" if stage else self.label
        self.stream.write(f"\r{name} [{bar}] {done:,}/{total:,}")
        self.stream.flush()
        self._drawn = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
