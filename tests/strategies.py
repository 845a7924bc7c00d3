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
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from twin.model import COMPONENT_TYPES, Fleet

__all__ = ["PROVIDERS", "fleets"]

PROVIDERS: dict[str, tuple[str, ...]] = {
    resource: tuple(kind for kind, cls in COMPONENT_TYPES.items() if cls.provides == resource)
    for resource in ("power", "cooling", "network")
}
"""Component kinds that supply each resource."""

_RESOURCE_OF = {kind: resource for resource, kinds in PROVIDERS.items() for kind in kinds}
# Rack rows appear often so that services have somewhere to run.
_KINDS = [kind for kinds in PROVIDERS.values() for kind in kinds] + ["battery"] + ["rack_row"] * 6
_ZONE_KINDS = ["building", "ups_room", "battery_room", "chiller_plant", "data_hall", "roof"]


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
) -> Fleet:
    """A random valid :class:`Fleet`.

    Parameters
    ----------
    min_components, max_components : int
        Bounds on the number of components (fleet-wide).
    max_services : int
        Upper bound on the number of services (none when no rack row exists).
    """
    n_sites = draw(st.integers(1, 3))
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
        for k in range(draw(st.integers(1, 3))):
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
        if others and draw(st.integers(0, 2)):
            service["failover_controller"] = draw(st.sampled_from(others))
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
