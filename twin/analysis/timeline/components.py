"""The component log: what went down, what came back, and why, at every settle."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twin.analysis.engine import Evaluation
from twin.analysis.timeline.records import Cause, CauseKind, EventKind, cause

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = ["ComponentLog"]


class ComponentLog:
    """Reports components going down (with their cause) and coming back."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self._reported_down: set[str] = set()
        self._prev_up: np.ndarray | None = None

    def update(self, evaluation: Evaluation) -> None:
        """Log what went down and came back since the last settle.

        A generator on standby, or a bus fed only by generators, is dark without
        having failed: it is reported down only when it fails outright (a fire, a
        lost site) or after it had been running.
        """
        up = evaluation.up
        if self._prev_up is None:  # the state before the scenario: nothing has happened yet
            self._prev_up = up
            return
        names = self.sim.twin.graph.component_names
        failed = self.sim.state.failed
        down = [
            i
            for i in np.flatnonzero(~up)
            if names[i] not in self._reported_down
            and (self._prev_up[i] or names[i] in failed)
            and not self._dark_by_design(names[i])
        ]
        # direct failures first, then what they took down (index order within each)
        graph = self.sim.twin.graph
        for i in sorted(down, key=lambda i: names[i] not in failed):
            name = names[i]
            self._reported_down.add(name)
            if graph.is_row[i] and self._lost_power(evaluation, int(i)):
                self.sim.power_lost.add(name)
            if name in failed:
                reason, trigger = failed[name].reason, failed[name].trigger
            else:
                reason, trigger = self._supply_lost(evaluation, int(i)), None
            self.sim.log(
                EventKind.COMPONENT_DOWN,
                name,
                reason,
                trigger=trigger,
                initiator=self.sim.initiator,
            )
        for i in np.flatnonzero(up):
            if names[i] in self._reported_down:
                self._reported_down.discard(names[i])
                self.sim.log(
                    EventKind.COMPONENT_UP,
                    names[i],
                    cause(CauseKind.SUPPLY_RESTORED),
                    initiator=self.sim.initiator,
                )
        self._prev_up = up

    def _lost_power(self, evaluation: Evaluation, component: int) -> bool:
        """Failed outright, or a power group unmet: its servers went down hard."""
        g = self.sim.twin.graph
        if g.component_names[component] in self.sim.state.failed:
            return True
        assert evaluation.met is not None
        return any(
            g.gate_resource[k] == "power" and not evaluation.met[k]
            for k in range(int(g.owner_gate_ptr[component]), int(g.owner_gate_ptr[component + 1]))
        )

    def _dark_by_design(self, name: str) -> bool:
        """A standby generator, or a generator-only bus while no generator runs."""
        state = self.sim.state
        if name in state.failed:
            return False
        if name in state.gen_state:
            return state.gen_state[name] in ("standby", "starting")
        # a generator bus is dark by design until some generator has run or failed
        return name in self.sim.twin.generator_only and all(
            st in ("standby", "starting") for st in state.gen_state.values()
        )

    def _supply_lost(self, evaluation: Evaluation, component: int) -> Cause:
        """The first requirement group the engine found unmet, with its suppliers down."""
        g = self.sim.twin.graph
        k = evaluation.first_unmet_gate(component)
        if k is None:
            return cause(CauseKind.DOWN)
        suppliers = g.suppliers_of_gate(k).tolist()
        down = tuple(g.component_names[s] for s in suppliers if not evaluation.up[s])
        group = k - int(g.owner_gate_ptr[component])
        resource = g.gate_resource[k]
        if g.gate_is_capacity[k]:
            return cause(
                CauseKind.SUPPLY_LOST,
                resource=resource,
                group=group,
                capacity=float(g.gate_threshold[k]),
                down=down,
            )
        return cause(
            CauseKind.SUPPLY_LOST,
            resource=resource,
            group=group,
            at_least=int(g.gate_threshold[k]),
            suppliers=len(suppliers),
            down=down,
        )
