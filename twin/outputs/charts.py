"""Charts for reports (matplotlib, deterministic SVG).

* per harmful scenario: IT load lost over time (a step plot) and the served fraction
  of each service over time at each demand level (:func:`scenario_chart_svg`);
* surge headroom per service and demand level (:func:`headroom_chart_svg`);
* downtime per harmful scenario and service (:func:`downtime_heatmap_svg`);
* what to fix first, from the availability ranking (:func:`importance_chart_svg`).

Every chart is drawn from a plain data object built first (:func:`scenario_series`,
…) that tests compare with the JSON report. Deterministic like the diagrams: the same
report gives the same bytes (fixed hash salt, no dates, text kept as text); every
plotted series carries an SVG id naming it.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from twin.analysis.availability import AvailabilityReport
from twin.analysis.headroom import HeadroomRow
from twin.analysis.timeline import Timeline
from twin.outputs.diagrams import _RC, _SVG_META

__all__ = [
    "ScenarioSeries",
    "downtime_heatmap_svg",
    "downtime_matrix",
    "headroom_chart_svg",
    "importance_chart_svg",
    "scenario_chart_svg",
    "scenario_series",
    "svg_data_uri",
]

_WIDTH_IN = 11.0  # about 1,050 px at 100 %: the report's content width
_SERVICE_COLOURS = [
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b2", "#937860",
    "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
]  # fmt: skip


def _svg(fig: Any) -> str:
    fig.tight_layout()
    # tight_layout leaves a placeholder layout engine behind, and savefig runs a whole
    # extra (unrendered) draw for any engine; the layout is done, so drop it
    fig.set_layout_engine(None)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=_SVG_META)
    plt.close(fig)
    return buf.getvalue()


def _hours_axis(ax: Any, horizon_h: float, *, ticks: bool = True) -> None:
    """Hours on the x axis; ``ticks=False`` on an axis sharing x with one that has them
    (shared axes share limits and tick locators: setting them again redoes the work)."""
    if ticks:
        ax.set_xlim(0, horizon_h)
        step = 24 if horizon_h > 72 else (6 if horizon_h > 12 else 1)
        ax.set_xticks([t for t in range(0, int(horizon_h) + 1, step)])
    ax.grid(axis="x", color="#e6e6e6", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)


# --------------------------------------------------------------------------- scenarios


@dataclass(frozen=True)
class ScenarioSeries:
    """What a scenario chart plots: hours and values, straight from the timeline."""

    scenario: str
    horizon_h: float
    it_lost_mw: list[tuple[float, float]]
    served: dict[str, dict[str, list[tuple[float, float]]]]
    """Per demand level, per service: (hour, served fraction) at every change."""


def scenario_series(timeline: Timeline) -> ScenarioSeries:
    """The series of :func:`scenario_chart_svg` (times in hours, IT in MW)."""
    it_lost = [(p.time_s / 3600.0, p.it_load_kw / 1000.0) for p in timeline.losses]
    served: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for level in timeline.demand_levels:
        served[level] = {
            s.name: [(t / 3600.0, v) for t, v in s.served_over_time.get(level, [])]
            for s in timeline.services
        }
    return ScenarioSeries(timeline.scenario, timeline.horizon_s / 3600.0, it_lost, served)


def _steps(points: list[tuple[float, float]], end: float) -> tuple[list[float], list[float]]:
    xs = [t for t, _ in points] + [end]
    ys = [v for _, v in points] + [points[-1][1]]
    return xs, ys


def scenario_chart_svg(timeline: Timeline) -> str:
    """IT load lost over time, then one panel per demand level with every service's
    served fraction over time (steps: values hold until the next change)."""
    data = scenario_series(timeline)
    levels = [lv for lv in data.served if data.served[lv]]
    services = sorted({name for lv in levels for name in data.served[lv]})
    colour = {name: _SERVICE_COLOURS[k % len(_SERVICE_COLOURS)] for k, name in enumerate(services)}
    with matplotlib.rc_context(_RC):
        panels = 1 + len(levels)
        fig, axes = plt.subplots(
            panels, 1, figsize=(_WIDTH_IN, 1.5 + 1.35 * panels), sharex=True, squeeze=False
        )
        ax = axes[0][0]
        if data.it_lost_mw:
            xs, ys = _steps(data.it_lost_mw, data.horizon_h)
            ax.step(xs, ys, where="post", color="#b71c1c", linewidth=1.4, gid="it-lost")
            ax.fill_between(xs, ys, step="post", color="#e57373", alpha=0.35)
        ax.set_ylabel("IT lost, MW")
        ax.set_ylim(bottom=0)
        ax.set_title(f"{data.scenario}", loc="left", fontsize=10)
        _hours_axis(ax, data.horizon_h)
        for k, level in enumerate(levels, start=1):
            ax = axes[k][0]
            for name in services:
                points = data.served[level].get(name)
                if not points:
                    continue
                xs, ys = _steps(points, data.horizon_h)
                ax.step(xs, ys, where="post", color=colour[name], linewidth=1.2,
                        label=name, gid=f"served-{level}-{name}")  # fmt: skip
            ax.set_ylim(-0.05, 1.08)
            ax.set_ylabel(f"served\n{level}")
            _hours_axis(ax, data.horizon_h, ticks=False)  # shares x with the first panel
        axes[-1][0].set_xlabel("hours after the scenario starts")
        if levels:
            axes[1][0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7,
                              frameon=False)  # fmt: skip
        return _svg(fig)


# --------------------------------------------------------------------------- headroom


def headroom_chart_svg(rows: list[HeadroomRow]) -> str:
    """Served fraction per service at each demand level, healthy and after the worst
    site loss (bars side by side); the dashed line is full service."""
    services = list(dict.fromkeys(r.service for r in rows))
    levels = list(dict.fromkeys(r.level for r in rows))
    by_key = {(r.service, r.level): r for r in rows}
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(_WIDTH_IN, 3.2))
        width = 0.8 / max(1, 2 * len(levels))
        for j, level in enumerate(levels):
            healthy = [by_key[(s, level)].served if (s, level) in by_key else 0 for s in services]
            after = [
                (by_key[(s, level)].served_after_worst_site_loss or 0.0)
                if (s, level) in by_key else 0.0
                for s in services
            ]  # fmt: skip
            base = [i - 0.4 + width * (2 * j + 0.5) for i in range(len(services))]
            colour = _SERVICE_COLOURS[j % len(_SERVICE_COLOURS)]
            ax.bar(base, healthy, width, color=colour, label=f"{level}", gid=f"healthy-{level}")
            ax.bar([x + width for x in base], after, width, color=colour, alpha=0.45,
                   hatch="//", label=f"{level}, worst site lost", gid=f"after-{level}")  # fmt: skip
        ax.axhline(1.0, color="#444", linestyle="--", linewidth=0.8)
        ax.set_xticks(range(len(services)), services)
        ax.set_ylim(0, 1.1)
        ax.set_ylabel("served fraction")
        ax.set_title("Surge headroom: served at each demand level", loc="left", fontsize=10)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


# --------------------------------------------------------------------------- downtime


def downtime_matrix(timelines: list[Timeline]) -> tuple[list[str], list[str], list[list[float]]]:
    """(scenarios that take a service down, services, hours down per scenario and
    service), worst scenario first."""
    harmful = [t for t in timelines if any(o.downtime_s > 0 for o in t.services)]
    harmful.sort(key=lambda t: (-sum(o.downtime_s for o in t.services), t.scenario))
    services = [o.name for o in timelines[0].services] if timelines else []
    hours = [[t.service(s).downtime_s / 3600.0 for s in services] for t in harmful]
    return [t.scenario for t in harmful], services, hours


def downtime_heatmap_svg(timelines: list[Timeline]) -> str:
    """Hours each service is down in each scenario that takes one down."""
    scenarios, services, hours = downtime_matrix(timelines)
    with matplotlib.rc_context(_RC):
        height = 1.4 + 0.28 * max(1, len(scenarios))
        fig, ax = plt.subplots(figsize=(_WIDTH_IN, height))
        if not scenarios:
            ax.text(0.5, 0.5, "no scenario takes a service down", ha="center", va="center")
            ax.set_axis_off()
            return _svg(fig)
        values = np.array(hours)
        shown = np.log10(1.0 + values)
        ax.imshow(shown, aspect="auto", cmap="Reds", vmin=0, vmax=max(1e-9, float(shown.max())))
        ax.set_xticks(range(len(services)), services)
        ax.set_yticks(range(len(scenarios)), scenarios)
        ax.xaxis.tick_top()
        for i in range(len(scenarios)):
            for j in range(len(services)):
                text = "" if values[i, j] <= 0 else _hours_text(values[i, j])
                dark = shown[i, j] > 0.6 * shown.max()
                ax.text(j, i, text, ha="center", va="center", fontsize=7,
                        color="white" if dark else "black")  # fmt: skip
        ax.set_title("Hours down per scenario and service", loc="left", fontsize=10, pad=18)
        return _svg(fig)


def _hours_text(hours: float) -> str:
    if hours < 1:
        return f"{hours * 60:.0f} min"
    return f"{hours:.1f} h" if hours < 10 else f"{hours:.0f} h"


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
        fig, ax = plt.subplots(figsize=(_WIDTH_IN, height))
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
        return _svg(fig)


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
