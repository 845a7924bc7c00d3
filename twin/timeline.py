"""Scenario timelines: inject timed events and follow what fails, when, and why.

A small discrete-event core in the manner of SimPy: a heap of
``(time, priority, sequence, event)`` so same-time events have a fixed order, and
every state change is recorded with its cause. Between events the state is
constant except for stored energy (batteries, thermal storage), whose depletion is
itself scheduled as an event.

What happens over time
----------------------
* **Fire** in a zone fails everything in it and in its nested zones. It spreads to
  zones that share ceiling / cable space after the space's delay, unless the
  zone's suppression contains the fire first (acts no later than the spread).
  Suppression that de-energises the building fails everything in the enclosing
  building ``after_s`` after ignition (the Pangyo sequence).
* **Generators** stand by until running them would restore something (a
  component or a UPS input) at their site; they run ``start_delay_s`` later, or
  fail to start if the scenario says so. Fuel lasts ``fuel_hours`` at rated load,
  longer at part load (the load they carry is computed as for UPSs); refuelling is
  not modelled.
* **UPS on battery**: a UPS whose input is lost keeps its output while a live
  battery string holds energy. Ride-through = Σ energy_kwh × battery efficiency ×
  UPS efficiency / load, where the load is the IT (and chiller) load flowing to
  the UPS through the live power paths at that moment.
* **Thermal storage** starts discharging when a component it supplies would
  otherwise lose cooling, and is exhausted ``minutes`` later.
* **Services**: active-standby services whose active replicas lose capacity fail
  over after ``failover_time_s`` if their failover controller is serving at that
  moment, else after ``manual_recovery_s``. Active-active services lose the
  traffic routed to a failed replica until it is re-routed ``failover_time_s``
  later.

The steady state at each moment is computed by :class:`twin.engine.Evaluator`.
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.engine import Evaluator
from twin.graph import EPSILON
from twin.model import SCHEMA_VERSION, Fleet, Site
from twin.ordering import suppliers_first
from twin.scenario_spec import ScenarioSpec

__all__ = [
    "DEFAULT_HORIZON_S",
    "LossPoint",
    "ServiceOutcome",
    "Timeline",
    "TimelineEvent",
    "ride_through_s",
    "simulate",
]

DEFAULT_HORIZON_S = 72 * 3600.0
_ENERGY_EPS_KWH = 1e-9

# Priorities order same-time events: injected events first, then physical
# consequences, then completions of what was started earlier.
_P_SCENARIO, _P_FIRE, _P_POWER, _P_DEPLETION, _P_SERVICE, _P_CHECK = range(6)


def ride_through_s(
    energy_kwh: float, battery_efficiency: float, ups_efficiency: float, load_kw: float
) -> float:
    """Seconds a battery carries ``load_kw``: energy × efficiencies / load.

    >>> round(ride_through_s(100, 0.90, 0.95, 1000), 1)
    307.8
    """
    if load_kw <= 0:
        return float("inf")
    return energy_kwh * battery_efficiency * ups_efficiency / load_kw * 3600.0


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened: when, what, to whom, and why."""

    time_s: float
    kind: str
    subject: str
    cause: str

    def to_json(self) -> dict[str, Any]:
        return {
            "time_s": _round(self.time_s),
            "kind": self.kind,
            "subject": self.subject,
            "cause": self.cause,
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

    def down_at(self, time_s: float | None = None) -> set[str]:
        """Components down at ``time_s`` (default: the end), replaying the event log."""
        if time_s is None:
            return set(self.down_at_end)
        down: set[str] = set()
        for event in self.events:
            if event.time_s > time_s:
                break
            if event.kind == "component_down":
                down.add(event.subject)
            elif event.kind == "component_up":
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


# --------------------------------------------------------------------------- simulation


@dataclass(order=True)
class _Queued:
    time: float
    priority: int
    sequence: int
    action: str = field(compare=False)
    payload: Any = field(compare=False, default=None)


class _Simulation:
    def __init__(
        self, fleet: Fleet, evaluator: Evaluator, spec: ScenarioSpec, horizon_s: float | None
    ) -> None:
        self.fleet = fleet
        self.ev = evaluator
        self.graph = evaluator.graph
        self.spec = spec
        self.horizon = float(horizon_s or spec.horizon_s or DEFAULT_HORIZON_S)
        self.index = fleet.component_index()
        self.sites = {s.name: s for s in fleet.sites}
        self.services = fleet.services
        self.queue: list[_Queued] = []
        self.sequence = itertools.count()
        self.events: list[TimelineEvent] = []
        self.now = 0.0

        # what the twin knows about the physical state
        self.failed: dict[str, str] = {}
        self.burning: set[tuple[str, str]] = set()
        self.gen_state: dict[str, str] = {
            c.name: "standby" for _, c in fleet.components() if c.kind == "generator"
        }
        self.fail_to_start: set[str] = set()
        self.fuel_h: dict[str, float] = {  # hours of fuel left at rated load
            c.name: c.fuel_hours for _, c in fleet.components() if c.kind == "generator"
        }
        self.gen_load: dict[str, float] = {}
        self.storage_state: dict[str, str] = {
            c.name: "idle" for _, c in fleet.components() if c.kind == "thermal_storage"
        }
        self.battery_kwh: dict[str, float] = {
            c.name: c.energy_kwh for _, c in fleet.components() if c.kind == "battery"
        }
        self.on_battery: dict[str, float] = {}  # UPS → load kW while on battery
        self.surge_name: str | None = None

        # services
        self.promoted: set[str] = set()
        self.failover_pending: set[str] = set()
        self.reroute_until: dict[str, float] = {}
        self.prev_live: dict[str, list[float]] = {}
        self.prev_served: dict[str, float] = {s.name: 1.0 for s in self.services}

        self.consumers: dict[str, list[str]] = defaultdict(list)
        for _, comp in fleet.components():
            for req in comp.requires:
                for supplier in req.suppliers:
                    self.consumers[supplier].append(comp.name)
        self.prev_up: np.ndarray | None = None  # set by the first settle: the initial state
        self.reported_down: set[str] = set()
        self.gen_only = _generator_only(fleet)
        self.rows = [(name, c) for name, (_, c) in self.index.items() if c.kind == "rack_row"]
        self.levels = self._demand_levels()
        self.segments: list[tuple[float, np.ndarray, dict[str, dict[str, float]]]] = []

    # ---------------------------------------------------------------- scheduling

    def schedule(self, time: float, priority: int, action: str, payload: Any = None) -> None:
        heapq.heappush(self.queue, _Queued(time, priority, next(self.sequence), action, payload))

    def log(self, kind: str, subject: str, cause: str) -> None:
        self.events.append(TimelineEvent(self.now, kind, subject, cause))

    def run(self) -> Timeline:
        for event in self.spec.events:
            self.schedule(event.at_s, _P_SCENARIO, "inject", event)
        self.settle()  # the state before anything happens
        while self.queue and self.queue[0].time <= self.horizon:
            self.advance(self.queue[0].time)
            while self.queue and self.queue[0].time <= self.now:
                item = heapq.heappop(self.queue)
                getattr(self, f"_do_{item.action}")(item.payload)
            self.settle()
        self.advance(self.horizon)
        return self.result()

    def advance(self, time: float) -> None:
        """Move the clock, draining batteries and generator fuel on the way."""
        dt_h = (time - self.now) / 3600.0
        if dt_h > 0:
            for ups, load_kw in self.on_battery.items():
                self._drain(ups, load_kw, dt_h)
            for gen, load_kw in self.gen_load.items():
                rated = self.index[gen][1].capacity_kw
                self.fuel_h[gen] = max(0.0, self.fuel_h[gen] - dt_h * load_kw / rated)
        self.now = time

    # ---------------------------------------------------------------- injected events

    def _do_inject(self, event: Any) -> None:
        kind = event.kind
        if kind == "fire":
            self.log("scenario", f"{event.site}/{event.zone}", "fire breaks out")
            self._ignite(event.site, event.zone, "scenario")
        elif kind == "utility_loss":
            site = self.sites[event.site]
            feeds = event.feeds or [c.name for c in site.components if c.kind == "utility_feed"]
            self.log("scenario", event.site, f"utility loss: {', '.join(feeds)}")
            for feed in feeds:
                self._fail(feed, "utility loss")
        elif kind == "generator_fail_to_start":
            self.log("scenario", ", ".join(event.generators), "will fail to start on demand")
            self.fail_to_start.update(event.generators)
        elif kind == "fail":
            self.log("scenario", ", ".join(event.components), "component failure")
            for name in event.components:
                self._fail(name, "failed (scenario)")
        elif kind == "cooling_plant_loss":
            self.log("scenario", event.site, "cooling plant loss")
            for comp in self.sites[event.site].components:
                if comp.kind in ("chiller", "cooling_tower"):
                    self._fail(comp.name, "cooling plant loss")
        elif kind == "srlg_cut":
            self.log("scenario", event.srlg, "shared-risk link group cut")
            for _, comp in self.fleet.components():
                if event.srlg in getattr(comp, "srlg", ()):
                    self._fail(comp.name, f"fibre cut in {event.srlg}")
        elif kind == "site_loss":
            self.log("scenario", event.site, "whole site lost")
            for comp in self.sites[event.site].components:
                self._fail(comp.name, f"site {event.site} lost")
        elif kind == "surge":
            self.log("scenario", event.surge, "demand surge")
            self.surge_name = event.surge
        else:  # pragma: no cover - the model's discriminator makes this unreachable
            raise AssertionError(kind)

    # ---------------------------------------------------------------- fire

    def _ignite(self, site_name: str, zone_name: str, cause: str) -> None:
        if (site_name, zone_name) in self.burning:
            return
        site = self.sites[site_name]
        zone = site.zone_named(zone_name)
        self.burning.add((site_name, zone_name))
        if cause != "scenario":
            self.log("fire_spread", f"{site_name}/{zone_name}", cause)
        for comp in site.components_in(zone_name):
            self._fail(comp.name, f"fire in {zone_name}")
        suppression = zone.suppression
        if suppression is not None and suppression.deenergize != "none":
            self.schedule(
                self.now + suppression.after_s, _P_FIRE, "deenergize", (site_name, zone_name)
            )
        for neighbour, delay in _neighbours(site, zone_name):
            contained = (
                suppression is not None
                and suppression.contains_spread
                and suppression.after_s <= delay
            )
            if contained:
                continue
            self.schedule(self.now + delay, _P_FIRE, "spread", (site_name, neighbour, zone_name))

    def _do_spread(self, payload: tuple[str, str, str]) -> None:
        site, zone, source = payload
        self._ignite(site, zone, f"heat and fire from {source} through shared space")

    def _do_deenergize(self, payload: tuple[str, str]) -> None:
        site_name, zone_name = payload
        site = self.sites[site_name]
        zone = site.zone_named(zone_name)
        assert zone.suppression is not None
        target = zone_name
        if zone.suppression.deenergize == "building":
            target = _enclosing_building(site, zone_name)
        agent = zone.suppression.agent
        self.log(
            "deenergized",
            f"{site_name}/{target}",
            f"{agent} suppression in {zone_name}: fire service cuts power to {target}",
        )
        for comp in site.components_in(target):
            self._fail(comp.name, f"{target} de-energised by fire service")

    # ---------------------------------------------------------------- components

    def _fail(self, name: str, cause: str) -> None:
        if name in self.failed:
            return
        self.failed[name] = cause
        if name in self.gen_state:
            self.gen_state[name] = "failed"
        if name in self.storage_state:
            self.storage_state[name] = "failed"
        if name in self.battery_kwh:
            self.battery_kwh[name] = 0.0

    def _do_generator_ready(self, name: str) -> None:
        if self.gen_state.get(name) != "starting":
            return
        if name in self.fail_to_start:
            self.log("generator_failed_to_start", name, "failed to start on demand")
            self._fail(name, "failed to start")
            return
        gen = self.index[name][1]
        self.gen_state[name] = "running"
        self.log("generator_running", name, f"started after {gen.start_delay_s:g} s")

    def _do_fuel_check(self, name: str) -> None:
        if self.gen_state.get(name) == "running" and self.fuel_h[name] <= 1e-9:
            gen = self.index[name][1]
            self.log(
                "generator_out_of_fuel",
                name,
                f"fuel exhausted ({gen.fuel_hours:g} h at rated load; no refuelling)",
            )
            self._fail(name, "out of fuel")

    def _do_storage_exhausted(self, name: str) -> None:
        if self.storage_state.get(name) == "discharging":
            self.log("thermal_storage_exhausted", name, "stored cooling used up")
            self._fail(name, "thermal storage exhausted")

    def _do_check(self, _: Any) -> None:
        """A moment when something may have changed (battery empty, reroute done)."""

    def _do_failover(self, payload: tuple[str, str]) -> None:
        service, how = payload
        if service in self.failover_pending:
            self.failover_pending.discard(service)
            self.promoted.add(service)
            self.log("failover_complete", service, how)

    # ---------------------------------------------------------------- batteries

    def _ups_batteries(self, ups: Any) -> list[str]:
        return [b for b in ups.batteries if self.battery_kwh.get(b, 0.0) > _ENERGY_EPS_KWH]

    def _usable_kwh(self, ups: Any) -> float:
        return sum(
            self.battery_kwh[b] * self.index[b][1].efficiency * ups.efficiency
            for b in self._ups_batteries(ups)
        )

    def _drain(self, ups_name: str, load_kw: float, dt_h: float) -> None:
        ups = self.index[ups_name][1]
        usable = self._usable_kwh(ups)
        if usable <= 0:
            return
        fraction = min(1.0, load_kw * dt_h / usable)
        for battery in self._ups_batteries(ups):
            self.battery_kwh[battery] *= 1.0 - fraction
            if self.battery_kwh[battery] <= _ENERGY_EPS_KWH * max(1.0, load_kw):
                self.battery_kwh[battery] = 0.0

    # ---------------------------------------------------------------- settle

    def _excluded(self, assume_running: Iterable[str] = ()) -> set[str]:
        """Failed components plus generators not (assumed) running."""
        running = set(assume_running)
        out = set(self.failed)
        out.update(g for g, st in self.gen_state.items() if st != "running" and g not in running)
        return out

    def _held(self) -> list[str]:
        """UPSs that a live battery can carry through the loss of their input."""
        return [
            c.name
            for _, c in self.fleet.components()
            if c.kind == "ups" and c.name not in self.failed and self._usable_kwh(c) > 0
        ]

    def _evaluate(
        self, extra_excluded: Iterable[str] = (), assume_running: Iterable[str] = ()
    ) -> Any:
        excluded = self._excluded(assume_running) | set(extra_excluded)
        return self.ev.evaluate(excluded, held_up=self._held(), promoted=self.promoted)

    def settle(self) -> None:
        """Bring derived state up to date at ``now``: sources, batteries, services."""
        for _ in range(len(self.gen_state) + len(self.storage_state) + 4):
            evaluation = self._evaluate()
            up = evaluation.up
            changed = self._start_generators(up)
            changed |= self._start_storage(up)
            if not changed:
                break
        loads = self._power_loads(up)
        self._update_fuel(loads)
        newly_on_battery = self._update_batteries(up, loads)
        self._log_components(up)
        for name, load_kw in newly_on_battery:
            self.log("on_battery", name, f"input lost; carrying {load_kw:,.0f} kW on battery")
        served = self._update_services(evaluation)
        if self.segments and self.segments[-1][0] == self.now:
            self.segments.pop()  # same moment: the later settle supersedes the earlier one
        self.segments.append((self.now, up.copy(), served))

    def _is_up(self, up: np.ndarray, name: str) -> bool:
        return bool(up[self.graph.component_index[name]])

    def _start_generators(self, up: np.ndarray) -> bool:
        """Start a site's standby generators when running them would change anything
        beyond their own bus: a component they would bring up, or a UPS input."""
        standby = [g for g, state in self.gen_state.items() if state == "standby"]
        if not standby:
            return False
        with_gens = self._evaluate(assume_running=standby).up
        names = self.graph.component_names
        reasons: dict[str, str] = {}
        for i in np.flatnonzero(with_gens & ~up):
            name = names[int(i)]
            if name not in self.gen_only and name not in self.gen_state:
                reasons.setdefault(self.index[name][0].name, f"{name} lost its supply")
        for name in self.on_battery_candidates(up):
            comp = self.index[name][1]
            if self._requirements_met(comp, with_gens):
                reasons.setdefault(self.index[name][0].name, f"{name} lost its input")
        changed = False
        for name in standby:
            site = self.index[name][0].name
            if site not in reasons:
                continue
            gen = self.index[name][1]
            self.gen_state[name] = "starting"
            self.log("generator_start", name, reasons[site])
            self.schedule(self.now + gen.start_delay_s, _P_POWER, "generator_ready", name)
            changed = gen.start_delay_s == 0 or changed
        if changed:  # zero-delay starts complete now, before the state is read
            while self.queue and self.queue[0].time <= self.now:
                item = heapq.heappop(self.queue)
                getattr(self, f"_do_{item.action}")(item.payload)
        return changed

    def on_battery_candidates(self, up: np.ndarray) -> list[str]:
        """Live UPSs whose own input requirements are not met (carried by battery)."""
        return [
            c.name
            for _, c in self.fleet.components()
            if c.kind == "ups" and self._is_up(up, c.name) and not self._requirements_met(c, up)
        ]

    def _start_storage(self, up: np.ndarray) -> bool:
        idle = [s for s, state in self.storage_state.items() if state == "idle"]
        if not idle:
            return False
        without = self._evaluate(extra_excluded=idle).up
        for name in idle:
            needy = [
                c
                for c in self.consumers.get(name, ())
                if self._is_up(up, c) and not self._is_up(without, c)
            ]
            if needy:
                storage = self.index[name][1]
                self.storage_state[name] = "discharging"
                self.log(
                    "thermal_storage_discharging",
                    name,
                    f"carrying {needy[0]} ({storage.minutes:g} min)",
                )
                self.schedule(
                    self.now + storage.minutes * 60.0, _P_DEPLETION, "storage_exhausted", name
                )
        return False  # discharging does not change the state; it only starts a clock

    def _update_fuel(self, loads: dict[str, float]) -> None:
        """Record each running generator's load and when its fuel runs out at that load."""
        self.gen_load = {
            g: loads.get(g, 0.0) for g, state in self.gen_state.items() if state == "running"
        }
        for gen, load_kw in self.gen_load.items():
            if load_kw > 0:
                rated = self.index[gen][1].capacity_kw
                hours = self.fuel_h[gen] * rated / load_kw
                self.schedule(self.now + hours * 3600.0, _P_DEPLETION, "fuel_check", gen)

    def _update_batteries(self, up: np.ndarray, loads: dict[str, float]) -> list[tuple[str, float]]:
        now_on: dict[str, float] = {}
        for _, comp in self.fleet.components():
            if comp.kind != "ups" or comp.name in self.failed or not self._is_up(up, comp.name):
                continue
            if self._requirements_met(comp, up) or self._usable_kwh(comp) <= 0:
                continue
            now_on[comp.name] = loads.get(comp.name, 0.0)
        newly = [(n, load) for n, load in now_on.items() if n not in self.on_battery]
        for name, load_kw in now_on.items():
            ups = self.index[name][1]
            usable = self._usable_kwh(ups)
            if load_kw > 0:
                self.schedule(self.now + usable / load_kw * 3600.0, _P_DEPLETION, "check")
        for name in self.on_battery:
            if name not in now_on and name not in self.failed:
                ups = self.index[name][1]
                if self._usable_kwh(ups) <= 0:
                    self.log("battery_depleted", name, "battery exhausted")
                elif self._requirements_met(ups, up):
                    self.log("off_battery", name, "input restored")
        self.on_battery = now_on
        return newly

    def _requirements_met(self, comp: Any, up: np.ndarray) -> bool:
        return self._first_unmet(comp, up) is None

    def _first_unmet(self, comp: Any, up: np.ndarray) -> tuple[int, Any, float] | None:
        for i, req in enumerate(comp.requires):
            live = 0.0
            for supplier in req.suppliers:
                if self._is_up(up, supplier):
                    weight = self.index[supplier][1].capacity_for(req.resource) or 0.0
                    live += weight if req.is_capacity_gate else 1.0
            if live < req.threshold - EPSILON:
                return i, req, live
        return None

    def _power_loads(self, up: np.ndarray) -> dict[str, float]:
        """kW flowing through each live power component, split over live suppliers."""
        own = {comp.name: comp.power_draw_kw for _, comp in self.fleet.components()}
        loads: dict[str, float] = defaultdict(float)
        order = _power_order(self.fleet)
        for name in order:  # consumers before suppliers
            comp = self.index[name][1]
            if not self._is_up(up, name):
                continue
            total = own.get(name, 0.0) + loads.get(name, 0.0)
            if total <= 0:
                continue
            for req in comp.requires:
                if req.resource != "power":
                    continue
                live = [s for s in req.suppliers if self._is_up(up, s)]
                if not live:
                    continue
                weights = [
                    (self.index[s][1].capacity_for("power") or 0.0) if req.is_capacity_gate else 1.0
                    for s in live
                ]
                wsum = sum(weights) or float(len(live))
                for supplier, weight in zip(live, weights, strict=True):
                    loads[supplier] += total * (weight or 1.0) / wsum
        return dict(loads)

    def _log_components(self, up: np.ndarray) -> None:
        """Log what went down and came back since the last settle.

        A generator on standby, or a bus fed only by generators, is dark without
        having failed: it is reported down only when it fails outright (a fire, a
        lost site) or after it had been running.
        """
        if self.prev_up is None:  # the state before the scenario: nothing has happened yet
            self.prev_up = up
            return
        names = self.graph.component_names
        down = [
            i
            for i in np.flatnonzero(~up)
            if names[i] not in self.reported_down
            and (self.prev_up[i] or names[i] in self.failed)
            and not self._dark_by_design(names[i])
        ]
        # direct failures first, then what they took down (index order within each)
        for i in sorted(down, key=lambda i: names[i] not in self.failed):
            self.reported_down.add(names[i])
            self.log("component_down", names[i], self._cause(names[i], up))
        for i in np.flatnonzero(up):
            if names[i] in self.reported_down:
                self.reported_down.discard(names[i])
                self.log("component_up", names[i], "supply restored")
        self.prev_up = up

    def _dark_by_design(self, name: str) -> bool:
        """A standby generator, or a generator-only bus while no generator runs."""
        if name in self.failed:
            return False
        if name in self.gen_state:
            return self.gen_state[name] in ("standby", "starting")
        # a generator bus is dark by design until some generator has run or failed
        return name in self.gen_only and all(
            state in ("standby", "starting") for state in self.gen_state.values()
        )

    def _cause(self, name: str, up: np.ndarray) -> str:
        if name in self.failed:
            return self.failed[name]
        comp = self.index[name][1]
        unmet = self._first_unmet(comp, up)
        if unmet is None:
            return "down"
        i, req, _live = unmet
        down = [s for s in req.suppliers if not self._is_up(up, s)]
        need = (
            f"{req.capacity:,.0f} {'Gbit/s' if req.resource == 'network' else 'kW'}"
            if req.is_capacity_gate
            else f"{int(req.threshold)} of {len(req.suppliers)}"
        )
        shown = ", ".join(down[:4]) + (f" (+{len(down) - 4} more)" if len(down) > 4 else "")
        return f"lost {req.resource} (requires[{i}] needs {need}): {shown} down"

    # ---------------------------------------------------------------- services

    def _demand_levels(self) -> list[str]:
        names: list[str] = []
        for service in self.services:
            for surge in service.surges:
                if surge not in names:
                    names.append(surge)
        return ["baseline", *names]

    def _multiplier(self, service: Any, level: str | None) -> float:
        if level in (None, "baseline"):
            return 1.0
        return float(service.surges.get(level, 1.0))

    def _replica_live(self, service: Any, up: np.ndarray) -> list[float]:
        return [sum(self._is_up(up, row) for row in r.rows) / len(r.rows) for r in service.replicas]

    def _update_services(self, evaluation: Any) -> dict[str, dict[str, float]]:
        up = evaluation.up
        current = self.surge_name or "baseline"
        levels = list(dict.fromkeys([current, *self.levels]))
        # failovers are decided at the scenario's demand
        for service in self.services:
            live = self._replica_live(service, up)
            before = self.prev_live.get(service.name, [1.0] * len(live))
            lost = any(
                now < prev - EPSILON and r.role == "active"
                for now, prev, r in zip(live, before, service.replicas, strict=True)
            )
            if lost and service.failover_time_s > 0 and service.mode == "active_active":
                self.reroute_until[service.name] = self.now + service.failover_time_s
                self.schedule(self.now + service.failover_time_s, _P_SERVICE, "check")
            self.prev_live[service.name] = live
        # the settle's own evaluation is the baseline level; other levels re-evaluate
        steady = {
            level: self._served_by_name(evaluation)
            if level == "baseline"
            else self._served(up, level)
            for level in levels
        }
        served = {level: self._with_reroute(steady[level], up) for level in levels}
        self._log_services(served[current])
        for service in self.services:
            if service.mode != "active_standby" or service.name in self.promoted:
                continue
            if service.name in self.failover_pending:
                continue
            live = self.prev_live[service.name]
            active_lost = any(
                v < 1.0 - EPSILON
                for v, r in zip(live, service.replicas, strict=True)
                if r.role == "active"
            )
            if not active_lost:
                continue
            controller = service.failover_controller
            if controller is not None and steady[current][controller] > 0:
                delay, how = service.failover_time_s, f"automated by {controller}"
            else:
                why = (
                    f"failover controller {controller} is down"
                    if controller
                    else ("no failover controller")
                )
                delay, how = service.manual_recovery_s, f"manual recovery ({why})"
            self.failover_pending.add(service.name)
            self.log("failover_started", service.name, how)
            self.schedule(self.now + delay, _P_SERVICE, "failover", (service.name, how))
        return served

    def _served(self, up: np.ndarray, level: str) -> dict[str, float]:
        """Steady served fractions at a demand level (each service at its own multiplier)."""
        surge: float | str = 1.0 if level == "baseline" else level
        evaluation = self.ev.evaluate(
            self._excluded(), held_up=self._held(), surge=surge, promoted=self.promoted
        )
        return self._served_by_name(evaluation)

    def _served_by_name(self, evaluation: Any) -> dict[str, float]:
        return {s.name: evaluation.served_fraction(s.name) for s in self.services}

    def _with_reroute(self, steady: dict[str, float], up: np.ndarray) -> dict[str, float]:
        """Lower services still re-routing traffic away from failed replicas, then
        propagate through dependencies (served ≤ every dependency's served)."""
        out = dict(steady)
        for service in self.services:
            until = self.reroute_until.get(service.name)
            if until is None or until <= self.now:
                continue
            active = [r for r in service.replicas if r.role == "active"]
            total = sum(r.capacity_rps for r in active)
            routed = sum(
                r.capacity_rps / total * (sum(self._is_up(up, row) for row in r.rows) / len(r.rows))
                for r in active
            )
            out[service.name] = min(out[service.name], routed)
        for _ in range(len(self.services) + 1):
            changed = False
            for service in self.services:
                value = min([out[service.name], *(out[d] for d in service.depends_on)])
                if value < out[service.name] - EPSILON:
                    out[service.name] = value
                    changed = True
            if not changed:
                break
        return out

    def _log_services(self, served: dict[str, float]) -> None:
        for service in self.services:
            before = self.prev_served[service.name]
            now = served[service.name]
            if abs(now - before) <= EPSILON:
                continue
            if now <= EPSILON:
                kind = "service_down"
            elif now >= 1 - EPSILON:
                kind = "service_restored"
            else:
                kind = "service_degraded"
            self.log(kind, service.name, f"served {before:.0%} → {now:.0%}")
            self.prev_served[service.name] = now

    # ---------------------------------------------------------------- result

    def result(self) -> Timeline:
        end = self.horizon
        losses: list[LossPoint] = []
        outcomes = {s.name: ServiceOutcome(s.name) for s in self.services}
        current_levels = list(dict.fromkeys([self.surge_name or "baseline", *self.levels]))
        row_idx = [(self.graph.component_index[n], c) for n, c in self.rows]
        for k, (start, up, served) in enumerate(self.segments):
            stop = self.segments[k + 1][0] if k + 1 < len(self.segments) else end
            span = max(0.0, min(stop, end) - start)
            lost = [c for i, c in row_idx if not up[i]]
            point = LossPoint(
                start,
                len(lost),
                sum(c.racks for c in lost),
                sum(c.servers for c in lost),
                sum(c.it_load_kw for c in lost),
            )
            if not losses or (losses[-1].rows, losses[-1].servers) != (point.rows, point.servers):
                losses.append(point)
            for service in self.services:
                out = outcomes[service.name]
                scenario_level = self._level_of(k)
                value = served[scenario_level][service.name] if scenario_level in served else 1.0
                if value <= EPSILON:
                    out.downtime_s += span
                    if out.first_down_s is None:
                        out.first_down_s = start
                elif value < 1 - EPSILON:
                    out.degraded_s += span
                if out.first_down_s is not None and value > EPSILON and out.restored_s is None:
                    out.restored_s = start
                for level in current_levels:
                    if level in served:
                        prev = out.min_served.get(level, 1.0)
                        out.min_served[level] = min(prev, served[level][service.name])
        names = self.graph.component_names
        states: list[tuple[float, list[str]]] = []
        for start, up, _ in self.segments:
            down = [names[i] for i in np.flatnonzero(~up)]
            if not states or states[-1][1] != down:
                states.append((start, down))
        final_up = self.segments[-1][1]
        for level in current_levels:
            last = self.segments[-1][2].get(level) or self._served(final_up, level)
            for service in self.services:
                outcomes[service.name].final_served[level] = last[service.name]
                outcomes[service.name].min_served.setdefault(level, last[service.name])
        self._headroom(final_up, outcomes, current_levels)
        return Timeline(
            fleet=self.fleet.name,
            scenario=self.spec.name,
            description=self.spec.description,
            horizon_s=end,
            surge=self.surge_name,
            events=self.events,
            losses=losses,
            services=list(outcomes.values()),
            down_at_end=sorted(self.graph.component_names[i] for i in np.flatnonzero(~final_up)),
            demand_levels=current_levels,
            states=states,
        )

    def _level_of(self, segment: int) -> str:
        """The scenario's demand level during a segment (surge events switch it)."""
        start = self.segments[segment][0]
        level = "baseline"
        for event in self.spec.events:
            if event.kind == "surge" and event.at_s <= start:
                level = event.surge
        return level

    def _headroom(
        self, up: np.ndarray, outcomes: dict[str, ServiceOutcome], levels: list[str]
    ) -> None:
        """Live capacity over demand − 1 at the end, per level (negative: short)."""
        for service in self.services:
            live = self._replica_live(service, up)
            capacity = sum(
                r.capacity_rps * v
                for r, v in zip(service.replicas, live, strict=True)
                if r.role == "active" or service.name in self.promoted
            )
            for level in levels:
                demand = service.demand_rps * self._multiplier(service, level)
                outcomes[service.name].final_headroom[level] = capacity / demand - 1.0


def simulate(
    fleet: Fleet,
    spec: ScenarioSpec,
    evaluator: Evaluator | None = None,
    horizon_s: float | None = None,
) -> Timeline:
    """Simulate ``spec`` against ``fleet`` and return its :class:`Timeline`."""
    return _Simulation(fleet, evaluator or Evaluator(fleet), spec, horizon_s).run()


# --------------------------------------------------------------------------- helpers


def _enclosing_building(site: Site, zone_name: str) -> str:
    chain = site.zone_ancestors(zone_name)
    by_name = {z.name: z for z in site.zones}
    for name in chain:
        if by_name[name].kind == "building":
            return name
    return chain[-1]


def _neighbours(site: Site, zone_name: str) -> list[tuple[str, float]]:
    """Zones sharing space with ``zone_name`` (declared on either side) and the delay."""
    out: dict[str, float] = {}
    for zone in site.zones:
        for shared in zone.shares_space_with:
            if zone.name == zone_name:
                other = shared.zone
            elif shared.zone == zone_name:
                other = zone.name
            else:
                continue
            out[other] = min(out.get(other, float("inf")), shared.spread_delay_s)
    return sorted(out.items())


def _power_order(fleet: Fleet) -> list[str]:
    """Components ordered consumers-first along power requirements (cycles broken)."""
    suppliers = {
        c.name: [s for r in c.requires if r.resource == "power" for s in r.suppliers]
        for _, c in fleet.components()
    }
    return suppliers_first(suppliers, suppliers)[::-1]


def _generator_only(fleet: Fleet) -> set[str]:
    """Components powered only by generators (a generator bus): dark while they stand by."""
    gens = {c.name for _, c in fleet.components() if c.kind == "generator"}
    only: set[str] = set()
    grew = True
    while grew:
        grew = False
        for _, comp in fleet.components():
            if comp.name in gens or comp.name in only:
                continue
            supplies = [s for r in comp.requires if r.resource == "power" for s in r.suppliers]
            if supplies and all(s in gens or s in only for s in supplies):
                only.add(comp.name)
                grew = True
    return only
