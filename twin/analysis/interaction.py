"""Which pairs of failures can do together what neither does alone.

The rule (written once; contingency's N-2 and the cut-set enumeration both use it)
----------------------------------------------------------------------------------
Let ``D0`` be what is down at the baseline (the failed set every scenario starts
from) and ``Δ(x) = down(D0 ∪ x) \\ D0`` what failure ``x`` adds. Failures ``a`` and
``b`` *interact* when

* some requirement gate has suppliers in both ``Δ(a)`` and ``Δ(b)``, or
* both ``Δ(a)`` and ``Δ(b)`` hold something the services read (a row a replica is
  placed on, a carrier link, a backbone link).

Claim: if ``a`` and ``b`` do not interact, ``down(D0 ∪ a ∪ b) = D0 ∪ Δ(a) ∪ Δ(b)``
and every service is served as under ``a`` alone or as under ``b`` alone.

Proof sketch. Monotonicity (more failed ⇒ fewer up) gives ``⊇``. For ``⊆`` it is
enough that ``U = D0 ∪ Δ(a) ∪ Δ(b)`` leaves a consistent state, i.e. every component
outside ``U`` has all its gates met when exactly ``U`` is down (the greatest fixpoint
then keeps all of them up). Take such a component ``c`` and a gate ``g`` of it. No gate
has suppliers in both deltas, so the suppliers ``g`` loses are ``(D0 ∪ Δ(a)) ∩ sup(g)``
or ``(D0 ∪ Δ(b)) ∩ sup(g)`` — exactly what it loses with ``a`` alone (resp. ``b``
alone), where ``c`` is up, so ``g`` is met there and here. For services: the engine
reads only the rows replicas sit on and the carrier and backbone links; at most one
delta touches any of them, so what the services read for the pair is what they read
for that failure alone (or for the baseline), and they settle to the same values.
∎

Gates with identical suppliers share one gate node in the compiled graph, so a gate
has suppliers in both deltas exactly when its node does: the keys are nodes.

Hence a pair in which neither failure is harmful alone and which does not interact is
harmless: N-2 needs to evaluate only the interacting pairs (a few per cent of them on
real designs), and a cut-set search only those for new minimal cut sets. The tests
check this against full enumeration.

Finer, for N-2 (``by_service``; sound when neither failure alone lowers any service)
-----------------------------------------------------------------------------------
What the services read is split into one key per service — the rows of its replicas
and of its failover controller's replicas — and one key for the links; a failure that
alone changes reachability (which replicas reach users, which sites reach each other)
touches every service. A pair sharing no gate and no key goes down as the union (the
claim above), every service's own share is the one it has with the member that
touches its inputs (or the baseline's), hence at least its baseline served fraction
(each failure alone leaves every service at the baseline), and the served fractions,
the greatest fixpoint below those shares, stay at the baseline: the pair is harmless.
Pairs that share only service keys go to a closed form in
:meth:`twin.analysis.harm.HarmContext.maybe_harmful` (capacity lost adds up),
the rest to the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from twin.analysis.graph import csr_entries, distinct
from twin.analysis.twin import Twin

__all__ = [
    "Interactions",
    "every_pair",
    "interactions",
    "service_inputs",
    "service_rows",
]


class Interactions:
    """What each failure's delta touches, as keys: the gates it feeds and what the
    services read (one key for all of it, or with ``by_service`` one per service and
    one for the links).

    Two failures interact when they share a key. Memory is O(total delta size × gates
    per supplier), never O(failures²) or O(failures × gates).
    """

    def __init__(
        self,
        touched_ptr: np.ndarray,
        touched_key: np.ndarray,
        n_gates: int,
        n_services: int,
        reach: np.ndarray,
    ) -> None:
        self.touched_ptr = touched_ptr
        self.touched_key = touched_key
        self.n_gates = n_gates
        self.n_services = n_services
        self.reach = reach
        """Per failure: does it alone change who reaches whom (users, other sites)?"""
        n_keys = int(touched_key.max()) + 1 if touched_key.size else 0
        owners = np.repeat(np.arange(len(reach), dtype=np.int64), np.diff(touched_ptr))
        order = np.argsort(touched_key, kind="stable")
        self._by_key = owners[order]  # ascending within a key
        self._key_ptr = np.searchsorted(touched_key[order], np.arange(n_keys + 1))

    def __len__(self) -> int:
        return len(self.reach)

    def keys_of(self, x: int) -> np.ndarray:
        """Keys failure ``x``'s delta touches (ascending): gate node indices, then
        ``n_gates + s`` for service ``s``'s inputs, then ``n_gates + n_services`` for
        the links."""
        return self.touched_key[self.touched_ptr[x] : self.touched_ptr[x + 1]]

    def _after(self, key: int, x: int) -> np.ndarray:
        part = self._by_key[self._key_ptr[key] : self._key_ptr[key + 1]]
        return part[np.searchsorted(part, x, side="right") :]

    def partners(self, x: int, among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Failures ``y > x`` (ascending) that interact with ``x``, and per partner
        whether they share only services' inputs (no gate, not both a link, neither
        changing reachability alone).

        ``among`` (a boolean mask over failures) restricts the answer.
        """
        keys = self.keys_of(x).tolist()
        services_from = self.n_gates
        full = [
            self._after(k, x)
            for k in keys
            if k < services_from or k >= services_from + self.n_services
        ]
        shared = [
            self._after(k, x) for k in keys if services_from <= k < services_from + self.n_services
        ]
        via_full = _sorted_unique(full)
        found = _sorted_unique([via_full, *shared]) if shared else via_full
        if among is not None:
            found = found[among[found]]
        if self.reach[x]:
            return found, np.zeros(len(found), dtype=bool)
        service_only = ~np.isin(found, via_full, assume_unique=True) & ~self.reach[found]
        return found, service_only

    def pairs(
        self,
        among: np.ndarray | None = None,
        chunk: int = 20_000,
        first: np.ndarray | None = None,
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every interacting pair ``(x, y)``, ``x < y``, streamed in arrays of about
        ``chunk`` rows (shape ``(k, 2)``), in lexicographic order, each with the
        service-only flags of :meth:`partners`; ``first`` (a mask) keeps the pairs
        whose ``x`` it holds (a shard)."""
        buffered: list[tuple[np.ndarray, np.ndarray]] = []
        size = 0
        for x in range(len(self)):
            if (among is not None and not among[x]) or (first is not None and not first[x]):
                continue
            ys, flags = self.partners(x, among)
            if ys.size:
                pairs = np.column_stack((np.full(ys.size, x, dtype=np.int64), ys))
                buffered.append((pairs, flags))
                size += ys.size
            if size >= chunk:
                yield _joined(buffered)
                buffered, size = [], 0
        if buffered:
            yield _joined(buffered)

    def count_pairs(self, among: np.ndarray | None = None, first: np.ndarray | None = None) -> int:
        """How many pairs :meth:`pairs` yields, without building them."""
        return sum(
            int(self.partners(x, among)[0].size)
            for x in range(len(self))
            if (among is None or among[x]) and (first is None or first[x])
        )


def _sorted_unique(parts: list[np.ndarray]) -> np.ndarray:
    """The union of ascending arrays, ascending."""
    if not parts:
        return np.empty(0, dtype=np.int64)
    return parts[0] if len(parts) == 1 else distinct(np.concatenate(parts))


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    return np.concatenate([p for p, _ in parts]), np.concatenate([f for _, f in parts])


def interactions(
    twin: Twin,
    failures: Sequence[Sequence[int]],
    base: Sequence[int] = (),
    by_service: bool = False,
) -> Interactions:
    """The interaction data of each failure set in ``failures`` (component indices),
    on top of the baseline failed set ``base``.

    ``by_service`` refines what the services read into one key per service and one
    for the links (see :func:`twin.analysis.contingency.contingency` for when that is
    sound): a row is an input of every service with a replica on it and of every
    service those control; failures taking links down share the link key; a failure
    that alone changes who reaches whom touches every service.
    """
    g = twin.graph
    n_gates, n_services = g.n_nodes, g.n_services  # keyed by gate node
    ptr, down = twin.evaluator.down_deltas(failures, base)
    owner = np.repeat(np.arange(len(failures), dtype=np.int64), np.diff(ptr))
    # every (failure, gate) with a supplier of the gate in the failure's delta
    which, at = csr_entries(g.feeds_ptr, down)
    entry_owner, entry_key = owner[which], g.feeds_node[at]
    reach = np.zeros(len(failures), dtype=bool)
    link_key = n_gates + n_services
    if by_service:
        link = np.zeros(g.n_components, dtype=bool)
        link[g.site_carrier] = True
        link[g.backbone_link] = True
        links = np.zeros(len(failures), dtype=bool)
        np.logical_or.at(links, owner, link[down])
        linked = np.flatnonzero(links)
        reach[linked] = _changes_reach(twin, [failures[x] for x in linked.tolist()], base)
        row_ptr, row_service = service_rows(twin)
        which, at = csr_entries(row_ptr, down)
        row_owner, service_key = owner[which], n_gates + row_service[at]
        reachers = np.flatnonzero(reach)
        entry_owner = np.concatenate(
            (entry_owner, row_owner, np.repeat(reachers, n_services), linked)
        )
        entry_key = np.concatenate(
            (
                entry_key,
                service_key,
                np.tile(n_gates + np.arange(n_services, dtype=np.int64), len(reachers)),
                np.full(len(linked), link_key, dtype=np.int64),
            )
        )
    else:
        reads = np.zeros(len(failures), dtype=bool)
        np.logical_or.at(reads, owner, service_inputs(twin)[down])
        readers = np.flatnonzero(reads)
        entry_owner = np.concatenate((entry_owner, readers))
        entry_key = np.concatenate((entry_key, np.full(len(readers), link_key, dtype=np.int64)))
    width = link_key + 1
    key = distinct(entry_owner * width + entry_key)
    touched_owner, touched_key = np.divmod(key, width)
    touched_ptr = np.searchsorted(touched_owner, np.arange(len(failures) + 1))
    return Interactions(
        touched_ptr.astype(np.int64), touched_key.astype(np.int64), n_gates, n_services, reach
    )


def _changes_reach(twin: Twin, failures: list[Sequence[int]], base: Sequence[int]) -> np.ndarray:
    """Per failure: does it change which replicas reach users or which sites reach each
    other, against the baseline?"""
    ev = twin.evaluator
    baseline = ev.evaluate(list(base))
    out = np.zeros(len(failures), dtype=bool)
    for k, failure in enumerate(failures):
        state = ev.evaluate([*base, *failure])
        same = [
            a is not None and b is not None and np.array_equal(a, b)
            for a, b in (
                (state.replica_reachable, baseline.replica_reachable),
                (state.site_group, baseline.site_group),
            )
        ]
        out[k] = not all(same)
    return out


def service_rows(twin: Twin) -> tuple[np.ndarray, np.ndarray]:
    """CSR component → the services that read it: those with a replica on it and those
    they are the failover controller of."""
    g = twin.graph
    controls = [
        g.controls_idx[g.controls_ptr[s] : g.controls_ptr[s + 1]].tolist()
        for s in range(g.n_services)
    ]
    per_row: list[list[int]] = [[] for _ in range(g.n_components)]
    for r in range(g.n_replicas):
        s = int(g.replica_service[r])
        for row in g.replica_row[g.replica_row_ptr[r] : g.replica_row_ptr[r + 1]].tolist():
            per_row[row].extend((s, *controls[s]))
    lists = [sorted(set(services)) for services in per_row]
    ptr = np.zeros(g.n_components + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(x) for x in lists])
    return ptr, np.fromiter((s for x in lists for s in x), dtype=np.int64, count=int(ptr[-1]))


def service_inputs(twin: Twin) -> np.ndarray:
    """Per component: do the services read it (a row a replica sits on, a carrier or
    backbone link)? A scenario that takes none of these down leaves every service as
    it was at the baseline."""
    g = twin.graph
    read = np.zeros(g.n_components, dtype=bool)
    read[g.replica_row] = True
    read[g.site_carrier] = True
    read[g.backbone_link] = True
    return read


def every_pair(
    n: int,
    among: np.ndarray | None = None,
    chunk: int = 20_000,
    first: np.ndarray | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair ``(x, y)``, ``x < y < n`` (both in ``among`` when given), streamed like
    :meth:`Interactions.pairs` (every flag False: nothing is known of them): the
    unpruned enumeration, never materialised whole."""
    pool = np.arange(n, dtype=np.int64) if among is None else np.flatnonzero(among)
    buffered: list[np.ndarray] = []
    size = 0
    for k, x in enumerate(pool.tolist()):
        if first is not None and not first[x]:
            continue
        ys = pool[k + 1 :]
        if ys.size:
            buffered.append(np.column_stack((np.full(ys.size, x, dtype=np.int64), ys)))
            size += ys.size
        if size >= chunk:
            joined = np.concatenate(buffered)
            yield joined, np.zeros(len(joined), dtype=bool)
            buffered, size = [], 0
    if buffered:
        joined = np.concatenate(buffered)
        yield joined, np.zeros(len(joined), dtype=bool)
