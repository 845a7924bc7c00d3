"""The yardstick a competent engineer would write: a worklist on networkx adjacency.

Same gate semantics as :mod:`twin.analysis.engine` (the components part): a component
is up iff it is not failed and (it is held up or every requirement group is met); a
group is met while the summed weight of its up suppliers reaches its threshold. From
the all-up state, each component that goes down decrements the groups it supplies,
and an owner whose group drops below threshold goes down in turn. Monotone, so the
result is the greatest fixpoint, like the engine's.

Not used by dctwin: the benchmarks time the engine against it, and
``tests/test_yardstick.py`` checks that both agree.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

import networkx as nx

from twin.model import Fleet

EPSILON = 1e-9


class NxWorklist:
    """Down sets of failure scenarios, by a worklist over a networkx ``DiGraph``."""

    def __init__(self, fleet: Fleet) -> None:
        comps = {c.name: c for _, c in fleet.components()}
        graph = nx.DiGraph()
        graph.add_nodes_from(comps)
        # per owner: its groups as (threshold, {supplier: weight})
        self.groups: dict[str, list[tuple[float, dict[str, float]]]] = {}
        for name, comp in comps.items():
            groups = []
            for req in comp.requires:
                weights = {
                    s: float(comps[s].capacity_for(req.resource) or 0.0)
                    if req.is_capacity_gate
                    else 1.0
                    for s in req.suppliers
                }
                groups.append((float(req.threshold), weights))
                graph.add_edges_from((s, name) for s in req.suppliers)
            self.groups[name] = groups
        self.graph = graph
        full = {name: [sum(w.values()) for _, w in gs] for name, gs in self.groups.items()}
        # the all-up state: anything whose groups are unmet even with everything up
        unmet = [name for name in comps if self._unmet(name, full[name])]
        self.base_live: dict[str, list[float]] = full
        self.base_down: frozenset[str] = frozenset()
        self.base_down, self.base_live = self._propagate(set(unmet), full, copy=False)

    def _unmet(self, owner: str, sums: list[float]) -> bool:
        return any(sums[k] < t - EPSILON for k, (t, _) in enumerate(self.groups[owner]))

    def _propagate(
        self, start: set[str], base: dict[str, list[float]], copy: bool = True
    ) -> tuple[frozenset[str], dict[str, list[float]]]:
        down = set(self.base_down) | start
        live: dict[str, list[float]] = {} if copy else base
        work = deque(start - self.base_down)
        while work:
            gone = work.popleft()
            for owner in self.graph.successors(gone):
                if owner in down:
                    continue
                sums = live.get(owner)
                if sums is None:  # copy on first touch: a scenario costs its cone
                    sums = live[owner] = list(base[owner])
                for k, (_, weights) in enumerate(self.groups[owner]):
                    if gone in weights:
                        sums[k] -= weights[gone]
                if self._unmet(owner, sums):
                    down.add(owner)
                    work.append(owner)
        return frozenset(down), live

    def down(self, failed: Iterable[str]) -> frozenset[str]:
        """Every component down when ``failed`` fail (themselves included)."""
        return self._propagate(set(failed), self.base_live)[0]
