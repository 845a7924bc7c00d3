"""Cross-reference checks over a whole fleet.

pydantic checks each field on its own; these rules need the whole fleet: names are
unique, references resolve, zones nest without cycles, requirements can ever be
met, replicas sit on rows that exist. Every problem is collected (not just the
first) and raised together as one :class:`twin.errors.DefinitionError`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, get_args

from twin.errors import DefinitionError, Problem, shown
from twin.model.components import COMPONENT_TYPES
from twin.model.zones import ZoneKind

if TYPE_CHECKING:
    from twin.model import Fleet, Site

__all__ = ["check_fleet", "fleet_problems"]


def check_fleet(fleet: Fleet) -> None:
    """Raise :class:`DefinitionError` when ``fleet`` breaks any cross-reference rule."""
    problems = fleet_problems(fleet)
    if problems:
        raise DefinitionError(problems)


def fleet_problems(fleet: Fleet) -> list[Problem]:
    """Every cross-reference problem in ``fleet``, in document order."""
    problems: list[Problem] = []
    add = problems.append

    _duplicates(add, "regions", [r.name for r in fleet.regions], "region")
    _duplicates(add, "sites", [s.name for s in fleet.sites], "site")
    _duplicates(add, "services", [s.name for s in fleet.services], "service")

    region_names = {r.name for r in fleet.regions}
    site_names = {s.name for s in fleet.sites}
    components = {}
    seen_at: dict[str, str] = {}
    for site in fleet.sites:
        for comp in site.components:
            where = f"sites[{site.name}].components[{comp.name}]"
            if comp.name in seen_at:
                add(
                    Problem(
                        where, f"duplicate component name (first declared at {seen_at[comp.name]})"
                    )
                )
            else:
                seen_at[comp.name] = where
                components[comp.name] = (site, comp)

    for site in fleet.sites:
        site_loc = f"sites[{site.name}]"
        if site.region not in region_names:
            add(Problem(f"{site_loc}.region", f"unknown region {shown(site.region)}"))
        _check_zones(add, site, site_loc)
        zones = {z.name for z in site.zones}
        for comp in site.components:
            loc = f"{site_loc}.components[{comp.name}]"
            if comp.zone not in zones:
                where_zone = f"unknown zone {shown(comp.zone)} in site {shown(site.name)}"
                add(Problem(f"{loc}.zone", where_zone))
            for i, req in enumerate(comp.requires):
                _check_requirement(add, f"{loc}.requires[{i}]", comp.name, req, components)
            if comp.kind == "ups":
                for j, battery in enumerate(comp.batteries):
                    entry = components.get(battery)
                    if entry is None:
                        add(Problem(f"{loc}.batteries[{j}]", f"unknown battery {shown(battery)}"))
                    elif entry[1].kind != "battery":
                        add(
                            Problem(
                                f"{loc}.batteries[{j}]",
                                f"{shown(battery)} is a {entry[1].kind}, not a battery",
                            )
                        )
            if comp.kind == "backbone_link":
                if comp.remote_site not in site_names:
                    add(Problem(f"{loc}.remote_site", f"unknown site {shown(comp.remote_site)}"))
                elif comp.remote_site == site.name:
                    add(Problem(f"{loc}.remote_site", "a backbone link must leave its own site"))

    service_names = {s.name for s in fleet.services}
    for service in fleet.services:
        _check_service(add, service, service_names, site_names, components)

    for kind in fleet.recovery.repair_s:
        if kind not in COMPONENT_TYPES:
            known = ", ".join(sorted(COMPONENT_TYPES))
            add(Problem(f"recovery.repair_s.{kind}", f"unknown component kind (known: {known})"))
    _check_reliability(add, fleet, components)
    _duplicates(add, "scenarios", [s.name for s in fleet.scenarios], "scenario")
    for scenario in fleet.scenarios:
        _check_scenario(add, fleet, scenario, components)
    return problems


def _duplicates(add, collection: str, names: list[str], what: str) -> None:
    for name, count in Counter(names).items():
        if count > 1:
            add(Problem(f"{collection}[{name}]", f"duplicate {what} name ({count} declared)"))


def _check_zones(add, site: Site, site_loc: str) -> None:
    _duplicates(add, f"{site_loc}.zones", [z.name for z in site.zones], "zone")
    by_name = {z.name: z for z in site.zones}
    for zone in site.zones:
        loc = f"{site_loc}.zones[{zone.name}]"
        if zone.parent is not None:
            if zone.parent == zone.name:
                add(Problem(f"{loc}.parent", "a zone cannot contain itself"))
            elif zone.parent not in by_name:
                unknown = f"unknown zone {shown(zone.parent)} in site {shown(site.name)}"
                add(Problem(f"{loc}.parent", unknown))
            else:
                chain = [zone.name]
                current = by_name.get(zone.parent)
                while current is not None and current.name not in chain:
                    chain.append(current.name)
                    current = by_name.get(current.parent) if current.parent else None
                if current is not None and current.name == zone.name:
                    add(
                        Problem(
                            f"{loc}.parent",
                            f"zones nest in a cycle: {' → '.join([*chain, zone.name])}",
                        )
                    )
        for i, shared in enumerate(zone.shares_space_with):
            if shared.zone == zone.name:
                add(
                    Problem(f"{loc}.shares_space_with[{i}].zone", "a zone cannot share with itself")
                )
            elif shared.zone not in by_name:
                add(
                    Problem(
                        f"{loc}.shares_space_with[{i}].zone",
                        f"unknown zone {shown(shared.zone)} in site {shown(site.name)}",
                    )
                )


def _check_requirement(add, loc: str, owner: str, req, components) -> None:
    total = 0.0
    resolved = True
    for j, supplier in enumerate(req.suppliers):
        entry = components.get(supplier)
        if supplier == owner:
            add(Problem(f"{loc}.suppliers[{j}]", "a component cannot supply itself"))
            resolved = False
            continue
        if entry is None:
            add(Problem(f"{loc}.suppliers[{j}]", f"unknown component {shown(supplier)}"))
            resolved = False
            continue
        comp = entry[1]
        if comp.provides != req.resource:
            add(
                Problem(
                    f"{loc}.suppliers[{j}]",
                    f"{shown(supplier)} is a {comp.kind}, which does not supply {req.resource}",
                )
            )
            resolved = False
            continue
        if req.is_capacity_gate:
            total += comp.capacity_for(req.resource) or 0.0
    for supplier, count in Counter(req.suppliers).items():
        if count > 1:
            add(Problem(f"{loc}.suppliers", f"supplier {shown(supplier)} listed {count} times"))
    if not resolved:
        return  # the threshold check below would only repeat the problems above
    if req.is_capacity_gate:
        unit = "Gbit/s" if req.resource == "network" else "kW"
        if req.capacity > total + 1e-9:
            add(
                Problem(
                    loc,
                    f"needs {req.capacity:g} {unit} of {req.resource} but all its "
                    f"suppliers together provide {total:g} {unit}: it can never be met",
                )
            )
    elif req.at_least is not None and req.at_least > len(set(req.suppliers)):
        add(
            Problem(
                f"{loc}.at_least",
                f"needs {req.at_least} suppliers but lists only "
                f"{len(set(req.suppliers))}: it can never be met",
            )
        )


def _check_service(add, service, service_names, site_names, components) -> None:
    loc = f"services[{service.name}]"
    for dep, count in Counter(service.depends_on).items():
        if count > 1:
            add(Problem(f"{loc}.depends_on", f"{shown(dep)} listed {count} times"))
    for i, dep in enumerate(service.depends_on):
        if dep == service.name:
            add(Problem(f"{loc}.depends_on[{i}]", "a service cannot depend on itself"))
        elif dep not in service_names:
            add(Problem(f"{loc}.depends_on[{i}]", f"unknown service {shown(dep)}"))
    controller = service.failover_controller
    if controller is not None:
        if controller not in service_names:
            add(Problem(f"{loc}.failover_controller", f"unknown service {shown(controller)}"))
        elif controller == service.name:
            add(Problem(f"{loc}.failover_controller", "a service cannot be its own controller"))
    for i, replica in enumerate(service.replicas):
        rloc = f"{loc}.replicas[{i}]"
        if replica.site not in site_names:
            add(Problem(f"{rloc}.site", f"unknown site {shown(replica.site)}"))
        if replica.role == "standby" and service.mode == "active_active":
            add(
                Problem(
                    f"{rloc}.role",
                    "standby replica in an active_active service; "
                    "set mode: active_standby or role: active",
                )
            )
        for row, count in Counter(replica.rows).items():
            if count > 1:
                add(Problem(f"{rloc}.rows", f"row {shown(row)} listed {count} times"))
        for j, row in enumerate(replica.rows):
            entry = components.get(row)
            if entry is None:
                add(Problem(f"{rloc}.rows[{j}]", f"unknown rack row {shown(row)}"))
            elif entry[1].kind != "rack_row":
                not_row = f"{shown(row)} is a {entry[1].kind}, not a rack row"
                add(Problem(f"{rloc}.rows[{j}]", not_row))
            elif entry[0].name != replica.site:
                add(
                    Problem(
                        f"{rloc}.rows[{j}]",
                        f"row {shown(row)} is in site {shown(entry[0].name)}, "
                        f"not {shown(replica.site)}",
                    )
                )
    rebuilds = [r for r in service.replicas if r.role == "rebuild"]
    if rebuilds and service.rebuild_after_s is None:
        add(
            Problem(
                f"{loc}.rebuild_after_s",
                "rebuild replicas never serve without rebuild_after_s; "
                "set how long a rebuild takes",
            )
        )
    if service.rebuild_after_s is not None and not rebuilds:
        add(
            Problem(
                f"{loc}.rebuild_after_s",
                "nothing to rebuild: add a replica with role rebuild where the service is rebuilt",
            )
        )
    if service.mode == "active_standby" and not any(r.role == "active" for r in service.replicas):
        add(Problem(f"{loc}.replicas", "an active_standby service needs an active replica"))
    if service.data_quorum is not None:
        holders = sum(1 for r in service.replicas if r.stores_data)
        if service.data_quorum > holders:
            add(
                Problem(
                    f"{loc}.data_quorum",
                    f"quorum {service.data_quorum} exceeds the "
                    f"{holders} replicas that store data: it can never be met",
                )
            )


def _check_scenario(add, fleet: Fleet, scenario, components) -> None:
    sites = {s.name: s for s in fleet.sites}
    srlgs = {g for _, c in components.values() for g in getattr(c, "srlg", [])}
    surges = {name for s in fleet.services for name in s.surges}
    for i, event in enumerate(scenario.events):
        loc = f"scenarios[{scenario.name}].events[{i}]"
        site = getattr(event, "site", None)
        if site is not None and site not in sites:
            add(Problem(f"{loc}.site", f"unknown site {shown(site)}"))
            continue
        if (
            event.kind == "fire"
            and site is not None
            and event.zone not in {z.name for z in sites[site].zones}
        ):
            add(Problem(f"{loc}.zone", f"unknown zone {shown(event.zone)} in site {shown(site)}"))
        names = {
            "utility_loss": ("feeds", "utility_feed"),
            "generator_fail_to_start": ("generators", "generator"),
            "fail": ("components", None),
        }.get(event.kind)
        if names is not None:
            field, kind = names
            for j, name in enumerate(getattr(event, field)):
                entry = components.get(name)
                if entry is None:
                    add(Problem(f"{loc}.{field}[{j}]", f"unknown component {shown(name)}"))
                elif kind is not None and entry[1].kind != kind:
                    add(
                        Problem(
                            f"{loc}.{field}[{j}]",
                            f"{shown(name)} is a {entry[1].kind}, not a {kind.replace('_', ' ')}",
                        )
                    )
                elif site is not None and entry[0].name != site:
                    elsewhere = f"{shown(name)} is not in site {shown(site)}"
                    add(Problem(f"{loc}.{field}[{j}]", elsewhere))
        if event.kind == "srlg_cut" and event.srlg not in srlgs:
            add(Problem(f"{loc}.srlg", f"no link runs in shared-risk group {shown(event.srlg)}"))
        if event.kind == "surge" and event.surge not in surges:
            add(Problem(f"{loc}.surge", f"no service declares the surge {shown(event.surge)}"))


def _check_reliability(add: Callable[[Problem], None], fleet: Fleet, components: Any) -> None:
    """Reliability overrides name known kinds, components and zone kinds, and a restore
    time is set in one place only (the recovery model's or the reliability data's)."""
    over = fleet.reliability
    if over is None:
        return
    known = ", ".join(sorted(COMPONENT_TYPES))
    for kind, figures in over.kinds.items():
        if kind not in COMPONENT_TYPES:
            add(Problem(f"reliability.kinds.{kind}", f"unknown component kind (known: {known})"))
        elif figures.mttr_h is not None and kind in fleet.recovery.repair_s:
            add(
                Problem(
                    f"reliability.kinds.{kind}.mttr_h",
                    "also set by recovery.repair_s: give the restore time in one place",
                )
            )
    for name, figures in over.components.items():
        if name not in components:
            add(Problem(f"reliability.components.{shown(name)}", "unknown component"))
        elif figures.mttr_h is not None and components[name][1].repair_s is not None:
            add(
                Problem(
                    f"reliability.components.{name}.mttr_h",
                    "also set by the component's repair_s: give the restore time in one place",
                )
            )
    zone_kinds = get_args(ZoneKind)
    fires = over.common_cause.zone_fire_per_year if over.common_cause else {}
    for kind in fires:
        if kind not in zone_kinds:
            add(
                Problem(
                    f"reliability.common_cause.zone_fire_per_year.{kind}",
                    f"unknown zone kind (known: {', '.join(zone_kinds)})",
                )
            )
