"""The fast failure-propagation engine.

Semantics (the contract; :mod:`twin.analysis.reference` implements the same one naively)
---------------------------------------------------------------------------------
Components
    A component is UP iff it is not in the failed set AND (it is in ``held_up`` OR
    every one of its requirement groups is met). A group is met iff the summed
    weight of its UP suppliers is ``>= threshold - EPSILON`` (``EPSILON = 1e-9``):
    a count gate weighs each supplier 1 against ``at_least`` (default 1); a
    capacity gate weighs each supplier ``supplier.capacity_for(resource)`` against
    ``capacity``. The answer is the GREATEST fixpoint (start with everything up
    except the failed set, take down components whose groups are not met, repeat
    until stable), so mutually supporting cycles stay up. ``held_up`` names
    components whose requirements are ignored (a UPS on battery, a loop on thermal
    storage); failed overrides held up.
Reachability
    Computed per state from the component up-states after the component fixpoint,
    before services settle. Users: a site reaches users iff at least one of its
    ``carrier_link`` components is UP; a site that declares no carrier link is
    unmodelled and always reaches users. Backbone: sites are the nodes of an
    undirected graph with an edge between sites a and b while at least one
    ``backbone_link`` component joining them (sitting at a with ``remote_site`` b,
    or at b with ``remote_site`` a) is UP; two sites are connected iff a path of
    such edges joins them (transitively; a site is connected to itself), and the
    sites connected to each other form a group. A fleet that declares no backbone
    link at all is one group. A shared-risk group cut needs no rule of its own: it
    fails every link in the group.
Services
    A replica's live fraction is (#UP rows listed for it) / len(rows) (rows are
    distinct; the model rejects a row listed twice). A replica counts toward capacity if
    its role is ``active``, or it is ``standby`` and its service is promoted, or it is
    ``rebuild`` and its service is in ``rebuilt`` (a rebuild replica of a service not
    rebuilt does not exist yet: it counts for nothing, quorum included), and, for a
    service with ``needs_network`` (the default), its site reaches users.
    ``capacity_s = Σ capacity_rps × live_fraction`` over counted replicas.
    ``own_s = min(1, capacity_s / (demand_rps × surge))``, and at most ``caps[s]``
    when a cap is given (traffic still being re-routed, say).
    With a ``data_quorum`` and ``needs_network``: the data-holding replicas with at
    least one UP row (any role) are grouped by their site's group; a group HOLDS
    the quorum when it has ``>= data_quorum`` of them. If no group holds it,
    ``own_s = 0``; otherwise a replica counts only if its site is in a group that
    holds it (the majority side keeps serving, the minority stops). With a
    ``data_quorum`` and not ``needs_network``: fewer such replicas (anywhere) than
    the quorum ⇒ ``own_s = 0``, and carriers and backbone are ignored.
    ``served_s = min(own_s, min over depends_on of served_d)``, the GREATEST
    fixpoint from 1.0 downward (dependency cycles allowed).
Promotion
    ``promoted`` is an explicit collection of services, or ``"auto"``: an
    ``active_standby`` service is promoted iff it has a failover controller,
    ``served(controller) > 0`` and, with ``needs_network``, the controller reaches a
    standby: some standby replica's site is connected to the site of a controller
    replica with at least one UP row. This too is a greatest fixpoint (all
    candidates start promoted and are dropped while their controller ends at 0).
    Promotion in an ``active_active`` service has no effect (it has no standby
    replica). Promoted or not, a standby replica counts only under the rules above
    (its site reaching users, on a quorum-holding side).

Algorithm
---------
The evaluator keeps one mutable state: whether each component is up, each gate's
live-supplier sum, whether each gate is met, and each component's number of unmet
gates. The all-up state is computed once; a scenario fails its set, walks the
reverse "who depends on me" index from each component that goes down, decrements
the sums of the gates it feeds, and queues an owner only when one of its gates
flips to unmet. Every change goes to an undo log, so restoring the state costs the
size of the cone, not of the fleet. Because the fixpoint is monotone (more failed
⇒ fewer up), failing more components on top of an evaluated state yields the
fixpoint of the union; :meth:`Evaluator.evaluate_many` uses that to share the
prefix of sorted failure sets (N-2 pairs ``(a, b1), (a, b2), …`` propagate ``a``
once).

Reachability is the all-up one unless a carrier or backbone link is down; then it
is recomputed (a BFS over the few sites). Services start from a cached baseline (per
surge and promotion mode) and are re-settled by a worklist seeded with the services
that have a replica on a downed row and the services they control (whose controller
may no longer reach a standby), or with every service when reachability differs
from the all-up one; a changed service re-queues its dependants and, when it drops
to 0, the services it controls. Failing more only removes users, edges and live
rows, so the all-up answer is above the scenario's; chaotic iteration downward from
a post-fixpoint of a monotone operator reaches its greatest fixpoint, so the result
equals the from-the-top definition.

Long on purpose: the evaluator's hot loops (propagation, rollback, prefix sharing,
service settling) share one incremental state and its invariants (gate sums, met
flags, unmet counts, undo logs); splitting them across modules would spread those
invariants over several files. The two result types come first, the evaluator after.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from twin.analysis.graph import (
    EPSILON,
    CompiledGraph,
    compile_fleet,
    csr_entries,
    distinct,
    gc_paused,
)
from twin.model import Fleet

__all__ = ["BatchEvaluation", "Evaluation", "Evaluator", "Promoted", "Surge"]

Surge = float | str
"""A demand multiplier for every service, or the name of a surge: each service then
takes its own multiplier for that name (1 for a service that declares none)."""

Promoted = Literal["auto"] | Collection[str | int]
"""``"auto"`` or an explicit collection of promoted services (names or indices)."""


@dataclass(frozen=True, eq=False)
class Evaluation:
    """The result of one scenario.

    Attributes
    ----------
    graph : CompiledGraph
        The graph the indices refer to.
    up : ndarray[bool], shape (n_components,)
        Whether each component is up, in compiled order.
    served : ndarray[float64], shape (n_services,)
        Served fraction of each service in [0, 1].
    promoted : ndarray[bool], shape (n_services,)
        Whether each service's standby replicas counted toward capacity.
    """

    graph: CompiledGraph
    up: np.ndarray
    served: np.ndarray
    promoted: np.ndarray
    met: np.ndarray | None = None
    """Whether each requirement group (gate) is met in this state, shape (n_gates,);
    None for results of :meth:`Evaluator.evaluate_many`."""
    site_users: np.ndarray | None = None
    """Whether each site reaches users, shape (n_sites,); None for results of
    :meth:`Evaluator.evaluate_many` (as are the three below)."""
    site_group: np.ndarray | None = None
    """Each site's backbone group, shape (n_sites,): the lowest site index it is
    connected to (two sites are connected iff their labels are equal)."""
    replica_reachable: np.ndarray | None = None
    """Whether the network lets each replica serve, shape (n_replicas,): its service
    ignores the network, or its site reaches users and is not on the minority side of
    a partition (some group holds the service's quorum and the site's does not)."""
    failover_reachable: np.ndarray | None = None
    """Per service, shape (n_services,): it has a failover controller and either
    ignores the network or the controller reaches a standby replica's site."""
    own: np.ndarray | None = None
    """Each service's own served fraction before its dependencies cap it; None for
    results of :meth:`Evaluator.evaluate_many`."""

    def capped_by(self, service: str | int) -> str | None:
        """The dependency that holds ``service`` below what its own capacity serves (the
        one serving least), or None when nothing does."""
        if self.own is None:
            raise ValueError("own fractions are kept by Evaluator.evaluate only")
        g = self.graph
        (s,) = g.services_of([service])
        if self.served[s] >= self.own[s] - EPSILON:
            return None
        deps = g.dep_idx[g.dep_ptr[s] : g.dep_ptr[s + 1]]
        if len(deps) == 0:
            return None
        worst = min(deps, key=lambda d: (self.served[d], d))
        return g.service_names[int(worst)]

    def gates_met(self, component: str | int) -> bool:
        """Whether every requirement group of ``component`` is met (it may still be up
        without them when it is held up, e.g. a UPS on battery)."""
        return self.first_unmet_gate(component) is None

    def first_unmet_gate(self, component: str | int) -> int | None:
        """The first requirement group of ``component`` that is not met (a gate index,
        see :class:`~twin.analysis.graph.CompiledGraph`), or None."""
        if self.met is None:
            raise ValueError("gate states are kept by Evaluator.evaluate only")
        (c,) = self.graph.components_of([component])
        ptr = self.graph.owner_gate_ptr
        for k in range(int(ptr[c]), int(ptr[c + 1])):
            if not self.met[k]:
                return k
        return None

    def replica_live(self, replica: int) -> float:
        """Live fraction of a replica: its up rows over its rows (the service rule)."""
        g = self.graph
        rows = g.replica_row[g.replica_row_ptr[replica] : g.replica_row_ptr[replica + 1]]
        return int(self.up[rows].sum()) / len(rows)

    def replica_serving(self, replica: int) -> float:
        """Live fraction of a replica that the network lets serve (0 when it cannot)."""
        if self.replica_reachable is None:
            raise ValueError("network states are kept by Evaluator.evaluate only")
        return self.replica_live(replica) if self.replica_reachable[replica] else 0.0

    def partition(self) -> list[list[str]]:
        """The site groups (names), each in compiled order, groups by their first site."""
        if self.site_group is None:
            raise ValueError("network states are kept by Evaluator.evaluate only")
        groups: dict[int, list[str]] = {}
        for name, label in zip(self.graph.site_names, self.site_group.tolist(), strict=True):
            groups.setdefault(label, []).append(name)
        return list(groups.values())

    @property
    def down(self) -> np.ndarray:
        """Indices of the components that are down, ascending."""
        return np.flatnonzero(~self.up)

    def down_names(self) -> list[str]:
        """Names of the components that are down, in compiled order."""
        names = self.graph.component_names
        return [names[i] for i in self.down]

    def is_up(self, component: str | int) -> bool:
        """Whether ``component`` (name or index) is up."""
        (i,) = self.graph.components_of([component])
        return bool(self.up[i])

    def served_fraction(self, service: str | int) -> float:
        """Served fraction of ``service`` (name or index)."""
        (i,) = self.graph.services_of([service])
        return float(self.served[i])

    def as_dicts(self) -> tuple[dict[str, bool], dict[str, float]]:
        """``({component: up}, {service: served})``, the shape of the reference evaluator."""
        g = self.graph
        return (
            dict(zip(g.component_names, self.up.tolist(), strict=True)),
            dict(zip(g.service_names, self.served.tolist(), strict=True)),
        )


@dataclass(frozen=True, eq=False)
class BatchEvaluation:
    """The results of many scenarios, down-sets stored sparsely.

    Attributes
    ----------
    graph : CompiledGraph
        The graph the indices refer to.
    down_ptr, down_idx : ndarray[int64]
        CSR scenario → indices of its down components (ascending).
    served : ndarray[float64], shape (n_scenarios, n_services)
        Served fractions per scenario (all zero columns when services were skipped).
    promoted : ndarray[bool], shape (n_scenarios, n_services)
        Promotion per scenario.
    """

    graph: CompiledGraph
    down_ptr: np.ndarray
    down_idx: np.ndarray
    served: np.ndarray
    promoted: np.ndarray

    def __len__(self) -> int:
        return len(self.down_ptr) - 1

    def down(self, i: int) -> np.ndarray:
        """Indices of the components down in scenario ``i``, ascending."""
        return self.down_idx[self.down_ptr[i] : self.down_ptr[i + 1]]

    def down_counts(self) -> np.ndarray:
        """Number of components down in each scenario."""
        return np.diff(self.down_ptr)

    def up_matrix(self) -> np.ndarray:
        """Dense ``(n_scenarios, n_components)`` bool matrix (mind the memory)."""
        up = np.ones((len(self), self.graph.n_components), dtype=bool)
        rows = np.repeat(np.arange(len(self)), self.down_counts())
        up[rows, self.down_idx] = False
        return up

    def __getitem__(self, i: int) -> Evaluation:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        up = np.ones(self.graph.n_components, dtype=bool)
        up[self.down(i)] = False
        return Evaluation(self.graph, up, self.served[i].copy(), self.promoted[i].copy())


class Evaluator:
    """Evaluate failure scenarios against a compiled fleet, cone by cone.

    Parameters
    ----------
    graph : CompiledGraph or Fleet
        The compiled fleet (a :class:`Fleet` is compiled on the spot).

    Notes
    -----
    An evaluator holds mutable state and is not thread-safe; use one per thread.
    Every public method leaves the state as it found it.
    """

    def __init__(self, graph: CompiledGraph | Fleet) -> None:
        if isinstance(graph, Fleet):
            graph = compile_fleet(graph)
        with gc_paused():
            self._setup(graph)
        self.baseline: Evaluation = self.evaluate(())
        """The evaluation with nothing failed, nothing held, surge 1, auto promotion."""

    def _setup(self, graph: CompiledGraph) -> None:
        self.graph = graph
        g = graph
        n = g.n_components
        self._n = n
        # Python-level copies of the arrays: element access on lists is several times
        # faster than on numpy arrays in the scalar hot loop.
        # Sums, thresholds and met flags are per gate node (identical gates share one).
        feeds_ptr = g.feeds_ptr.tolist()
        feeds_node = g.feeds_node.tolist()
        feeds_weight = g.feeds_weight.tolist()
        self._feeds: list[tuple[tuple[int, float], ...]] = [
            tuple(
                zip(
                    feeds_node[feeds_ptr[c] : feeds_ptr[c + 1]],
                    feeds_weight[feeds_ptr[c] : feeds_ptr[c + 1]],
                    strict=True,
                )
            )
            for c in range(n)
        ]
        self._owners: list[list[int]] = _lists(g.node_gate_ptr, g.gate_owner[g.node_gate])
        self._thr_low: list[float] = (g.node_threshold - EPSILON).tolist()
        self._is_row: list[bool] = g.is_row.tolist()
        rr_ptr = g.row_replica_ptr.tolist()
        rr = g.row_replica.tolist()
        self._row_replicas: list[list[int]] = [rr[rr_ptr[c] : rr_ptr[c + 1]] for c in range(n)]

        # The all-up state: every node's sum over all its suppliers.
        node_ptr = g.node_ptr.tolist()
        weights = g.node_weight.tolist()
        self._sum: list[float] = [
            sum(weights[node_ptr[k] : node_ptr[k + 1]]) for k in range(g.n_nodes)
        ]
        self._met = bytearray(
            1 if s >= t else 0 for s, t in zip(self._sum, self._thr_low, strict=True)
        )
        self._unmet: list[int] = [0] * n  # per component, its gates unmet
        for k, met in enumerate(self._met):
            if not met:
                for o in self._owners[k]:
                    self._unmet[o] += 1
        # Components whose groups are unmet even with everything up. A valid fleet has
        # none; they are propagated first in every scenario (unless held up).
        self._seeds: list[int] = [c for c in range(n) if self._unmet[c]]
        self._up = bytearray(b"\x01") * n
        self._held = bytearray(n)
        # Undo logs.
        self._downed: list[int] = []
        self._sum_gate: list[int] = []
        self._sum_old: list[float] = []
        self._flipped: list[int] = []

        # Services.
        m = g.n_services
        self._m = m
        rep_ptr = g.service_replica_ptr.tolist()
        self._svc_replicas: list[range] = [range(rep_ptr[s], rep_ptr[s + 1]) for s in range(m)]
        rrow_ptr = g.replica_row_ptr.tolist()
        self._rep_nrows: list[int] = [rrow_ptr[r + 1] - rrow_ptr[r] for r in range(g.n_replicas)]
        self._rep_service: list[int] = g.replica_service.tolist()
        self._rep_cap: list[float] = g.replica_capacity_rps.tolist()
        self._rep_active: list[bool] = g.replica_active.tolist()
        self._rep_rebuild: list[bool] = g.replica_rebuild.tolist()
        self._rebuilt: list[bool] = [False] * g.n_services
        self._rep_stores: list[bool] = g.replica_stores_data.tolist()
        self._demand: list[float] = g.service_demand_rps.tolist()
        self._surges: tuple[dict[str, float], ...] = g.service_surges
        self._standby_mode: list[bool] = g.service_standby_mode.tolist()
        self._controller: list[int] = g.service_controller.tolist()
        self._quorum: list[int] = g.service_quorum.tolist()
        self._deps = _lists(g.dep_ptr, g.dep_idx)
        self._rdeps = _lists(g.rdep_ptr, g.rdep_idx)
        self._controls = _lists(g.controls_ptr, g.controls_idx)
        self._service_base: dict[tuple[Surge, object], list[float]] = {}

        # Reachability.
        self._rep_site: list[int] = g.replica_site.tolist()
        self._needs_net: list[bool] = g.service_needs_network.tolist()
        self._standby_reps: list[list[int]] = [
            [r for r in reps if not self._rep_active[r] and not self._rep_rebuild[r]]
            for reps in self._svc_replicas
        ]
        self._site_carriers = _lists(g.site_carrier_ptr, g.site_carrier)
        self._backbone: list[tuple[int, int, int]] = [
            (c, a, b)
            for c, (a, b) in zip(g.backbone_link.tolist(), g.backbone_ends.tolist(), strict=True)
        ]
        self._is_link = bytearray(n)
        for c in [*g.site_carrier.tolist(), *g.backbone_link.tolist()]:
            self._is_link[c] = 1
        self._base_reach = self._reach_of(bytearray(b"\x01") * n)
        self._has_controller = [s for s in range(m) if self._controller[s] >= 0]
        self._all_replicas_ok = _frozen(np.ones(g.n_replicas, dtype=bool))
        self._base_site_arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._base_network_facts: tuple[np.ndarray, np.ndarray] | None = None

    # ------------------------------------------------------------------ public API

    def evaluate(
        self,
        failed: Iterable[str | int] = (),
        held_up: Iterable[str | int] = (),
        surge: Surge = 1.0,
        promoted: Promoted = "auto",
        caps: Mapping[str | int, float] | None = None,
        rebuilt: Collection[str | int] = (),
    ) -> Evaluation:
        """Evaluate one scenario.

        Parameters
        ----------
        failed : iterable of component names or indices
            Components that have failed.
        held_up : iterable of component names or indices
            Components whose requirements are ignored (failed still wins).
        surge : float or str
            Demand multiplier (> 0; 1.0 is baseline demand), or a surge name: each
            service then takes its own multiplier for it (1 when it declares none).
        promoted : "auto" or collection of service names or indices
            Which active-standby services count their standby replicas.
        caps : mapping of service name or index to a fraction, optional
            An upper bound on a service's own served fraction (traffic still being
            re-routed away from a lost replica, say); dependants are capped through
            their dependencies as usual.
        rebuilt : collection of service names or indices
            Services rebuilt elsewhere: their ``rebuild`` replicas count.

        Returns
        -------
        Evaluation
            With :attr:`Evaluation.met`, the state of every requirement group.
        """
        failed_idx = self.graph.components_of(failed)
        held_idx = self.graph.components_of(held_up)
        key, flags = self._promotion(promoted)
        surge = _check_surge(surge)
        cap_list = self._caps(caps)
        rebuilt_idx = self.graph.services_of(rebuilt)
        if rebuilt_idx and cap_list is None:
            cap_list = [1.0] * self._m  # no cached baseline holds: settle every service
        for s in rebuilt_idx:
            self._rebuilt[s] = True
        root = self._begin(held_idx)
        try:
            self._fail(failed_idx)
            up = np.ones(self._n, dtype=bool)
            up[self._downed] = False
            met = np.frombuffer(bytes(self._met), dtype=np.uint8).astype(bool)[self.graph.gate_node]
            down_rows, reach = self._state()
            served, prom = self._services(surge, key, flags, down_rows, reach, cap_list)
            own = [
                min(self._own(s, served, down_rows, reach, surge, flags), cap_list[s])
                if cap_list is not None
                else self._own(s, served, down_rows, reach, surge, flags)
                for s in range(self._m)
            ]
            site_users, site_group = self._site_arrays(reach)
            replica_ok, failover_ok = self._network_facts(down_rows, reach)
        finally:
            self._end(root, held_idx)
            for s in rebuilt_idx:
                self._rebuilt[s] = False
        return Evaluation(
            self.graph,
            up,
            np.array(served),
            np.array(prom, dtype=bool),
            met,
            site_users=site_users,
            site_group=site_group,
            replica_reachable=replica_ok,
            failover_reachable=failover_ok,
            own=np.array(own),
        )

    def downstream_cone(
        self, failed: Iterable[str | int], held_up: Iterable[str | int] = ()
    ) -> np.ndarray:
        """Indices (ascending) of every component down when ``failed`` fail, themselves included."""
        failed_idx = self.graph.components_of(failed)
        held_idx = self.graph.components_of(held_up)
        root = self._begin(held_idx)
        try:
            self._fail(failed_idx)
            return np.unique(np.array(self._downed, dtype=np.int64))
        finally:
            self._end(root, held_idx)

    def down_deltas(
        self, scenarios: Sequence[Sequence[int]], base: Sequence[int] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """What each scenario takes down beyond ``base``: components only, all scenarios at
        once, as CSR ``(ptr, idx)`` (indices ascending per scenario).

        Every scenario fails ``base`` plus its own components (indices). The propagation
        runs level by level over every scenario together in numpy: the frontier is a
        set of (scenario, component) pairs, each feeding its gate nodes a decrement; the
        decrements accumulate per (scenario, node) and a node whose sum drops below its
        threshold takes its owner down in the next level. Same semantics and fixpoint
        as :meth:`evaluate` (nothing held up); the cost is the total size of the cones,
        with numpy's constant, not Python's, so sweeps such as N-1 or a chunk of N-2
        pairs cost a few operations per entry. Scenarios are stored as differences from
        the baseline, never as full states.
        """
        g = self.graph
        n, n_nodes = self._n, g.n_nodes  # gate nodes: identical gates share one
        k = len(scenarios)
        base_down = np.zeros(n, dtype=bool)
        base_down[self.downstream_cone(list(base))] = True
        node_of_entry = np.repeat(np.arange(n_nodes), np.diff(g.node_ptr))
        base_sum = np.bincount(
            node_of_entry,
            weights=g.node_weight * ~base_down[g.node_supplier],
            minlength=n_nodes,
        )
        thr_low = g.node_threshold - EPSILON
        base_met = base_sum >= thr_low
        feeds_ptr, feeds_node, feeds_weight = g.feeds_ptr, g.feeds_node, g.feeds_weight

        lengths = np.fromiter((len(sc) for sc in scenarios), dtype=np.int64, count=k)
        owner = np.repeat(np.arange(k, dtype=np.int64), lengths)
        comps = np.fromiter(
            (c for sc in scenarios for c in sc), dtype=np.int64, count=int(lengths.sum())
        )
        keep = ~base_down[comps]
        frontier = distinct(owner[keep] * n + comps[keep])
        parts = [frontier]
        # state of the scenarios still propagating only: most stop after one level
        active_down = frontier
        acc_keys = np.empty(0, dtype=np.int64)
        acc_vals = np.empty(0, dtype=np.float64)
        while frontier.size:
            fs, fc = np.divmod(frontier, n)
            which, entry = csr_entries(feeds_ptr, fc)
            if not entry.size:
                break
            keys = fs[which] * n_nodes + feeds_node[entry]
            # this level's decrements per (scenario, node), merged into the running sums
            order = np.argsort(keys, kind="stable")
            keys, weights = keys[order], feeds_weight[entry][order]
            first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
            touched = keys[first]
            lost = np.add.reduceat(weights, first) if len(keys) else weights
            at = np.searchsorted(acc_keys, touched)
            known = at < len(acc_keys)
            known[known] = acc_keys[at[known]] == touched[known]
            lost[known] += acc_vals[at[known]]
            acc_vals[at[known]] = lost[known]
            acc_keys = np.insert(acc_keys, at[~known], touched[~known])
            acc_vals = np.insert(acc_vals, at[~known], lost[~known])
            ts, tg = np.divmod(touched, n_nodes)
            flips = base_met[tg] & (base_sum[tg] - lost < thr_low[tg])
            on, at = csr_entries(g.node_gate_ptr, tg[flips])
            owners = g.gate_owner[g.node_gate[at]]
            fresh = ~base_down[owners]
            candidates = distinct(ts[flips][on][fresh] * n + owners[fresh])
            frontier = candidates[~np.isin(candidates, active_down, assume_unique=True)]
            if not frontier.size:
                break
            parts.append(frontier)
            going = distinct(frontier // n)
            still = np.isin(acc_keys // n_nodes, going)
            acc_keys, acc_vals = acc_keys[still], acc_vals[still]
            # disjoint sorted sets: a sort, not union1d's unique
            active_down = np.sort(
                np.concatenate([active_down[np.isin(active_down // n, going)], frontier])
            )
        down = np.sort(np.concatenate(parts))
        scenario, idx = np.divmod(down, n)
        ptr = np.searchsorted(scenario, np.arange(k + 1)).astype(np.int64)
        return ptr, idx.astype(np.int64)

    def evaluate_many(
        self,
        scenarios: Iterable[Iterable[str | int]],
        held_up: Iterable[str | int] = (),
        surge: Surge = 1.0,
        promoted: Promoted = "auto",
        services: bool = True,
    ) -> BatchEvaluation:
        """Evaluate many failure sets with the same ``held_up``, ``surge`` and ``promoted``.

        Scenarios are processed in sorted order of their (sorted) failure sets so
        that sets sharing a prefix share its propagation; results come back in the
        order given. ``services=False`` skips the service evaluation (the served
        and promoted matrices are then all zero / False). Memory is
        O(total cone size + n_scenarios × n_services): chunk very large sweeps.
        """
        keys = [tuple(sorted(set(self.graph.components_of(sc)))) for sc in scenarios]
        held_idx = self.graph.components_of(held_up)
        key, flags = self._promotion(promoted)
        surge = _check_surge(surge)
        k = len(keys)
        m = self._m
        served = np.zeros((k, m), dtype=np.float64)
        prom = np.zeros((k, m), dtype=bool)
        downs: list[list[int]] = [[]] * k
        order = sorted(range(k), key=keys.__getitem__)
        root = self._begin(held_idx)
        applied: list[int] = []
        marks: list[tuple[int, int, int]] = []
        try:
            with gc_paused():
                for pos in order:
                    sc = keys[pos]
                    common = 0
                    limit = min(len(applied), len(sc))
                    while common < limit and applied[common] == sc[common]:
                        common += 1
                    if common < len(applied):
                        self._rollback(marks[common])
                        del applied[common:], marks[common:]
                    for c in sc[common:]:
                        marks.append(self._mark())
                        applied.append(c)
                        self._fail((c,))
                    downs[pos] = sorted(self._downed)
                    if services and m:
                        served[pos], prom[pos] = self._services(surge, key, flags, *self._state())
        finally:
            self._end(root, held_idx)
        ptr = np.zeros(k + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(d) for d in downs])
        idx = np.fromiter((c for d in downs for c in d), dtype=np.int64, count=int(ptr[-1]))
        return BatchEvaluation(self.graph, ptr, idx, served, prom)

    def served_after(
        self,
        ptr: np.ndarray,
        down: np.ndarray,
        which: Sequence[int] | np.ndarray,
        base: Sequence[int] = (),
        surge: Surge = 1.0,
    ) -> np.ndarray:
        """Served fractions (one row per scenario in ``which``) for scenarios whose
        components are already known: ``(ptr, down)`` is :meth:`down_deltas` for the same
        ``base``. Services settle from the baseline as in :meth:`evaluate_many` (nothing
        held up, promotion automatic), without propagating the components again.
        """
        surge = _check_surge(surge)
        key, flags = self._promotion("auto")
        out = np.zeros((len(which), self._m), dtype=np.float64)
        if not self._m:
            return out
        is_link = self._is_link
        base_cone = self.downstream_cone(list(base)).tolist()
        up = bytearray(b"\x01") * self._n
        for c in base_cone:
            up[c] = 0
        base_rows, _ = self._state_of(base_cone, up)
        base_link_down = any(is_link[c] for c in base_cone)
        p, v = ptr.tolist(), down.tolist()
        # many sets leave the services the same rows and reachability (a row with
        # anything that feeds no service): settle each such state once
        settled: dict[tuple[object, ...], list[float]] = {}
        with gc_paused():
            for j, k in enumerate(np.asarray(which, dtype=np.int64).tolist()):
                delta = v[p[k] : p[k + 1]]
                links = [c for c in delta if is_link[c]]
                for c in links:
                    up[c] = 0
                down_rows, reach = self._state_of(delta, up, base_rows, base_link_down)
                for c in links:
                    up[c] = 1
                state = (
                    tuple(sorted(down_rows.items())),
                    None if reach is self._base_reach else (*reach.users, *reach.group),
                )
                x = settled.get(state)
                if x is None:
                    settled[state] = x = self._services(surge, key, flags, down_rows, reach)[0]
                out[j] = x
        return out

    # ------------------------------------------------------------------ components

    def _begin(self, held_idx: Sequence[int]) -> tuple[int, int, int]:
        """Set the held flags, propagate the baseline seeds; return the mark to end at."""
        assert not self._downed, "evaluator state is not at baseline"
        held = self._held
        for c in held_idx:
            held[c] = 1
        mark = self._mark()
        if self._seeds:
            self._fail([c for c in self._seeds if not held[c]])
        return mark

    def _end(self, mark: tuple[int, int, int], held_idx: Sequence[int]) -> None:
        self._rollback(mark)
        held = self._held
        for c in held_idx:
            held[c] = 0

    def _mark(self) -> tuple[int, int, int]:
        return len(self._downed), len(self._sum_gate), len(self._flipped)

    def _rollback(self, mark: tuple[int, int, int]) -> None:
        n_down, n_sum, n_flip = mark
        up = self._up
        downed = self._downed
        for c in downed[n_down:]:
            up[c] = 1
        del downed[n_down:]
        flipped = self._flipped
        if len(flipped) > n_flip:
            met = self._met
            unmet = self._unmet
            owners = self._owners
            for k in flipped[n_flip:]:
                met[k] = 1
                for o in owners[k]:
                    unmet[o] -= 1
            del flipped[n_flip:]
        sum_gate = self._sum_gate
        if len(sum_gate) > n_sum:
            sums = self._sum
            sum_old = self._sum_old
            for i in range(len(sum_gate) - 1, n_sum - 1, -1):
                sums[sum_gate[i]] = sum_old[i]
            del sum_gate[n_sum:], sum_old[n_sum:]

    def _fail(self, comps: Iterable[int]) -> None:
        """Fail ``comps`` (regardless of held) and propagate."""
        up = self._up
        stack = []
        for c in comps:
            if up[c]:
                up[c] = 0
                self._downed.append(c)
                stack.append(c)
        self._propagate(stack)

    def _propagate(self, stack: list[int]) -> None:
        up = self._up
        held = self._held
        feeds = self._feeds
        sums = self._sum
        thr_low = self._thr_low
        met = self._met
        unmet = self._unmet
        owners = self._owners
        downed_append = self._downed.append
        gate_append = self._sum_gate.append
        old_append = self._sum_old.append
        flip_append = self._flipped.append
        pop = stack.pop
        push = stack.append
        while stack:
            c = pop()
            for k, w in feeds[c]:
                old = sums[k]
                new = old - w
                sums[k] = new
                gate_append(k)
                old_append(old)
                if met[k] and new < thr_low[k]:
                    met[k] = 0
                    flip_append(k)
                    for o in owners[k]:
                        unmet[o] += 1
                        if up[o] and not held[o]:
                            up[o] = 0
                            downed_append(o)
                            push(o)

    # ------------------------------------------------------------------ services

    def _promotion(self, promoted: Promoted) -> tuple[object, list[bool] | None]:
        if isinstance(promoted, str):
            if promoted != "auto":
                raise ValueError(f'promoted must be "auto" or a collection, not {promoted!r}')
            return "auto", None
        idx = frozenset(self.graph.services_of(promoted))
        flags = [s in idx for s in range(self._m)]
        return idx, flags

    def _caps(self, caps: Mapping[str | int, float] | None) -> list[float] | None:
        if not caps:
            return None
        out = [1.0] * self._m
        for s, cap in zip(self.graph.services_of(caps), caps.values(), strict=True):
            if not 0.0 <= cap <= 1.0:
                raise ValueError(f"a service cap is a fraction in [0, 1], not {cap!r}")
            out[s] = min(out[s], float(cap))
        return out

    def _services(
        self,
        surge: Surge,
        key: object,
        flags: list[bool] | None,
        down_rows: dict[int, int],
        reach: _Reach,
        caps: list[float] | None = None,
    ) -> tuple[list[float], list[bool]]:
        """Served fractions and promotion for the current component state, whose downed
        rows and reachability are ``down_rows`` and ``reach`` (see :meth:`_state`)."""
        if not self._m:
            return [], []
        if caps is not None:  # no cached baseline holds for capped services: settle them all
            x = [1.0] * self._m
            self._settle(x, down_rows, reach, list(range(self._m)), surge, flags, caps)
            return x, self._promoted_flags(x, flags, down_rows, reach)
        base = self._service_base.get((surge, key))
        if base is None:
            x = [1.0] * self._m
            self._settle(x, {}, self._base_reach, list(range(self._m)), surge, flags)
            if len(self._service_base) >= 256:
                self._service_base.clear()
            self._service_base[(surge, key)] = base = x
        x = base.copy()
        if reach is not self._base_reach:
            self._settle(x, down_rows, reach, list(range(self._m)), surge, flags)
        elif down_rows:
            rep_service = self._rep_service
            touched = {rep_service[r] for r in down_rows}
            controls = self._controls
            # A controller that lost a replica may no longer reach the standby it did.
            for s in list(touched):
                if controls[s]:
                    touched.update(controls[s])
            self._settle(x, down_rows, reach, sorted(touched), surge, flags)
        return x, self._promoted_flags(x, flags, down_rows, reach)

    def _state(self) -> tuple[dict[int, int], _Reach]:
        """Replica → number of its rows down, and the reachability, in the current state.

        The reachability is the all-up object itself (``is self._base_reach``) when it
        equals it, so callers can tell a change by identity."""
        return self._state_of(self._downed, self._up)

    def _state_of(
        self,
        downed: Iterable[int],
        up: bytearray,
        rows: dict[int, int] | None = None,
        link_down: bool = False,
    ) -> tuple[dict[int, int], _Reach]:
        """:meth:`_state` for the components ``downed``, on top of ``rows`` (replica →
        rows down already, copied) and ``link_down`` (a link is down already); ``up``
        must be 0 at least for every link down (it is read for links only)."""
        down_rows: dict[int, int] = dict(rows) if rows else {}
        is_row = self._is_row
        is_link = self._is_link
        row_replicas = self._row_replicas
        for c in downed:
            if is_row[c]:
                for r in row_replicas[c]:
                    down_rows[r] = down_rows.get(r, 0) + 1
            elif is_link[c]:
                link_down = True
        reach = self._base_reach
        if link_down:
            now = self._reach_of(up)
            if now.users != reach.users or now.group != reach.group:
                reach = now
        return down_rows, reach

    def _reach_of(self, up: bytearray) -> _Reach:
        """Sites reaching users and backbone groups for the component states ``up``."""
        users = [not links or any(up[c] for c in links) for links in self._site_carriers]
        n_sites = len(users)
        if not self._backbone:
            group = [0] * n_sites
        else:
            adjacent: list[list[int]] = [[] for _ in range(n_sites)]
            for c, a, b in self._backbone:
                if up[c]:
                    adjacent[a].append(b)
                    adjacent[b].append(a)
            group = [-1] * n_sites
            for start in range(n_sites):  # ascending: a group is labelled by its first site
                if group[start] >= 0:
                    continue
                group[start] = start
                stack = [start]
                while stack:
                    for there in adjacent[stack.pop()]:
                        if group[there] < 0:
                            group[there] = start
                            stack.append(there)
        return _Reach(users, group, all(users) and not any(group))

    def _quorum_groups(self, s: int, down_rows: dict[int, int], reach: _Reach) -> set[int]:
        """Backbone groups holding service ``s``'s data quorum (it has one)."""
        nrows = self._rep_nrows
        stores = self._rep_stores
        rep_site = self._rep_site
        group = reach.group
        holders: dict[int, int] = {}
        skip_rebuild = not self._rebuilt[s]
        for r in self._svc_replicas[s]:
            if skip_rebuild and self._rep_rebuild[r]:
                continue
            if stores[r] and down_rows.get(r, 0) < nrows[r]:
                label = group[rep_site[r]]
                holders[label] = holders.get(label, 0) + 1
        quorum = self._quorum[s]
        return {label for label, count in holders.items() if count >= quorum}

    def _controller_reaches(self, s: int, down_rows: dict[int, int], reach: _Reach) -> bool:
        """Whether a replica of ``s``'s controller with an up row is connected to a
        standby replica of ``s``."""
        nrows = self._rep_nrows
        rep_site = self._rep_site
        group = reach.group
        reached = {
            group[rep_site[r]]
            for r in self._svc_replicas[self._controller[s]]
            if down_rows.get(r, 0) < nrows[r]
        }
        return any(group[rep_site[r]] in reached for r in self._standby_reps[s])

    def _site_arrays(self, reach: _Reach) -> tuple[np.ndarray, np.ndarray]:
        """``reach`` as read-only arrays (those of the all-up reachability are kept)."""
        if reach is self._base_reach and self._base_site_arrays is not None:
            return self._base_site_arrays
        arrays = (
            _frozen(np.array(reach.users, dtype=bool)),
            _frozen(np.array(reach.group, dtype=np.int64)),
        )
        if reach is self._base_reach:
            self._base_site_arrays = arrays
        return arrays

    def _network_facts(
        self, down_rows: dict[int, int], reach: _Reach
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per replica, whether the network lets it serve; per service, whether its
        failover is reachable (see :class:`Evaluation`); read-only arrays."""
        base = reach is self._base_reach and not down_rows
        if base and self._base_network_facts is not None:
            return self._base_network_facts
        failover_ok = [False] * self._m
        for s in self._has_controller:
            failover_ok[s] = not self._needs_net[s] or self._controller_reaches(s, down_rows, reach)
        if reach.trivial:  # every site reaches users, one group: the network stops nobody
            replica_ok = self._all_replicas_ok
        else:
            ok = [True] * len(self._rep_site)
            users = reach.users
            group = reach.group
            for s in range(self._m):
                if not self._needs_net[s]:
                    continue
                holding = self._quorum_groups(s, down_rows, reach) if self._quorum[s] else None
                for r in self._svc_replicas[s]:
                    site = self._rep_site[r]
                    ok[r] = users[site] and (not holding or group[site] in holding)
            replica_ok = _frozen(np.array(ok, dtype=bool))
        facts = (replica_ok, _frozen(np.array(failover_ok, dtype=bool)))
        if base:
            self._base_network_facts = facts
        return facts

    def _promoted_flags(
        self, x: list[float], flags: list[bool] | None, down_rows: dict[int, int], reach: _Reach
    ) -> list[bool]:
        if flags is not None:
            return flags
        ctl = self._controller
        mode = self._standby_mode
        needs = self._needs_net
        return [
            mode[s]
            and ctl[s] >= 0
            and x[ctl[s]] > 0.0
            and (not needs[s] or self._controller_reaches(s, down_rows, reach))
            for s in range(self._m)
        ]

    def _own(
        self,
        s: int,
        x: list[float],
        down_rows: dict[int, int],
        reach: _Reach,
        surge: Surge,
        flags: list[bool] | None,
    ) -> float:
        needs = self._needs_net[s]
        if flags is None:
            ctl = self._controller[s]
            promoted = (
                self._standby_mode[s]
                and ctl >= 0
                and x[ctl] > 0.0
                and (not needs or self._controller_reaches(s, down_rows, reach))
            )
        else:
            promoted = flags[s]
        cap = 0.0
        nrows = self._rep_nrows
        active = self._rep_active
        rebuild = self._rep_rebuild
        rebuilt = self._rebuilt[s]
        rep_cap = self._rep_cap
        quorum = self._quorum[s]
        if needs and not reach.trivial:
            holding = self._quorum_groups(s, down_rows, reach) if quorum else None
            if holding is not None and not holding:
                return 0.0
            users = reach.users
            group = reach.group
            rep_site = self._rep_site
            for r in self._svc_replicas[s]:
                if rebuild[r] and not rebuilt:
                    continue  # spare capacity elsewhere: nothing runs there yet
                site = rep_site[r]
                if (
                    (active[r] or rebuild[r] or promoted)
                    and users[site]
                    and (holding is None or group[site] in holding)
                ):
                    total = nrows[r]
                    cap += rep_cap[r] * ((total - down_rows.get(r, 0)) / total)
        else:
            holders = 0
            stores = self._rep_stores
            for r in self._svc_replicas[s]:
                if rebuild[r] and not rebuilt:
                    continue  # spare capacity elsewhere: nothing runs there yet
                total = nrows[r]
                live = total - down_rows.get(r, 0)
                if active[r] or rebuild[r] or promoted:
                    cap += rep_cap[r] * (live / total)
                if stores[r] and live > 0:
                    holders += 1
            if quorum and holders < quorum:
                return 0.0
        multiplier = surge if not isinstance(surge, str) else self._surges[s].get(surge, 1.0)
        return min(1.0, cap / (self._demand[s] * multiplier))

    def _settle(
        self,
        x: list[float],
        down_rows: dict[int, int],
        reach: _Reach,
        work: list[int],
        surge: Surge,
        flags: list[bool] | None,
        caps: list[float] | None = None,
    ) -> None:
        """Chaotic iteration downward from ``x`` (a post-fixpoint) to the greatest fixpoint."""
        deps = self._deps
        rdeps = self._rdeps
        controls = self._controls
        auto = flags is None
        queued = set(work)
        stack = list(reversed(work))
        while stack:
            s = stack.pop()
            queued.discard(s)
            v = self._own(s, x, down_rows, reach, surge, flags)
            if caps is not None and caps[s] < v:
                v = caps[s]
            for d in deps[s]:
                if x[d] < v:
                    v = x[d]
            if v < x[s]:
                x[s] = v
                for t in rdeps[s]:
                    if t not in queued:
                        queued.add(t)
                        stack.append(t)
                if auto and v <= 0.0:
                    for t in controls[s]:
                        if t not in queued:
                            queued.add(t)
                            stack.append(t)


@dataclass(frozen=True, eq=False)
class _Reach:
    """Reachability in one state: per site, whether it reaches users and its backbone
    group (the lowest site index connected to it); ``trivial`` when every site reaches
    users and all are connected (the network then changes no answer)."""

    users: list[bool]
    group: list[int]
    trivial: bool


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _lists(ptr: np.ndarray, idx: np.ndarray) -> list[list[int]]:
    p = ptr.tolist()
    v = idx.tolist()
    return [v[p[i] : p[i + 1]] for i in range(len(p) - 1)]


def _check_surge(surge: Surge) -> Surge:
    if isinstance(surge, str):
        return surge  # a named surge: each service at its own multiplier (1 if it has none)
    surge = float(surge)
    if not (surge > 0 and np.isfinite(surge)):
        raise ValueError(f"surge must be a positive finite multiplier, not {surge!r}")
    return surge
