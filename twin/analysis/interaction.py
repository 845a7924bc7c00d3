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

Hence a pair in which neither failure is harmful alone and which does not interact is
harmless: N-2 needs to evaluate only the interacting pairs (a few per cent of them on
real designs), and a cut-set search only those for new minimal cut sets. The tests
check this against full enumeration.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from twin.analysis.twin import Twin

__all__ = ["Interactions", "every_pair", "interactions", "service_inputs"]


class Interactions:
    """The gates each failure's delta touches, and whether it touches what services read.

    Built from one batch evaluation of every failure set (components only). Memory is
    O(total delta size × gates per supplier), never O(failures²) or
    O(failures × gates).
    """

    def __init__(self, touched_ptr: np.ndarray, touched_gate: np.ndarray, reads: np.ndarray):
        self.touched_ptr = touched_ptr
        self.touched_gate = touched_gate
        self.reads = reads
        n_gates = int(touched_gate.max()) + 1 if touched_gate.size else 0
        owners = np.repeat(np.arange(len(reads), dtype=np.int64), np.diff(touched_ptr))
        order = np.argsort(touched_gate, kind="stable")
        self._by_gate = owners[order]
        self._gate_ptr = np.searchsorted(touched_gate[order], np.arange(n_gates + 1))
        self._readers = np.flatnonzero(reads)

    def __len__(self) -> int:
        return len(self.reads)

    def gates_of(self, x: int) -> np.ndarray:
        """Gates with a supplier in failure ``x``'s delta."""
        return self.touched_gate[self.touched_ptr[x] : self.touched_ptr[x + 1]]

    def partners(self, x: int, among: np.ndarray | None = None) -> np.ndarray:
        """Failures ``y > x`` (ascending) that interact with ``x``.

        ``among`` (a boolean mask over failures) restricts the answer.
        """
        gates = self.gates_of(x)
        parts = [self._by_gate[self._gate_ptr[g] : self._gate_ptr[g + 1]] for g in gates.tolist()]
        if self.reads[x]:
            parts.append(self._readers)
        if not parts:
            return np.empty(0, dtype=np.int64)
        found = np.unique(np.concatenate(parts))
        found = found[found > x]
        if among is not None:
            found = found[among[found]]
        return found

    def pairs(self, among: np.ndarray | None = None, chunk: int = 20_000) -> Iterator[np.ndarray]:
        """Every interacting pair ``(x, y)``, ``x < y``, streamed in arrays of about
        ``chunk`` rows (shape ``(k, 2)``), in lexicographic order."""
        buffered: list[np.ndarray] = []
        size = 0
        for x in range(len(self)):
            if among is not None and not among[x]:
                continue
            ys = self.partners(x, among)
            if ys.size:
                buffered.append(np.column_stack((np.full(ys.size, x, dtype=np.int64), ys)))
                size += ys.size
            if size >= chunk:
                yield np.concatenate(buffered)
                buffered, size = [], 0
        if buffered:
            yield np.concatenate(buffered)

    def count_pairs(self, among: np.ndarray | None = None) -> int:
        """How many pairs :meth:`pairs` yields, without building them."""
        return sum(
            int(self.partners(x, among).size) for x in range(len(self)) if among is None or among[x]
        )


def interactions(
    twin: Twin, failures: Sequence[Sequence[int]], base: Sequence[int] = ()
) -> Interactions:
    """The interaction data of each failure set in ``failures`` (component indices),
    on top of the baseline failed set ``base``."""
    g = twin.graph
    ptr, down = twin.evaluator.down_deltas(failures, base)
    owner = np.repeat(np.arange(len(failures), dtype=np.int64), np.diff(ptr))
    # every (failure, gate) with a supplier of the gate in the failure's delta
    feeds = np.diff(g.feeds_ptr)
    per_entry = feeds[down]
    entry_owner = np.repeat(owner, per_entry)
    offsets = np.repeat(g.feeds_ptr[down] - (np.cumsum(per_entry) - per_entry), per_entry)
    entry_gate = g.feeds_gate[offsets + np.arange(int(per_entry.sum()))]
    key = np.unique(entry_owner * (g.n_gates + 1) + entry_gate)
    touched_owner, touched_gate = np.divmod(key, g.n_gates + 1)
    touched_ptr = np.searchsorted(touched_owner, np.arange(len(failures) + 1))
    reads = np.zeros(len(failures), dtype=bool)
    np.logical_or.at(reads, owner, service_inputs(twin)[down])
    return Interactions(touched_ptr.astype(np.int64), touched_gate.astype(np.int64), reads)


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
    n: int, among: np.ndarray | None = None, chunk: int = 20_000
) -> Iterator[np.ndarray]:
    """Every pair ``(x, y)``, ``x < y < n`` (both in ``among`` when given), streamed like
    :meth:`Interactions.pairs`: the unpruned enumeration, never materialised whole."""
    pool = np.arange(n, dtype=np.int64) if among is None else np.flatnonzero(among)
    buffered: list[np.ndarray] = []
    size = 0
    for k, x in enumerate(pool.tolist()):
        ys = pool[k + 1 :]
        if ys.size:
            buffered.append(np.column_stack((np.full(ys.size, x, dtype=np.int64), ys)))
            size += ys.size
        if size >= chunk:
            yield np.concatenate(buffered)
            buffered, size = [], 0
    if buffered:
        yield np.concatenate(buffered)
