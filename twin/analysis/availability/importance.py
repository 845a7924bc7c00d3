"""Which components and common-cause events matter most: the "fix this first" list.

From the minimal cut sets of :mod:`twin.analysis.availability.cutsets`, per criterion
with unavailability U = Σ P(C):

* **Fussell–Vesely** of x: the share of U from cut sets holding x,
  Σ_{C∋x} P(C) / U — what making x perfect would remove;
* **Birnbaum** of x: ∂U/∂q_x = Σ_{C∋x} P(C) / q_x — how much U moves per unit of x's
  own unavailability (large for a component every path needs, however reliable).

x is a component, a common-cause event (a fire, a link-group cut, a site loss), or a
site's grid (every feed out at once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.analysis.availability.cutsets import CutSetAnalysis

__all__ = ["Contributor", "importance"]


@dataclass(frozen=True)
class Contributor:
    """One thing's share in one criterion's unavailability."""

    kind: str  # "component", "fire", "srlg", "site", "grid"
    name: str
    fussell_vesely: float
    birnbaum: float
    downtime_min_per_year: float
    """Expected outage minutes a year of cut sets holding it (FV × U × minutes a year)."""


MINUTES_PER_YEAR = 525_600.0


def importance(analysis: CutSetAnalysis) -> list[list[Contributor]]:
    """Per criterion (``model.criteria`` order): contributors, most important first."""
    model = analysis.model
    processes = model.processes
    unavailability = analysis.unavailability
    n_criteria = len(model.criteria)
    share: dict[tuple[str, str], np.ndarray] = {}
    own_q: dict[tuple[str, str], float] = {}

    def add(kind: str, name: str, q: float, amount: np.ndarray) -> None:
        key = (kind, name)
        share[key] = share.get(key, np.zeros(n_criteria)) + amount
        own_q[key] = q

    for cut in analysis.cut_sets:
        amount = cut.probability * cut.cuts
        if cut.grid_site is not None:
            grid_q = float(np.prod([processes[j].q for j in cut.processes[: cut.n_grid]]))
            add("grid", f"grid at {cut.grid_site}", grid_q, amount)
        for j in cut.processes[cut.n_grid :]:
            p = processes[j]
            add(p.kind, p.label, p.q, amount)
    out: list[list[Contributor]] = []
    for c in range(n_criteria):
        u = float(unavailability[c])
        rows = [
            Contributor(
                kind,
                name,
                float(amount[c]) / u,
                float(amount[c]) / own_q[(kind, name)] if own_q[(kind, name)] > 0 else 0.0,
                float(amount[c]) * MINUTES_PER_YEAR,
            )
            for (kind, name), amount in share.items()
            if u > 0 and amount[c] > 0
        ]
        rows.sort(key=lambda r: (-r.fussell_vesely, -r.birnbaum, r.kind, r.name))
        out.append(rows)
    return out
