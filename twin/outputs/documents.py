"""A report as a document: Markdown for a pull request, HTML with its figures; a diff as
one pull-request comment."""

from __future__ import annotations

from twin.model import Fleet
from twin.outputs.diff import ResilienceDiff
from twin.outputs.layout import VIEWS
from twin.outputs.render import render_html, render_markdown
from twin.outputs.report import Report

__all__ = ["diff_markdown", "html_report", "markdown_report"]


def markdown_report(fleet: Fleet, report: Report) -> str:
    """The Markdown report, with the worst scenario's Mermaid blast radius."""
    from twin.outputs.figures import worst_mermaid  # matplotlib only when a report needs it

    worst = worst_mermaid(fleet, report.timelines)
    return render_markdown(
        "report.md.j2",
        report=report,
        mermaid=worst[1] if worst else None,
        mermaid_scenario=worst[0] if worst else None,
    )


def html_report(fleet: Fleet, report: Report) -> str:
    """The self-contained HTML report, architecture views and overlays embedded."""
    from twin.outputs.figures import report_figures

    views = VIEWS if (report.tier or report.contingency) else ()
    figures = report_figures(fleet, report.timelines, views=views)
    charts = {}
    if report.availability is not None:
        from twin.outputs.charts import importance_chart_svg, svg_data_uri

        charts["importance"] = svg_data_uri(importance_chart_svg(report.availability))
    return render_html("report.html.j2", report=report, figures=figures, charts=charts)


def diff_markdown(diff: ResilienceDiff) -> str:
    """The diff as one pull-request comment: the verdict sentence first, then the key and
    the counts, then every detail folded; new blast radii as Mermaid graphs."""
    return render_markdown("diff.md.j2", diff=diff, counts=diff.counts())
