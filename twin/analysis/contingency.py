"""Contingency analysis: every single failure, every pair, a sample of triples, every
common-cause group.

All of it is steady state: what is down after the failure has propagated and
automated failovers have happened (an active-standby service counts its standby
replicas only while its failover controller is serving). Thermal storage is a
transient source, so it is never counted on here; generators are (they run).

A **single point of failure** is a component whose loss alone takes down IT load
(rack rows other than itself) or lowers a service below full service at baseline
demand. Each comes with its chain of impact: what else goes down, grouped by
kind, and which services suffer.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.analysis.fire import ORIGIN_ORDER, FireReach, fire_origins, fire_reach
from twin.analysis.graph import EPSILON
from twin.analysis.harm import (
    TRIPLE_BLOCK,
    HarmContext,
    Impact,
    PairJob,
    TripleJob,
    pair_shard,
    pair_shard_on_worker,
    triple_shard,
    triple_shard_on_worker,
)
from twin.analysis.scheduler import Scheduler, SharedFleet
from twin.analysis.twin import Twin, as_twin
from twin.model import COMPONENT_TYPES, SCHEMA_VERSION, Fleet
from twin.model.scenarios import Event, ScenarioSpec, SiteLoss, SrlgCut, ZoneFire

__all__ = [
    "DEFAULT_TRIPLE_SAMPLES",
    "INFRASTRUCTURE_KINDS",
    "ContingencyReport",
    "Impact",
    "SingleEvent",
    "TripleSample",
    "common_cause_groups",
    "contingency",
    "sampled_triples",
    "transient_sources",
]

DEFAULT_TRIPLE_SAMPLES = 100_000
"""Triples sampled by ``order=3`` unless told: enough to bound the share of critical
triples below about 4 in 100,000 when none turns up."""

INFRASTRUCTURE_KINDS = frozenset(COMPONENT_TYPES) - {"rack_row"}
"""Everything but rack rows: the kinds N-2 pairs are drawn from by default."""

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class SingleEvent:
    """One event that fails a group together: a fire, a link-group cut, a site loss.

    A fire is judged by what it takes *outside* the compartments it burns: losing the
    rows in a burning hall is the price of that fire; losing rows elsewhere (because
    the fire spread to the UPS room, or the fire service cut the building) or a
    service is a single-event failure.
    """

    kind: str  # "fire", "srlg", "site"
    label: str
    origin: str
    origin_kind: str | None
    reach: FireReach | None
    impact: Impact
    burnt_rows: int = 0

    @property
    def rows_outside(self) -> int:
        """Rows lost outside the burning compartments (all of them for other events)."""
        return self.impact.rows - self.burnt_rows

    @property
    def harmful(self) -> bool:
        return self.rows_outside > 0 or bool(self.impact.services)

    def scenario(self) -> ScenarioSpec:
        """The event as a scenario a timeline can run (utility on, as judged here)."""
        event: Event
        if self.kind == "fire" and self.reach is not None:
            event = ZoneFire(site=self.reach.site, zone=self.origin)
        elif self.kind == "srlg":
            event = SrlgCut(srlg=self.origin)
        else:
            event = SiteLoss(site=self.origin)
        return ScenarioSpec(name=self.label, description=self.describe(), events=[event])

    @property
    def rank_key(self) -> tuple[object, ...]:
        i = self.impact
        down = sum(1 for v in i.services.values() if v <= EPSILON)
        origin = (
            ORIGIN_ORDER.index(self.origin_kind)
            if self.origin_kind in ORIGIN_ORDER
            else len(ORIGIN_ORDER)
        )
        return (
            -i.servers,
            -down,
            -len(i.services),
            -i.it_load_kw,
            _EVENT_ORDER[self.kind],
            origin,
            self.label,
        )

    @property
    def services_down(self) -> list[str]:
        return [s for s, v in self.impact.services.items() if v <= EPSILON]

    def how(self) -> str:
        """How a fire gets beyond its room: spread and power cut ("" when it does not)."""
        parts = []
        if self.reach is not None:
            if len(self.reach.burnt) > 1:
                parts.append(f"spreads to {', '.join(self.reach.burnt[1:])}")
            if self.reach.cut:
                parts.append(f"the fire service cuts {', '.join(self.reach.cut)}")
        return "; ".join(parts)

    def describe(self) -> str:
        """What happens, in a sentence: spread, cut, losses."""
        parts = [self.how()] if self.how() else []
        i = self.impact
        if i.rows:
            parts.append(f"{i.rows:,} rows / {i.servers:,} servers down")
        if self.services_down:
            parts.append(f"down: {', '.join(self.services_down)}")
        degraded = [f"{s} {v:.0%}" for s, v in i.services.items() if v > EPSILON]
        if degraded:
            parts.append(f"degraded: {', '.join(degraded)}")
        return "; ".join(parts) or "no IT or service impact"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "origin": self.origin,
            "origin_kind": self.origin_kind,
            "burnt": list(self.reach.burnt) if self.reach else [],
            "cut": list(self.reach.cut) if self.reach else [],
            "rows_outside": self.rows_outside,
            "services_down": self.services_down,
            "description": self.describe(),
            "impact": self.impact.to_json(),
        }


@dataclass(frozen=True)
class TripleSample:
    """Sampled N-3: ``sampled`` triples drawn uniformly (with replacement, ``seed``)
    from the ``total`` triples of the pair pool.

    A triple holding a critical pair is harmful but not new; a *critical triple* is
    harmful while none of its members or pairs is. The share of critical triples
    comes with a 95 % Wilson interval, and so does the estimated count."""

    total: int
    sampled: int
    seed: int
    with_critical_pair: int
    critical_found: int
    critical: list[Impact]
    """The first critical triples of the sample (in the order drawn)."""

    @property
    def share(self) -> tuple[float, float, float]:
        """Critical triples among all triples: estimate, 95 % low, 95 % high."""
        return wilson(self.critical_found, self.sampled)

    @property
    def estimated(self) -> tuple[float, float, float]:
        """Critical triples among all triples, counted: estimate, 95 % low, 95 % high."""
        share, low, high = self.share
        return share * self.total, low * self.total, high * self.total

    def to_json(self) -> dict[str, Any]:
        share, low, high = self.share
        count, count_low, count_high = self.estimated
        return {
            "triples_total": self.total,
            "triples_sampled": self.sampled,
            "seed": self.seed,
            "with_critical_pair": self.with_critical_pair,
            "critical_triples_found": self.critical_found,
            "critical_share": {"estimate": share, "low": low, "high": high},
            "critical_triples_estimated": {
                "estimate": count,
                "low": count_low,
                "high": count_high,
            },
            "critical_triples": [i.to_json() for i in self.critical],
        }


def wilson(successes: int, trials: int, z: float = 1.959963984540054) -> tuple[float, float, float]:
    """A binomial proportion with its Wilson score interval (95 % by default): the
    estimate ``k / n`` and the interval's ends. Sound at 0 and n successes, where the
    normal approximation is not. ``(0, 0, 1)`` for no trials."""
    if trials <= 0:
        return 0.0, 0.0, 1.0
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    return p, max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class ContingencyReport:
    """Results of one contingency run."""

    fleet: str
    order: int
    scenarios_evaluated: int
    single_points_of_failure: list[Impact]
    critical_pairs: list[Impact]
    pairs_evaluated: int
    """Pairs whose outcome is known: every pair of the pool."""
    common_cause: list[Impact]
    notes: list[str] = field(default_factory=list)
    single_failures: list[Impact] | None = None  # with full detail: every N-1 result
    single_events: list[SingleEvent] = field(default_factory=list)
    """Single events that take IT or a service down, most harmful first."""
    critical_pairs_found: int = 0
    """How many critical pairs there are (``critical_pairs`` lists the first ones)."""
    pairs_propagated: int = 0
    """Pairs propagated in full by the engine (pruned: the interacting pairs the closed
    form could not clear; unpruned: every pair)."""
    triples: TripleSample | None = None
    """Sampled N-3 (``order=3``)."""

    @property
    def harmful_common_cause(self) -> list[Impact]:
        return [i for i in self.common_cause if i.harmful]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "fleet": self.fleet,
            "order": self.order,
            "scenarios_evaluated": self.scenarios_evaluated,
            "single_event_failures": [e.to_json() for e in self.single_events],
            "single_points_of_failure": [i.to_json() for i in self.single_points_of_failure],
            "pairs_evaluated": self.pairs_evaluated,
            "pairs_propagated": self.pairs_propagated,
            "critical_pairs_found": self.critical_pairs_found,
            "critical_pairs": [i.to_json() for i in self.critical_pairs],
            "common_cause": [i.to_json() for i in self.common_cause],
            **({} if self.triples is None else {"triples": self.triples.to_json()}),
            **(
                {}
                if self.single_failures is None
                else {"single_failures": [i.to_json() for i in self.single_failures]}
            ),
            "notes": list(self.notes),
        }


def transient_sources(fleet: Fleet) -> list[str]:
    """Components that cannot carry load indefinitely (thermal storage)."""
    return [c.name for _, c in fleet.components() if c.kind == "thermal_storage"]


def common_cause_groups(fleet: Fleet) -> list[tuple[str, str, list[str]]]:
    """Every (kind, label, components) group that fails together: zones, SRLGs, sites."""
    groups: list[tuple[str, str, list[str]]] = []
    for site in fleet.sites:
        for zone in site.zones:
            members = [c.name for c in site.components_in(zone.name)]
            if members:
                groups.append(("zone", f"{site.name}/{zone.name}", members))
    srlgs: dict[str, list[str]] = {}
    for _, comp in fleet.components():
        for group in getattr(comp, "srlg", ()):
            srlgs.setdefault(group, []).append(comp.name)
    for group in sorted(srlgs):
        groups.append(("srlg", group, srlgs[group]))
    for site in fleet.sites:
        groups.append(("site", site.name, [c.name for c in site.components]))
    return groups


def contingency(
    source: Twin | Fleet,
    order: int = 1,
    all_pairs: bool = False,
    progress: ProgressFn | None = None,
    max_listed: int | None = 200,
    full: bool = False,
    prune: bool = True,
    scheduler: Scheduler | None = None,
    samples: int = DEFAULT_TRIPLE_SAMPLES,
    seed: int = 0,
) -> ContingencyReport:
    """N-1 (with ``order=2`` exact N-2, with ``order=3`` sampled N-3 too) plus every
    common-cause group.

    Parameters
    ----------
    source : Twin or Fleet
        The compiled twin (a fleet is compiled on the spot).
    order : 1, 2 or 3
        2 adds every pair of infrastructure components that are not single points
        of failure themselves (``all_pairs`` draws from every component); 3 adds
        ``samples`` triples of the same pool drawn uniformly with ``seed``
        (:class:`TripleSample`).
    max_listed : int or None
        Critical pairs kept in the report (the count is always exact); None keeps all.
    full : bool
        Full detail: every impact lists every component down (``down_all``: the
        failed ones included, thermal storage not counted on left out), every
        critical pair is kept, and ``single_failures`` holds every N-1 result,
        harmless ones included.
    prune : bool
        N-2 propagates only the pairs that interact (:mod:`twin.analysis.interaction`);
        the others are provably harmless. ``False`` propagates every pair (same result).
        Pairs are streamed in chunks either way, never all held at once.
    scheduler : Scheduler or None
        Shards N-2 and sampled N-3 over a dask cluster (:mod:`twin.analysis.scheduler`);
        the result is the same as in one process.
    """
    if order not in (1, 2, 3):
        raise ValueError("order must be 1, 2 or 3")
    if samples < 1:
        raise ValueError("samples must be at least 1")
    twin = as_twin(source)
    fleet = twin.fleet
    ev = twin.evaluator
    graph = twin.graph
    base = sorted(graph.component_index[n] for n in twin.transient_sources)
    baseline = ev.evaluate(base)
    context = HarmContext(twin, baseline, full=full)
    if full:
        max_listed = None
    names = graph.component_names

    singles = [(i,) for i in range(len(names))]
    # screen every single failure at once; propagate in full only what is reported
    shown = (
        list(range(len(singles)))
        if full
        else np.flatnonzero(context.screen(np.arange(len(names))[:, None], base)).tolist()
    )
    batch = ev.evaluate_many([[*base, i] for i in shown])
    impacts = [
        context.impact_of(batch, k, "component", names[i], (names[i],)) for k, i in enumerate(shown)
    ]
    if progress:
        progress(len(singles), len(singles))
    spofs = [imp for imp in impacts if imp.harmful]

    pairs_total = pairs_done = propagated = 0
    critical: list[Impact] = []
    critical_count = 0
    triples: TripleSample | None = None
    notes = [
        "steady state after automated failover; thermal storage not counted on",
    ]
    if order >= 2:
        spof_idx = [graph.component_index[imp.failed[0]] for imp in spofs]
        kinds = graph.component_kind
        pool = np.array(
            [all_pairs or kinds[i] in INFRASTRUCTURE_KINDS for i in range(len(names))],
            dtype=bool,
        )
        pool[spof_idx] = False
        n_pool = int(pool.sum())
        pairs_total = n_pool * (n_pool - 1) // 2
        members = np.flatnonzero(pool)
        shards = 1 if scheduler is None else max(1, 4 * scheduler.workers)
        # N-3 needs every critical pair to tell a new triple from one holding a pair
        pair_listed = None if order == 3 else max_listed
        jobs = [
            PairJob(members[k::shards].tolist(), pool, prune, pair_listed)
            for k in range(min(shards, max(1, len(members))))
        ]
        if scheduler is None:
            results = [pair_shard(twin, context, base, job, progress) for job in jobs]
        else:
            results = scheduler.map(pair_shard_on_worker, jobs, shared=SharedFleet.of(twin))
        found: list[tuple[int, int]] = []
        for result in results:
            critical_count += result.critical
            pairs_done += result.interacting
            propagated += result.propagated
            found.extend(result.listed)
        found.sort()  # lexicographic: the same first pairs however the work was split
        every_critical_pair = np.array([a * len(names) + b for a, b in found], dtype=np.int64)
        if max_listed is not None:
            found = found[:max_listed]
        if found:
            batch = ev.evaluate_many([[*base, a, b] for a, b in found])
            for k, (a, b) in enumerate(found):
                pair = (names[a], names[b])
                critical.append(context.impact_of(batch, k, "pair", " + ".join(pair), pair))
        if not prune:
            propagated = pairs_done
        notes.append(
            f"{critical_count} critical pairs among {pairs_total} pairs"
            + (
                f" (first {max_listed} listed)"
                if max_listed is not None and critical_count > max_listed
                else ""
            )
            + (
                f"; {pairs_done} interact ({propagated} propagated in full, the rest cleared "
                f"by the capacity they take), the other {pairs_total - pairs_done} provably "
                "harmless (no common gate or service input, no link cut that changes reach)"
                if prune
                else ""
            )
        )
        if order == 3:
            triples = sampled_triples(
                twin,
                context,
                base,
                members,
                samples,
                seed,
                every_critical_pair,
                max_listed,
                scheduler,
            )
            count, low, high = triples.estimated
            notes.append(
                f"{triples.critical_found} critical triples among {triples.sampled:,} sampled "
                f"of {triples.total:,} (seed {seed}), {triples.with_critical_pair} holding a "
                f"critical pair: about {count:,.0f} critical triples in all "
                f"(95 % interval {low:,.0f}–{high:,.0f})"
            )

    groups = common_cause_groups(fleet)
    sets = [[*base, *(graph.component_index[n] for n in members)] for _, _, members in groups]
    batch = ev.evaluate_many(sets)
    common = [
        context.impact_of(batch, k, kind, label, tuple(members))
        for k, (kind, label, members) in enumerate(groups)
    ]
    events = _single_events(twin, context, base)
    return ContingencyReport(
        fleet=fleet.name,
        order=order,
        scenarios_evaluated=len(singles) + pairs_total + len(groups) + len(events),
        single_points_of_failure=spofs,
        critical_pairs=critical,
        pairs_evaluated=pairs_total,
        pairs_propagated=propagated,
        critical_pairs_found=critical_count,
        triples=triples,
        common_cause=common,
        notes=notes,
        single_failures=impacts if full else None,
        single_events=[e for e in events if e.harmful],
    )


def sampled_triples(
    twin: Twin,
    context: HarmContext,
    base: list[int],
    members: np.ndarray,
    samples: int,
    seed: int,
    critical_pairs: np.ndarray,
    max_listed: int | None,
    scheduler: Scheduler | None,
) -> TripleSample:
    """Sampled N-3 over the pair pool ``members`` (component indices), given every
    critical pair of it (``a * n + b``, ``a < b``, sorted), in blocks of
    ``TRIPLE_BLOCK`` shared out over ``scheduler``'s workers when given: what
    ``contingency(order=3)`` adds to N-2."""
    n_pool = len(members)
    total = n_pool * (n_pool - 1) * (n_pool - 2) // 6
    if n_pool < 3:
        return TripleSample(total, 0, seed, 0, 0, [])
    blocks = list(range(-(-samples // TRIPLE_BLOCK)))
    shards = 1 if scheduler is None else max(1, min(len(blocks), 4 * scheduler.workers))
    jobs = [
        TripleJob(blocks[k::shards], members, samples, seed, critical_pairs, max_listed)
        for k in range(shards)
    ]
    if scheduler is None:
        results = [triple_shard(twin, context, base, job) for job in jobs]
    else:
        results = scheduler.map(triple_shard_on_worker, jobs, shared=SharedFleet.of(twin))
    listed = sorted(t for r in results for t in r.listed)  # in the order drawn
    if max_listed is not None:
        listed = listed[:max_listed]
    names = twin.graph.component_names
    impacts: list[Impact] = []
    if listed:
        batch = twin.evaluator.evaluate_many([[*base, *t[2:]] for t in listed])
        for k, (_, _, *triple) in enumerate(listed):
            failed = tuple(names[i] for i in triple)
            impacts.append(context.impact_of(batch, k, "triple", " + ".join(failed), failed))
    return TripleSample(
        total=total,
        sampled=sum(r.sampled for r in results),
        seed=seed,
        with_critical_pair=sum(r.with_critical_pair for r in results),
        critical_found=sum(r.critical for r in results),
        critical=impacts,
    )


_EVENT_ORDER = {"fire": 0, "srlg": 1, "site": 2}
"""Ties between kinds of event: a fire that does what a whole-site loss does is the
finding, the site loss its upper bound."""


def _single_events(twin: Twin, context: HarmContext, base: list[int]) -> list[SingleEvent]:
    """Every single event (a fire with its spread and cut, a link-group cut, a site
    loss) with its impact, most harmful first."""
    graph = twin.graph
    specs: list[tuple[str, str, str, tuple[str, ...], FireReach | None, str | None]] = []
    for site in twin.fleet.sites:
        kinds = {z.name: z.kind for z in site.zones}
        for origin in fire_origins(site):
            fire = fire_reach(site, origin)
            label = f"fire in {site.name}/{origin}"
            specs.append(("fire", label, origin, fire.components, fire, kinds[origin]))
    srlgs: dict[str, list[str]] = {}
    for _, comp in twin.fleet.components():
        for group in getattr(comp, "srlg", ()):
            srlgs.setdefault(group, []).append(comp.name)
    for group in sorted(srlgs):
        specs.append(("srlg", f"cut of {group}", group, tuple(srlgs[group]), None, None))
    for site in twin.fleet.sites:
        members = tuple(c.name for c in site.components)
        specs.append(("site", f"loss of site {site.name}", site.name, members, None, None))
    sets = [[*base, *(graph.component_index[n] for n in members)] for *_, members, _, _ in specs]
    batch = twin.evaluator.evaluate_many(sets)
    events = []
    for k, (kind, label, origin, members, reach, origin_kind) in enumerate(specs):
        impact = context.impact_of(batch, k, kind, label, members)
        burnt_rows = 0
        if reach is not None:
            site = twin.sites[reach.site]
            burnt = set().union(*(site.zone_closure(z) for z in reach.burnt))
            burnt_rows = sum(
                1
                for c in site.components
                if c.kind == "rack_row" and c.zone in burnt and c.name in members
            )
        events.append(SingleEvent(kind, label, origin, origin_kind, reach, impact, burnt_rows))
    return sorted(events, key=lambda e: e.rank_key)
