"""What each shared-risk link group cut does: partitions, users, services.

A shared-risk link group (SRLG) is a duct or route several links run in; a cut fails
every link in it at once. :func:`srlg_consequences` evaluates each cut with the
engine (steady state, after automated failover, thermal storage not counted on, as
in :mod:`twin.analysis.contingency`) and reads the reachability rules of the
evaluation contract (:mod:`twin.analysis.engine`): which sites still reach users,
how the backbone splits the sites, which replicas stop and which services lose
served fraction. When nothing is harmed it says why: another carrier, a parallel
link, a path through a third site, or a quorum side that carries the demand.

Examples
--------
>>> from stacks import build_stack
>>> [c.srlg for c in srlg_consequences(build_stack("lab"))]
['lab-duct-1', 'lab-duct-2']
>>> print(srlg_consequences(build_stack("lab"))[0].reason)
lab still reaches users over lab-carrier-2
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.analysis.engine import Evaluation, Surge
from twin.analysis.graph import EPSILON, CompiledGraph
from twin.analysis.twin import Twin, as_twin
from twin.model import Fleet

__all__ = ["SrlgConsequence", "srlg_consequences"]


@dataclass(frozen=True)
class SrlgConsequence:
    """What cutting one shared-risk link group does, against the intact fleet.

    Attributes
    ----------
    srlg : str
        The group's name.
    links : tuple[str, ...]
        The links it cuts (every component that runs in it), in compiled order.
    partition : tuple[tuple[str, ...], ...]
        The site groups after the cut: sites connected over live backbone links,
        each group in declaration order, groups by their first site.
    sites_without_users : tuple[str, ...]
        Sites that reached users before the cut and do not after it.
    services : dict[str, float]
        Services whose served fraction the cut lowers, with their served fraction
        (at baseline demand on a healthy fleet: the services below full service).
    stopped : dict[str, tuple[str, ...]]
        Service → sites where its replicas stop serving because of the network (the
        site lost its users, or is on the minority side of the service's quorum).
    reason : str or None
        Why nothing is harmed (no site loses users, no service loses served
        fraction); None when something is.
    """

    srlg: str
    links: tuple[str, ...]
    partition: tuple[tuple[str, ...], ...]
    sites_without_users: tuple[str, ...]
    services: dict[str, float]
    stopped: dict[str, tuple[str, ...]]
    reason: str | None

    @property
    def harmful(self) -> bool:
        """Whether the cut takes users from a site or served fraction from a service."""
        return bool(self.sites_without_users or self.services)

    @property
    def partitioned(self) -> bool:
        """Whether the sites are split into more than one group after the cut."""
        return len(self.partition) > 1

    def describe(self) -> str:
        """What the cut does, in a sentence (or why it does nothing)."""
        parts = []
        if self.partitioned:
            parts.append("splits the sites " + " | ".join(", ".join(g) for g in self.partition))
        if self.sites_without_users:
            parts.append(f"{', '.join(self.sites_without_users)} lose their users")
        for service, sites in self.stopped.items():
            parts.append(f"{service} stops at {', '.join(sites)}")
        if self.services:
            parts.append("served: " + ", ".join(f"{s} {v:.0%}" for s, v in self.services.items()))
        if not parts:
            return self.reason or "no consequence"
        if not self.services:
            parts.append("the other replicas carry this demand")
        return "; ".join(parts)

    def to_json(self) -> dict[str, object]:
        return {
            "srlg": self.srlg,
            "links": list(self.links),
            "partition": [list(g) for g in self.partition],
            "sites_without_users": list(self.sites_without_users),
            "services": {k: round(v, 6) for k, v in self.services.items()},
            "stopped": {k: list(v) for k, v in self.stopped.items()},
            "reason": self.reason,
            "description": self.describe(),
        }


def srlg_consequences(source: Twin | Fleet, surge: Surge = 1.0) -> list[SrlgConsequence]:
    """The consequence of cutting each shared-risk link group of the fleet, by group name.

    Parameters
    ----------
    source : Twin or Fleet
        The compiled twin (a fleet is compiled on the spot).
    surge : float or str
        The demand the services are evaluated at (see :meth:`Evaluator.evaluate`).
    """
    twin = as_twin(source)
    graph = twin.graph
    groups: dict[str, list[int]] = {}
    for _, comp in twin.fleet.components():
        for group in getattr(comp, "srlg", ()):
            groups.setdefault(group, []).append(graph.component_index[comp.name])
    transient = [graph.component_index[n] for n in twin.transient_sources]
    intact = twin.evaluator.evaluate(transient, surge=surge)
    out = []
    for name in sorted(groups):
        cut = twin.evaluator.evaluate([*transient, *groups[name]], surge=surge)
        out.append(_consequence(twin, name, sorted(set(groups[name])), intact, cut))
    return out


def _consequence(
    twin: Twin, name: str, links: list[int], intact: Evaluation, cut: Evaluation
) -> SrlgConsequence:
    graph = twin.graph
    sites = graph.site_names
    assert intact.site_users is not None and cut.site_users is not None
    assert intact.replica_reachable is not None and cut.replica_reachable is not None
    lost_users = tuple(
        sites[i] for i in np.flatnonzero(intact.site_users & ~cut.site_users).tolist()
    )
    services = {
        graph.service_names[s]: float(cut.served[s])
        for s in np.flatnonzero(cut.served < intact.served - EPSILON).tolist()
    }
    stopped: dict[str, list[str]] = {}
    for r in np.flatnonzero(intact.replica_reachable & ~cut.replica_reachable).tolist():
        service = graph.service_names[int(graph.replica_service[r])]
        stopped.setdefault(service, []).append(sites[int(graph.replica_site[r])])
    harmed = bool(lost_users or services)
    return SrlgConsequence(
        srlg=name,
        links=tuple(graph.component_names[c] for c in links),
        partition=tuple(tuple(group) for group in cut.partition()),
        sites_without_users=lost_users,
        services=services,
        stopped={service: tuple(where) for service, where in stopped.items()},
        reason=None if harmed else _reason(twin, links, intact, cut, stopped),
    )


def _reason(
    twin: Twin,
    links: list[int],
    intact: Evaluation,
    cut: Evaluation,
    stopped: dict[str, list[str]],
) -> str:
    """Why a cut that harms nothing is harmless, one clause per thing it could have cut."""
    graph = twin.graph
    sites = graph.site_names
    names = graph.component_names
    assert cut.site_users is not None and intact.site_group is not None
    assert cut.site_group is not None
    clauses: list[str] = []
    carriers = graph.site_carrier.tolist()
    cut_set = set(links)
    for s, name in enumerate(sites):
        own = carriers[graph.site_carrier_ptr[s] : graph.site_carrier_ptr[s + 1]]
        if cut_set.intersection(own) and cut.site_users[s]:
            alive = [names[c] for c in own if cut.up[c]]
            clauses.append(f"{name} still reaches users over {alive[0]}")
    ends = {
        tuple(sorted(pair))
        for c, pair in zip(graph.backbone_link.tolist(), graph.backbone_ends.tolist(), strict=True)
        if c in cut_set
    }
    split = False
    for a, b in sorted(ends):
        if intact.site_group[a] != intact.site_group[b]:
            continue  # not connected before the cut either
        if cut.site_group[a] != cut.site_group[b]:
            split = True
            continue
        path = _path(graph, cut.up, a, b)
        via = [sites[s] for s, _ in path[:-1]]
        over = " and ".join(names[c] for _, c in path)
        clauses.append(
            f"{sites[a]} still reaches {sites[b]} over {over}"
            + (f" (through {', '.join(via)})" if via else "")
        )
    if split:
        by_site: dict[str, list[str]] = {}
        for service, where in stopped.items():
            for site in where:
                by_site.setdefault(site, []).append(service)
        stops = "; ".join(f"{', '.join(svcs)} stop at {site}" for site, svcs in by_site.items())
        sides = " | ".join(", ".join(group) for group in cut.partition())
        clauses.append(
            f"the sites split into {sides}, but no service loses served fraction at this"
            " demand: " + (f"{stops}, and the rest carry it" if stops else "each side carries it")
        )
    return "; ".join(clauses) or "the cut changes no site's users or connectivity"


def _path(graph: CompiledGraph, up: np.ndarray, a: int, b: int) -> list[tuple[int, int]]:
    """A shortest live backbone path from site ``a`` to ``b`` (they are connected), as
    ``(next site, link)`` steps: the sites after ``a`` and the link taken to each."""
    edges = [
        (c, x, y)
        for c, (x, y) in zip(
            graph.backbone_link.tolist(), graph.backbone_ends.tolist(), strict=True
        )
        if up[c]
    ]
    came: dict[int, tuple[int, int]] = {a: (-1, -1)}
    frontier = [a]
    while frontier and b not in came:
        nxt = []
        for here in frontier:
            for c, x, y in edges:
                for u, v in ((x, y), (y, x)):
                    if u == here and v not in came:
                        came[v] = (here, c)
                        nxt.append(v)
        frontier = nxt
    steps: list[tuple[int, int]] = []
    at = b
    while at != a:
        prev, link = came[at]
        steps.append((at, link))
        at = prev
    return steps[::-1]
