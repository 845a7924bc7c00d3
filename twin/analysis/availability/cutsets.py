"""Minimal cut sets and the rare-event approximation: availability of large systems.

A *cut set* is a set of things failed together that fails a criterion; it is
*minimal* when no smaller part of it does. Under the rare-event approximation the
unavailability of a criterion is the sum, over its minimal cut sets C, of
P(C) = Π q over C's members, and C's outages start at P(C) · Σ 1/r (the rate of
leaving the cut state: any member restored). The sum over-counts overlapping cut sets
(it is an upper bound when every cut set is listed) and under-counts the cut sets above
the order enumerated; both errors are of the order of q, small for real equipment.

Enumerated, with ``order`` 1 or 2:

* every component alone, and every common-cause event (a fire, a link-group cut, a
  site loss) alone;
* with ``order`` 2, every pair of components;
* a site's grid (all its utility feeds out, probability Π q_feed) as one event, alone
  and, with ``order`` 2, with each component, a generator's unavailability then
  including its demand-failure share (:mod:`twin.analysis.availability.model`).

Sets holding every feed of a site appear only as that grid event, so nothing is
counted twice. Each cut set is judged by the engine, like every other analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from twin.analysis.availability.model import Process, ReliabilityModel
from twin.analysis.interaction import every_pair, interactions

__all__ = ["CHUNK", "CutSet", "CutSetAnalysis", "cut_sets"]

CHUNK = 20_000
"""Failure sets judged per engine batch (bounds memory)."""


@dataclass(frozen=True)
class CutSet:
    """A minimal cut set of at least one criterion."""

    labels: tuple[str, ...]
    processes: tuple[int, ...]
    """Indices into ``model.processes`` of its members (a grid event: every feed)."""
    probability: float
    frequency_per_h: float
    cuts: np.ndarray
    """Per criterion: is this a minimal cut set of it?"""
    grid_site: str | None = None
    n_grid: int = 0
    """A grid cut set: its first ``n_grid`` processes are the site's feeds."""


@dataclass
class CutSetAnalysis:
    """Every minimal cut set found, and the approximations they give."""

    model: ReliabilityModel
    order: int
    cut_sets: list[CutSet]
    sets_judged: int

    @property
    def unavailability(self) -> np.ndarray:
        """Per criterion: Σ P(C) over its minimal cut sets."""
        total = np.zeros(len(self.model.criteria))
        for cut in self.cut_sets:
            total += cut.probability * cut.cuts
        return total

    @property
    def frequency_per_h(self) -> np.ndarray:
        """Per criterion: outages per hour, Σ P(C) · Σ 1/r."""
        total = np.zeros(len(self.model.criteria))
        for cut in self.cut_sets:
            total += cut.frequency_per_h * cut.cuts
        return total


def cut_sets(model: ReliabilityModel, order: int = 2, prune: bool = True) -> CutSetAnalysis:
    """Enumerate the minimal cut sets of every criterion up to ``order`` (1 or 2).

    ``prune`` judges only the pairs that interact (:mod:`twin.analysis.interaction`);
    ``False`` judges every pair, with the same result.

    >>> from stacks import build_stack
    >>> from twin.analysis.twin import Twin
    >>> analysis = cut_sets(ReliabilityModel(Twin(build_stack("lab"))), order=1)
    >>> sorted({c.labels for c in analysis.cut_sets if "loss" in c.labels[0]})
    [('loss of site lab',)]
    """
    if order not in (1, 2):
        raise ValueError("order must be 1 or 2")
    processes = model.processes
    q = np.array([p.q for p in processes])
    restore = np.array([1.0 / p.mean_h for p in processes])
    n_criteria = len(model.criteria)
    own = [j for j, p in enumerate(processes) if p.kind == "component"]
    component_of = {processes[j].members[0]: j for j in own}
    grids = _grids(model, component_of)
    complete_grid = {frozenset(feeds) for _, feeds in grids}
    found: list[CutSet] = []

    def keep(
        members: tuple[int, ...],
        cuts: np.ndarray,
        probability: float,
        labels: tuple[str, ...],
        grid: str | None = None,
    ) -> None:
        if cuts.any() and probability > 0:
            frequency = probability * float(restore[list(members)].sum())
            n_grid = len(_feeds_of(grids, grid)) if grid else 0
            found.append(CutSet(labels, members, probability, frequency, cuts.copy(), grid, n_grid))

    # singles: components and common-cause events
    singles = [j for j, p in enumerate(processes) if frozenset((j,)) not in complete_grid]
    single_fail = np.zeros((len(processes), n_criteria), dtype=bool)
    judged = _judge(model, processes, [(j,) for j in singles])
    single_fail[singles] = judged
    for j, row in zip(singles, judged, strict=True):
        keep((j,), row, float(q[j]), (processes[j].label,))
    sets_judged = len(singles)

    if order == 2:
        # a pair that does not interact is no new cut set (twin.analysis.interaction)
        pairs = (
            interactions(model.twin, [p.members for p in processes], model.base).pairs(chunk=CHUNK)
            if prune
            else every_pair(len(processes), chunk=CHUNK)
        )
        for chunk, _ in pairs:
            part = [
                (a, b)
                for a, b in chunk.tolist()
                if not complete_grid & {frozenset((a,)), frozenset((b,)), frozenset((a, b))}
            ]
            judged = _judge(model, processes, part)
            minimal = (
                judged & ~single_fail[[a for a, _ in part]] & ~single_fail[[b for _, b in part]]
            )
            for k in np.flatnonzero(minimal.any(axis=1)):
                a, b = part[k]
                labels = (processes[a].label, processes[b].label)
                keep((a, b), minimal[k], float(q[a] * q[b]), labels)
            sets_judged += len(part)

    for site, feeds in grids:
        p_grid = float(np.prod(q[list(feeds)]))
        grid_fail = _judge(model, processes, [feeds])[0]
        grid_label = f"grid out at {site}"
        keep(feeds, grid_fail, p_grid, (grid_label,), site)
        sets_judged += 1
        if order == 2:
            others = [j for j in own if j not in feeds]
            judged = _judge(model, processes, [(*feeds, j) for j in others])
            minimal = judged & ~single_fail[others] & ~grid_fail
            demand = model.demand_failure
            for k in np.flatnonzero(minimal.any(axis=1)):
                j = others[k]
                comp = processes[j].members[0]
                q_j = float(q[j]) + (1.0 - float(q[j])) * float(demand[comp])
                labels = (grid_label, processes[j].label)
                keep((*feeds, j), minimal[k], p_grid * q_j, labels, site)
            sets_judged += len(others)
    found.sort(key=lambda c: (-c.probability, c.labels))
    return CutSetAnalysis(model, order, found, sets_judged)


def _judge(
    model: ReliabilityModel, processes: list[Process], sets: Sequence[Sequence[int]]
) -> np.ndarray:
    out = np.zeros((len(sets), len(model.criteria)), dtype=bool)
    for start in range(0, len(sets), CHUNK):
        out[start : start + CHUNK] = model.judge(processes, sets[start : start + CHUNK])
    return out


def _grids(
    model: ReliabilityModel, component_of: dict[int, int]
) -> list[tuple[str, tuple[int, ...]]]:
    """Per site with utility feeds that can fail: (site, the feeds' process indices)."""
    out = []
    names = model.twin.graph.site_names
    for s, feeds in enumerate(model.site_feeds):
        if feeds and all(f in component_of for f in feeds):
            out.append((names[s], tuple(component_of[f] for f in feeds)))
    return out


def _feeds_of(grids: list[tuple[str, tuple[int, ...]]], site: str) -> tuple[int, ...]:
    return next(feeds for name, feeds in grids if name == site)
