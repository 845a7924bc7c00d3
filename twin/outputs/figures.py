"""Diagrams for reports: which figures a report embeds, as data URIs.

The HTML report embeds the architecture views of the fleet and, for the scenarios
it covers that take something down, the failure overlay of that scenario (power
view; the regions view too on a multi-site fleet). SVG data URIs keep the page
self-contained and their text sharp at any zoom. The Markdown report carries a
Mermaid blast-radius graph of the worst scenario instead (GitHub renders Mermaid in
comments).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass

from twin.analysis.timeline import Timeline
from twin.model import Fleet
from twin.outputs.diagrams import VIEWS, DrawnView, render_view_svg
from twin.outputs.mermaid import blast_radius_mermaid

__all__ = ["MAX_OVERLAYS", "Figure", "overlay_timelines", "report_figures", "worst_mermaid"]

MAX_OVERLAYS = 8
"""At most this many scenario overlays are embedded (worst first), to bound the page."""


@dataclass(frozen=True)
class Figure:
    src: str
    alt: str


def _svg(fleet: Fleet, view: str, timeline: Timeline | None, revision: str) -> str:
    return _data_uri(render_view_svg(fleet, view, timeline=timeline, revision=revision))


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _severity(timeline: Timeline) -> tuple[int, float, int]:
    loss = timeline.max_loss
    downtime = sum(o.downtime_s for o in timeline.services)
    return (loss.servers, downtime, len(timeline.down_at_end))


def overlay_timelines(timelines: Sequence[Timeline], limit: int = MAX_OVERLAYS) -> list[Timeline]:
    """Scenarios worth an overlay: something went down. Worst first, at most ``limit``."""
    hurt = [t for t in timelines if t.down_at_end or t.max_loss.rows]
    return sorted(hurt, key=_severity, reverse=True)[:limit]


def report_figures(
    fleet: Fleet,
    timelines: Sequence[Timeline],
    *,
    views: Sequence[str] = VIEWS,
    revision: str = "",
    limit: int = MAX_OVERLAYS,
    drawn: Sequence[DrawnView] = (),
) -> dict[str, list[Figure]]:
    """Figures keyed by scenario name; ``""`` holds the plain architecture views.

    ``drawn``: plain views already drawn (with the same ``revision``, SVG among their
    formats), embedded byte for byte as they are instead of being drawn again.
    """
    svgs = {d.view: d.svg for d in drawn}
    figures: dict[str, list[Figure]] = {
        "": [
            Figure(
                _data_uri(svgs[v]) if v in svgs else _svg(fleet, v, None, revision),
                f"{fleet.name}: {v} view",
            )
            for v in views
        ]
    }
    overlay_views = ["power", "regions"] if len(fleet.sites) > 1 else ["power"]
    for timeline in overlay_timelines(timelines, limit):
        figures[timeline.scenario] = [
            Figure(
                _svg(fleet, v, timeline, revision),
                f"{timeline.scenario}: failure overlay, {v} view",
            )
            for v in overlay_views
        ]
    return figures


def worst_mermaid(fleet: Fleet, timelines: Sequence[Timeline]) -> tuple[str, str] | None:
    """(scenario, Mermaid flowchart) of the worst scenario's blast radius, if any hurt."""
    worst = overlay_timelines(timelines, 1)
    if not worst:
        return None
    return worst[0].scenario, blast_radius_mermaid(fleet, worst[0])
