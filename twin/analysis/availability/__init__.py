"""Availability: how often and how long each site's IT load and each service is down.

One reliability model (:mod:`~twin.analysis.availability.model`) and three methods,
each figure saying which produced it:

* **exact** state enumeration (:mod:`~twin.analysis.availability.exact`) for systems of
  up to :data:`~twin.analysis.availability.exact.MAX_EXACT_COMPONENTS` things that fail;
* **cut sets**: minimal cut sets up to an order with the rare-event approximation
  (:mod:`~twin.analysis.availability.cutsets`), for any size, and the importance
  ranking built on them (:mod:`~twin.analysis.availability.importance`);
* **Monte Carlo** (:mod:`~twin.analysis.availability.montecarlo`): simulated years
  with 95 % confidence intervals, batteries' ride-through included.

:func:`availability` runs the methods asked for on one compiled twin and gathers a
:class:`AvailabilityReport`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from twin.analysis.availability.cutsets import CutSetAnalysis, cut_sets
from twin.analysis.availability.exact import (
    MAX_EXACT_COMPONENTS,
    exact_unavailability,
    exact_variables,
)
from twin.analysis.availability.importance import MINUTES_PER_YEAR, Contributor, importance
from twin.analysis.availability.model import Criterion, ReliabilityModel
from twin.analysis.availability.montecarlo import (
    HOURS_PER_YEAR,
    Histories,
    blocks_for,
    merge,
    run_blocks,
)
from twin.analysis.scheduler import Scheduler, SharedFleet
from twin.analysis.twin import Twin, as_twin
from twin.model import Fleet

__all__ = [
    "METHODS",
    "AvailabilityReport",
    "CriterionAvailability",
    "Estimate",
    "TooLargeForExact",
    "availability",
    "nines",
    "shard_blocks",
]

Method = Literal["auto", "monte-carlo", "cut-sets", "exact"]
METHODS: tuple[str, ...] = ("auto", "monte-carlo", "cut-sets", "exact")

Z95 = 1.959963984540054
"""Two-sided 95 % quantile of the normal distribution."""

TOP_CONTRIBUTORS = 10


class TooLargeForExact(ValueError):
    """The exact method was asked for a system too large to enumerate."""


def nines(unavailability: float) -> float:
    """Number of nines: −log10 of the unavailability (∞ when it is zero).

    >>> round(nines(1e-4), 6)
    4.0
    """
    return math.inf if unavailability <= 0 else -math.log10(unavailability)


@dataclass(frozen=True)
class Estimate:
    """A figure, with its 95 % confidence interval when it was sampled."""

    value: float
    low: float | None = None
    high: float | None = None

    def scaled(self, factor: float) -> Estimate:
        return Estimate(
            self.value * factor,
            None if self.low is None else self.low * factor,
            None if self.high is None else self.high * factor,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": _round(self.value)}
        if self.low is not None and self.high is not None:
            out["ci95"] = [_round(self.low), _round(self.high)]
        return out


@dataclass
class CriterionAvailability:
    """Availability of one site's IT load or one service."""

    criterion: Criterion
    method: str
    unavailability: Estimate
    outages_per_year: Estimate
    mean_outage_h: Estimate | None
    cut_sets: tuple[float, float] | None = None
    """(unavailability, outages a year) by the cut sets, when they ran."""
    exact: float | None = None
    contributors: list[Contributor] = field(default_factory=list)

    @property
    def availability(self) -> float:
        return 1.0 - self.unavailability.value

    @property
    def nines(self) -> float:
        return nines(self.unavailability.value)

    @property
    def downtime_min_per_year(self) -> Estimate:
        return self.unavailability.scaled(MINUTES_PER_YEAR)

    def explain(self, top: int = 3) -> str:
        """What most of the downtime comes from, in words."""
        if not self.contributors:
            return "no cut set found: nothing modelled takes it down"
        parts = [f"{c.name} ({c.fussell_vesely:.0%})" for c in self.contributors[:top]]
        return "mostly " + ", ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.criterion.kind,
            "name": self.criterion.name,
            "label": self.criterion.label,
            "method": self.method,
            "availability": _round(self.availability),
            "nines": _round(self.nines) if math.isfinite(self.nines) else None,
            "unavailability": self.unavailability.to_json(),
            "downtime_min_per_year": self.downtime_min_per_year.to_json(),
            "outages_per_year": self.outages_per_year.to_json(),
            "mean_outage_h": self.mean_outage_h.to_json() if self.mean_outage_h else None,
            "cut_sets": None
            if self.cut_sets is None
            else {
                "unavailability": _round(self.cut_sets[0]),
                "outages_per_year": _round(self.cut_sets[1]),
            },
            "exact": None if self.exact is None else {"unavailability": _round(self.exact)},
            "explanation": self.explain(),
            "contributors": [
                {
                    "kind": c.kind,
                    "name": c.name,
                    "fussell_vesely": _round(c.fussell_vesely),
                    "birnbaum": _round(c.birnbaum),
                    "downtime_min_per_year": _round(c.downtime_min_per_year),
                }
                for c in self.contributors[:TOP_CONTRIBUTORS]
            ],
        }


@dataclass
class AvailabilityReport:
    """Availability of every site's IT load and every service of one fleet."""

    fleet: str
    methods: list[str]
    criteria: list[CriterionAvailability]
    years: int
    seed: int
    shards: int
    order: int
    fix_first: list[tuple[str, str, float]]
    """(kind, name, expected outage minutes a year of every criterion it is part of)."""
    notes: list[str]
    sources: dict[str, str]

    def criterion(self, name: str) -> CriterionAvailability:
        return next(c for c in self.criteria if c.criterion.name == name)

    def to_json(self) -> dict[str, Any]:
        return {
            "fleet": self.fleet,
            "methods": self.methods,
            "years": self.years,
            "seed": self.seed,
            "shards": self.shards,
            "order": self.order,
            "criteria": [c.to_json() for c in self.criteria],
            "fix_first": [
                {"kind": k, "name": n, "downtime_min_per_year": _round(m)}
                for k, n, m in self.fix_first
            ],
            "notes": list(self.notes),
            "sources": dict(self.sources),
        }


def shard_blocks(years: int, shards: int) -> list[range]:
    """Split the blocks of a run into ``shards`` contiguous ranges (some may be empty).

    >>> shard_blocks(1000, 3)  # 1,000 years: four blocks of 256
    [range(0, 1), range(1, 3), range(3, 4)]
    """
    n = len(blocks_for(years))
    edges = [round(k * n / shards) for k in range(shards + 1)]
    return [range(edges[k], edges[k + 1]) for k in range(shards)]


ProgressFn = Callable[[str, int, int], None]


def availability(
    source: Twin | Fleet,
    *,
    years: int = 10_000,
    seed: int = 0,
    method: Method = "auto",
    order: int = 2,
    shards: int | None = None,
    scheduler: Scheduler | None = None,
    progress: ProgressFn | None = None,
) -> AvailabilityReport:
    """Availability of each site's IT load and each service.

    ``auto`` runs the cut sets (for the ranking) and then the exact enumeration where
    the system is small enough, Monte Carlo otherwise; the headline figure of each
    criterion comes from the most exact method that ran. ``shards`` splits the Monte
    Carlo run into independent pieces (the result does not depend on it); a
    distributed ``scheduler`` runs them on its workers, one piece per worker thread
    unless ``shards`` says otherwise (default: in this process, one piece).
    """
    if years < 1:
        raise ValueError("years must be at least 1")
    if shards is not None and shards < 1:
        raise ValueError("shards must be at least 1")
    twin = as_twin(source)
    model = ReliabilityModel(twin)
    n_vars = len(exact_variables(model))
    small = n_vars <= MAX_EXACT_COMPONENTS
    if method == "exact" and not small:
        raise TooLargeForExact(
            f"{n_vars} things fail at random: exact enumeration handles at most "
            f"{MAX_EXACT_COMPONENTS}; use the cut-set or Monte Carlo method"
        )
    run_exact = method == "exact" or (method == "auto" and small)
    run_mc = method == "monte-carlo" or (method == "auto" and not small)
    if progress:
        progress("cut sets", 0, 1)
    analysis = cut_sets(model, order)
    if progress:
        progress("cut sets", 1, 1)
    ranking = importance(analysis)
    exact = exact_unavailability(model) if run_exact else None
    histories: Histories | None = None
    if run_mc:
        distributed = scheduler is not None and scheduler.distributed
        if shards is None:
            shards = scheduler.workers if scheduler is not None and distributed else 1
        pieces = shard_blocks(years, shards)
        if scheduler is not None and distributed:
            histories = _monte_carlo_on(scheduler, twin, years, seed, pieces, progress)
        else:
            parts = []
            for k, blocks in enumerate(pieces):

                def tick(done: int, total: int, k: int = k) -> None:
                    if progress:
                        label = "monte carlo" if shards == 1 else f"monte carlo shard {k + 1}"
                        progress(label, done, total)

                parts.append(run_blocks(model, years, seed, blocks, tick))
            histories = merge(parts)
    methods = ["cut-sets"] + (["exact"] if run_exact else []) + (["monte-carlo"] if run_mc else [])
    criteria = [
        _criterion(model, k, analysis, ranking[k], exact, histories)
        for k in range(len(model.criteria))
    ]
    return AvailabilityReport(
        fleet=twin.fleet.name,
        methods=methods,
        criteria=criteria,
        years=years if run_mc else 0,
        seed=seed if run_mc else 0,
        shards=shards if run_mc and shards is not None else 0,
        order=order,
        fix_first=_fix_first(ranking),
        notes=_notes(model, order),
        sources=_sources(model),
    )


@dataclass(frozen=True)
class _Piece:
    """One shard of a Monte Carlo run, as sent to a worker."""

    years: int
    seed: int
    blocks: range


def _run_piece(fleet: SharedFleet, piece: _Piece) -> Histories:
    """A worker's shard: the fleet's reliability model (built once per worker process),
    walked over the piece's blocks."""
    model = fleet.memo("reliability-model", ReliabilityModel)
    return run_blocks(model, piece.years, piece.seed, piece.blocks)


def _monte_carlo_on(
    scheduler: Scheduler,
    twin: Twin,
    years: int,
    seed: int,
    pieces: list[range],
    progress: ProgressFn | None,
) -> Histories:
    """The shards on the scheduler's workers, merged in block order: the same histories
    as one process walking every block."""
    label = f"monte carlo on {scheduler.spec}"

    def tick(done: int, total: int) -> None:
        if progress:
            progress(label, done, total)

    tick(0, len(pieces))
    parts = scheduler.map(
        _run_piece,
        [_Piece(years, seed, blocks) for blocks in pieces],
        shared=SharedFleet.of(twin),
        progress=tick,
    )
    return merge(parts)


def _criterion(
    model: ReliabilityModel,
    k: int,
    analysis: CutSetAnalysis,
    contributors: list[Contributor],
    exact: np.ndarray | None,
    histories: Histories | None,
) -> CriterionAvailability:
    u_cut = float(analysis.unavailability[k])
    f_cut = float(analysis.frequency_per_h[k]) * HOURS_PER_YEAR
    mean_cut = Estimate(u_cut * HOURS_PER_YEAR / f_cut) if f_cut > 0 else None
    if histories is not None:
        method = "monte-carlo"
        u, f, mean = _sampled(histories, k, mean_cut)
    elif exact is not None:
        method, u, f, mean = "exact", Estimate(float(exact[k])), Estimate(f_cut), mean_cut
    else:
        method = f"cut-sets (order {analysis.order}, rare-event)"
        u, f, mean = Estimate(u_cut), Estimate(f_cut), mean_cut
    return CriterionAvailability(
        criterion=model.criteria[k],
        method=method,
        unavailability=u,
        outages_per_year=f,
        mean_outage_h=mean,
        cut_sets=(u_cut, f_cut),
        exact=None if exact is None else float(exact[k]),
        contributors=contributors,
    )


def _sampled(
    histories: Histories, k: int, mean_cut: Estimate | None
) -> tuple[Estimate, Estimate, Estimate | None]:
    """Means and normal-approximation 95 % intervals over the simulated years (the
    mean outage by the delta method for a ratio). With no outage at all the frequency
    is below 3/N a year (95 %, the rule of three) and the unavailability below that
    times the cut sets' mean outage, when they have one."""
    n = histories.n
    down = histories.downtime_h[:, k]
    count = histories.outages[:, k].astype(float)
    if not down.any():
        upper = 3.0 / n
        u_high = upper * mean_cut.value / HOURS_PER_YEAR if mean_cut is not None else None
        return Estimate(0.0, 0.0, u_high), Estimate(0.0, 0.0, upper), None
    fraction = down / HOURS_PER_YEAR
    u = _interval(fraction)
    f = _interval(count)
    mean: Estimate | None = None
    if count.sum() > 0:
        ratio = down.sum() / count.sum()
        residual = down - ratio * count
        se = math.sqrt(float(np.sum(residual**2)) / max(n - 1, 1) / n) / float(count.mean())
        mean = Estimate(ratio, max(0.0, ratio - Z95 * se), ratio + Z95 * se)
    return u, f, mean


def _interval(sample: np.ndarray) -> Estimate:
    n = len(sample)
    mean = float(sample.mean())
    se = float(sample.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    return Estimate(mean, max(0.0, mean - Z95 * se), mean + Z95 * se)


def _fix_first(ranking: list[list[Contributor]]) -> list[tuple[str, str, float]]:
    total: dict[tuple[str, str], float] = {}
    for contributors in ranking:
        for c in contributors:
            key = (c.kind, c.name)
            total[key] = total.get(key, 0.0) + c.downtime_min_per_year
    ranked = sorted(total.items(), key=lambda item: (-item[1], item[0]))
    return [(kind, name, minutes) for (kind, name), minutes in ranked[:TOP_CONTRIBUTORS]]


def _notes(model: ReliabilityModel, order: int) -> list[str]:
    notes = [
        "steady state after automated failover: failover, restart and rebuild times are "
        "not counted (the timelines show them)",
        f"cut sets up to order {order} with the rare-event approximation; a site's grid "
        "(every feed out) counts as one event",
        "a rack row's own fault is not its site's outage; services are down below their SLO",
    ]
    ride = {
        name: float(model.ride_through_h[s])
        for s, name in enumerate(model.twin.graph.site_names)
        if model.site_feeds[s]
    }
    covered = [f"{h * 60:.0f} min at {name}" for name, h in ride.items() if h > 0]
    bare = [name for name, h in ride.items() if h <= 0]
    if ride:
        notes.append(
            "Monte Carlo only: UPS batteries (and thermal storage) ride through grid outages "
            "shorter than "
            + (", ".join(covered) if covered else "nothing")
            + (f"; no ride-through at {', '.join(bare)} (rows are lost at once)" if bare else "")
        )
    return notes


def _sources(model: ReliabilityModel) -> dict[str, str]:
    """Where each figure family came from (first source per kind)."""
    f = model.figures
    kinds = model.twin.graph.component_kind
    out: dict[str, str] = {}
    for i, name in enumerate(model.twin.graph.component_names):
        out.setdefault(f"{kinds[i]} failure rate", f.rate_per_h[name].source)
        out.setdefault(f"{kinds[i]} restore time", f.mttr_h[name].source)
    out["grid outages"] = f.utility_rate_per_h.source
    out["common-cause events"] = f.site_loss_per_h.source
    return dict(sorted(out.items()))


def _round(value: float) -> float:
    """Six significant digits: stable JSON across platforms."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.6g}")
