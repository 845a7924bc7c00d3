"""What a timeline records: typed events with structured causes, losses, service outcomes.

Every event is data: a kind, a subject, a :class:`Cause` (a :class:`CauseKind` with
the zone, component, site or link group it names and any figures), the id of the
event that directly triggered it and of the scenario event that set the chain off.
The prose a person reads (``"fire in pangyo-b3-battery-room"``) is rendered from
that data by :func:`describe`, in one place, when an output asks for it; diagrams,
Mermaid and reports read the structure, never the wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from twin.model import SCHEMA_VERSION

__all__ = [
    "Cause",
    "CauseKind",
    "EventKind",
    "LossPoint",
    "ServiceOutcome",
    "Timeline",
    "TimelineEvent",
    "describe",
]


class EventKind(StrEnum):
    """What happened (the ``kind`` of an event in JSON)."""

    SCENARIO = "scenario"
    FIRE_SPREAD = "fire_spread"
    DEENERGIZED = "deenergized"
    GENERATOR_START = "generator_start"
    GENERATOR_RUNNING = "generator_running"
    GENERATOR_FAILED_TO_START = "generator_failed_to_start"
    GENERATOR_OUT_OF_FUEL = "generator_out_of_fuel"
    THERMAL_STORAGE_DISCHARGING = "thermal_storage_discharging"
    THERMAL_STORAGE_EXHAUSTED = "thermal_storage_exhausted"
    ON_BATTERY = "on_battery"
    OFF_BATTERY = "off_battery"
    BATTERY_DEPLETED = "battery_depleted"
    COMPONENT_DOWN = "component_down"
    COMPONENT_UP = "component_up"
    SERVICE_DOWN = "service_down"
    SERVICE_DEGRADED = "service_degraded"
    SERVICE_RESTORED = "service_restored"
    FAILOVER_STARTED = "failover_started"
    FAILOVER_COMPLETE = "failover_complete"


class CauseKind(StrEnum):
    """Why it happened."""

    # injected by the scenario
    FIRE_BREAKS_OUT = "fire_breaks_out"
    UTILITY_LOSS = "utility_loss"
    FAIL_TO_START_PLANNED = "fail_to_start_planned"
    COMPONENT_FAILURE = "component_failure"
    COOLING_PLANT_LOSS = "cooling_plant_loss"
    SRLG_CUT = "srlg_cut"
    SITE_LOSS = "site_loss"
    SURGE = "surge"
    # physical consequences
    FIRE = "fire"
    FIRE_SPREAD = "fire_spread"
    SUPPRESSION_CUT = "suppression_cut"
    DEENERGIZED = "deenergized"
    FAILED_TO_START = "failed_to_start"
    GENERATOR_STARTED = "generator_started"
    GENERATOR_DEMAND = "generator_demand"
    OUT_OF_FUEL = "out_of_fuel"
    STORAGE_DISCHARGING = "storage_discharging"
    STORAGE_EXHAUSTED = "storage_exhausted"
    ON_BATTERY = "on_battery"
    BATTERY_DEPLETED = "battery_depleted"
    INPUT_RESTORED = "input_restored"
    SUPPLY_LOST = "supply_lost"
    SUPPLY_RESTORED = "supply_restored"
    DOWN = "down"
    # services
    SERVED_CHANGED = "served_changed"
    FAILOVER_AUTOMATED = "failover_automated"
    FAILOVER_MANUAL = "failover_manual"


DIRECT_FAILURES = frozenset(
    {
        CauseKind.UTILITY_LOSS,
        CauseKind.COMPONENT_FAILURE,
        CauseKind.COOLING_PLANT_LOSS,
        CauseKind.SRLG_CUT,
        CauseKind.FAILED_TO_START,
        CauseKind.OUT_OF_FUEL,
        CauseKind.STORAGE_EXHAUSTED,
    }
)
"""Causes that fail a component by name (not through a zone, a site or a lost supply)."""


@dataclass(frozen=True)
class Cause:
    """Why an event happened: a kind, what it names (``source``) and its figures."""

    kind: CauseKind
    source: str | None = None
    detail: tuple[tuple[str, Any], ...] = ()

    def get(self, key: str, default: Any = None) -> Any:
        """A figure of the cause by name."""
        return dict(self.detail).get(key, default)


def cause(kind: CauseKind, source: str | None = None, **detail: Any) -> Cause:
    """Build a :class:`Cause`; keyword figures keep their order."""
    return Cause(kind, source, tuple(detail.items()))


def _need(c: Cause) -> str:
    if c.get("capacity") is not None:
        unit = "Gbit/s" if c.get("resource") == "network" else "kW"
        return f"{c.get('capacity'):,.0f} {unit}"
    return f"{c.get('at_least')} of {c.get('suppliers')}"


def describe(c: Cause) -> str:
    """The prose of a cause, as reports and the JSON ``cause`` field show it.

    >>> describe(cause(CauseKind.FIRE, "b3-battery-room"))
    'fire in b3-battery-room'
    """
    k, src = c.kind, c.source
    if k is CauseKind.SUPPLY_LOST:
        down: list[str] = list(c.get("down", ()))
        shown = ", ".join(down[:4]) + (f" (+{len(down) - 4} more)" if len(down) > 4 else "")
        group = f"requires[{c.get('group')}] needs {_need(c)}"
        return f"lost {c.get('resource')} ({group}): {shown} down"
    text = _TEXTS[k]
    return text(c, src) if callable(text) else text


def _failover_manual(c: Cause, src: str | None) -> str:
    if not src:
        why = "no failover controller"
    elif c.get("unreachable"):
        why = f"failover controller {src} cannot reach a standby site"
    else:
        why = f"failover controller {src} is down"
    return f"manual recovery ({why})"


_Text = str | Callable[[Cause, "str | None"], str]
_TEXTS: dict[CauseKind, _Text] = {
    CauseKind.FIRE_BREAKS_OUT: "fire breaks out",
    CauseKind.UTILITY_LOSS: lambda c, _: (
        f"utility loss: {', '.join(c.get('feeds'))}" if c.get("scenario") else "utility loss"
    ),
    CauseKind.FAIL_TO_START_PLANNED: "will fail to start on demand",
    CauseKind.COMPONENT_FAILURE: lambda c, _: (
        "component failure" if c.get("scenario") else "failed (scenario)"
    ),
    CauseKind.COOLING_PLANT_LOSS: "cooling plant loss",
    CauseKind.SRLG_CUT: lambda c, src: (
        "shared-risk link group cut" if c.get("scenario") else f"fibre cut in {src}"
    ),
    CauseKind.SITE_LOSS: lambda c, src: (
        "whole site lost" if c.get("scenario") else f"site {src} lost"
    ),
    CauseKind.SURGE: "demand surge",
    CauseKind.FIRE: lambda c, src: f"fire in {src}",
    CauseKind.FIRE_SPREAD: lambda c, src: f"heat and fire from {src} through shared space",
    CauseKind.SUPPRESSION_CUT: lambda c, src: (
        f"{c.get('agent')} suppression in {src}: fire service cuts power to {c.get('target')}"
    ),
    CauseKind.DEENERGIZED: lambda c, src: f"{src} de-energised by fire service",
    CauseKind.FAILED_TO_START: lambda c, _: (
        "failed to start on demand" if c.get("event") else "failed to start"
    ),
    CauseKind.GENERATOR_STARTED: lambda c, _: f"started after {c.get('delay_s'):g} s",
    CauseKind.GENERATOR_DEMAND: lambda c, src: f"{src} lost its {c.get('lost')}",
    CauseKind.OUT_OF_FUEL: lambda c, _: (
        f"fuel exhausted ({c.get('fuel_hours'):g} h at rated load; no refuelling)"
        if c.get("event")
        else "out of fuel"
    ),
    CauseKind.STORAGE_DISCHARGING: lambda c, src: f"carrying {src} ({c.get('minutes'):g} min)",
    CauseKind.STORAGE_EXHAUSTED: lambda c, _: (
        "stored cooling used up" if c.get("event") else "thermal storage exhausted"
    ),
    CauseKind.ON_BATTERY: lambda c, _: (
        f"input lost; carrying {c.get('load_kw'):,.0f} kW on battery"
    ),
    CauseKind.BATTERY_DEPLETED: "battery exhausted",
    CauseKind.INPUT_RESTORED: "input restored",
    CauseKind.SUPPLY_RESTORED: "supply restored",
    CauseKind.DOWN: "down",
    CauseKind.SERVED_CHANGED: lambda c, _: f"served {c.get('before'):.0%} → {c.get('now'):.0%}",
    CauseKind.FAILOVER_AUTOMATED: lambda c, src: f"automated by {src}",
    CauseKind.FAILOVER_MANUAL: _failover_manual,
}


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened: when, what, to whom, and why.

    ``id`` numbers the events of a timeline in order. ``trigger`` is the id of the
    event that directly caused this one (the fire that burnt a component, the
    generator that failed to start); None when it followed from a lost supply.
    ``initiator`` is the id of the scenario event that set the chain off (the
    latest one injected before it, when several act at the same moment). ``site``
    and ``zone`` are set when the subject is a zone.
    """

    time_s: float
    kind: EventKind
    subject: str
    reason: Cause
    id: int = 0
    trigger: int | None = None
    initiator: int | None = None
    site: str | None = None
    zone: str | None = None

    @property
    def cause(self) -> str:
        """The cause as prose (rendered from :attr:`reason`)."""
        return describe(self.reason)

    @property
    def cause_kind(self) -> CauseKind:
        return self.reason.kind

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time_s": _round(self.time_s),
            "kind": str(self.kind),
            "subject": self.subject,
            "cause": self.cause,
            "cause_kind": str(self.reason.kind),
            "cause_source": self.reason.source,
            "trigger": self.trigger,
            "initiator": self.initiator,
        }


@dataclass(frozen=True)
class LossPoint:
    """IT lost from ``time_s`` until the next point."""

    time_s: float
    rows: int
    racks: int
    servers: int
    it_load_kw: float

    def to_json(self) -> dict[str, Any]:
        return {
            "time_s": _round(self.time_s),
            "rows": self.rows,
            "racks": self.racks,
            "servers": self.servers,
            "it_load_kw": _round(self.it_load_kw),
        }


@dataclass
class ServiceOutcome:
    """How one service fared: downtime and lowest / final served fraction per demand level."""

    name: str
    downtime_s: float = 0.0
    degraded_s: float = 0.0
    first_down_s: float | None = None
    restored_s: float | None = None
    min_served: dict[str, float] = field(default_factory=dict)
    final_served: dict[str, float] = field(default_factory=dict)
    final_headroom: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "downtime_s": _round(self.downtime_s),
            "degraded_s": _round(self.degraded_s),
            "first_down_s": None if self.first_down_s is None else _round(self.first_down_s),
            "restored_s": None if self.restored_s is None else _round(self.restored_s),
            "min_served": {k: _round(v) for k, v in self.min_served.items()},
            "final_served": {k: _round(v) for k, v in self.final_served.items()},
            "final_headroom": {k: _round(v) for k, v in self.final_headroom.items()},
        }


@dataclass
class Timeline:
    """The result of simulating one scenario."""

    fleet: str
    scenario: str
    description: str
    horizon_s: float
    surge: str | None
    events: list[TimelineEvent]
    losses: list[LossPoint]
    services: list[ServiceOutcome]
    down_at_end: list[str]
    demand_levels: list[str]
    states: list[tuple[float, list[str]]] = field(default_factory=list)
    """Every moment the set of components down changed, with that whole set."""

    @property
    def max_loss(self) -> LossPoint:
        return max(self.losses, key=lambda p: (p.servers, p.it_load_kw, p.rows))

    def service(self, name: str) -> ServiceOutcome:
        return next(s for s in self.services if s.name == name)

    def events_of(self, kind: str) -> list[TimelineEvent]:
        return [e for e in self.events if e.kind == kind]

    def event(self, event_id: int | None) -> TimelineEvent | None:
        """The event with ``event_id`` (None for None)."""
        if event_id is None or not 0 <= event_id < len(self.events):
            return None
        return self.events[event_id]

    def down_at(self, time_s: float | None = None) -> set[str]:
        """Components down at ``time_s`` (default: the end), replaying the event log."""
        if time_s is None:
            return set(self.down_at_end)
        down: set[str] = set()
        for event in self.events:
            if event.time_s > time_s:
                break
            if event.kind == EventKind.COMPONENT_DOWN:
                down.add(event.subject)
            elif event.kind == EventKind.COMPONENT_UP:
                down.discard(event.subject)
        return down

    def first(self, kind: str, subject: str | None = None) -> TimelineEvent | None:
        for event in self.events:
            if event.kind == kind and (subject is None or event.subject == subject):
                return event
        return None

    def to_json(self, full: bool = False) -> dict[str, Any]:
        """JSON-ready dict; ``full`` adds ``states``: every component down at each change."""
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "fleet": self.fleet,
            "scenario": self.scenario,
            "description": self.description,
            "horizon_s": _round(self.horizon_s),
            "surge": self.surge,
            "demand_levels": list(self.demand_levels),
            "max_loss": self.max_loss.to_json(),
            "services": [s.to_json() for s in self.services],
            "losses": [p.to_json() for p in self.losses],
            "events": [e.to_json() for e in self.events],
            "down_at_end": list(self.down_at_end),
        }
        if full:
            doc["states"] = [{"time_s": _round(t), "down": list(d)} for t, d in self.states]
        return doc


def _round(value: float) -> float:
    return round(float(value), 6)
