"""What a failure set harms, against the baseline: the :class:`Impact` of one, the
:class:`HarmContext` that screens many at once, and the shards N-2 is cut into.

Harm is measured against the fleet with nothing failed but its transient sources
(thermal storage): a row already dark, or a service already short, at the baseline is
not blamed on the failure. :func:`pair_shard` is one shard of the exact, pruned N-2 of
:func:`twin.analysis.contingency.contingency` and :func:`triple_shard` one block range of
its sampled N-3; the ``*_on_worker`` functions run one on a dask worker
(:mod:`twin.analysis.scheduler`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from twin.analysis.engine import BatchEvaluation, Evaluation
from twin.analysis.graph import EPSILON, csr_entries, gc_paused
from twin.analysis.interaction import every_pair, interactions, service_inputs, service_rows
from twin.analysis.scheduler import SharedFleet
from twin.analysis.twin import Twin

__all__ = [
    "PAIR_CHUNK",
    "HarmContext",
    "Impact",
    "PairJob",
    "PairResult",
    "context_of",
    "pair_shard",
    "pair_shard_on_worker",
    "sample_triples",
    "triple_shard",
    "triple_shard_on_worker",
]

ProgressFn = Callable[[int, int], None]
T = TypeVar("T")

PAIR_CHUNK = 20_000
"""N-2 pairs screened per batch (bounds memory)."""

TRIPLE_BLOCK = 20_000
"""Sampled N-3 triples per block: each block is drawn from its own seed, so the
sample is the same however the blocks are shared out."""


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
class PairJob:
    """A shard of N-2: the pairs whose first member is one of ``first``."""

    first: list[int]
    pool: np.ndarray
    prune: bool
    max_listed: int | None


@dataclass(frozen=True)
class PairResult:
    """What a shard found: critical pairs counted, pairs that interact, pairs propagated
    in full, and its first critical pairs."""

    critical: int
    interacting: int
    propagated: int
    listed: list[tuple[int, int]]
    """The shard's first critical pairs (``max_listed`` of them), lexicographic."""


def pair_shard_on_worker(shared: SharedFleet, job: PairJob) -> PairResult:
    """:func:`pair_shard` on a dask worker: the twin and its baseline once per process."""
    twin = shared.twin()
    base, context = shared.memo("contingency-context", context_of)
    return pair_shard(twin, context, base, job, None)


def context_of(twin: Twin) -> tuple[list[int], HarmContext]:
    """The baseline failed set (thermal storage) and the screening context on it."""
    base = sorted(twin.graph.component_index[n] for n in twin.transient_sources)
    return base, HarmContext(twin, twin.evaluator.evaluate(base))


def pair_shard(
    twin: Twin,
    context: HarmContext,
    base: list[int],
    job: PairJob,
    progress: ProgressFn | None,
) -> PairResult:
    """Screen every pair of the pool whose first member is in ``job.first``, streamed in
    chunks: neither member is harmful alone, so with ``prune`` a pair that does not
    interact is harmless (:mod:`twin.analysis.interaction`), one that shares only the
    services' inputs is cleared by the capacity it takes (``HarmContext.maybe_harmful``)
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
    with gc_paused():  # many short-lived arrays, no cycles: collections only cost
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
    return PairResult(critical, interacting, propagated, listed)


@dataclass(frozen=True)
class TripleJob:
    """A shard of sampled N-3: blocks ``blocks`` of the sample of ``samples`` triples
    drawn from ``pool`` (component indices) with ``seed``. ``critical_pairs``: every
    critical pair as ``a * n + b`` (``a < b``), sorted."""

    blocks: list[int]
    pool: np.ndarray
    samples: int
    seed: int
    critical_pairs: np.ndarray
    max_listed: int | None


@dataclass(frozen=True)
class TripleResult:
    """What a shard of sampled triples found: how many it drew, how many hold a critical
    pair (harmful, not minimal), how many are critical triples themselves, and its
    first critical triples as (block, position, a, b, c)."""

    sampled: int
    with_critical_pair: int
    critical: int
    listed: list[tuple[int, int, int, int, int]]


def sample_triples(pool: np.ndarray, samples: int, seed: int, block: int) -> np.ndarray:
    """Block ``block`` of a uniform sample (with replacement) of ``samples`` triples of
    distinct members of ``pool``: rows of three component indices, ascending. The block
    depends only on its index and ``seed``."""
    size = min(TRIPLE_BLOCK, samples - block * TRIPLE_BLOCK)
    rng = np.random.default_rng([seed, block])
    picks = rng.integers(0, len(pool), size=(max(size, 0), 3))
    while True:  # redraw triples with a repeated member, in order: deterministic
        picks.sort(axis=1)
        again = np.flatnonzero((picks[:, 1] == picks[:, 0]) | (picks[:, 2] == picks[:, 1]))
        if not again.size:
            break
        picks[again] = rng.integers(0, len(pool), size=(len(again), 3))
    return np.sort(pool[picks], axis=1)


def triple_shard(twin: Twin, context: HarmContext, base: list[int], job: TripleJob) -> TripleResult:
    """Judge the sampled triples of ``job``'s blocks. No member is harmful alone (the
    pool excludes single points of failure); a triple holding a critical pair is
    harmful (more failed never serves more) without being propagated; the others are
    screened all at once, and a harmful one is a critical triple (minimal)."""
    n = twin.graph.n_components
    sampled = with_pair = critical = 0
    listed: list[tuple[int, int, int, int, int]] = []
    with gc_paused():
        for block in job.blocks:
            triples = sample_triples(job.pool, job.samples, job.seed, block)
            a, b, c = triples.T
            holds_pair = np.zeros(len(triples), dtype=bool)
            for x, y in ((a, b), (a, c), (b, c)):
                holds_pair |= np.isin(x * n + y, job.critical_pairs)
            rest = np.flatnonzero(~holds_pair)
            harmful = rest[context.screen(triples[rest], base)] if rest.size else rest
            sampled += len(triples)
            with_pair += int(holds_pair.sum())
            critical += len(harmful)
            room = len(harmful) if job.max_listed is None else max(0, job.max_listed - len(listed))
            for k in harmful[:room].tolist():
                x, y, z = triples[k].tolist()
                listed.append((block, k, x, y, z))
    return TripleResult(sampled, with_pair, critical, listed)


def triple_shard_on_worker(shared: SharedFleet, job: TripleJob) -> TripleResult:
    """:func:`triple_shard` on a dask worker: the twin and its baseline once per process."""
    twin = shared.twin()
    base, context = shared.memo("contingency-context", context_of)
    return triple_shard(twin, context, base, job)


class HarmContext:
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
        which, at = csr_entries(g.row_replica_ptr, down)
        np.add.at(lost, (owner[which], g.row_replica[at]), 1)
        touch = np.zeros((len(failures), g.n_services), dtype=bool)
        which, at = csr_entries(row_ptr, down)
        touch[owner[which], row_service[at]] = True
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
            served = self.evaluator.served_after(ptr, down, settle, base)
            out[settle] = (served < self.base_served - EPSILON).any(axis=1)
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
