"""Hypothesis strategies for random valid fleets.

``fleets()`` draws small but structurally rich models: 1–3 sites in 1–3 regions,
nested zones, 3–25 components of mixed kinds, count and capacity gates with
feasible thresholds (including exact ties), dependency cycles, rack rows,
services with replicas on rows, occasional service dependency cycles,
active-standby services with failover controllers, and data quorums. Every
generated fleet passes :mod:`twin.model.checks` (building the :class:`Fleet` runs them)
and every name is unique fleet-wide.

Capacities are integers and thresholds are multiples of 0.5, so sums are exact in
floating point and "exactly at the threshold" cases are common.

``fleets(networked=True)`` (and ``networked_fleets()``) add a network layer on top:
2–4 sites, carrier links at some sites and not others, backbone links between
random pairs of sites (parallel links too), every link in a few shared-risk groups
drawn from a small pool so that one cut hits several links, replicas spread over
sites, data quorums, active-standby services whose controllers often run at other
sites, and now and then a service with ``needs_network=False``.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from twin.model import COMPONENT_TYPES, Fleet

__all__ = ["PROVIDERS", "SRLG_POOL", "fleets", "networked_fleets"]

PROVIDERS: dict[str, tuple[str, ...]] = {
    resource: tuple(kind for kind, cls in COMPONENT_TYPES.items() if cls.provides == resource)
    for resource in ("power", "cooling", "network")
}
"""Component kinds that supply each resource."""

_RESOURCE_OF = {kind: resource for resource, kinds in PROVIDERS.items() for kind in kinds}
# Rack rows appear often so that services have somewhere to run.
_KINDS = [kind for kinds in PROVIDERS.values() for kind in kinds] + ["battery"] + ["rack_row"] * 6
_ZONE_KINDS = ["building", "ups_room", "battery_room", "chiller_plant", "data_hall", "roof"]

SRLG_POOL = ("duct-1", "duct-2", "duct-3", "route-4")
"""Shared-risk groups the network layer draws from (few, so that groups are shared)."""


def _attributes(draw: st.DrawFn, kind: str, capacity: int, other_sites: list[str]) -> dict:
    """Kind-specific required fields."""
    resource = _RESOURCE_OF.get(kind)
    attrs: dict[str, Any] = {}
    if resource == "power":
        attrs["capacity_kw"] = float(capacity)
    elif resource == "cooling":
        attrs["cooling_kw"] = float(capacity)
    elif resource == "network":
        attrs["capacity_gbps"] = float(capacity)
    if kind == "utility_feed":
        attrs["substation"] = "sub"
    elif kind == "carrier_link":
        attrs["carrier"] = "carrier"
    elif kind == "backbone_link":
        attrs["remote_site"] = draw(st.sampled_from(other_sites))
    elif kind == "thermal_storage":
        attrs["minutes"] = 10.0
    elif kind == "battery":
        attrs["energy_kwh"] = 100.0
    elif kind == "rack_row":
        attrs.update(racks=draw(st.integers(1, 20)), servers=draw(st.integers(0, 400)))
        attrs["it_load_kw"] = float(draw(st.integers(1, 500)))
    return attrs


def _requirement(draw: st.DrawFn, resource: str, providers: list[tuple[str, int]]) -> dict:
    chosen = draw(
        st.lists(
            st.sampled_from(providers),
            min_size=1,
            max_size=min(4, len(providers)),
            unique_by=lambda p: p[0],
        )
    )
    req: dict[str, Any] = {"resource": resource, "suppliers": [name for name, _ in chosen]}
    gate = draw(st.sampled_from(["default", "count", "capacity", "capacity_tie"]))
    if gate == "count":
        req["at_least"] = draw(st.integers(1, len(chosen)))
    elif gate == "capacity":
        total = sum(cap for _, cap in chosen)
        req["capacity"] = draw(st.integers(1, 2 * total)) / 2
    elif gate == "capacity_tie":
        # Exactly the capacity of a non-empty subset: ties at the threshold.
        subset = draw(st.lists(st.sampled_from(chosen), min_size=1, unique_by=lambda p: p[0]))
        req["capacity"] = float(sum(cap for _, cap in subset))
    return req


@st.composite
def fleets(
    draw: st.DrawFn,
    min_components: int = 3,
    max_components: int = 25,
    max_services: int = 5,
    networked: bool = False,
) -> Fleet:
    """A random valid :class:`Fleet`.

    Parameters
    ----------
    min_components, max_components : int
        Bounds on the number of components (fleet-wide), not counting the links the
        network layer adds.
    max_services : int
        Upper bound on the number of services (none when no rack row exists).
    networked : bool
        Add the network layer (see the module docstring).
    """
    n_sites = draw(st.integers(2, 4)) if networked else draw(st.integers(1, 3))
    n_regions = draw(st.integers(1, n_sites))
    regions = [f"region-{i}" for i in range(n_regions)]
    site_names = [f"site-{i}" for i in range(n_sites)]
    sites: list[dict[str, Any]] = []
    for i, site_name in enumerate(site_names):
        zones: list[dict[str, Any]] = []
        for j in range(draw(st.integers(1, 4))):
            zone: dict[str, Any] = {
                "name": f"{site_name}-zone-{j}",
                "kind": draw(st.sampled_from(_ZONE_KINDS)),
            }
            if j and draw(st.booleans()):
                zone["parent"] = zones[draw(st.integers(0, j - 1))]["name"]
            zones.append(zone)
        sites.append(
            {
                "name": site_name,
                "region": regions[min(i, n_regions - 1)],
                "zones": zones,
                "components": [],
            }
        )

    n_components = draw(st.integers(min_components, max_components))
    comps: list[dict[str, Any]] = []
    comp_site: list[int] = []
    for j in range(n_components):
        kind = draw(st.sampled_from(_KINDS))
        if kind == "backbone_link" and n_sites == 1:
            kind = "leaf"
        s = draw(st.integers(0, n_sites - 1))
        capacity = draw(st.integers(1, 50))
        comp = {
            "kind": kind,
            "name": f"c{j}-{kind}",
            "zone": draw(st.sampled_from([z["name"] for z in sites[s]["zones"]])),
            **_attributes(draw, kind, capacity, [n for k, n in enumerate(site_names) if k != s]),
        }
        comps.append(comp)
        comp_site.append(s)
    if networked:
        for comp, s in _network_layer(draw, site_names, len(comps)):
            comps.append(comp)
            comp_site.append(s)

    capacity_of = {
        c["name"]: int(c.get("capacity_kw") or c.get("cooling_kw") or c.get("capacity_gbps") or 0)
        for c in comps
    }
    providers = {
        resource: [(c["name"], capacity_of[c["name"]]) for c in comps if c["kind"] in kinds]
        for resource, kinds in PROVIDERS.items()
    }
    batteries = [c["name"] for c in comps if c["kind"] == "battery"]
    for comp in comps:
        requires = []
        for _ in range(draw(st.integers(0, 2))):
            options = {
                resource: [p for p in plist if p[0] != comp["name"]]
                for resource, plist in providers.items()
            }
            usable = sorted(r for r, plist in options.items() if plist)
            if not usable:
                break
            resource = draw(st.sampled_from(usable))
            requires.append(_requirement(draw, resource, options[resource]))
        if requires:
            comp["requires"] = requires
        if comp["kind"] == "ups" and batteries and draw(st.booleans()):
            comp["batteries"] = draw(st.lists(st.sampled_from(batteries), max_size=2, unique=True))
    for comp, s in zip(comps, comp_site, strict=True):
        sites[s]["components"].append(comp)

    rows_by_site: dict[str, list[str]] = {site: [] for site in site_names}
    for comp, s in zip(comps, comp_site, strict=True):
        if comp["kind"] == "rack_row":
            rows_by_site[site_names[s]].append(comp["name"])
    hosting = sorted(site for site, rows in rows_by_site.items() if rows)
    n_services = draw(st.integers(0, max_services)) if hosting else 0
    service_names = [f"svc-{i}" for i in range(n_services)]
    services: list[dict[str, Any]] = []
    for i, name in enumerate(service_names):
        others = [n for n in service_names if n != name]
        mode = draw(st.sampled_from(["active_active", "active_standby"]))
        replicas = []
        for k in range(draw(st.integers(1, 4 if networked else 3))):
            site = draw(st.sampled_from(hosting))
            role = "active"
            if mode == "active_standby" and k > 0 and draw(st.booleans()):
                role = "standby"
            replicas.append(
                {
                    "site": site,
                    # Distinct rows: the model rejects a row listed twice.
                    "rows": draw(
                        st.lists(
                            st.sampled_from(rows_by_site[site]), min_size=1, max_size=3, unique=True
                        )
                    ),
                    "capacity_rps": float(draw(st.integers(1, 100))),
                    "role": role,
                    "stores_data": draw(st.booleans()),
                }
            )
        service: dict[str, Any] = {
            "name": name,
            "demand_rps": float(draw(st.integers(1, 100))),
            "mode": mode,
            "replicas": replicas,
        }
        if draw(st.booleans()):
            service["surges"] = {"new_year": 3.0, "world_cup": 10.0}
        if others and (draw(st.integers(0, 2)) or (networked and mode == "active_standby")):
            service["failover_controller"] = draw(st.sampled_from(others))
        if networked and not draw(st.integers(0, 4)):
            service["needs_network"] = False
        holders = sum(1 for r in replicas if r["stores_data"])
        if holders and draw(st.booleans()):
            service["data_quorum"] = draw(st.integers(1, holders))
        if others:
            deps = draw(
                st.lists(st.sampled_from(others), max_size=min(3, len(others)), unique=True)
            )
            # Mostly point "downward" (acyclic), sometimes anywhere: occasional cycles.
            if not draw(st.integers(0, 3)):
                service["depends_on"] = deps
            else:
                service["depends_on"] = [d for d in deps if int(d.split("-")[1]) < i]
        services.append(service)

    return Fleet.model_validate(
        {
            "name": "generated",
            "regions": [{"name": r} for r in regions],
            "sites": sites,
            "services": services,
        }
    )


def networked_fleets(max_components: int = 20, max_services: int = 5) -> st.SearchStrategy[Fleet]:
    """Random valid fleets with carriers, a backbone, shared-risk groups, quorums and
    controllers at other sites (``fleets(networked=True)``)."""
    return fleets(max_components=max_components, max_services=max_services, networked=True)


def _network_layer(
    draw: st.DrawFn, site_names: list[str], first: int
) -> list[tuple[dict[str, Any], int]]:
    """Carrier and backbone links (component documents with their site index)."""
    out: list[tuple[dict[str, Any], int]] = []
    srlgs = st.lists(st.sampled_from(SRLG_POOL), max_size=2, unique=True)
    j = first
    for s, site in enumerate(site_names):
        # Some sites declare no carrier at all: they always reach users.
        for _ in range(draw(st.integers(0, 2))):
            out.append(
                (
                    {
                        "kind": "carrier_link",
                        "name": f"c{j}-carrier_link",
                        "zone": f"{site}-zone-0",
                        "carrier": "carrier",
                        "capacity_gbps": 10.0,
                        "srlg": draw(srlgs),
                    },
                    s,
                )
            )
            j += 1
    n = len(site_names)
    # Sometimes no backbone at all (every site connected), else 1..2n links, parallel ones too.
    for _ in range(draw(st.integers(0, 2 * n))):
        a = draw(st.integers(0, n - 1))
        b = draw(st.sampled_from([k for k in range(n) if k != a]))
        out.append(
            (
                {
                    "kind": "backbone_link",
                    "name": f"c{j}-backbone_link",
                    "zone": f"{site_names[a]}-zone-0",
                    "capacity_gbps": 10.0,
                    "remote_site": site_names[b],
                    "srlg": draw(srlgs),
                },
                a,
            )
        )
        j += 1
    return out
