"""Thermal storage over time: it starts discharging when a component it supplies would
otherwise lose cooling, and is exhausted ``minutes`` later."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.analysis.engine import Evaluation
from twin.analysis.timeline.core import P_DEPLETION, Scheduled
from twin.analysis.timeline.records import CauseKind, EventKind, cause

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = ["CoolingSystem", "StorageExhausted"]


@dataclass
class StorageExhausted(Scheduled):
    """A discharging thermal store has used up its stored cooling."""

    name: str

    def apply(self, sim: Simulation) -> None:
        sim.cooling.exhausted(self.name, self.initiator)


class CoolingSystem:
    """Thermal stores: idle, discharging, failed."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state
        g = sim.twin.graph
        # store → the components it supplies, in compiled order of their gates
        self._consumers: dict[str, list[str]] = {
            name: [g.component_names[int(g.gate_owner[k])] for k in g.gates_fed_by(c)]
            for name in self.state.storages
            for c in [g.component_index[name]]
        }

    def start(self, current: Evaluation) -> bool:
        """Start discharging idle stores whose consumers would lose cooling without them.

        Discharging does not change the steady state (stores are sources either way);
        it starts the clock of their exhaustion. Returns False for that reason.
        """
        sim, state = self.sim, self.state
        idle = [s for s, st in state.storage_state.items() if st == "idle"]
        if not idle:
            return False
        without = sim.evaluate(extra_excluded=frozenset(idle))
        for name in idle:
            needy = [
                c
                for c in self._consumers.get(name, ())
                if current.is_up(c) and not without.is_up(c)
            ]
            if needy:
                storage = state.storages[name]
                state.storage_state[name] = "discharging"
                sim.log(
                    EventKind.THERMAL_STORAGE_DISCHARGING,
                    name,
                    cause(CauseKind.STORAGE_DISCHARGING, needy[0], minutes=storage.minutes),
                    initiator=sim.initiator,
                )
                sim.queue.schedule(
                    sim.now + storage.minutes * 60.0,
                    P_DEPLETION,
                    StorageExhausted(name, initiator=sim.initiator),
                )
        return False

    def exhausted(self, name: str, initiator: int | None) -> None:
        sim, state = self.sim, self.state
        if state.storage_state.get(name) == "discharging":
            event_id = sim.log(
                EventKind.THERMAL_STORAGE_EXHAUSTED,
                name,
                cause(CauseKind.STORAGE_EXHAUSTED, event=True),
                initiator=initiator,
            )
            state.fail(name, cause(CauseKind.STORAGE_EXHAUSTED), event_id)
