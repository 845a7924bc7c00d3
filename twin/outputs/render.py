"""Render analysis results: JSON for machines, Markdown for pull requests, HTML reports.

Markdown and HTML come from jinja2 templates in ``twin/templates``. HTML is
autoescaped; Markdown goes through :func:`md_escape`, which neutralises both HTML
and Markdown syntax so a component called ``<img onerror=…>`` or ``a|b`` cannot
break the page or a table. JSON keys keep a stable order and every document
carries ``schema_version``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from twin.outputs.events import group_events, severity
from twin.outputs.tables import counted, duration, recovery_time

__all__ = ["MARKDOWN_LIMIT", "md_escape", "render_html", "render_json", "render_markdown"]

MARKDOWN_LIMIT = 65_536
"""GitHub's limit on a pull-request comment, in characters."""

# Inline syntax that could start emphasis, code, links or break a table cell. Block
# syntax (#, -, +, >) matters only at the start of a line and is escaped there.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^([#+\-=>]|\d+[.)])")
# What GitHub links or notifies in a comment: @mentions (and e-mail addresses), issue
# references (#123, GH-123), bare URLs (scheme:// and www.) and commit SHAs. A
# zero-width space after the trigger keeps the text as it reads and stops the link.
_ZWSP = "&#8203;"
_GFM_TRIGGERS = re.compile(
    r"(@)|(#)(?=\d)|(\bgh)(?=-\d)|(\b[a-z][a-z0-9+.\-]*)(?=://)|(\bwww)(?=\.)"
    r"|\b([0-9a-f])(?=[0-9a-f]{6,39}\b)",
    re.IGNORECASE,
)


def md_escape(value: object) -> str:
    r"""Escape text for a Markdown table cell or paragraph of a pull-request comment.

    HTML and Markdown syntax are neutralised, and so is everything GitHub would turn
    into a link or a notification: a service called ``@github/security`` must not
    page that team from every comment.

    >>> print(md_escape("<img src=x onerror=alert(1)>|x"))
    &lt;img src=x onerror=alert(1)&gt;\|x
    >>> print(md_escape("# not a heading, *not* [a link]"))
    \# not a heading, \*not\* \[a link\]
    >>> print(md_escape("@ops see #12 and https://x.io"))
    @&#8203;ops see #&#8203;12 and https&#8203;://x.io
    """
    text = re.sub(r"[\r\n\x00-\x1f\x7f]", " ", str(value))
    # mark link triggers first (with a control character no text can hold any more),
    # so the entities written below are never mistaken for "#123" references
    text = _GFM_TRIGGERS.sub(lambda m: m.group() + "\x00", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("%", "&#37;")  # "%%{init: …}%%" reads the same and directs nothing
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_LINE_START.sub(r"\\\1", text)
    return text.replace("\x00", _ZWSP)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float) -> str:
    return f"{value:,.0f}"


def _power(kw: float) -> str:
    return f"{kw / 1000:,.1f} MW" if kw >= 1000 else f"{kw:,.0f} kW"


def _estimate(value: Any, digits: int = 3) -> str:
    """An estimate with its 95 % interval when it has one: ``10.8 (2.1–19.5)``."""
    if value is None:
        return "–"
    text = f"{value.value:.{digits}g}"
    if value.low is not None and value.high is not None:
        text += f" ({value.low:.{digits}g}–{value.high:.{digits}g})"
    return text


def _unbroken(text: str) -> str:
    """A time that wraps only after the dash of a stretch: ``16 h 34 min – 26 h 34 min``."""
    return text.replace(" ", "\u00a0").replace("\u00a0–\u00a0", "\u00a0– ")


def _nines(value: float) -> str:
    return "∞" if value == float("inf") else f"{value:.2f}"


def _environment(autoescape: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("twin.outputs", "templates"),
        # the templates end in .j2, so autoescaping is switched on explicitly, not by suffix
        autoescape=autoescape,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=md_escape,
        hours=duration,
        rto=recovery_time,
        pct=_pct,
        num=_num,
        power=_power,
        estimate=_estimate,
        nines=_nines,
        counted=counted,
        unbroken=_unbroken,
        event_groups=group_events,
        severity=severity,
    )
    return env


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def render_markdown(template: str, limit: int = MARKDOWN_LIMIT, **context: Any) -> str:
    """Render ``template`` (Markdown); lists shrink until the text fits in ``limit``."""
    env = _environment(autoescape=False)
    caps = [50, 20, 10, 5, 2]
    text = ""
    for cap in caps:
        text = env.get_template(template).render(cap=cap, **context)
        if len(text) <= limit:
            return text
    # Still too long: cut at a line boundary and say so.
    notice = "\n\n_…report truncated to fit a pull-request comment; see the HTML or JSON._\n"
    cut = text[: limit - len(notice)]
    return cut[: cut.rfind("\n")] + notice


def render_html(template: str, **context: Any) -> str:
    env = _environment(autoescape=True)
    context.setdefault("cap", 10_000)
    return env.get_template(template).render(**context)
