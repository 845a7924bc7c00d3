"""Compile a :class:`twin.model.Fleet` into integer-indexed arrays.

The fleet is compiled once; every analysis then evaluates many scenarios against
the same :class:`CompiledGraph`. Nothing here evaluates anything: the evaluation
contract lives in :mod:`twin.analysis.engine` (fast) and :mod:`twin.analysis.reference` (naive
oracle), which share no evaluation code.

Indexing
--------
* Components are numbered in declaration order (site by site, component by
  component), exactly as :meth:`twin.model.Fleet.components` lists them.
* Services are numbered in declaration order.
* Gates (requirement groups) are numbered owner by owner in declaration order,
  so the gates owned by component ``c`` are the contiguous range
  ``owner_gate_ptr[c]:owner_gate_ptr[c + 1]``.
* Gate nodes are numbered in order of first use. Gates with the same suppliers,
  weights and threshold (every rack of a hall listing the hall's CRAHs) share one
  node: the node holds the suppliers and the running sum, and when it is no longer
  met every gate on it is unmet. Evaluation works on nodes, so a CRAH that fails
  updates one sum, not one per rack. ``compile_fleet(..., share_gates=False)`` gives
  every gate a node of its own, with the same results.
* Replicas are numbered service by service, so the replicas of service ``s`` are
  ``service_replica_ptr[s]:service_replica_ptr[s + 1]``.

Sparse structures are CSR pairs ``(ptr, idx)``: the entries of row ``i`` are
``idx[ptr[i]:ptr[i + 1]]``. All index arrays are ``int64``; weights, thresholds
and capacities are ``float64``; flags are ``bool``.

Gate weights
------------
A count gate gives every supplier weight 1 and has threshold ``at_least``
(default 1). A capacity gate gives every supplier the weight
``supplier.capacity_for(req.resource)`` (0 when that is ``None``) and has
threshold ``req.capacity``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from twin.model import Fleet
from twin.model.components import Resource

__all__ = [
    "EPSILON",
    "CompiledGraph",
    "compilations",
    "compile_fleet",
    "csr_entries",
    "distinct",
    "gc_paused",
]

EPSILON = 1e-9
"""Tolerance of threshold comparisons: a gate is met when ``sum >= threshold - EPSILON``."""

_INT = np.int64


def _csr(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    ptr = np.zeros(len(rows) + 1, dtype=_INT)
    ptr[1:] = np.cumsum([len(r) for r in rows], dtype=_INT)
    idx = np.fromiter((x for r in rows for x in r), dtype=_INT, count=int(ptr[-1]))
    return ptr, idx


def csr_entries(ptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries of CSR rows ``rows`` (repeats allowed), concatenated in order: for
    each, which of ``rows`` it belongs to and its position in the CSR's index array."""
    per = np.diff(ptr)[rows]
    which = np.repeat(np.arange(len(rows), dtype=_INT), per)
    at = np.repeat(ptr[rows] - (np.cumsum(per) - per), per) + np.arange(int(per.sum()))
    return which, at


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values. A sort, which beats numpy's hashing ``unique`` on the
    million-entry integer keys of the all-at-once propagation."""
    values = np.sort(values)
    if values.size:
        values = values[np.r_[True, values[1:] != values[:-1]]]
    return values


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the hot loops allocate many small acyclic
    objects, and collections triggered by them would traverse the whole model."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class CompiledGraph:
    """A fleet as integer-indexed, read-only numpy arrays.

    Attributes
    ----------
    fleet_name : str
        Name of the compiled fleet.
    component_names : tuple[str, ...]
        Component names by index (declaration order).
    component_index : dict[str, int]
        Component name → index.
    component_kind : tuple[str, ...]
        The ``kind`` tag of each component.
    component_site : ndarray[int64], shape (n_components,)
        Site index of each component.
    component_zone : tuple[str, ...]
        Zone name of each component.
    site_names : tuple[str, ...]
        Site names by index.
    gate_owner : ndarray[int64], shape (n_gates,)
        The component that needs the gate.
    gate_threshold : ndarray[float64], shape (n_gates,)
        ``at_least`` for a count gate, ``capacity`` for a capacity gate.
    gate_is_capacity : ndarray[bool], shape (n_gates,)
        True for a capacity gate.
    gate_resource : tuple[str, ...]
        Resource of each gate (``power``, ``cooling``, ``network``).
    gate_node : ndarray[int64], shape (n_gates,)
        The node each gate reads (see Indexing).
    owner_gate_ptr : ndarray[int64], shape (n_components + 1,)
        Gates owned by component ``c`` are ``range(owner_gate_ptr[c], owner_gate_ptr[c+1])``.
    node_ptr, node_supplier, node_weight : ndarray
        CSR node → supplier component indices and their weights, in the order the
        requirement lists them.
    node_threshold : ndarray[float64], shape (n_nodes,)
        The threshold of every gate on the node.
    node_gate_ptr, node_gate : ndarray
        CSR node → the gates on it, ascending.
    feeds_ptr, feeds_node, feeds_weight : ndarray
        Reverse index, CSR supplier component → nodes it feeds and its weight there.
    is_row : ndarray[bool], shape (n_components,)
        True for rack rows.
    row_it_load_kw, row_servers, row_racks : ndarray, shape (n_components,)
        IT load, servers and racks of each component (0 for anything but a rack row).
    service_names : tuple[str, ...]
        Service names by index (declaration order).
    service_index : dict[str, int]
        Service name → index.
    service_demand_rps : ndarray[float64], shape (n_services,)
        Baseline demand.
    service_surges : tuple[dict[str, float], ...]
        Each service's named surge multipliers (a service without a surge stays at 1).
    service_standby_mode : ndarray[bool], shape (n_services,)
        True for ``mode == "active_standby"``.
    service_controller : ndarray[int64], shape (n_services,)
        Failover controller service index, -1 for none.
    service_quorum : ndarray[int64], shape (n_services,)
        ``data_quorum``, 0 for none.
    dep_ptr, dep_idx : ndarray
        CSR service → services it depends on.
    rdep_ptr, rdep_idx : ndarray
        CSR service → services that depend on it.
    controls_ptr, controls_idx : ndarray
        CSR service → services whose failover controller it is.
    service_replica_ptr : ndarray[int64], shape (n_services + 1,)
        Replicas of service ``s`` are ``range(service_replica_ptr[s], service_replica_ptr[s+1])``.
    replica_service : ndarray[int64], shape (n_replicas,)
        Owning service of each replica.
    replica_capacity_rps : ndarray[float64], shape (n_replicas,)
        Capacity at full health.
    replica_rebuild : ndarray[bool], shape (n_replicas,)
        True for ``role == "rebuild"``: spare capacity elsewhere, counted only once its
        service has been rebuilt there.
    replica_active : ndarray[bool], shape (n_replicas,)
        True for ``role == "active"`` (False for standby).
    replica_stores_data : ndarray[bool], shape (n_replicas,)
        True when the replica holds a data copy.
    replica_row_ptr, replica_row : ndarray
        CSR replica → rack-row component indices, one entry per listed row.
    row_replica_ptr, row_replica : ndarray
        CSR component → replicas placed on it (one entry per listing); empty for
        components that are not rack rows.
    replica_site : ndarray[int64], shape (n_replicas,)
        Site index of each replica.
    service_needs_network : ndarray[bool], shape (n_services,)
        ``needs_network`` of each service (False: carriers and backbone are ignored).
    site_carrier_ptr, site_carrier : ndarray
        CSR site → its ``carrier_link`` components (a site with none always reaches
        users).
    backbone_link : ndarray[int64], shape (n_backbone,)
        The ``backbone_link`` components, in compiled order (empty: no backbone is
        modelled, every site reaches every other).
    backbone_ends : ndarray[int64], shape (n_backbone, 2)
        Sites each backbone link joins: the site it sits at, then its ``remote_site``.
    """

    fleet_name: str
    component_names: tuple[str, ...]
    component_index: dict[str, int]
    component_kind: tuple[str, ...]
    component_site: np.ndarray
    component_zone: tuple[str, ...]
    site_names: tuple[str, ...]
    gate_owner: np.ndarray
    gate_threshold: np.ndarray
    gate_is_capacity: np.ndarray
    gate_resource: tuple[str, ...]
    gate_node: np.ndarray
    owner_gate_ptr: np.ndarray
    node_ptr: np.ndarray
    node_supplier: np.ndarray
    node_weight: np.ndarray
    node_threshold: np.ndarray
    node_gate_ptr: np.ndarray
    node_gate: np.ndarray
    feeds_ptr: np.ndarray
    feeds_node: np.ndarray
    feeds_weight: np.ndarray
    is_row: np.ndarray
    row_it_load_kw: np.ndarray
    row_servers: np.ndarray
    row_racks: np.ndarray
    service_names: tuple[str, ...]
    service_index: dict[str, int]
    service_demand_rps: np.ndarray
    service_surges: tuple[dict[str, float], ...]
    service_standby_mode: np.ndarray
    service_controller: np.ndarray
    service_quorum: np.ndarray
    dep_ptr: np.ndarray
    dep_idx: np.ndarray
    rdep_ptr: np.ndarray
    rdep_idx: np.ndarray
    controls_ptr: np.ndarray
    controls_idx: np.ndarray
    service_replica_ptr: np.ndarray
    replica_service: np.ndarray
    replica_capacity_rps: np.ndarray
    replica_active: np.ndarray
    replica_rebuild: np.ndarray
    replica_stores_data: np.ndarray
    replica_row_ptr: np.ndarray
    replica_row: np.ndarray
    row_replica_ptr: np.ndarray
    row_replica: np.ndarray
    replica_site: np.ndarray
    service_needs_network: np.ndarray
    site_carrier_ptr: np.ndarray
    site_carrier: np.ndarray
    backbone_link: np.ndarray
    backbone_ends: np.ndarray

    @property
    def n_components(self) -> int:
        return len(self.component_names)

    @property
    def n_gates(self) -> int:
        return len(self.gate_owner)

    @property
    def n_nodes(self) -> int:
        return len(self.node_threshold)

    @property
    def n_services(self) -> int:
        return len(self.service_names)

    @property
    def n_replicas(self) -> int:
        return len(self.replica_service)

    @property
    def n_sites(self) -> int:
        return len(self.site_names)

    def components_of(self, names: Iterable[str | int]) -> list[int]:
        """Component indices for names or indices (indices pass through, checked)."""
        return _indices(names, self.component_index, self.n_components, "component")

    def services_of(self, names: Iterable[str | int]) -> list[int]:
        """Service indices for names or indices (indices pass through, checked)."""
        return _indices(names, self.service_index, self.n_services, "service")

    def suppliers_of_gate(self, gate: int) -> np.ndarray:
        """Supplier component indices of ``gate``."""
        node = self.gate_node[gate]
        return self.node_supplier[self.node_ptr[node] : self.node_ptr[node + 1]]

    def weights_of_gate(self, gate: int) -> np.ndarray:
        """The weight of each of ``gate``'s suppliers (as :meth:`suppliers_of_gate`)."""
        node = self.gate_node[gate]
        return self.node_weight[self.node_ptr[node] : self.node_ptr[node + 1]]

    def gates_fed_by(self, component: int) -> np.ndarray:
        """Gates that ``component`` supplies, ascending."""
        nodes = self.feeds_node[self.feeds_ptr[component] : self.feeds_ptr[component + 1]]
        _, at = csr_entries(self.node_gate_ptr, nodes)
        return np.sort(self.node_gate[at])


def _indices(names: Iterable[str | int], index: dict[str, int], n: int, what: str) -> list[int]:
    out: list[int] = []
    for name in names:
        if isinstance(name, str):
            try:
                out.append(index[name])
            except KeyError:
                raise KeyError(f"unknown {what} {name!r}") from None
        else:
            i = int(name)
            if not 0 <= i < n:
                raise IndexError(f"{what} index {i} out of range 0..{n - 1}")
            out.append(i)
    return out


_compilations = 0


def compilations() -> int:
    """How many fleets this process has compiled (tests check that a report compiles once)."""
    return _compilations


def compile_fleet(fleet: Fleet, share_gates: bool = True) -> CompiledGraph:
    """Compile ``fleet`` into a :class:`CompiledGraph`.

    The fleet is assumed valid (a :class:`Fleet` validates itself on construction);
    a supplier or row name that does not resolve raises ``KeyError``. ``share_gates``:
    identical gates share one node (see Indexing); ``False`` gives each its own.
    """
    global _compilations
    _compilations += 1
    with gc_paused():  # a fleet is many objects: a collection here traverses all of them
        return _compile(fleet, share_gates)


def _compile(fleet: Fleet, share_gates: bool) -> CompiledGraph:
    pairs = fleet.components()
    names = tuple(comp.name for _, comp in pairs)
    cindex = {name: i for i, name in enumerate(names)}
    site_names = tuple(site.name for site in fleet.sites)
    sindex_site = {name: i for i, name in enumerate(site_names)}
    n = len(names)

    gate_owner: list[int] = []
    gate_threshold: list[float] = []
    gate_is_capacity: list[bool] = []
    gate_resource: list[str] = []
    gate_node: list[int] = []
    node_of: dict[tuple[object, ...], int] = {}
    node_suppliers: list[list[int]] = []
    node_weights: list[list[float]] = []
    node_threshold: list[float] = []
    owner_gate_counts: list[int] = []
    capacity: dict[Resource, list[float]] = {}  # resource → each component's capacity of it

    def capacities(resource: Resource) -> list[float]:
        if resource not in capacity:
            capacity[resource] = [float(comp.capacity_for(resource) or 0.0) for _, comp in pairs]
        return capacity[resource]

    # identical groups (a hall's CRAHs listed by every rack in it) are resolved once
    resolved: dict[tuple[object, ...], tuple[list[int], list[float]]] = {}
    for c, (_, comp) in enumerate(pairs):
        owner_gate_counts.append(len(comp.requires))
        for req in comp.requires:
            gate_owner.append(c)
            gate_threshold.append(float(req.threshold))
            gate_is_capacity.append(req.is_capacity_gate)
            gate_resource.append(req.resource)
            group = (req.resource, req.is_capacity_gate, tuple(req.suppliers))
            if group not in resolved:
                sup = [cindex[s] for s in req.suppliers]
                if req.is_capacity_gate:
                    caps = capacities(req.resource)
                    resolved[group] = (sup, [caps[s] for s in sup])
                else:
                    resolved[group] = (sup, [1.0] * len(sup))
            node_key: tuple[object, ...] = (
                (*group, float(req.threshold)) if share_gates else (len(gate_node),)
            )
            node = node_of.get(node_key)
            if node is None:
                node = node_of[node_key] = len(node_suppliers)
                sup, weights = resolved[group]
                node_suppliers.append(sup)
                node_weights.append(weights)
                node_threshold.append(float(req.threshold))
            gate_node.append(node)
    node_ptr, node_supplier = _csr(node_suppliers)
    node_weight = np.fromiter(
        (w for ws in node_weights for w in ws), dtype=np.float64, count=len(node_supplier)
    )
    owner_gate_ptr = np.zeros(n + 1, dtype=_INT)
    owner_gate_ptr[1:] = np.cumsum(owner_gate_counts, dtype=_INT)
    gate_node_array = np.array(gate_node, dtype=_INT)
    node_gate = np.argsort(gate_node_array, kind="stable").astype(_INT)
    node_gate_ptr = np.searchsorted(
        gate_node_array[node_gate], np.arange(len(node_suppliers) + 1)
    ).astype(_INT)

    # the reverse index: a stable sort by supplier keeps each supplier's nodes ascending
    by_supplier = np.argsort(node_supplier, kind="stable")
    feeds_node = np.repeat(np.arange(len(node_suppliers), dtype=_INT), np.diff(node_ptr))[
        by_supplier
    ]
    feeds_weight = node_weight[by_supplier]
    feeds_ptr = np.searchsorted(node_supplier[by_supplier], np.arange(n + 1)).astype(_INT)

    is_row = np.array([comp.kind == "rack_row" for _, comp in pairs], dtype=bool)
    row_load = np.array(
        [comp.it_load_kw if comp.kind == "rack_row" else 0.0 for _, comp in pairs],
        dtype=np.float64,
    )
    row_servers = np.array(
        [comp.servers if comp.kind == "rack_row" else 0 for _, comp in pairs], dtype=_INT
    )
    row_racks = np.array(
        [comp.racks if comp.kind == "rack_row" else 0 for _, comp in pairs], dtype=_INT
    )

    services = fleet.services
    snames = tuple(s.name for s in services)
    sindex = {name: i for i, name in enumerate(snames)}
    m = len(snames)
    deps = [[sindex[d] for d in s.depends_on] for s in services]
    rdeps: list[list[int]] = [[] for _ in range(m)]
    for s, ds in enumerate(deps):
        for d in ds:
            rdeps[d].append(s)
    controller = [
        sindex[s.failover_controller] if s.failover_controller is not None else -1 for s in services
    ]
    controls: list[list[int]] = [[] for _ in range(m)]
    for s, ctl in enumerate(controller):
        if ctl >= 0:
            controls[ctl].append(s)

    replica_service: list[int] = []
    replica_capacity: list[float] = []
    replica_active: list[bool] = []
    replica_rebuild: list[bool] = []
    replica_stores: list[bool] = []
    replica_rows: list[list[int]] = []
    replica_site: list[int] = []
    replica_counts: list[int] = []
    for s, service in enumerate(services):
        replica_counts.append(len(service.replicas))
        for rep in service.replicas:
            replica_service.append(s)
            replica_capacity.append(float(rep.capacity_rps))
            replica_active.append(rep.role == "active")
            replica_rebuild.append(rep.role == "rebuild")
            replica_stores.append(rep.stores_data)
            replica_rows.append([cindex[r] for r in rep.rows])
            replica_site.append(sindex_site[rep.site])
    row_replicas: list[list[int]] = [[] for _ in range(n)]
    for r, rows in enumerate(replica_rows):
        for row in rows:
            row_replicas[row].append(r)
    service_replica_ptr = np.zeros(m + 1, dtype=_INT)
    service_replica_ptr[1:] = np.cumsum(replica_counts, dtype=_INT)

    site_carriers: list[list[int]] = [[] for _ in site_names]
    backbone_link: list[int] = []
    backbone_ends: list[tuple[int, int]] = []
    for c, (site, comp) in enumerate(pairs):
        if comp.kind == "carrier_link":
            site_carriers[sindex_site[site.name]].append(c)
        elif comp.kind == "backbone_link":
            backbone_link.append(c)
            backbone_ends.append((sindex_site[site.name], sindex_site[comp.remote_site]))

    arrays = {
        "component_site": np.array([sindex_site[site.name] for site, _ in pairs], dtype=_INT),
        "gate_owner": np.array(gate_owner, dtype=_INT),
        "gate_threshold": np.array(gate_threshold, dtype=np.float64),
        "gate_is_capacity": np.array(gate_is_capacity, dtype=bool),
        "gate_node": gate_node_array,
        "owner_gate_ptr": owner_gate_ptr,
        "node_ptr": node_ptr,
        "node_supplier": node_supplier,
        "node_weight": node_weight,
        "node_threshold": np.array(node_threshold, dtype=np.float64),
        "node_gate_ptr": node_gate_ptr,
        "node_gate": node_gate,
        "feeds_ptr": feeds_ptr,
        "feeds_node": feeds_node,
        "feeds_weight": feeds_weight,
        "is_row": is_row,
        "row_it_load_kw": row_load,
        "row_servers": row_servers,
        "row_racks": row_racks,
        "service_demand_rps": np.array([s.demand_rps for s in services], dtype=np.float64),
        "service_standby_mode": np.array(
            [s.mode == "active_standby" for s in services], dtype=bool
        ),
        "service_controller": np.array(controller, dtype=_INT),
        "service_quorum": np.array([s.data_quorum or 0 for s in services], dtype=_INT),
        "service_replica_ptr": service_replica_ptr,
        "replica_service": np.array(replica_service, dtype=_INT),
        "replica_capacity_rps": np.array(replica_capacity, dtype=np.float64),
        "replica_active": np.array(replica_active, dtype=bool),
        "replica_rebuild": np.array(replica_rebuild, dtype=bool),
        "replica_stores_data": np.array(replica_stores, dtype=bool),
        "replica_site": np.array(replica_site, dtype=_INT),
        "service_needs_network": np.array([s.needs_network for s in services], dtype=bool),
        "backbone_link": np.array(backbone_link, dtype=_INT),
        "backbone_ends": np.array(backbone_ends, dtype=_INT).reshape(len(backbone_link), 2),
    }
    for key, lists in (
        ("dep", deps),
        ("rdep", rdeps),
        ("controls", controls),
    ):
        arrays[f"{key}_ptr"], arrays[f"{key}_idx"] = _csr(lists)
    arrays["replica_row_ptr"], arrays["replica_row"] = _csr(replica_rows)
    arrays["row_replica_ptr"], arrays["row_replica"] = _csr(row_replicas)
    arrays["site_carrier_ptr"], arrays["site_carrier"] = _csr(site_carriers)
    arrays = {key: _frozen(value) for key, value in arrays.items()}

    return CompiledGraph(
        fleet_name=fleet.name,
        component_names=names,
        component_index=cindex,
        component_kind=tuple(comp.kind for _, comp in pairs),
        component_zone=tuple(comp.zone for _, comp in pairs),
        site_names=site_names,
        gate_resource=tuple(gate_resource),
        service_surges=tuple(dict(s.surges) for s in services),
        service_names=snames,
        service_index=sindex,
        **arrays,
    )
