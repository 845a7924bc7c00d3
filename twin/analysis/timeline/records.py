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
    FIRE_OUT = "fire_out"
    REPAIRED = "repaired"
    REENERGIZED = "reenergized"
    SERVERS_RESTARTED = "servers_restarted"
    FUEL_DELIVERED = "fuel_delivered"
    RETURNED = "returned"
    SERVICE_REBUILT = "service_rebuilt"


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
    # recovery
    FIRE_OUT = "fire_out"
    REPAIRED = "repaired"
    REENERGIZED = "reenergized"
    RESTARTED = "restarted"
    FUEL_DELIVERY = "fuel_delivery"
    RETURNED = "returned"
    REBUILT = "rebuilt"


RECOVERY_EVENTS = frozenset(
    {
        EventKind.FIRE_OUT,
        EventKind.REPAIRED,
        EventKind.REENERGIZED,
        EventKind.SERVERS_RESTARTED,
        EventKind.FUEL_DELIVERED,
        EventKind.RETURNED,
        EventKind.SERVICE_REBUILT,
        EventKind.COMPONENT_UP,
        EventKind.SERVICE_RESTORED,
        EventKind.OFF_BATTERY,
        EventKind.FAILOVER_COMPLETE,
    }
)
"""Events of things coming back (as opposed to failing)."""

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
        f"fuel exhausted ({c.get('fuel_hours'):g} h at rated load; "
        f"{'no delivery in time' if c.get('contract') else 'no refuelling contract'})"
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
    CauseKind.FIRE_OUT: lambda c, src: f"fire out after {_h(c.get('seconds'))} ({c.get('input')})",
    CauseKind.REPAIRED: lambda c, src: f"repaired after {_h(c.get('seconds'))} ({src})",
    CauseKind.REENERGIZED: lambda c, src: (
        f"phase {c.get('phase')}: {c.get('fraction'):.0%} of {src} re-energised "
        f"({c.get('components')} components; {src} suppression reenergize)"
    ),
    CauseKind.RESTARTED: lambda c, src: (
        f"{c.get('servers'):,} servers booted ({src} restarts {c.get('rate'):,.0f} servers/h)"
    ),
    CauseKind.FUEL_DELIVERY: lambda c, src: (
        f"fuel delivered to {c.get('generators')} generators (recovery.fuel_contract)"
    ),
    CauseKind.RETURNED: lambda c, src: (
        f"{'grid' if c.get('what') == 'utility_loss' else 'site'} back after "
        f"{_h(c.get('duration_s'))} (scenario duration_s)"
    ),
    CauseKind.REBUILT: lambda c, src: (
        f"rebuilt at {src} after {_h(c.get('seconds'))} ({c.get('service')}.rebuild_after_s)"
    ),
}


def _h(seconds: float) -> str:
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"


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
    """Time served but below the service's SLO."""
    first_down_s: float | None = None
    restored_s: float | None = None
    min_served: dict[str, float] = field(default_factory=dict)
    final_served: dict[str, float] = field(default_factory=dict)
    final_headroom: dict[str, float] = field(default_factory=dict)
    slo: float = 1.0
    down_at_horizon: bool = False
    """Still down when the timeline ends: its downtime is at least what is shown."""
    capped_by: str | None = None
    """The dependency holding it below what its own capacity serves: at the end when one
    still does, else at its worst moment."""
    rto: dict[str, float | None] = field(default_factory=dict)
    """Back to ``partial_s``, ``slo_s`` and ``full_s`` service (seconds from the
    scenario start); None: it never fell below; ``inf``: not back by the end."""
    rpo_s: float | None = None
    """Data-loss window: 0, the replication lag, or back to the last backup; None for a
    stateless service."""
    rpo_basis: str = ""
    served_over_time: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Per demand level: (time, served fraction) at every change, from the start."""

    def state(self, served: float) -> str:
        """``down`` (0), ``below_slo``, ``reduced`` (within the SLO, below full) or ``full``."""
        if served <= _EPS:
            return "down"
        if served < self.slo - _EPS:
            return "below_slo"
        return "reduced" if served < 1 - _EPS else "full"

    @property
    def worst_state(self) -> dict[str, str]:
        return {level: self.state(v) for level, v in self.min_served.items()}

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
            "slo": self.slo,
            "worst_state": self.worst_state,
            "down_at_horizon": self.down_at_horizon,
            "capped_by": self.capped_by,
            "rto": {
                k: (None if v is None else ("unrestored" if v == float("inf") else _round(v)))
                for k, v in self.rto.items()
            },
            "rpo_s": None if self.rpo_s is None else _round(self.rpo_s),
            "rpo_basis": self.rpo_basis,
            "served_over_time": {
                level: [[_round(t), _round(v)] for t, v in points]
                for level, points in self.served_over_time.items()
            },
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
    restored_s: float | None = None
    """When everything was whole again (every component up that was up before the
    scenario, every service full); None when it was not by the end of the run."""

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
            "restored_s": None if self.restored_s is None else _round(self.restored_s),
        }
        if full:
            doc["states"] = [{"time_s": _round(t), "down": list(d)} for t, d in self.states]
        return doc


_EPS = 1e-9


def _round(value: float) -> float:
    return round(float(value), 6)
