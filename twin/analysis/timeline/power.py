"""Power sources and storage over time: generators, fuel, UPS batteries, load flow.

* **Generators** stand by until running them would restore something (a component
  or a UPS input) at their site; they run ``start_delay_s`` later, or fail to start
  if the scenario says so. Fuel lasts ``fuel_hours`` at rated load, longer at part
  load; refuelling is not modelled.
* **UPS on battery**: a UPS whose input is lost keeps its output while a live
  battery string holds energy. Ride-through = Σ energy_kwh × battery efficiency ×
  UPS efficiency / load.
* **Load flow**: the load on each live power component is its own draw plus what
  flows to it from its consumers, split over their live suppliers (by rated
  capacity in a capacity group, evenly in a count group), rows first, up to the
  sources.

Whether a requirement group is met is always the engine's answer
(:meth:`twin.analysis.engine.Evaluation.gates_met`): nothing here re-implements it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.analysis.engine import Evaluation
from twin.analysis.timeline.core import P_DEPLETION, P_POWER, Scheduled
from twin.analysis.timeline.records import CauseKind, EventKind, cause
from twin.analysis.timeline.state import ENERGY_EPS_KWH

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = [
    "Batteries",
    "BatteryCheck",
    "FuelCheck",
    "GeneratorReady",
    "Generators",
    "LoadFlow",
    "ride_through_s",
]


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


@dataclass
class GeneratorReady(Scheduled):
    """A starting generator has had its start delay: it runs, or fails to start."""

    name: str

    def apply(self, sim: Simulation) -> None:
        sim.generators.ready(self.name, self.initiator)


@dataclass
class FuelCheck(Scheduled):
    """A running generator may have burnt its last fuel."""

    name: str

    def apply(self, sim: Simulation) -> None:
        sim.generators.fuel_check(self.name, self.initiator)


@dataclass
class BatteryCheck(Scheduled):
    """A moment when a battery may be empty: the steady state is looked at again."""

    def apply(self, sim: Simulation) -> None:
        """Nothing to do: the settle after every step notices the empty battery."""


class Generators:
    """Standby generators: when they start, whether they run, how long their fuel lasts."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state
        twin = sim.twin
        self._gen_only = twin.generator_only
        self._site_of = {name: site.name for name, (site, _) in twin.index.items()}

    def advance(self, dt_h: float) -> None:
        """Burn fuel over ``dt_h`` hours at the current loads."""
        state = self.state
        for gen, load_kw in state.gen_load.items():
            rated = state.generators[gen].capacity_kw
            state.fuel_h[gen] = max(0.0, state.fuel_h[gen] - dt_h * load_kw / rated)

    def start(self, current: Evaluation) -> bool:
        """Start a site's standby generators when running them would change anything
        beyond their own bus: a component they would bring up, or a UPS input."""
        sim, state = self.sim, self.state
        standby = [g for g, st in state.gen_state.items() if st == "standby"]
        if not standby:
            return False
        with_gens = sim.evaluate(assume_running=frozenset(standby))
        names = sim.twin.graph.component_names
        reasons: dict[str, tuple[str, str]] = {}
        for i in (with_gens.up & ~current.up).nonzero()[0]:
            name = names[int(i)]
            if name not in self._gen_only and name not in state.gen_state:
                reasons.setdefault(self._site_of[name], (name, "supply"))
        for name in sim.batteries.on_battery_candidates(current):
            if with_gens.gates_met(name):
                reasons.setdefault(self._site_of[name], (name, "input"))
        changed = False
        for name in standby:
            site = self._site_of[name]
            if site not in reasons:
                continue
            gen = state.generators[name]
            state.gen_state[name] = "starting"
            what, lost = reasons[site]
            sim.log(
                EventKind.GENERATOR_START,
                name,
                cause(CauseKind.GENERATOR_DEMAND, what, lost=lost),
                initiator=sim.initiator,
            )
            sim.queue.schedule(
                sim.now + gen.start_delay_s,
                P_POWER,
                GeneratorReady(name, initiator=sim.initiator),
            )
            changed = gen.start_delay_s == 0 or changed
        if changed:  # zero-delay starts complete now, before the state is read
            sim.apply_due()
        return changed

    def ready(self, name: str, initiator: int | None) -> None:
        sim, state = self.sim, self.state
        if state.gen_state.get(name) != "starting":
            return
        if name in state.fail_to_start:
            event_id = sim.log(
                EventKind.GENERATOR_FAILED_TO_START,
                name,
                cause(CauseKind.FAILED_TO_START, event=True),
                initiator=initiator,
            )
            state.fail(name, cause(CauseKind.FAILED_TO_START), event_id)
            return
        gen = state.generators[name]
        state.gen_state[name] = "running"
        sim.supplies.generator_running(name)
        sim.log(
            EventKind.GENERATOR_RUNNING,
            name,
            cause(CauseKind.GENERATOR_STARTED, delay_s=gen.start_delay_s),
            initiator=initiator,
        )

    def fuel_check(self, name: str, initiator: int | None) -> None:
        sim, state = self.sim, self.state
        if state.gen_state.get(name) == "running" and state.fuel_h[name] <= 1e-9:
            gen = state.generators[name]
            event_id = sim.log(
                EventKind.GENERATOR_OUT_OF_FUEL,
                name,
                cause(
                    CauseKind.OUT_OF_FUEL,
                    event=True,
                    fuel_hours=gen.fuel_hours,
                    contract=sim.twin.fleet.recovery.fuel_contract is not None,
                ),
                initiator=initiator,
            )
            state.fail(name, cause(CauseKind.OUT_OF_FUEL), event_id)

    def update_fuel(self, loads: dict[str, float]) -> None:
        """Record each running generator's load and when its fuel runs out at that load."""
        sim, state = self.sim, self.state
        state.gen_load = {
            g: loads.get(g, 0.0) for g, st in state.gen_state.items() if st == "running"
        }
        for gen, load_kw in state.gen_load.items():
            if load_kw > 0:
                rated = state.generators[gen].capacity_kw
                hours = state.fuel_h[gen] * rated / load_kw
                sim.queue.schedule(
                    sim.now + hours * 3600.0, P_DEPLETION, FuelCheck(gen, initiator=sim.initiator)
                )


class Batteries:
    """UPS battery strings: which UPSs ride through on battery, and for how long."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state

    def advance(self, dt_h: float) -> None:
        """Drain the batteries of UPSs on battery over ``dt_h`` hours."""
        for ups, load_kw in self.state.on_battery.items():
            self._drain(ups, load_kw, dt_h)

    def _drain(self, ups_name: str, load_kw: float, dt_h: float) -> None:
        state = self.state
        ups = state.upss[ups_name]
        usable = state.usable_kwh(ups)
        if usable <= 0:
            return
        fraction = min(1.0, load_kw * dt_h / usable)
        for battery in state.live_batteries(ups):
            state.battery_kwh[battery] *= 1.0 - fraction
            if state.battery_kwh[battery] <= ENERGY_EPS_KWH * max(1.0, load_kw):
                state.battery_kwh[battery] = 0.0

    def on_battery_candidates(self, evaluation: Evaluation) -> list[str]:
        """Live UPSs whose own input requirements are not met (carried by battery)."""
        return [
            name
            for name in self.state.upss
            if evaluation.is_up(name) and not evaluation.gates_met(name)
        ]

    def update(self, evaluation: Evaluation, loads: dict[str, float]) -> list[tuple[str, float]]:
        """Which UPSs run on battery now (and when they may run dry); log those that
        came off battery. Returns the UPSs newly on battery with their load."""
        sim, state = self.sim, self.state
        now_on: dict[str, float] = {}
        for name, ups in state.upss.items():
            if name in state.failed or not evaluation.is_up(name):
                continue
            if evaluation.gates_met(name) or not state.has_energy(ups):
                continue
            now_on[name] = loads.get(name, 0.0)
        newly = [(n, load) for n, load in now_on.items() if n not in state.on_battery]
        for name, load_kw in now_on.items():
            usable = state.usable_kwh(state.upss[name])
            if load_kw > 0:
                sim.queue.schedule(
                    sim.now + usable / load_kw * 3600.0,
                    P_DEPLETION,
                    BatteryCheck(initiator=sim.initiator),
                )
        for name in state.on_battery:
            if name not in now_on and name not in state.failed:
                ups = state.upss[name]
                if not state.has_energy(ups):
                    sim.log(
                        EventKind.BATTERY_DEPLETED,
                        name,
                        cause(CauseKind.BATTERY_DEPLETED),
                        initiator=sim.initiator,
                    )
                elif evaluation.gates_met(name):
                    sim.log(
                        EventKind.OFF_BATTERY,
                        name,
                        cause(CauseKind.INPUT_RESTORED),
                        initiator=sim.initiator,
                    )
        state.on_battery = now_on
        return newly


class LoadFlow:
    """kW through every live power component, from the rows up to the sources."""

    def __init__(self, sim: Simulation) -> None:
        self._plan = _load_plan(sim)

    def loads(self, evaluation: Evaluation) -> dict[str, float]:
        """kW flowing through each live power component, split over live suppliers."""
        up = evaluation.up.tolist()  # list indexing: this loop runs at every settle
        loads: dict[str, float] = defaultdict(float)
        for c, name, own, groups in self._plan:  # consumers before suppliers
            if not up[c]:
                continue
            total = own + loads.get(name, 0.0)
            if total <= 0:
                continue
            for indices, names, weights in groups:
                live = [k for k, s in enumerate(indices) if up[s]]
                if not live:
                    continue
                wsum = sum(weights[k] for k in live) or float(len(live))
                for k in live:
                    loads[names[k]] += total * (weights[k] or 1.0) / wsum
        return dict(loads)


_Group = tuple[list[int], list[str], list[float]]


def _load_plan(sim: Simulation) -> list[tuple[int, str, float, list[_Group]]]:
    """Per component in power order: (index, name, own draw, its power groups as
    (supplier indices, supplier names, weights)). Weights are the compiled graph's."""

    def build() -> list[tuple[int, str, float, list[_Group]]]:
        twin = sim.twin
        g = twin.graph
        index = g.component_index
        ptr = g.owner_gate_ptr
        plan = []
        for name in twin.power_order:
            c = index[name]
            groups: list[_Group] = []
            for k in range(int(ptr[c]), int(ptr[c + 1])):
                if g.gate_resource[k] != "power":
                    continue
                indices = g.suppliers_of_gate(k).tolist()
                names = [g.component_names[s] for s in indices]
                groups.append((indices, names, g.weights_of_gate(k).tolist()))
            plan.append((c, name, twin.index[name][1].power_draw_kw, groups))
        return plan

    return sim.twin.memo("timeline-load-plan", build)
