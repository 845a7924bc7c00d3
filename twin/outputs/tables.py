"""Plain-text terminal tables (aligned columns, numbers right-aligned, cut to a width) and
the one way a person reads a time: ``12 s``, ``10 min``, ``1 h 33 min``."""

from __future__ import annotations

import math
import os
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

__all__ = [
    "Width",
    "duration",
    "format_table",
    "recovery_time",
    "terminal_columns",
    "time_span",
]

ELLIPSIS = "…"
_NBSP = "\u00a0"
_MIN_CELL = 4
"""A text column is never cut below this many characters (three and the ellipsis)."""


def recovery_time(seconds: float | None) -> str:
    """An RTO as a person reads it: ``–`` never needed, ``not by the end``, or a time.

    >>> recovery_time(None), recovery_time(float("inf")), recovery_time(33_000)
    ('–', 'not by the end', '9 h 10 min')
    """
    if seconds is None:
        return "–"
    if seconds == float("inf"):
        return "not by the end"
    return duration(seconds)


def duration(seconds: float | None) -> str:
    """A time as a person reads it: seconds under a minute, minutes (and seconds) under an
    hour, then hours and minutes (whole hours, not days: outages are told in hours).

    >>> duration(42), duration(90), duration(600), duration(5580), duration(126_396.4)
    ('42 s', '1 min 30 s', '10 min', '1 h 33 min', '35 h 7 min')
    >>> duration(7199.9), duration(0.4), duration(None)
    ('2 h', '0.4 s', '–')
    """
    if seconds is None:
        return "–"
    if not math.isfinite(seconds):
        return "∞"
    if seconds < 1:
        return f"{seconds:.1g} s" if seconds > 0 else "0 s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        minutes, rest = divmod(whole, 60)
        return f"{minutes} min" + (f" {rest} s" if rest else "")
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def time_span(start_s: float, end_s: float) -> str:
    """A moment, or a stretch of time when ``end_s`` is later.

    >>> time_span(600, 600), time_span(59_640, 95_640)
    ('10 min', '16 h 34 min – 26 h 34 min')
    """
    if end_s <= start_s:
        return duration(start_s)
    return f"{duration(start_s)} – {duration(end_s)}"


def terminal_columns(stream: TextIO | None = None) -> int | None:
    """How wide a table may be: ``COLUMNS`` when it is set, else the terminal's width when
    ``stream`` is one; None (no limit) for a pipe or a file, which a reader may search.

    A ``COLUMNS`` that is not a positive whole number is ignored, as shells do.
    """
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    if stream is not None:
        try:
            if stream.isatty():
                return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):  # closed, detached or not a real file
            return None
    return None


@dataclass
class Width:
    """The width tables are fitted to (``columns``; None: no limit), and whether any cell
    had to be cut to fit, so the output can say how to see it whole."""

    columns: int | None = None
    cut: bool = False

    def prose(self, text: str) -> str:
        """A paragraph wrapped to the width (unchanged without one)."""
        if self.columns is None:
            return text
        return "\n".join(
            textwrap.fill(line, self.columns, break_on_hyphens=False) if line else line
            for line in text.split("\n")
        )

    def note(self) -> str:
        """The line telling a reader that cells were cut, and how to see them whole."""
        if not self.cut:
            return ""
        return self.prose(
            f"(long cells end in {ELLIPSIS} to fit {self.columns} columns; --wide prints "
            "them whole, --format json gives everything)"
        )


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    width: Width | None = None,
    *,
    wrap: bool = False,
) -> str:
    """Render ``rows`` under ``headers`` as an aligned text table; with a ``width``, text
    columns are narrowed (widest first, never below a few characters) and long cells end
    in an ellipsis so each line fits, or with ``wrap`` run on over more lines (a few rows
    of many columns: nothing is lost, and a time is never split). Numbers are never cut.

    >>> print(format_table(["kind", "count"], [["ups", 4], ["pdu", 12]]))
    kind  count
    ----  -----
    ups       4
    pdu      12
    >>> fit = Width(24)
    >>> print(format_table(["what", "n"], [["a very long description here", 3]], fit))
    what                   n
    ---------------------  -
    a very long descript…  3
    >>> fit.cut
    True
    >>> print(format_table(["what", "when"], [["a long text", "1 h 33 min"]], Width(20), wrap=True))
    what       when
    ---------  ---------
    a long     1 h
    text       33 min
    """
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], int | float) for row in rows) if rows else False
        for i in range(len(headers))
    ]
    # a wrapped header needs only its longest word: its cells decide how wide it is
    heads = [max(map(len, h.split()), default=0) if wrap else len(h) for h in headers]
    widths = [max([heads[i], *(len(r[i]) for r in cells)]) for i in range(len(headers))]
    if width is not None and width.columns is not None:
        widths = _fit(widths, numeric, width.columns)
    if wrap:
        return "\n".join(
            [
                *_wrapped(headers, widths, numeric),
                _line(["-" * w for w in widths], widths, numeric),
                *(text for r in cells for text in _wrapped(r, widths, numeric)),
            ]
        )
    shown_headers = [_cut(h, w) for h, w in zip(headers, widths, strict=True)]
    shown = [[_cut(v, w) for v, w in zip(r, widths, strict=True)] for r in cells]
    if width is not None and any(
        s != v
        for r, cut_row in zip(cells, shown, strict=True)
        for v, s in zip(r, cut_row, strict=True)
    ):
        width.cut = True
    out = [_line(shown_headers, widths, numeric), _line(["-" * w for w in widths], widths, numeric)]
    out += [_line(r, widths, numeric) for r in shown]
    return "\n".join(out)


def _line(values: Sequence[str], widths: Sequence[int], numeric: Sequence[bool]) -> str:
    parts = [
        v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
    ]
    return "  ".join(parts).rstrip()


_TIME_GAP = re.compile(r"(?<=\d) (?=(?:h|min|s)\b)")
"""The space between a number and its unit (``1 h``, ``33 min``), where a cell never breaks."""


def _wrapped(values: Sequence[str], widths: Sequence[int], numeric: Sequence[bool]) -> list[str]:
    """One row as the lines it takes when each cell wraps within its column."""
    columns = [
        [part.replace(_NBSP, " ") for part in textwrap.wrap(_TIME_GAP.sub(_NBSP, v), w)] or [""]
        for v, w in zip(values, widths, strict=True)
    ]
    height = max(len(c) for c in columns)
    return [
        _line([c[i] if i < len(c) else "" for c in columns], widths, numeric) for i in range(height)
    ]


def _fit(widths: list[int], numeric: list[bool], columns: int) -> list[int]:
    """Narrow the widest text columns until the table (with its two-space gaps) fits."""
    widths = list(widths)
    budget = columns - 2 * (len(widths) - 1)
    while sum(widths) > budget:
        text = [i for i, num in enumerate(numeric) if not num and widths[i] > _MIN_CELL]
        if not text:
            break  # only numbers and narrow columns left: nothing more can give
        widest = max(text, key=lambda i: widths[i])
        others = [widths[i] for i in text if i != widest]
        # down to the next widest text column (or just enough), one step at a time
        target = max(max(others, default=_MIN_CELL), widths[widest] - (sum(widths) - budget))
        widths[widest] = max(_MIN_CELL, min(widths[widest] - 1, target))
    return widths


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + ELLIPSIS


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``1 single-event failure``, ``3 single-event failures``."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
