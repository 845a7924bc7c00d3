"""Failure overlays: component states at one moment of a scenario, and what started it.

Everything here reads the timeline's structured events (kinds, cause kinds, zones),
never the prose of their causes, so rewording a message cannot change a picture.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from twin.analysis.timeline import CauseKind, EventKind, Timeline, TimelineEvent
from twin.analysis.timeline.records import DIRECT_FAILURES, RECOVERY_EVENTS
from twin.model import Fleet

__all__ = ["Overlay", "affected_sites", "overlay_moment", "overlay_states", "t_offset"]


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
    """The worst moment: the last failure while the IT loss is at its maximum (the last
    failure at all when nothing was lost).

    The loss is constant between loss points, but the failure keeps spreading (a
    building de-energised later, say); the last failure before the loss changes, and
    before recovery starts, shows the whole picture of the worst state.
    """
    worst = timeline.max_loss
    points = timeline.losses
    i = points.index(worst)
    stop = points[i + 1].time_s if i + 1 < len(points) else float("inf")
    failures = [e for e in timeline.events if e.kind not in RECOVERY_EVENTS]
    recovering = next(
        (e.time_s for e in timeline.events if e.kind in RECOVERY_EVENTS), float("inf")
    )
    times = [e.time_s for e in failures if worst.time_s <= e.time_s < min(stop, recovering)]
    if worst.servers == 0 and worst.rows == 0:
        times = [e.time_s for e in failures]
    return max(times, default=worst.time_s)


_ZONE_MARKS = {
    EventKind.SCENARIO: "fire",
    EventKind.FIRE_SPREAD: "fire spread",
    EventKind.DEENERGIZED: "cut",
}
"""Events that mark a zone on a failure overlay, and the word they mark it with."""


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
    first_down: dict[str, TimelineEvent] = {}
    for event in timeline.events:
        if event.time_s > t:
            break
        kind = event.kind
        if kind in _ZONE_MARKS and event.zone is not None and event.site is not None:
            label = f"{_ZONE_MARKS[kind]} {t_offset(event.time_s)}"
            overlay.zone_marks.append((event.site, event.zone, label))
        elif kind == EventKind.SCENARIO and event.cause_kind == CauseKind.SITE_LOSS:
            overlay.site_marks.append((event.subject, f"{event.cause} {t_offset(event.time_s)}"))
        elif kind == EventKind.COMPONENT_DOWN and event.subject not in first_down:
            first_down[event.subject] = event
        elif kind == EventKind.GENERATOR_FAILED_TO_START:
            overlay.component_marks.append((event.subject, "failed to start"))
    scenario_times = {e.time_s for e in timeline.events if e.kind == EventKind.SCENARIO}
    marked = {n for n, _ in overlay.component_marks}
    for name, event in first_down.items():
        direct = event.cause_kind in DIRECT_FAILURES  # failed by name, not by zone or supply
        if direct and event.time_s in scenario_times and name not in marked:
            overlay.component_marks.append((name, event.cause))
            marked.add(name)
    loss = next((p for p in reversed(timeline.losses) if p.time_s <= t), None)
    if loss is not None and loss.rows:
        overlay.lost = (
            f"IT lost: {loss.rows:,} rows / {loss.racks:,} racks / {loss.servers:,} servers"
        )
    return overlay


def affected_sites(fleet: Fleet, overlay: Overlay, kinds: Collection[str]) -> list[str]:
    """Sites where the overlay shows something, in fleet order: a component of one of
    ``kinds`` failed or degraded, or a zone or the site marked (a fire, a power cut, a
    site loss). The other sites look exactly as without the scenario."""
    marked = {site for site, _, _ in overlay.zone_marks} | {site for site, _ in overlay.site_marks}
    states = overlay.states
    return [
        site.name
        for site in fleet.sites
        if site.name in marked
        or any(c.kind in kinds and states.get(c.name, "ok") != "ok" for c in site.components)
    ]


def t_offset(seconds: float) -> str:
    """``t+1 h 33 min`` style offsets (no wall-clock dates anywhere)."""
    s = round(seconds)
    if s < 60:
        return f"t+{s} s"
    if s < 3600:
        return f"t+{s // 60} min" + (f" {s % 60} s" if s % 60 else "")
    h, rest = divmod(s, 3600)
    return f"t+{h} h" + (f" {rest // 60} min" if rest // 60 else "")
