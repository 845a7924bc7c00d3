"""Exact steady-state availability by enumerating every state of a small system.

With n things that fail at random (components and common-cause events) there are 2**n
states; each is weighted by the product of their steady-state probabilities (a
generator's unavailability rises by its demand-failure share in the states where its
site's grid is out: the model of :mod:`twin.analysis.availability.model`) and judged by
the engine. Exact for that model, batteries' ride-through aside (Monte Carlo only).
Practical up to about twenty variables.
"""

from __future__ import annotations

import itertools

import numpy as np

from twin.analysis.availability.model import Process, ReliabilityModel

__all__ = ["MAX_EXACT_COMPONENTS", "exact_unavailability", "exact_variables"]

MAX_EXACT_COMPONENTS = 20
"""More components than this and the enumeration (2**n states) is refused."""


def exact_unavailability(model: ReliabilityModel, chunk: int = 1 << 14) -> np.ndarray:
    """Steady-state unavailability of each criterion (``model.criteria`` order).

    >>> from stacks import build_stack
    >>> from twin.analysis.twin import Twin
    >>> model = ReliabilityModel(Twin(build_stack("lab")))
    >>> exact_unavailability(model)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: 76 things fail at random: exact enumeration handles at most 20
    """
    variables = exact_variables(model)
    n = len(variables)
    if n > MAX_EXACT_COMPONENTS:
        raise ValueError(
            f"{n} things fail at random: exact enumeration handles at most "
            f"{MAX_EXACT_COMPONENTS}; use the cut-set or Monte Carlo method"
        )
    q = np.array([p.q for p in variables])
    members = np.zeros((n, model.twin.graph.n_components), dtype=bool)
    for j, p in enumerate(variables):
        members[j, list(p.members)] = True
    own = {p.members[0]: j for j, p in enumerate(variables) if p.kind == "component"}
    coupling = [
        (own[g], model.site_feeds[site], float(model.demand_failure[g]))
        for g, site in model.generator_site.items()
        if g in own and model.site_feeds[site] and model.demand_failure[g] > 0
    ]
    total = np.zeros(len(model.criteria))
    states = itertools.product((False, True), repeat=n)  # True: failed
    while block := list(itertools.islice(states, chunk)):
        failed = np.array(block, dtype=bool).reshape(len(block), n)
        down = (failed.astype(np.int64) @ members.astype(np.int64)) > 0
        p_down = np.broadcast_to(q, failed.shape).copy()
        for j, feeds, demand in coupling:
            grid_out = down[:, feeds].all(axis=1)
            p_down[grid_out, j] = q[j] + (1.0 - q[j]) * demand
        weights = np.where(failed, p_down, 1.0 - p_down).prod(axis=1)
        chosen = [np.flatnonzero(row).tolist() for row in failed]
        total += weights @ model.judge(variables, chosen)
    return total


def exact_variables(model: ReliabilityModel) -> list[Process]:
    """The independent two-state variables: every process, and every generator that can
    fail on demand though it never fails on its own."""
    names = model.twin.graph.component_names
    listed = {p.members[0] for p in model.processes if p.kind == "component"}
    extra = [
        Process("component", names[g], (g,), 0.0, 1.0)
        for g in model.generator_site
        if g not in listed and model.demand_failure[g] > 0
    ]
    return [*model.processes, *extra]
