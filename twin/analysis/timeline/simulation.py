"""One scenario run: inject its events, step the queue, settle the steady state each step.

Between events the state is constant except for stored energy (batteries, fuel,
thermal storage), whose depletion is itself a scheduled event. After every step the
simulation *settles*: it asks the engine for the steady state (failed components
and idle generators excluded, UPSs with a live battery held up), lets generators
and thermal stores react until nothing changes, flows the load, updates batteries
and fuel, logs what went down or came back, and the service subsystem works out
what every service serves at every demand level.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.analysis.engine import Evaluation, Surge
from twin.analysis.timeline.components import ComponentLog
from twin.analysis.timeline.cooling import CoolingSystem
from twin.analysis.timeline.core import P_SCENARIO, EventLog, EventQueue, Scheduled
from twin.analysis.timeline.fire import FireSystem
from twin.analysis.timeline.injection import inject
from twin.analysis.timeline.outcomes import Segment, assemble
from twin.analysis.timeline.power import Batteries, Generators, LoadFlow
from twin.analysis.timeline.records import Cause, CauseKind, EventKind, Timeline, cause
from twin.analysis.timeline.recovery import Repairs, Restarts, Supplies
from twin.analysis.timeline.services import Rebuilds, ServiceSystem
from twin.analysis.timeline.state import PlantState
from twin.analysis.twin import Twin, as_twin
from twin.model import Fleet
from twin.model import scenarios as sc

if TYPE_CHECKING:
    from twin.model.scenarios import Event

__all__ = ["DEFAULT_HORIZON_S", "Simulation", "simulate"]

DEFAULT_HORIZON_S = 168 * 3600.0
"""A week: long enough for the recovery of a whole building (Pangyo took 127.5 h)."""


@dataclass
class Inject(Scheduled):
    """A scenario event takes effect."""

    event: Event

    def apply(self, sim: Simulation) -> None:
        inject(sim, self.event)


class Simulation:
    """The clock, the queue, the log and the subsystems of one scenario run."""

    def __init__(self, twin: Twin, spec: sc.ScenarioSpec, horizon_s: float | None) -> None:
        self.twin = twin
        self.spec = spec
        self.horizon = float(horizon_s or spec.horizon_s or DEFAULT_HORIZON_S)
        self.now = 0.0
        self.initiator: int | None = None  # the scenario event whose consequences run now
        self.queue = EventQueue()
        self.events = EventLog()
        self.state = PlantState(twin)
        self.fire = FireSystem(self)
        self.generators = Generators(self)
        self.batteries = Batteries(self)
        self.load_flow = LoadFlow(self)
        self.cooling = CoolingSystem(self)
        self.services = ServiceSystem(self)
        self.rebuilds = Rebuilds(self)
        self.component_log = ComponentLog(self)
        self.repairs = Repairs(self)
        self.restarts = Restarts(self)
        self.supplies = Supplies(self)
        self.power_lost: set[str] = set()  # rows that lost power: their servers must boot
        self.segments: list[Segment] = []
        self.initial: Evaluation | None = None  # the state before anything happened

    # ------------------------------------------------------------------ running

    def run(self) -> Timeline:
        for event in self.spec.events:
            self.queue.schedule(event.at_s, P_SCENARIO, Inject(event))
        self.settle()  # the state before anything happens
        while (when := self.queue.next_time()) is not None and when <= self.horizon:
            self.advance(when)
            self.apply_due()
            self.settle()
        self.advance(self.horizon)
        return assemble(self, self.segments, self.levels())

    def advance(self, time: float) -> None:
        """Move the clock, draining batteries and generator fuel on the way."""
        dt_h = (time - self.now) / 3600.0
        if dt_h > 0:
            self.batteries.advance(dt_h)
            self.generators.advance(dt_h)
        self.now = time

    def apply_due(self) -> None:
        """Apply every event due now, in queue order."""
        while (event := self.queue.pop_due(self.now)) is not None:
            if event.initiator is not None:
                self.initiator = event.initiator
            event.apply(self)

    def log(
        self,
        kind: EventKind,
        subject: str,
        reason: Cause,
        *,
        trigger: int | None = None,
        initiator: int | None = None,
        site: str | None = None,
        zone: str | None = None,
    ) -> int:
        return self.events.add(
            self.now,
            kind,
            subject,
            reason,
            trigger=trigger,
            initiator=initiator,
            site=site,
            zone=zone,
        )

    def levels(self) -> list[str]:
        """Demand levels reported: the scenario's current one first, then every other."""
        current = self.state.surge_name or "baseline"
        return list(dict.fromkeys([current, *self.twin.demand_levels]))

    # ------------------------------------------------------------------ steady state

    def evaluate(
        self,
        extra_excluded: frozenset[str] = frozenset(),
        assume_running: frozenset[str] = frozenset(),
        surge: Surge = 1.0,
        caps: Mapping[str | int, float] | None = None,
    ) -> Evaluation:
        """The engine's steady state for the current physical state."""
        excluded = self.state.excluded(assume_running) | extra_excluded
        return self.twin.evaluator.evaluate(
            excluded,
            held_up=self.state.held(),
            surge=surge,
            promoted=self.state.promoted,
            caps=caps,
            rebuilt=self.state.rebuilt,
        )

    def settle(self) -> None:
        """Bring derived state up to date at ``now``: sources, batteries, services."""
        state = self.state
        for _ in range(len(state.gen_state) + len(state.storage_state) + 4):
            evaluation = self.evaluate()
            changed = self.generators.start(evaluation)
            changed |= self.cooling.start(evaluation)
            changed |= self.restarts.hold(evaluation, self.power_lost)
            if not changed:
                break
        loads = self.load_flow.loads(evaluation)
        self.generators.update_fuel(loads)
        newly_on_battery = self.batteries.update(evaluation, loads)
        self.component_log.update(evaluation)
        for name, load_kw in newly_on_battery:
            self.log(
                EventKind.ON_BATTERY,
                name,
                cause(CauseKind.ON_BATTERY, load_kw=load_kw),
                initiator=self.initiator,
            )
        served = self.services.update(evaluation, self.levels())
        if self.initial is None:
            self.initial = evaluation
        if self.segments and self.segments[-1].start_s == self.now:
            self.segments.pop()  # same moment: the later settle supersedes the earlier one
        self.segments.append(
            Segment(
                self.now,
                evaluation,
                served,
                frozenset(state.excluded()),
                tuple(state.held()),
                frozenset(state.promoted),
                frozenset(state.rebuilt),
            )
        )


def simulate(
    source: Twin | Fleet, spec: sc.ScenarioSpec, horizon_s: float | None = None
) -> Timeline:
    """Simulate ``spec`` on ``source`` (a twin, or a fleet to compile) and return its
    :class:`~twin.analysis.timeline.records.Timeline`."""
    return Simulation(as_twin(source), spec, horizon_s).run()
