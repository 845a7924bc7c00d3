"""Charts for reports (matplotlib, deterministic SVG): what to fix first.

Deterministic like the diagrams: the same report gives the same bytes (fixed hash
salt, no dates, text kept as text).
"""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from twin.analysis.availability import AvailabilityReport
from twin.outputs.diagrams import _RC, _SVG_META

__all__ = ["importance_chart_svg", "svg_data_uri"]

_KIND_COLOURS = {
    "component": "#4c72b0",
    "fire": "#c44e52",
    "srlg": "#8172b2",
    "site": "#55a868",
    "grid": "#dd8452",
}
_KIND_NAMES = {
    "component": "component",
    "fire": "fire",
    "srlg": "shared-risk cut",
    "site": "site loss",
    "grid": "grid outage",
}


def importance_chart_svg(report: AvailabilityReport, top: int = 10) -> str:
    """Horizontal bars: the expected outage minutes a year that each of the top
    contributors takes part in, over every site and service (log scale: they span
    orders of magnitude), coloured by kind."""
    items = report.fix_first[:top]
    with matplotlib.rc_context(_RC):
        height = 1.3 + 0.3 * max(len(items), 1)
        fig, ax = plt.subplots(figsize=(11.0, height))  # about 1,050 px wide at 100 %
        if not items:
            ax.text(0.5, 0.5, "nothing modelled takes a site or a service down", ha="center")
            ax.set_axis_off()
        else:
            labels = [name for _, name, _ in items][::-1]
            values = [minutes for _, _, minutes in items][::-1]
            colours = [_KIND_COLOURS[kind] for kind, _, _ in items][::-1]
            ax.barh(range(len(items)), values, color=colours)
            ax.set_yticks(range(len(items)), labels)
            ax.set_xscale("log")
            ax.set_xlabel(
                "expected outage minutes a year it takes part in (all sites and services)"
            )
            for y, value in enumerate(values):
                ax.text(value, y, f" {value:.3g}", va="center", fontsize=7)
            ax.set_xlim(min(values) / 3, max(values) * 8)
            seen = []
            for kind, _, _ in items:
                if kind not in seen:
                    seen.append(kind)
            handles = [Patch(color=_KIND_COLOURS[k], label=_KIND_NAMES[k]) for k in seen]
            ax.legend(handles=handles, loc="lower right", fontsize=7, frameon=False)
            ax.spines[["top", "right"]].set_visible(False)
        ax.set_title(f"{report.fleet}: fix this first", loc="left", fontsize=10)
        fig.tight_layout()
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata=_SVG_META)
        plt.close(fig)
    return buf.getvalue()


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
