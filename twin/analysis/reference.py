"""The naive reference evaluator: the oracle for differential tests and benchmarks.

It deliberately shares no evaluation code with :mod:`twin.analysis.graph` and
:mod:`twin.analysis.engine`: it reads the pydantic :class:`twin.model.Fleet` directly, uses
plain dicts and sets, evaluates one scenario at a time and sweeps over every
component (then every service) until nothing changes. It is slow on purpose:
it should be obviously correct.

Contract (identical to :mod:`twin.analysis.engine`)
------------------------------------------
Components
    A component is up iff it is not failed AND (it is held up OR every requirement
    group is met). A group is met iff the summed weight of its up suppliers is
    ``>= threshold - 1e-9``; a count gate weighs each supplier 1 against
    ``at_least`` (default 1), a capacity gate weighs each supplier
    ``capacity_for(resource)`` against ``capacity``. Greatest fixpoint: start with
    everything not failed up, take down what is unmet, repeat until stable.
    Failed overrides held up.
Reachability (from the component fixpoint, before services)
    users: a site reaches users iff one of its carrier_link components is up; a site
    that declares no carrier link always does. backbone: an edge joins sites a and b
    while one backbone_link component joining them (at a naming b as remote_site, or
    at b naming a) is up; connected = joined by a path of edges (BFS), a site always
    being connected to itself; a fleet without any backbone link connects every site
    to every other. A shared-risk cut needs no rule of its own: it fails the links.
Services
    live fraction of a replica = up rows listed / rows listed; a replica counts if
    active, or standby in a promoted service, or rebuild in a rebuilt service (a
    rebuild replica of a service not rebuilt does not exist: it counts for nothing,
    quorum included); capacity = Σ capacity_rps × live
    fraction over counted replicas; own = min(1, capacity / (demand × surge)), and
    at most the service's cap when one is given. With needs_network (the default)
    a counted replica also needs its site to reach users, and with a data_quorum:
    a connected group of sites holds the quorum when at least data_quorum
    data-holding replicas with an up row sit in it; no group holds it ⇒ own = 0;
    else a counted replica also needs its site in a group holding it. Without
    needs_network: carriers and backbone are ignored, and fewer data-holding
    replicas with an up row than the quorum (anywhere) ⇒ own = 0.
    served = min(own, served of every dependency), greatest fixpoint from 1.0.
Promotion
    ``"auto"``: every active_standby service with a controller starts promoted;
    after the served fixpoint, drop those whose controller serves 0, and recompute
    until the promoted set is stable. With needs_network a service is also only a
    candidate when one of its standby replicas' sites is connected to the site of a
    controller replica with an up row. Otherwise an explicit collection of names.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Literal

from twin.model import Fleet

__all__ = ["reference_evaluate", "reference_reachability"]

_TOLERANCE = 1e-9


def reference_evaluate(
    fleet: Fleet,
    failed: Iterable[str],
    held_up: Iterable[str] = (),
    surge: float | str = 1.0,
    promoted: Literal["auto"] | Collection[str] = "auto",
    caps: Mapping[str, float] | None = None,
    rebuilt: Collection[str] = (),
) -> tuple[dict[str, bool], dict[str, float]]:
    """Evaluate one scenario the slow, obvious way.

    Parameters
    ----------
    fleet : Fleet
        The model.
    failed : iterable of component names
        Failed components.
    held_up : iterable of component names
        Components whose requirements are ignored (failed still wins).
    surge : float or str
        Demand multiplier (> 0), or a surge name: each service at its own
        multiplier for that name, 1 when it declares none.
    promoted : "auto" or collection of service names
        Which active-standby services count their standby replicas.
    caps : mapping of service name to a fraction, optional
        Upper bound on a service's own served fraction.
    rebuilt : collection of service names
        Services rebuilt elsewhere: their ``rebuild`` replicas count.

    Returns
    -------
    (dict[str, bool], dict[str, float])
        Component name → up, and service name → served fraction.
    """
    if not isinstance(surge, str) and not surge > 0:
        raise ValueError("surge must be positive")
    components = {}
    for site in fleet.sites:
        for comp in site.components:
            components[comp.name] = comp
    failed_set = set(failed)
    held_set = set(held_up)
    for name in failed_set | held_set:
        if name not in components:
            raise KeyError(f"unknown component {name!r}")

    up = {name: name not in failed_set for name in components}
    changed = True
    while changed:
        changed = False
        for name, comp in components.items():
            if not up[name] or name in held_set:
                continue
            for req in comp.requires:
                total = 0.0
                for supplier in req.suppliers:
                    if up[supplier]:
                        if req.capacity is None:
                            total += 1.0
                        else:
                            total += components[supplier].capacity_for(req.resource) or 0.0
                if req.capacity is not None:
                    needed = req.capacity
                elif req.at_least is not None:
                    needed = float(req.at_least)
                else:
                    needed = 1.0
                if total < needed - _TOLERANCE:
                    up[name] = False
                    changed = True
                    break

    users, connected = reference_reachability(fleet, up)
    services = {service.name: service for service in fleet.services}

    def has_up_row(replica) -> bool:
        return any(up[row] for row in replica.rows)

    def exists(service, replica) -> bool:
        """A rebuild replica exists only once its service has been rebuilt."""
        return replica.role != "rebuild" or service.name in rebuilt

    def quorum_sites(service) -> set[str]:
        """Sites in a connected group that holds the service's quorum (empty: none does)."""
        holding_sites = [
            r.site
            for r in service.replicas
            if r.stores_data and has_up_row(r) and exists(service, r)
        ]
        if not service.needs_network:
            if len(holding_sites) >= service.data_quorum:
                return {site.name for site in fleet.sites}
            return set()
        sites: set[str] = set()
        for site in fleet.sites:
            together = [h for h in holding_sites if h in connected[site.name]]
            if len(together) >= service.data_quorum:
                sites.add(site.name)
        return sites

    def own(service, promoted_names: set[str]) -> float:
        allowed = None
        if service.data_quorum is not None:
            allowed = quorum_sites(service)
            if not allowed:
                return 0.0
        capacity = 0.0
        for replica in service.replicas:
            if not exists(service, replica):
                continue
            live_rows = 0
            for row in replica.rows:
                if up[row]:
                    live_rows += 1
            counted = replica.role in ("active", "rebuild") or (
                replica.role == "standby" and service.name in promoted_names
            )
            if service.needs_network and not users[replica.site]:
                counted = False
            if allowed is not None and replica.site not in allowed:
                counted = False
            if counted:
                capacity += replica.capacity_rps * (live_rows / len(replica.rows))
        multiplier = service.surges.get(surge, 1.0) if isinstance(surge, str) else surge
        value = min(1.0, capacity / (service.demand_rps * multiplier))
        if caps and service.name in caps:
            value = min(value, caps[service.name])
        return value

    def settle(promoted_names: set[str]) -> dict[str, float]:
        served = {name: 1.0 for name in services}
        again = True
        while again:
            again = False
            for name, service in services.items():
                value = own(service, promoted_names)
                for dep in service.depends_on:
                    value = min(value, served[dep])
                if value < served[name]:
                    served[name] = value
                    again = True
        return served

    def controller_reaches_standby(service) -> bool:
        controller = services[service.failover_controller or ""]
        controller_sites = [r.site for r in controller.replicas if has_up_row(r)]
        return any(
            replica.site in connected[site]
            for replica in service.replicas
            if replica.role == "standby"
            for site in controller_sites
        )

    if isinstance(promoted, str):
        if promoted != "auto":
            raise ValueError('promoted must be "auto" or a collection of service names')
        promoted_names = {
            name
            for name, service in services.items()
            if service.mode == "active_standby"
            and service.failover_controller is not None
            and (not service.needs_network or controller_reaches_standby(service))
        }
        while True:
            served = settle(promoted_names)
            keep = {
                name
                for name in promoted_names
                if served[services[name].failover_controller or ""] > 0.0
            }
            if keep == promoted_names:
                break
            promoted_names = keep
    else:
        promoted_names = set(promoted)
        for name in promoted_names:
            if name not in services:
                raise KeyError(f"unknown service {name!r}")
        served = settle(promoted_names)

    return up, served


def reference_reachability(
    fleet: Fleet, up: dict[str, bool]
) -> tuple[dict[str, bool], dict[str, set[str]]]:
    """The reachability rules, naively: ``({site: reaches users}, {site: the sites
    connected to it over live backbone links, itself included})`` for the component
    states ``up`` (name → up)."""
    carriers: dict[str, list[str]] = {site.name: [] for site in fleet.sites}
    edges: list[tuple[str, str]] = []
    any_backbone = False
    for site in fleet.sites:
        for comp in site.components:
            if comp.kind == "carrier_link":
                carriers[site.name].append(comp.name)
            elif comp.kind == "backbone_link":
                any_backbone = True
                if up[comp.name]:
                    edges.append((site.name, comp.remote_site))
    users = {name: not links or any(up[link] for link in links) for name, links in carriers.items()}
    names = [site.name for site in fleet.sites]
    if not any_backbone:
        return users, {name: set(names) for name in names}
    connected: dict[str, set[str]] = {}
    for start in names:
        seen = {start}
        frontier = [start]
        while frontier:
            here = frontier.pop()
            for a, b in edges:
                for x, y in ((a, b), (b, a)):
                    if x == here and y not in seen:
                        seen.add(y)
                        frontier.append(y)
        connected[start] = seen
    return users, connected
