"""Plain-text terminal tables: aligned columns, numbers right-aligned."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["duration", "format_table", "recovery_time"]


def recovery_time(seconds: float | None) -> str:
    """An RTO as a person reads it: ``–`` never needed, ``not by the end``, or a time.

    >>> recovery_time(None), recovery_time(float("inf")), recovery_time(33_000)
    ('–', 'not by the end', '9.2 h')
    """
    if seconds is None:
        return "–"
    if seconds == float("inf"):
        return "not by the end"
    return duration(seconds)


def duration(seconds: float | None) -> str:
    """A time as a person reads it: seconds, minutes or hours.

    >>> duration(42), duration(600), duration(126_396.4)
    ('42 s', '10.0 min', '35.1 h')
    """
    if seconds is None:
        return "–"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render ``rows`` under ``headers`` as an aligned text table.

    >>> print(format_table(["kind", "count"], [["ups", 4], ["pdu", 12]]))
    kind  count
    ----  -----
    ups       4
    pdu      12
    """
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = [
        all(isinstance(row[i], int | float) for row in rows) if rows else False
        for i in range(len(headers))
    ]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """``1 single-event failure``, ``3 single-event failures``."""
    return f"{n:,} {singular if n == 1 else plural or singular + 's'}"
