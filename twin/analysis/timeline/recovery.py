"""Recovery over time: repairs, fires going out, power coming back, servers restarting,
fuel deliveries, the grid and lost sites returning.

Every step is driven by a declared input (:mod:`twin.model.recovery`) and its event
names the input, so a report can say which inputs drive each stage of a recovery:

* a component failed outright (a fault, a failed start, a cut fibre) is repaired
  after its repair time; one a fire burnt is replaced that long after the fire is out;
* a fire is out ``extinguished_after_s`` after its zone ignited (or the fleet's
  ``fire_burn_s``); a zone the fire service cut comes back in its ``reenergize``
  phases once no fire burns inside it (suppliers first, rack rows last);
* a row whose power was lost restarts its servers at the site's rate once it has power
  again, first come first served;
* fuel deliveries under a contract refill a site's generators (and restart one that
  ran dry); the grid and a lost site return after their scenario's ``duration_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.analysis.engine import Evaluation
from twin.analysis.ordering import suppliers_first
from twin.analysis.timeline.core import P_POWER, P_SCENARIO, Scheduled
from twin.analysis.timeline.records import CauseKind, EventKind, cause
from twin.analysis.timeline.state import Failure
from twin.model import RackRow

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = [
    "FuelDelivery",
    "Reenergize",
    "Repair",
    "Repairs",
    "RestartDone",
    "Restarts",
    "Return",
    "Supplies",
]

_REPAIRABLE = frozenset(
    {
        CauseKind.COMPONENT_FAILURE,
        CauseKind.COOLING_PLANT_LOSS,
        CauseKind.SRLG_CUT,
        CauseKind.FAILED_TO_START,
    }
)
"""Outright failures repaired after the component's repair time from the moment they
happen; fire damage waits for the fire to be out, cuts and losses have their own clocks."""


@dataclass
class Repair(Scheduled):
    """A failed component is repaired or replaced."""

    name: str
    input: str

    def apply(self, sim: Simulation) -> None:
        sim.repairs.repaired(self)


@dataclass
class Reenergize(Scheduled):
    """A phase of bringing a de-energised zone back."""

    site: str
    zone: str
    fraction: float
    phase: int

    def apply(self, sim: Simulation) -> None:
        sim.repairs.reenergize(self)


@dataclass
class RestartDone(Scheduled):
    """A row's servers have booted."""

    row: str

    def apply(self, sim: Simulation) -> None:
        sim.restarts.restarted(self.row)


@dataclass
class FuelDelivery(Scheduled):
    """A fuel truck arrives at a site."""

    site: str

    def apply(self, sim: Simulation) -> None:
        sim.supplies.delivered(self.site)


@dataclass
class Return(Scheduled):
    """The grid, or a lost site, is back after its scenario's duration."""

    names: tuple[str, ...]
    what: CauseKind
    subject: str
    duration_s: float

    def apply(self, sim: Simulation) -> None:
        sim.supplies.returned(self)


class Repairs:
    """Repairs and replacements, fires going out, and de-energised zones coming back."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state
        self.recovery = sim.twin.fleet.recovery
        self.state.listeners.append(self._on_failure)

    def repair_time(self, name: str) -> tuple[float, str]:
        """Seconds to repair ``name`` and the input that says so."""
        figure = self.sim.twin.reliability.mttr_h[name]
        return figure.value * 3600.0, figure.source

    def _on_failure(self, name: str, failure: Failure) -> None:
        if failure.reason.kind in _REPAIRABLE:
            self.schedule_repair(name)

    def schedule_repair(self, name: str, after_s: float = 0.0) -> None:
        seconds, source = self.repair_time(name)
        sim = self.sim
        sim.queue.schedule(
            sim.now + after_s + seconds, P_POWER, Repair(name, source, initiator=sim.initiator)
        )

    def repaired(self, event: Repair) -> None:
        if self.state.restore(event.name):
            seconds, _ = self.repair_time(event.name)
            self.sim.log(
                EventKind.REPAIRED,
                event.name,
                cause(CauseKind.REPAIRED, event.input, seconds=seconds),
                initiator=event.initiator,
            )

    # ------------------------------------------------------------------ fire and power

    def fire_out(self, site: str, zone: str, burnt: list[str]) -> None:
        """A fire is out: replace what it burnt; bring back cut zones no fire burns in."""
        for name in burnt:
            failure = self.state.failed.get(name)
            if failure is not None and failure.reason.kind == CauseKind.FIRE:
                self.schedule_repair(name)
        for cut in list(self.sim.fire.pending_cuts(site)):
            phases = cut.phases or [(0.0, 1.0)]
            for k, (after_s, fraction) in enumerate(phases):
                self.sim.queue.schedule(
                    self.sim.now + after_s,
                    P_POWER,
                    Reenergize(cut.site, cut.target, fraction, k + 1, initiator=self.sim.initiator),
                )

    def reenergize(self, event: Reenergize) -> None:
        sim = self.sim
        site = sim.twin.sites[event.site]
        inside = site.zone_closure(event.zone)
        names = [c.name for c in site.components if c.zone in inside]
        suppliers = {
            c.name: [s for r in c.requires for s in r.suppliers]
            for c in site.components
            if c.zone in inside
        }
        ordered = suppliers_first(names, suppliers)
        ordered = [
            n for n in ordered if n in suppliers
        ]  # suppliers outside the zone are not its own
        count = math.ceil(event.fraction * len(ordered) - 1e-9)
        back = [
            n
            for n in ordered[:count]
            if (f := self.state.failed.get(n)) is not None
            and f.reason.kind == CauseKind.DEENERGIZED
            and f.reason.source == event.zone
        ]
        for name in back:
            self.state.restore(name)
        sim.log(
            EventKind.REENERGIZED,
            f"{event.site}/{event.zone}",
            cause(
                CauseKind.REENERGIZED,
                event.zone,
                phase=event.phase,
                fraction=event.fraction,
                components=len(back),
            ),
            initiator=event.initiator,
            site=event.site,
            zone=event.zone,
        )


class Restarts:
    """Servers booting, row by row, at each site's rate once their rows have power."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state
        self.recovery = sim.twin.fleet.recovery
        self._site_of = {name: site.name for name, (site, _) in sim.twin.index.items()}
        self._rows = sim.twin.all(RackRow)
        self._free_at: dict[str, float] = {}

    def _rate(self, site: str) -> float | None:
        declared = self.sim.twin.sites[site].restart_servers_per_h
        return declared if declared is not None else self.recovery.restart_servers_per_h

    def hold(self, evaluation: Evaluation, power_lost: set[str]) -> bool:
        """Rows that lost power and have it again restart their servers before they serve.

        Returns True when rows were newly held (the caller evaluates again)."""
        sim = self.sim
        held = False
        for name in sorted(power_lost, key=sim.twin.graph.component_index.__getitem__):
            if name in self.state.restarting or not evaluation.is_up(name):
                continue
            power_lost.discard(name)
            site = self._site_of[name]
            rate = self._rate(site)
            if rate is None:
                continue
            start = max(sim.now, self._free_at.get(site, sim.now))
            done = start + self._rows[name].servers / rate * 3600.0
            self._free_at[site] = done
            self.state.restarting.add(name)
            sim.queue.schedule(done, P_POWER, RestartDone(name, initiator=sim.initiator))
            held = True
        return held

    def restarted(self, row: str) -> None:
        if row in self.state.restarting:
            self.state.restarting.discard(row)
            site = self._site_of[row]
            self.sim.log(
                EventKind.SERVERS_RESTARTED,
                row,
                cause(
                    CauseKind.RESTARTED,
                    site,
                    servers=self._rows[row].servers,
                    rate=self._rate(site),
                ),
                initiator=self.sim.initiator,
            )


class Supplies:
    """Fuel deliveries, and the grid or a lost site coming back."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state
        self.recovery = sim.twin.fleet.recovery
        self._site_of = {name: site.name for name, (site, _) in sim.twin.index.items()}
        self._contract_started: set[str] = set()

    def generator_running(self, name: str) -> None:
        """A generator runs: start its site's fuel contract, if there is one."""
        contract = self.recovery.fuel_contract
        site = self._site_of[name]
        if contract is None or site in self._contract_started:
            return
        self._contract_started.add(site)
        sim = self.sim
        sim.queue.schedule(
            sim.now + contract.first_delivery_s,
            P_POWER,
            FuelDelivery(site, initiator=sim.initiator),
        )

    def delivered(self, site: str) -> None:
        sim, state = self.sim, self.state
        contract = self.recovery.fuel_contract
        assert contract is not None
        refilled = []
        for name, gen in state.generators.items():
            if self._site_of[name] != site:
                continue
            failure = state.failed.get(name)
            if failure is not None and failure.reason.kind == CauseKind.OUT_OF_FUEL:
                state.restore(name)
            if name not in state.failed:
                state.fuel_h[name] = gen.fuel_hours
                refilled.append(name)
        sim.log(
            EventKind.FUEL_DELIVERED,
            site,
            cause(CauseKind.FUEL_DELIVERY, site, generators=len(refilled)),
            initiator=sim.initiator,
        )
        if sim.now + contract.interval_s <= sim.horizon:
            sim.queue.schedule(
                sim.now + contract.interval_s, P_POWER, FuelDelivery(site, initiator=sim.initiator)
            )

    def schedule_return(
        self, names: list[str], what: CauseKind, subject: str, duration_s: float | None
    ) -> None:
        if duration_s is None:
            return
        sim = self.sim
        sim.queue.schedule(
            sim.now + duration_s,
            P_SCENARIO,
            Return(tuple(names), what, subject, duration_s, initiator=sim.initiator),
        )

    def returned(self, event: Return) -> None:
        state = self.state
        back = [
            n
            for n in event.names
            if (f := state.failed.get(n)) is not None and f.reason.kind == event.what
        ]
        for name in back:
            state.restore(name)
        if event.what == CauseKind.UTILITY_LOSS:
            # back on the grid: running generators at the site return to standby
            sites = {self._site_of[n] for n in event.names}
            for gen, st in state.gen_state.items():
                if st == "running" and self._site_of[gen] in sites:
                    state.gen_state[gen] = "standby"
        self.sim.log(
            EventKind.RETURNED,
            event.subject,
            cause(
                CauseKind.RETURNED, event.subject, what=str(event.what), duration_s=event.duration_s
            ),
            initiator=event.initiator,
        )
