"""Architecture diagrams from the model, with failure overlays (matplotlib, no Graphviz).

Four views, each derived from the model rather than drawn by hand:

* ``power`` — the one-line: utility and generators → switchgear → ATS →
  transformers (batteries beside their UPS) → UPS → UPS buses → PDUs → rack rows.
* ``cooling`` — towers → chillers, pumps and thermal storage → chilled-water
  loops → CRAHs → rack rows.
* ``network`` — carriers → border routers → spines (and backbone links) →
  leaves → rack rows.
* ``regions`` — regions → sites → service replicas, with backbone links between
  sites labelled with their shared-risk link groups (SRLGs shared by links between
  different site pairs are marked).

Layouts come from :mod:`twin.layout`. Zones are boxes (fire-rated compartments
solid, others dashed), declared A / B paths are coloured, like components are
grouped at ``detail=0``.

A failure overlay takes a :class:`twin.timeline.Timeline` and a moment: failed
components red, degraded ones amber (up, with a supplier down), the rest neutral,
the initiating event marked with a star.

Output is deterministic — same input, byte-identical SVG and PNG — so a diagram's
diff in a pull request means the model changed: fixed rcParams (DejaVu Sans,
``svg.hashsalt``, text kept as text), no dates or software versions in metadata,
and no pyplot global state. Every node is an SVG group whose id derives from the
component name (:func:`twin.layout.element_id`) and whose classes give kind and
overlay state (``kind-ups state-failed``); a group node lists its members as
nested ``<g id="c-…" class="component …">`` elements.

Regenerate the committed reference diagrams with
``python -m twin.diagrams --regenerate``.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from twin.layout import (
    COL_GAP,
    LAYERED_VIEWS,
    NODE_W,
    VIEWS,
    DiagramLayout,
    DiagramNode,
    column_x,
    element_id,
    layered_layout,
    regions_layout,
)
from twin.model import Fleet
from twin.outputs import OutputSet
from twin.timeline import Timeline

__all__ = [
    "DPI",
    "REFERENCE_REVISION",
    "REGENERATE_COMMAND",
    "VIEWS",
    "Overlay",
    "diagram_stem",
    "overlay_moment",
    "overlay_states",
    "reference_jobs",
    "regenerate",
    "render_view_png",
    "render_view_svg",
    "render_views",
    "scenario_slug",
]

DPI = 100
"""PNG resolution: 8-pt labels stay legible at 100 % zoom."""

REFERENCE_REVISION = "reference"
"""Revision string of the committed diagrams, so they do not change with every commit."""

REGENERATE_COMMAND = "venv/bin/python -m twin.diagrams --regenerate"
"""The command that rewrites ``diagrams/``."""

HEADLINE_SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pangyo-2022": ("pangyo:fire:pangyo-b3-battery-room", ("power",)),
    "ansan": ("ansan:fire:ansan-battery-room-hall1-a", ("power",)),
    "fleet": ("ansan:site-loss", ("power", "regions")),
    "lab": ("lab:utility-loss:all+generator-fails-to-start", ("power",)),
}
"""Per reference stack: the scenario overlaid in ``diagrams/`` and the views it is drawn on."""

_RC: dict[Any, Any] = {  # Any keys: matplotlib types them as a Literal of every rc name
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "svg.hashsalt": "dctwin",
    "svg.fonttype": "none",
    "svg.id": None,
    "path.simplify": False,
    "text.usetex": False,
    "axes.unicode_minus": True,
}
_SVG_META = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PNG_META = {"Software": None}

HEADER_H = 1.15  # inches above the drawing: title, subtitle, legend

# Colours. A/B paths are blue / green; failure states own red and amber.
SIDE_COLOURS = {"A": "#2166ac", "B": "#1b7837", "": "#5f6368"}
STATE_FILL = {"failed": "#e57373", "degraded": "#ffd54f", "ok": "#ffffff"}
STATE_EDGE_FAILED = "#b71c1c"
ZONE_EDGE = "#8d6e63"
MARKER_COLOUR = "#ff6f00"
SRLG_COLOURS = ("#c2185b", "#6a1b9a", "#00838f", "#5d4037", "#ad1457")

_VIEW_TITLES = {
    "power": "power one-line",
    "cooling": "cooling loops",
    "network": "network topology",
    "regions": "regions, sites and service replicas",
}


# --------------------------------------------------------------------------- overlay


@dataclass
class Overlay:
    """Component states at one moment of a scenario, and what started it."""

    scenario: str
    description: str
    at_s: float
    states: dict[str, str]
    zone_marks: list[tuple[str, str, str]] = field(default_factory=list)
    site_marks: list[tuple[str, str]] = field(default_factory=list)
    component_marks: list[tuple[str, str]] = field(default_factory=list)
    lost: str = ""
    row_names: frozenset[str] = frozenset()

    @property
    def failed(self) -> list[str]:
        return [n for n, s in self.states.items() if s == "failed"]

    @property
    def degraded(self) -> list[str]:
        return [n for n, s in self.states.items() if s == "degraded"]


def overlay_moment(timeline: Timeline) -> float:
    """The last moment of maximum IT loss (the end when nothing was lost).

    The loss is constant between loss points, but the failure keeps spreading
    (a building de-energised later, say); the last event before the loss changes
    shows the whole picture of the worst state.
    """
    worst = timeline.max_loss
    points = timeline.losses
    i = points.index(worst)
    stop = points[i + 1].time_s if i + 1 < len(points) else float("inf")
    times = [e.time_s for e in timeline.events if worst.time_s <= e.time_s < stop]
    if worst.servers == 0 and worst.rows == 0:
        times = [e.time_s for e in timeline.events]
    return max(times, default=worst.time_s)


_DIRECT_SKIP = ("lost ", "fire in ", "site ")


def overlay_states(fleet: Fleet, timeline: Timeline, at_s: float | None = None) -> Overlay:
    """Failed / degraded / ok per component at ``at_s`` (default :func:`overlay_moment`).

    Failed: down at that moment (the timeline's event log, replayed). Degraded: up,
    but a supplier of any resource (or a battery string of a UPS) is down.
    """
    t = overlay_moment(timeline) if at_s is None else float(at_s)
    down = timeline.down_at(t)
    states: dict[str, str] = {}
    for _, comp in fleet.components():
        if comp.name in down:
            states[comp.name] = "failed"
            continue
        suppliers = [s for r in comp.requires for s in r.suppliers]
        suppliers += list(getattr(comp, "batteries", []) or [])
        states[comp.name] = "degraded" if any(s in down for s in suppliers) else "ok"
    rows = frozenset(c.name for _, c in fleet.components() if c.kind == "rack_row")
    overlay = Overlay(timeline.scenario, timeline.description, t, states, row_names=rows)
    sites = {s.name for s in fleet.sites}
    zones = {(s.name, z.name) for s in fleet.sites for z in s.zones}
    first_down: dict[str, tuple[float, str]] = {}
    for event in timeline.events:
        if event.time_s > t:
            break
        where = tuple(event.subject.split("/", 1))
        if event.kind in ("scenario", "fire_spread", "deenergized") and where in zones:
            what = {"scenario": "fire", "fire_spread": "fire spread", "deenergized": "cut"}
            overlay.zone_marks.append(
                (where[0], where[1], f"{what[event.kind]} {_t(event.time_s)}")
            )
        elif event.kind == "scenario" and event.subject in sites and "site" in event.cause:
            overlay.site_marks.append((event.subject, f"{event.cause} {_t(event.time_s)}"))
        elif event.kind == "component_down" and event.subject not in first_down:
            first_down[event.subject] = (event.time_s, event.cause)
        elif event.kind == "generator_failed_to_start":
            overlay.component_marks.append((event.subject, "failed to start"))
    scenario_times = {e.time_s for e in timeline.events if e.kind == "scenario"}
    marked = {n for n, _ in overlay.component_marks}
    for name, (when, cause) in first_down.items():
        direct = not cause.startswith(_DIRECT_SKIP) and "de-energised" not in cause
        if direct and when in scenario_times and name not in marked:
            overlay.component_marks.append((name, cause))
            marked.add(name)
    loss = next((p for p in reversed(timeline.losses) if p.time_s <= t), None)
    if loss is not None and loss.rows:
        overlay.lost = (
            f"IT lost: {loss.rows:,} rows / {loss.racks:,} racks / {loss.servers:,} servers"
        )
    return overlay


def _t(seconds: float) -> str:
    """``t+1 h 33 min`` style offsets (no wall-clock dates anywhere)."""
    s = round(seconds)
    if s < 60:
        return f"t+{s} s"
    if s < 3600:
        return f"t+{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    h, rest = divmod(s, 3600)
    return f"t+{h} h" + (f" {rest // 60} min" if rest // 60 else "")


def _node_state(node: DiagramNode, overlay: Overlay | None) -> str:
    if overlay is None:
        return "ok"
    states = [overlay.states.get(m, "ok") for m in node.members]
    if node.kind == "site":
        # a site has failed when all its IT (rack rows) is down; else its worst state
        rows = [overlay.states.get(m, "ok") for m in node.members if m in overlay.row_names]
        if rows and all(s == "failed" for s in rows):
            return "failed"
        return "degraded" if any(s != "ok" for s in states) else "ok"
    if states and all(s == "failed" for s in states):
        return "failed"
    return "degraded" if any(s != "ok" for s in states) else "ok"


# --------------------------------------------------------------------------- drawing


@dataclass
class _Drawn:
    """What the SVG post-processing needs: classes, tooltips and members per element id."""

    classes: dict[str, str] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)
    members: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def _text(ax: Any, x: float, y: float, s: str, **kw: Any) -> Any:
    """Text that is never parsed as mathtext (names may contain ``$``)."""
    return ax.text(x, y, s, parse_math=False, **kw)


def _figure(layout: DiagramLayout) -> tuple[Figure, Any]:
    width = max(layout.width, 11.0)
    height = layout.height + HEADER_H
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(layout.height, -HEADER_H)
    ax.set_axis_off()
    return fig, ax


def _title(
    ax: Any, fleet: Fleet, view: str, revision: str, overlay: Overlay | None, layout: DiagramLayout
) -> None:
    rev = f" · revision {revision}" if revision else ""
    detail = "" if layout.detail == 0 else f" · detail {layout.detail}"
    head = f"{fleet.name} — {_VIEW_TITLES[view]}{detail}{rev}"
    _text(ax, 0.3, -HEADER_H + 0.12, head, fontsize=13, weight="bold", va="top", gid="title")
    if overlay is None:
        sub = {
            "power": "Supply flows left to right. Like components in one zone are grouped "
            "(detail 0); boxes are zones, solid boxes fire-rated compartments.",
            "cooling": "Heat rejection flows right to left, chilled water left to right. "
            "Boxes are zones, solid boxes fire-rated compartments.",
            "network": "Uplinks to the left. Boxes are zones, solid boxes fire-rated compartments.",
            "regions": "Backbone links are drawn between sites, labelled with their "
            "shared-risk link groups."
            if layout.edges
            else "No backbone links are declared between these sites.",
        }[view]
    else:
        counts = f"{len(overlay.failed)} failed, {len(overlay.degraded)} degraded"
        lost = f" · {overlay.lost}" if overlay.lost else ""
        sub = f"scenario {overlay.scenario} at {_t(overlay.at_s)} · {counts}{lost}"
    _text(ax, 0.3, -HEADER_H + 0.42, sub, fontsize=9, va="top", color="#333333", gid="subtitle")


def _legend(ax: Any, view: str, overlay: Overlay | None, extra: Sequence[Any] = ()) -> None:
    handles: list[Any] = []
    if view == "power":
        handles += [
            Line2D([], [], color=SIDE_COLOURS["A"], lw=2, label="path A (declared PDU path)"),
            Line2D([], [], color=SIDE_COLOURS["B"], lw=2, label="path B"),
            Line2D([], [], color=SIDE_COLOURS[""], lw=2, label="shared / no declared path"),
        ]
    elif view != "regions":
        handles.append(Line2D([], [], color=SIDE_COLOURS[""], lw=2, label=f"{view} supply"))
    if view == "regions":
        handles.append(Patch(facecolor="#fafafa", edgecolor="#9e9e9e", label="region"))
    else:
        handles += [
            Patch(facecolor="none", edgecolor=ZONE_EDGE, lw=1.6, label="fire-rated compartment"),
            Patch(facecolor="none", edgecolor="#9e9e9e", ls="--", label="zone without rated walls"),
        ]
    if overlay is not None:
        handles += [
            Patch(facecolor=STATE_FILL["failed"], edgecolor=STATE_EDGE_FAILED, label="failed"),
            Patch(facecolor=STATE_FILL["degraded"], edgecolor="#5f6368", label="degraded"),
            Patch(facecolor=STATE_FILL["ok"], edgecolor="#5f6368", label="unaffected"),
            Line2D(
                [], [], marker="*", color="none", markerfacecolor=MARKER_COLOUR,
                markeredgecolor=STATE_EDGE_FAILED, markersize=12, label="initiating event",
            ),
        ]  # fmt: skip
    handles += list(extra)
    legend = ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.3, -HEADER_H + 0.62),
        bbox_transform=ax.transData,
        ncol=min(len(handles), 6),
        fontsize=7.5,
        frameon=False,
        handlelength=2.2,
        columnspacing=1.6,
    )
    legend.set_gid("legend")


def _draw_zones(
    ax: Any, layout: DiagramLayout, drawn: _Drawn, overlay: Overlay | None = None
) -> dict[tuple[str, str], Any]:
    reserve: dict[tuple[str, str], int] = {}
    for site, zone, label in overlay.zone_marks if overlay else []:
        reserve[(site, zone)] = reserve.get((site, zone), 0) + len(label) + 6
    boxes: dict[tuple[str, str], Any] = {}
    fills = ("#fafafa", "#f5f5f5", "#eeeeee", "#e8e8e8")
    for z in layout.zones:
        rated = z.fire_rated
        rect = Rectangle(
            (z.x0, z.y0),
            z.x1 - z.x0,
            z.y1 - z.y0,
            facecolor=fills[min(z.depth - 1, len(fills) - 1)],
            edgecolor=ZONE_EDGE if rated else "#9e9e9e",
            lw=1.6 if rated else 0.8,
            ls="-" if rated or z.kind == "region" else (0, (4, 3)),
            zorder=0.1 * z.depth,
            gid=z.id,
        )
        ax.add_patch(rect)
        label = z.name if z.kind == "region" else f"{z.name} · {z.kind.replace('_', ' ')}"
        room = max(8, int((z.x1 - z.x0) / 0.055) - reserve.get((z.site, z.name), 0))
        label = label if len(label) <= room else label[: room - 1] + "…"
        _text(
            ax, z.x0 + 0.06, z.y0 + 0.04, label, fontsize=6.5 if z.kind != "region" else 9,
            va="top", ha="left", color="#5d4037" if rated else "#616161", style="italic",
            zorder=0.1 * z.depth + 0.05,
        )  # fmt: skip
        classes = f"zone zone-{z.kind}" + (" fire-rated" if rated else "")
        drawn.classes[z.id] = classes
        drawn.titles[z.id] = z.name
        boxes[(z.site, z.name)] = rect
    return boxes


def _draw_node(
    ax: Any, node: DiagramNode, state: str, overlay: Overlay | None, drawn: _Drawn
) -> None:
    edge = SIDE_COLOURS.get(node.side, SIDE_COLOURS[""])
    fill = STATE_FILL[state]
    if overlay is None and node.kind == "rack_row":
        fill = "#f1f3f4"
    patch = FancyBboxPatch(
        (node.x, node.y),
        node.w,
        node.h,
        boxstyle="round,pad=0,rounding_size=0.05",
        facecolor=fill,
        edgecolor=STATE_EDGE_FAILED if state == "failed" else edge,
        lw=1.5 if node.is_group else 1.0,
        zorder=3,
        gid=node.id,
    )
    ax.add_patch(patch)
    _text(
        ax, node.x + 0.07, node.y + 0.05, node.label, fontsize=7.5, va="top", ha="left",
        weight="bold", zorder=4, color="#202124",
    )  # fmt: skip
    sub = node.sub
    if overlay is not None and node.is_group and node.kind != "site":
        n_down = sum(1 for m in node.members if overlay.states.get(m) == "failed")
        if 0 < n_down < len(node.members):
            sub = f"{sub} · {n_down}/{len(node.members)} down"
    _text(
        ax, node.x + 0.07, node.y + node.h - 0.05, sub, fontsize=6.3, va="bottom", ha="left",
        zorder=4, color="#3c4043",
    )  # fmt: skip
    kind = node.kind
    classes = ["node", f"kind-{kind}", f"state-{state}"]
    if node.is_group and kind not in ("site", "replica"):
        classes.append("group")
    if node.side:
        classes.append(f"path-{node.side}")
    drawn.classes[node.id] = " ".join(classes)
    if kind in ("site", "replica"):
        drawn.titles[node.id] = f"{node.label}: {node.sub}"
    else:
        shown = ", ".join(node.members[:12]) + (" …" if len(node.members) > 12 else "")
        drawn.titles[node.id] = shown
    if node.is_group and kind not in ("site", "replica"):
        drawn.members[node.id] = [
            (
                element_id("c", m),
                f"component kind-{kind} state-{overlay.states.get(m, 'ok') if overlay else 'ok'}",
            )
            for m in node.members
        ]


def _draw_layered_edges(
    ax: Any, layout: DiagramLayout, states: dict[str, str], overlay: Overlay | None
) -> None:
    """Orthogonal edges: a vertical trunk per source in the gap before the target column."""
    nodes = layout.nodes
    trunks: dict[tuple[int, str], float] = {}
    by_gap: dict[int, list[str]] = {}
    for e in layout.edges:
        gap = nodes[e.dst].layer - 1
        by_gap.setdefault(gap, [])
        if e.src not in by_gap[gap]:
            by_gap[gap].append(e.src)
    for gap, sources in by_gap.items():
        sources.sort(key=lambda s: (nodes[s].y, nodes[s].x, s))
        left = column_x(gap) + NODE_W + 0.18
        right = left + COL_GAP - 0.36
        for i, s in enumerate(sources):
            frac = (i + 1) / (len(sources) + 1)
            trunks[(gap, s)] = left + frac * (right - left)
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[int]] = {}
    for e in layout.edges:
        incoming.setdefault(e.dst, []).append(e.src)
        gap = nodes[e.dst].layer - 1
        if gap not in outgoing.setdefault(e.src, []):
            outgoing[e.src].append(gap)
    for v in incoming.values():
        v.sort(key=lambda s: (nodes[s].y, s))
    for gaps in outgoing.values():
        gaps.sort()

    def spread(i: int, n: int, node: DiagramNode) -> float:
        if n <= 1:
            return node.y + node.h / 2
        return node.y + node.h * (0.25 + 0.5 * i / (n - 1))

    groups: dict[tuple[str, bool], list[list[tuple[float, float]]]] = {}
    for e in layout.edges:
        a, b = nodes[e.src], nodes[e.dst]
        gap = b.layer - 1
        xt = trunks[(gap, e.src)]
        outs = outgoing[e.src]
        ys = spread(outs.index(gap), len(outs), a)
        ins = incoming[e.dst]
        yt = spread(ins.index(e.src), len(ins), b)
        pts = [(a.x + a.w, ys), (xt, ys), (xt, yt), (b.x, yt)]
        failed = overlay is not None and states.get(e.src) == "failed"
        groups.setdefault((e.side, failed), []).append(pts)
    for (side, failed), paths in sorted(groups.items()):
        colour = STATE_EDGE_FAILED if failed else SIDE_COLOURS.get(side, SIDE_COLOURS[""])
        verts: list[tuple[float, float]] = []
        codes: list[int] = []
        for pts in paths:
            verts += pts
            codes += [int(MplPath.MOVETO)] + [int(MplPath.LINETO)] * (len(pts) - 1)
        patch = PathPatch(
            MplPath(verts, codes),
            facecolor="none",
            edgecolor=colour,
            lw=1.0,
            alpha=0.85,
            ls=(0, (3, 2)) if failed else "-",
            zorder=2 if not failed else 2.5,
            gid=f"edges-{side or 'shared'}{'-failed' if failed else ''}",
        )
        ax.add_patch(patch)


def _mark(ax: Any, x: float, y: float, label: str, gid: str) -> None:
    ax.plot(
        [x], [y], marker="*", markersize=17, color="none", markerfacecolor=MARKER_COLOUR,
        markeredgecolor=STATE_EDGE_FAILED, markeredgewidth=1.0, zorder=8, gid=gid,
    )  # fmt: skip
    _text(
        ax, x + 0.14, y, label, fontsize=7, va="center", ha="left", color=STATE_EDGE_FAILED,
        weight="bold", zorder=8,
        bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"},
    )  # fmt: skip


def _draw_marks(
    ax: Any,
    layout: DiagramLayout,
    overlay: Overlay,
    boxes: dict[tuple[str, str], Any],
    drawn: _Drawn,
) -> None:
    count = 0

    def gid() -> str:
        nonlocal count
        count += 1
        name = f"initiating-{count}"
        drawn.classes[name] = "initiating-event"
        return name

    used: dict[tuple[str, str], float] = {}
    for site, zone, label in overlay.zone_marks:
        rect = boxes.get((site, zone))
        if rect is None:
            continue
        shift = used.get((site, zone), 0.0)
        used[(site, zone)] = shift + 0.3 + 0.062 * len(label)
        x0, y0 = rect.get_x() - shift, rect.get_y()
        _mark(ax, x0 + rect.get_width() - 0.25, y0 + 0.02, "", gid())
        _text(
            ax, x0 + rect.get_width() - 0.4, y0 + 0.02, label, fontsize=7, ha="right",
            va="center", color=STATE_EDGE_FAILED, weight="bold", zorder=8,
            bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none"},
        )  # fmt: skip
    for site, label in overlay.site_marks:
        outer = [z for z in layout.zones if z.site == site and z.depth == 1]
        site_nodes = [n for n in layout.nodes.values() if n.kind == "site" and n.site == site]
        if outer:
            z = outer[0]
            _mark(ax, z.x1 - 0.25, z.y0 + 0.02, "", gid())
            _text(
                ax, z.x1 - 0.4, z.y0 + 0.02, label, fontsize=7.5, ha="right", va="center",
                color=STATE_EDGE_FAILED, weight="bold", zorder=8,
                bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none"},
            )  # fmt: skip
        for n in site_nodes:
            _mark(ax, n.x + n.w - 0.15, n.y, "", gid())
    done: set[str] = set()
    for name, _label in overlay.component_marks[:16]:
        node_id = layout.member_node.get(name)
        if node_id is None or node_id in done or node_id not in layout.nodes:
            continue
        done.add(node_id)
        n = layout.nodes[node_id]
        _mark(ax, n.x + n.w - 0.12, n.y + 0.02, "", gid())
    return None


def _draw_layered(
    fleet: Fleet, layout: DiagramLayout, view: str, overlay: Overlay | None, revision: str
) -> tuple[Figure, _Drawn]:
    fig, ax = _figure(layout)
    drawn = _Drawn()
    _title(ax, fleet, view, revision, overlay, layout)
    _legend(ax, view, overlay)
    for col, name in enumerate(layout.columns):
        x = column_x(col) + NODE_W / 2
        _text(ax, x, 0.12, name, fontsize=7.5, ha="center", va="center", color="#757575")
    boxes = _draw_zones(ax, layout, drawn, overlay)
    states = {}
    for node in layout.nodes.values():
        state = _node_state(node, overlay)
        states[node.id] = state
        _draw_node(ax, node, state, overlay, drawn)
    _draw_layered_edges(ax, layout, states, overlay)
    if overlay is not None:
        _draw_marks(ax, layout, overlay, boxes, drawn)
    return fig, drawn


def _srlg_sharing(fleet: Fleet) -> dict[str, list[tuple[str, str]]]:
    """SRLG → the distinct site pairs whose backbone links run in it (shared if > 1)."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for site, comp in fleet.components():
        if comp.kind != "backbone_link":
            continue
        low, high = sorted((site.name, comp.remote_site))
        pair = (low, high)
        for g in comp.srlg:
            if pair not in pairs.setdefault(g, []):
                pairs[g].append(pair)
    return pairs


def _draw_regions(
    fleet: Fleet, layout: DiagramLayout, overlay: Overlay | None, revision: str
) -> tuple[Figure, _Drawn]:
    fig, ax = _figure(layout)
    drawn = _Drawn()
    _title(ax, fleet, "regions", revision, overlay, layout)
    sharing = _srlg_sharing(fleet)
    shared = [g for g, pairs in sorted(sharing.items()) if len(pairs) > 1]
    colour_of = {g: SRLG_COLOURS[i % len(SRLG_COLOURS)] for i, g in enumerate(shared)}
    extra = [
        Line2D(
            [], [], color=colour_of[g], lw=2.5,
            label=f"⚠ SRLG {g} shared by " + ", ".join("–".join(p) for p in sharing[g]),
        )
        for g in shared
    ]  # fmt: skip
    if not extra and layout.edges:  # links, none of them sharing a duct
        extra = [Line2D([], [], color=SIDE_COLOURS[""], lw=1.5, label="backbone link")]
    _legend(ax, "regions", overlay, extra)
    _draw_zones(ax, layout, drawn)
    for node in layout.nodes.values():
        _draw_node(ax, node, _node_state(node, overlay), overlay, drawn)
    sites = {n.site: n for n in layout.nodes.values() if n.kind == "site"}
    comps = {c.name: (s, c) for s, c in fleet.components()}
    links = [(e, comps[e.label]) for e in layout.edges if e.label in comps]
    links.sort(
        key=lambda lc: (abs(sites[lc[1][0].name].x - sites[lc[1][1].remote_site].x), lc[0].label)
    )
    top = min((n.y for n in sites.values()), default=0.0)
    for level, (_, (site, comp)) in enumerate(links):
        a, b = sites[site.name], sites[comp.remote_site]
        xa, xb = (
            a.x + a.w * (0.35 if a.x < b.x else 0.65),
            b.x + b.w * (0.65 if a.x < b.x else 0.35),
        )
        xa += 0.12 * (level % 3)
        xb -= 0.12 * (level % 3)
        apex = top - 0.35 - 0.3 * level
        ctrl = 2 * apex - top
        groups = [g for g in comp.srlg if g in colour_of]
        state = overlay.states.get(comp.name, "ok") if overlay else "ok"
        colour = colour_of[groups[0]] if groups else SIDE_COLOURS[""]
        if state == "failed":
            colour = STATE_EDGE_FAILED
        path = MplPath([(xa, top), ((xa + xb) / 2, ctrl), (xb, top)], [1, 3, 3])
        gid = element_id("c", comp.name)
        ax.add_patch(
            PathPatch(
                path, facecolor="none", edgecolor=colour, lw=2.4 if groups else 1.4,
                ls=(0, (4, 2)) if state == "failed" else "-", zorder=2, gid=gid,
            )
        )  # fmt: skip
        srlgs = ", ".join(("⚠ " + g) if g in colour_of else g for g in comp.srlg) or "no SRLG"
        _text(
            ax, (xa + xb) / 2, apex, f"{comp.name}: {srlgs}", fontsize=6.5, ha="center",
            va="center", color=colour, zorder=5,
            bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none"},
        )  # fmt: skip
        drawn.classes[gid] = f"link kind-backbone_link state-{state}" + (
            " srlg-shared" if groups else ""
        )
        drawn.titles[gid] = f"{comp.name} ({site.name} → {comp.remote_site}): {srlgs}"
    if overlay is not None:
        _draw_marks(ax, layout, overlay, {}, drawn)
        for name, _ in overlay.component_marks:
            if name in comps and comps[name][1].kind == "backbone_link":
                n = sites.get(comps[name][0].name)
                if n is not None:
                    _mark(ax, n.x + 0.15, n.y, "", f"initiating-link-{element_id('l', name)}")
                    drawn.classes[f"initiating-link-{element_id('l', name)}"] = "initiating-event"
    return fig, drawn


# --------------------------------------------------------------------------- output

_GROUP_OPEN = re.compile(r'<g id="([^"]+)">')


def _decorate_svg(svg: str, drawn: _Drawn) -> str:
    """Add classes, tooltips and group members to the elements matplotlib wrote."""

    def sub(match: re.Match[str]) -> str:
        eid = match.group(1)
        if eid not in drawn.classes:
            return match.group(0)
        out = f'<g id="{eid}" class={quoteattr(drawn.classes[eid])}>'
        if eid in drawn.titles:
            out += f"<title>{escape(drawn.titles[eid])}</title>"
        for mid, classes in drawn.members.get(eid, []):
            out += f"<g id={quoteattr(mid)} class={quoteattr(classes)}/>"
        return out

    return _GROUP_OPEN.sub(sub, svg)


def _render(
    fleet: Fleet,
    view: str,
    timeline: Timeline | None,
    at_s: float | None,
    detail: int,
    revision: str,
) -> tuple[Figure, _Drawn]:
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r} (known: {', '.join(VIEWS)})")
    overlay = overlay_states(fleet, timeline, at_s) if timeline is not None else None
    if view in LAYERED_VIEWS:
        return _draw_layered(fleet, layered_layout(fleet, view, detail), view, overlay, revision)
    return _draw_regions(fleet, regions_layout(fleet), overlay, revision)


def render_view_svg(
    fleet: Fleet,
    view: str,
    *,
    timeline: Timeline | None = None,
    at_s: float | None = None,
    detail: int = 0,
    revision: str = "",
) -> str:
    """One view as SVG text (deterministic; ids and classes per component)."""
    with matplotlib.rc_context(_RC):
        fig, drawn = _render(fleet, view, timeline, at_s, detail, revision)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata=_SVG_META)
    return _decorate_svg(buf.getvalue(), drawn)


def render_view_png(
    fleet: Fleet,
    view: str,
    *,
    timeline: Timeline | None = None,
    at_s: float | None = None,
    detail: int = 0,
    revision: str = "",
    dpi: int = DPI,
) -> bytes:
    """One view as PNG bytes (deterministic), e.g. to embed in the HTML report."""
    with matplotlib.rc_context(_RC):
        fig, _ = _render(fleet, view, timeline, at_s, detail, revision)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata=_PNG_META)
    return buf.getvalue()


def scenario_slug(name: str) -> str:
    """A file-name-safe slug of a scenario name: ``ansan:site-loss`` → ``ansan-site-loss``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or element_id("s", name)[2:]


def diagram_stem(stem: str, view: str, timeline: Timeline | None = None) -> str:
    """``<stem>-<view>[-<scenario-slug>]``: the file name of a diagram, without suffix."""
    out = f"{stem}-{view}"
    return f"{out}-{scenario_slug(timeline.scenario)}" if timeline is not None else out


def render_views(
    fleet: Fleet,
    out: str | Path | OutputSet,
    views: Iterable[str] = VIEWS,
    *,
    timeline: Timeline | None = None,
    at_s: float | None = None,
    detail: int = 0,
    revision: str = "",
    stem: str | None = None,
    formats: Sequence[str] = ("svg", "png"),
    folder: str = "",
) -> list[Path]:
    """Write ``<stem>-<view>[-<scenario-slug>].svg`` / ``.png``; return the paths.

    ``out`` is a folder (the diagrams are published there together, all or nothing)
    or an :class:`twin.outputs.OutputSet` the caller commits with other files, in
    which case they go under ``folder`` inside it. ``stem`` defaults to the fleet name
    (sanitised); the scenario slug is added when a ``timeline`` is overlaid.
    """
    if not isinstance(out, OutputSet):
        with OutputSet(out) as files:
            return render_views(
                fleet,
                files,
                views,
                timeline=timeline,
                at_s=at_s,
                detail=detail,
                revision=revision,
                stem=stem,
                formats=formats,
                folder=folder,
            )
    for fmt in formats:
        if fmt not in ("svg", "png"):
            raise ValueError(f"unknown diagram format {fmt!r} (svg, png)")
    base = stem if stem is not None else scenario_slug(fleet.name)
    written: list[Path] = []
    for view in views:
        name = diagram_stem(base, view, timeline)
        for fmt in formats:
            if fmt == "svg":
                data: str | bytes = render_view_svg(
                    fleet, view, timeline=timeline, at_s=at_s, detail=detail, revision=revision
                )
            else:
                data = render_view_png(
                    fleet, view, timeline=timeline, at_s=at_s, detail=detail, revision=revision
                )
            written.append(out.write(Path(folder) / f"{name}.{fmt}", data))
    return written


# --------------------------------------------------------------------------- reference set


def reference_jobs(stacks: Iterable[str] | None = None) -> list[tuple[str, str | None, str]]:
    """(stack, scenario or None, view) for every committed reference diagram."""
    from stacks import STACK_NAMES

    jobs: list[tuple[str, str | None, str]] = []
    for stack in stacks if stacks is not None else STACK_NAMES:
        jobs += [(stack, None, view) for view in VIEWS]
        if stack in HEADLINE_SCENARIOS:
            scenario, views = HEADLINE_SCENARIOS[stack]
            jobs += [(stack, scenario, view) for view in views]
    return jobs


def regenerate(
    out_dir: str | Path = "diagrams",
    stacks: Iterable[str] | None = None,
    formats: Sequence[str] = ("svg", "png"),
) -> list[Path]:
    """Rewrite the reference diagrams (revision ``reference``) into ``out_dir``."""
    from stacks import build_stack
    from twin.catalog import find_scenario
    from twin.timeline import simulate

    written: list[Path] = []
    fleets: dict[str, Fleet] = {}
    for stack, scenario, view in reference_jobs(stacks):
        fleet = fleets.setdefault(stack, build_stack(stack))
        timeline = simulate(fleet, find_scenario(fleet, scenario)) if scenario else None
        written += render_views(
            fleet,
            out_dir,
            [view],
            timeline=timeline,
            revision=REFERENCE_REVISION,
            stem=stack,
            formats=formats,
        )
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m twin.diagrams --regenerate [--out DIR] [--stack S ...]``."""
    parser = argparse.ArgumentParser(prog="python -m twin.diagrams", description=__doc__)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the diagrams")
    parser.add_argument("--out", default="diagrams", help="output directory (diagrams/)")
    parser.add_argument("--stack", action="append", help="only this stack (repeatable)")
    args = parser.parse_args(argv)
    if not args.regenerate:
        parser.print_usage(sys.stderr)
        return 2
    for path in regenerate(args.out, args.stack):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
