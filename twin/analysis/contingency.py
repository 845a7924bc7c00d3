"""Contingency analysis: every single failure, every pair, every common-cause group.

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

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from twin.analysis.engine import BatchEvaluation, Evaluation
from twin.analysis.fire import ORIGIN_ORDER, FireReach, fire_origins, fire_reach
from twin.analysis.graph import EPSILON
from twin.analysis.interaction import every_pair, interactions, service_inputs, service_rows
from twin.analysis.scheduler import Scheduler, SharedFleet
from twin.analysis.twin import Twin, as_twin
from twin.model import COMPONENT_TYPES, SCHEMA_VERSION, Fleet
from twin.model.scenarios import Event, ScenarioSpec, SiteLoss, SrlgCut, ZoneFire

__all__ = [
    "INFRASTRUCTURE_KINDS",
    "ContingencyReport",
    "Impact",
    "SingleEvent",
    "common_cause_groups",
    "contingency",
    "transient_sources",
]

INFRASTRUCTURE_KINDS = frozenset(COMPONENT_TYPES) - {"rack_row"}
"""Everything but rack rows: the kinds N-2 pairs are drawn from by default."""

ProgressFn = Callable[[int, int], None]
T = TypeVar("T")

PAIR_CHUNK = 20_000
"""N-2 pairs propagated per engine batch (bounds memory)."""


@dataclass(frozen=True)
class Impact:
    """What one failure set does in steady state."""

    label: str
    kind: str  # "component", "pair", "zone", "srlg", "site"
    failed: tuple[str, ...]
    down: int
    down_by_kind: dict[str, int]
    down_sample: tuple[str, ...]
    rows: int
    racks: int
    servers: int
    it_load_kw: float
    services: dict[str, float]  # service → served fraction, only those below 1
    down_all: tuple[str, ...] | None = None  # with full detail: every component down

    @property
    def harmful(self) -> bool:
        return self.rows > 0 or bool(self.services)

    def chain(self) -> str:
        """component → what it takes down → which services."""
        parts = ", ".join(f"{n} {k}" for k, n in self.down_by_kind.items())
        head = f"{self.label} → {parts or 'nothing else'}"
        if self.services:
            svc = ", ".join(f"{s} {v:.0%}" for s, v in self.services.items())
            head += f" → services: {svc}"
        return head

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "kind": self.kind,
            "failed": list(self.failed),
            "down": self.down,
            "down_by_kind": dict(self.down_by_kind),
            "down_sample": list(self.down_sample),
            "rows": self.rows,
            "racks": self.racks,
            "servers": self.servers,
            "it_load_kw": round(self.it_load_kw, 6),
            "services": {k: round(v, 6) for k, v in self.services.items()},
            "chain": self.chain(),
            **({} if self.down_all is None else {"down_components": list(self.down_all)}),
        }


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
) -> ContingencyReport:
    """N-1 (and with ``order=2`` N-2) plus every common-cause group.

    Parameters
    ----------
    source : Twin or Fleet
        The compiled twin (a fleet is compiled on the spot).
    order : 1 or 2
        2 adds every pair of infrastructure components that are not single points
        of failure themselves (``all_pairs`` draws from every component).
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
        Shards N-2 over a dask cluster (:mod:`twin.analysis.scheduler`); the result is
        the same as in one process.
    """
    if order not in (1, 2):
        raise ValueError("order must be 1 or 2")
    twin = as_twin(source)
    fleet = twin.fleet
    ev = twin.evaluator
    graph = twin.graph
    base = sorted(graph.component_index[n] for n in twin.transient_sources)
    baseline = ev.evaluate(base)
    context = _Context(twin, baseline, full=full)
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
    notes = [
        "steady state after automated failover; thermal storage not counted on",
    ]
    if order == 2:
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
        jobs = [
            _PairJob(members[k::shards].tolist(), pool, prune, max_listed)
            for k in range(min(shards, max(1, len(members))))
        ]
        if scheduler is None:
            results = [_pair_shard(twin, context, base, job, progress) for job in jobs]
        else:
            results = scheduler.map(_pair_shard_on_worker, jobs, shared=SharedFleet.of(twin))
        found: list[tuple[int, int]] = []
        for result in results:
            critical_count += result.critical
            pairs_done += result.interacting
            propagated += result.propagated
            found.extend(result.listed)
        found.sort()  # lexicographic: the same first pairs however the work was split
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
        common_cause=common,
        notes=notes,
        single_failures=impacts if full else None,
        single_events=[e for e in events if e.harmful],
    )


_EVENT_ORDER = {"fire": 0, "srlg": 1, "site": 2}
"""Ties between kinds of event: a fire that does what a whole-site loss does is the
finding, the site loss its upper bound."""


def _single_events(twin: Twin, context: _Context, base: list[int]) -> list[SingleEvent]:
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


@dataclass(frozen=True)
class _PairJob:
    """A shard of N-2: the pairs whose first member is one of ``first``."""

    first: list[int]
    pool: np.ndarray
    prune: bool
    max_listed: int | None


@dataclass(frozen=True)
class _PairResult:
    critical: int
    interacting: int
    propagated: int
    listed: list[tuple[int, int]]
    """The shard's first critical pairs (``max_listed`` of them), lexicographic."""


def _pair_shard_on_worker(shared: SharedFleet, job: _PairJob) -> _PairResult:
    """:func:`_pair_shard` on a dask worker: the twin and its baseline once per process."""
    twin = shared.twin()
    base, context = shared.memo("contingency-context", _context_of)
    return _pair_shard(twin, context, base, job, None)


def _context_of(twin: Twin) -> tuple[list[int], _Context]:
    base = sorted(twin.graph.component_index[n] for n in twin.transient_sources)
    return base, _Context(twin, twin.evaluator.evaluate(base))


def _pair_shard(
    twin: Twin,
    context: _Context,
    base: list[int],
    job: _PairJob,
    progress: ProgressFn | None,
) -> _PairResult:
    """Screen every pair of the pool whose first member is in ``job.first``, streamed in
    chunks: neither member is harmful alone, so with ``prune`` a pair that does not
    interact is harmless (:mod:`twin.analysis.interaction`), one that shares only the
    services' inputs is cleared by the capacity it takes (``_Context.maybe_harmful``)
    where it can be, and the rest is propagated in full."""
    n = twin.graph.n_components
    firsts = np.zeros(n, dtype=bool)
    firsts[job.first] = True
    if job.prune:
        singles = [(i,) for i in range(n)]
        inter = context.memo("interactions", lambda: interactions(twin, singles, base, True))
        loss = context.memo("service-loss", lambda: context.service_loss(singles, base))
        chunks = inter.pairs(among=job.pool, chunk=PAIR_CHUNK, first=firsts)
        total = inter.count_pairs(job.pool, first=firsts) if progress else 0
    else:
        chunks = every_pair(n, among=job.pool, chunk=PAIR_CHUNK, first=firsts)
        pool = int(job.pool.sum())
        total = pool * (pool - 1) // 2
    critical = interacting = propagated = 0
    listed: list[tuple[int, int]] = []
    for part, service_only in chunks:
        harmful_mask = np.zeros(len(part), dtype=bool)
        full_path = np.flatnonzero(~service_only)
        if service_only.any():
            by_form = np.flatnonzero(service_only)
            unclear = by_form[context.maybe_harmful(loss, part[by_form])]
            full_path = np.union1d(full_path, unclear)
        if full_path.size:
            harmful_mask[full_path] = context.screen(part[full_path], base)
            propagated += len(full_path)
        harmful = np.flatnonzero(harmful_mask)
        critical += len(harmful)
        room = len(harmful) if job.max_listed is None else max(0, job.max_listed - len(listed))
        listed.extend((int(a), int(b)) for a, b in part[harmful[:room]].tolist())
        interacting += len(part)
        if progress:
            progress(interacting, total)
    return _PairResult(critical, interacting, propagated, listed)


class _Context:
    """Turns engine results into :class:`Impact` s relative to the baseline.

    Harm is measured against the fleet with nothing failed: a row already dark, or a
    service already short of capacity, at baseline is not blamed on the failure.
    """

    def __init__(self, twin: Twin, baseline: Evaluation, full: bool = False) -> None:
        self.full = full
        graph = twin.graph
        self.graph = graph
        base_up = baseline.up
        self.base_served = baseline.served
        self._baseline = baseline
        self.is_row = np.asarray(graph.is_row, dtype=bool)
        self.countable_row = self.is_row & base_up  # rows that can be lost
        self.racks = np.asarray(graph.row_racks)
        self.servers = np.asarray(graph.row_servers)
        self.load = np.asarray(graph.row_it_load_kw, dtype=float)
        self.transient = {graph.component_index[n] for n in twin.transient_sources}
        self.evaluator = twin.evaluator
        self.twin = twin
        self._memo: dict[str, Any] = {}
        self.reads = service_inputs(twin)
        # the closed form of maybe_harmful: per replica its rows and the capacity one row
        # carries when the replica counts at the baseline; per service its replicas, and
        # those whose loss could change its quorum or promotion (its controller's too)
        n_rep, m = graph.n_replicas, graph.n_services
        self._replica_rows = np.diff(graph.replica_row_ptr)
        service_of = np.asarray(graph.replica_service)
        counted = np.zeros(n_rep, dtype=bool)
        serving = np.zeros(n_rep)
        if baseline.replica_reachable is not None:
            for r in range(n_rep):
                s = int(service_of[r])
                counted[r] = not graph.replica_rebuild[r] and (
                    bool(graph.replica_active[r]) or bool(baseline.promoted[s])
                )
                serving[r] = baseline.replica_serving(r)
        counted &= serving > 0
        capacity = np.asarray(graph.replica_capacity_rps, dtype=float)
        self._row_share = np.where(counted, capacity / np.maximum(self._replica_rows, 1), 0.0)
        self._replica_of = np.zeros((m, n_rep))
        self._replica_of[service_of, np.arange(n_rep)] = 1.0
        self._capacity = self._replica_of @ np.where(counted, capacity * serving, 0.0)
        self._relevant = self._replica_of.astype(np.int64)
        for s in range(m):
            controller = int(graph.service_controller[s])
            if controller >= 0:
                self._relevant[s] |= self._replica_of[controller].astype(np.int64)
        self._demand = np.asarray(graph.service_demand_rps, dtype=float)

    def memo(self, name: str, build: Callable[[], T]) -> T:
        """``build()`` once per context (what every shard of N-2 shares)."""
        if name not in self._memo:
            self._memo[name] = build()
        value: T = self._memo[name]
        return value

    def _services_hurt(self, served: np.ndarray) -> np.ndarray:
        return np.flatnonzero(served < self.base_served - EPSILON)

    def service_loss(
        self, failures: Sequence[Sequence[int]], base: list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per failure: how many rows of each replica its delta takes down, and whether it
        touches each service's inputs (the keys of ``interactions(by_service=True)``)."""
        g = self.graph
        row_ptr, row_service = service_rows(self.twin)
        ptr, down = self.evaluator.down_deltas(failures, base)
        owner = np.repeat(np.arange(len(failures)), np.diff(ptr))
        lost = np.zeros((len(failures), g.n_replicas), dtype=np.int64)
        per = np.diff(g.row_replica_ptr)[down]
        starts = np.repeat(g.row_replica_ptr[down] - (np.cumsum(per) - per), per)
        replicas = g.row_replica[starts + np.arange(int(per.sum()))]
        np.add.at(lost, (np.repeat(owner, per), replicas), 1)
        per = np.diff(row_ptr)[down]
        starts = np.repeat(row_ptr[down] - (np.cumsum(per) - per), per)
        touch = np.zeros((len(failures), g.n_services), dtype=bool)
        touch[np.repeat(owner, per), row_service[starts + np.arange(int(per.sum()))]] = True
        return lost, touch

    def maybe_harmful(self, loss: tuple[np.ndarray, np.ndarray], pairs: np.ndarray) -> np.ndarray:
        """For pairs that share only services' inputs (no gate, no link on either side),
        neither harmful alone: False where the pair is provably harmless.

        A service whose inputs only one member touches keeps that member's own share,
        at or above its baseline served fraction. For a service both touch: if the pair
        leaves a row up in every replica of it and of its failover controller, every
        quorum, promotion and network fact is the baseline's, so its share is the
        capacity counted at the baseline minus what each member takes (rows lost add up;
        an overestimate when both take the same row, so never a miss). When every
        shared service keeps at least its baseline share, every served fraction stays at
        the baseline (they are a greatest fixpoint below the shares). Anything else is
        left to the engine.
        """
        lost, touch = loss
        a, b = pairs[:, 0], pairs[:, 1]
        shared = touch[a] & touch[b]
        rows = lost[a] + lost[b]
        wiped = ((rows >= self._replica_rows).astype(np.int64) @ self._relevant.T) > 0
        capacity = self._capacity - (rows * self._row_share) @ self._replica_of.T
        own = np.minimum(1.0, capacity / self._demand)
        short = own < self.base_served - EPSILON
        out: np.ndarray = (shared & (wiped | short)).any(axis=1)
        return out

    def screen(self, failed: np.ndarray, base: list[int]) -> np.ndarray:
        """Per failure set (a row of component indices each): does it take down a row
        other than its own members or lower a service?

        Components are propagated for every set at once (``Evaluator.down_deltas``);
        services are settled only for the sets that take down something the services
        read, the others leaving every service as at the baseline.
        """
        k = len(failed)
        ptr, down = self.evaluator.down_deltas(failed.tolist(), base)
        owner = np.repeat(np.arange(k), np.diff(ptr))
        rows_lost = np.bincount(owner, weights=self.countable_row[down], minlength=k)
        own = np.sort(failed, axis=1)
        distinct = np.ones(own.shape, dtype=bool)
        distinct[:, 1:] = own[:, 1:] != own[:, :-1]
        rows_lost -= (self.countable_row[own] & distinct).sum(axis=1)
        out: np.ndarray = rows_lost > 0
        reads = np.bincount(owner, weights=self.reads[down], minlength=k) > 0
        settle = np.flatnonzero(reads & ~out)
        if settle.size:
            batch = self.evaluator.evaluate_many([[*base, *f] for f in failed[settle].tolist()])
            out[settle] = (batch.served < self.base_served - EPSILON).any(axis=1)
        return out

    def impact_of(
        self, batch: BatchEvaluation, k: int, kind: str, label: str, failed: tuple[str, ...]
    ) -> Impact:
        """Scenario ``k`` of ``batch``, which failed ``failed``; a single component or a
        pair does not count itself among what it takes down."""
        names = self.graph.component_names
        kinds = self.graph.component_kind
        own = (
            {self.graph.component_index[n] for n in failed}
            if kind in ("component", "pair")
            else set()
        )
        down = [int(i) for i in batch.down(k) if i not in self.transient and i not in own]
        lost_rows = [i for i in down if self.countable_row[i]]
        by_kind = Counter(kinds[i] for i in down)
        served = batch.served[k]
        return Impact(
            label=label,
            kind=kind,
            failed=failed,
            down=len(down),
            down_by_kind=dict(sorted(by_kind.items(), key=lambda kv: (-kv[1], kv[0]))),
            down_sample=tuple(names[i] for i in down[:8]),
            rows=len(lost_rows),
            racks=int(self.racks[lost_rows].sum()) if lost_rows else 0,
            servers=int(self.servers[lost_rows].sum()) if lost_rows else 0,
            it_load_kw=float(self.load[lost_rows].sum()) if lost_rows else 0.0,
            services={
                self.graph.service_names[s]: float(served[s]) for s in self._services_hurt(served)
            },
            down_all=tuple(names[int(i)] for i in batch.down(k) if int(i) not in self.transient)
            if self.full
            else None,
        )
