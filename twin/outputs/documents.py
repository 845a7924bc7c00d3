"""A report as a document: Markdown for a pull request, HTML with its figures; a diff as
one pull-request comment."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from twin.analysis.timeline import Timeline, simulate
from twin.model import Fleet
from twin.outputs.diff import ResilienceDiff
from twin.outputs.layout import VIEWS
from twin.outputs.mermaid import blast_radius_mermaid
from twin.outputs.render import render_html, render_markdown
from twin.outputs.report import Report

if TYPE_CHECKING:  # matplotlib is imported only by the HTML report, when it is drawn
    from twin.outputs.diagrams import DrawnView

__all__ = ["diff_markdown", "html_report", "markdown_report"]


MERMAID_MAX_EDGES = 60
"""Edges in the report's Mermaid chart: a reviewer reads it at a glance."""


def markdown_report(fleet: Fleet, report: Report) -> str:
    """The Markdown report, with the blast radius of the most informative harmful
    scenario as Mermaid: the top single-event failure when there is one (a fire that
    spreads says more than the site loss it resembles), else the worst scenario."""
    scenario = _blast_radius(fleet, report)
    return render_markdown(
        "report.md.j2",
        report=report,
        mermaid=scenario[1] if scenario else None,
        mermaid_scenario=scenario[0] if scenario else None,
    )


def _blast_radius(fleet: Fleet, report: Report) -> tuple[str, str] | None:
    events = report.contingency.single_events if report.contingency else []
    if events:
        timeline: Timeline | None = simulate(fleet, events[0].scenario())
    else:
        harmful = report.harmful_timelines
        timeline = harmful[0] if harmful else None
    if timeline is None:
        return None
    chart = blast_radius_mermaid(fleet, timeline, MERMAID_MAX_EDGES, readable=True)
    return timeline.scenario, chart


MAX_SCENARIO_CHARTS = 12
"""Scenario charts drawn per report (worst first); the heatmap covers every scenario."""


def report_charts(report: Report) -> dict[str, Any]:
    """The charts of the HTML report, as SVG data URIs: ``downtime`` (heatmap),
    ``scenarios`` ((name, uri) per harmful scenario, worst first), ``headroom`` and
    ``importance``, each present when its analysis is."""
    from twin.outputs.charts import (
        downtime_heatmap_svg,
        headroom_chart_svg,
        importance_chart_svg,
        scenario_chart_svg,
        svg_data_uri,
    )

    charts: dict[str, Any] = {}
    if report.timelines:
        harmful = report.harmful_timelines
        if harmful:
            charts["downtime"] = svg_data_uri(downtime_heatmap_svg(report.timelines))
        charts["scenarios"] = [
            (t.scenario, svg_data_uri(scenario_chart_svg(t))) for t in harmful[:MAX_SCENARIO_CHARTS]
        ]
    if report.headroom:
        charts["headroom"] = svg_data_uri(headroom_chart_svg(report.headroom))
    if report.availability is not None:
        charts["importance"] = svg_data_uri(importance_chart_svg(report.availability))
    return charts


def html_report(fleet: Fleet, report: Report, drawn: Sequence[DrawnView] = ()) -> str:
    """The self-contained HTML report, architecture views and overlays embedded.

    ``drawn``: architecture views already drawn (by
    :func:`twin.outputs.diagrams.draw_views`, as SVG), embedded as they are rather
    than drawn again — the report's ``diagrams/`` files, say.
    """
    from twin.outputs.figures import report_figures

    views = VIEWS if (report.tier or report.contingency) else ()
    figures = report_figures(fleet, report.timelines, views=views, drawn=drawn)
    charts = report_charts(report)
    return render_html("report.html.j2", report=report, figures=figures, charts=charts)


def diff_markdown(diff: ResilienceDiff) -> str:
    """The diff as one pull-request comment: the verdict sentence first, then the key and
    the counts, then every detail folded; new blast radii as Mermaid graphs."""
    return render_markdown("diff.md.j2", diff=diff, counts=diff.counts())
