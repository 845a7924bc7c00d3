"""How a fleet is named as Pulumi resources: type tokens, resource names, inputs, URN keys.

Pure functions over the model (no Pulumi import), shared by the Pulumi layer
(:mod:`twin.iac.declare` re-exports them), the resilience diff (resources keyed like
Pulumi URNs: ``<type token>::<name>``) and the CrossGuard policies, which rebuild a
fleet from the inputs of registered resources with :func:`fleet_from_resources`.

Inputs use one naming style, camelCase, like the stack outputs: model field names are
converted (``capacity_kw`` → ``capacityKw``), names from the model are not (the surge
``world_cup`` stays ``world_cup``). :func:`fleet_from_resources` converts back.

Racks declared as components (one-rack rows named ``<row>-rackNN``, with their
top-of-rack switches ``<row>-rackNN-tor[-a|-b]``) are declared as one resource per row
(:func:`resource_units`), which keeps a Kakao-size fleet in the low thousands of
resources: a ``dctwin:power:RackRow`` named after the row, its racks, servers and IT
load summed, every member component's inputs under ``members``.

Examples
--------
>>> camel("capacity_kw"), snake("capacityKw")
('capacityKw', 'capacity_kw')
>>> from twin.model import Ups
>>> component_type(Ups(name="ups-a1", zone="ups-room", capacity_kw=500))
'dctwin:power:Ups'
>>> resource_key("dctwin:power:Ups", "ups-a1")
'dctwin:power:Ups::ups-a1'
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from twin.model.components import COMPONENT_TYPES, AnyComponent, Requirement
from twin.model.documents import validate_data
from twin.model.fleet import Fleet, Service, Site
from twin.model.zones import Zone

__all__ = [
    "DERIVED_KEY",
    "FLEET_TYPE",
    "REGION_TYPE",
    "ROW_TYPE",
    "SERVICE_TYPE",
    "SITE_TYPE",
    "ZONE_TYPE",
    "ResourceSpec",
    "RowGroup",
    "camel",
    "component_inputs",
    "component_names",
    "component_type",
    "fleet_from_resources",
    "fleet_inputs",
    "fleet_resources",
    "model_inputs",
    "requirement_inputs",
    "resource_key",
    "resource_units",
    "row_inputs",
    "service_inputs",
    "site_inputs",
    "snake",
    "zone_inputs",
    "zone_resource_name",
]

FLEET_TYPE = "dctwin:fleet:Fleet"
REGION_TYPE = "dctwin:site:Region"
SITE_TYPE = "dctwin:site:Site"
ZONE_TYPE = "dctwin:site:Zone"
SERVICE_TYPE = "dctwin:app:Service"

DERIVED_KEY = "twin"
"""The input under which the Pulumi layer records what the twin derived for a component."""

_DATA_KEYS = frozenset({"surges"})
"""Input fields whose keys are names from the model (kept as written), not field names."""


def camel(name: str) -> str:
    """A model field name in the inputs' style: ``demand_rps`` → ``demandRps``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake(name: str) -> str:
    """An input name back as a model field name: ``demandRps`` → ``demand_rps``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def _inputs(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return model_inputs(value)
    if isinstance(value, Mapping):
        return {str(key): _inputs(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_inputs(item) for item in value]
    return value


def model_inputs(model: BaseModel, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A model object's declared fields as camelCase inputs; unset optional fields left out.

    >>> from twin.model import Suppression
    >>> model_inputs(Suppression(agent="water", after_s=60, deenergize="building"))
    {'agent': 'water', 'afterS': 60.0, 'deenergize': 'building', 'containsSpread': False, \
'reenergize': []}
    """
    skip = set(exclude)
    out: dict[str, Any] = {}
    for field in type(model).model_fields:
        value = getattr(model, field)
        if field in skip or value is None:
            continue
        if field in _DATA_KEYS and isinstance(value, Mapping):
            out[camel(field)] = {str(k): _inputs(v) for k, v in value.items()}
        else:
            out[camel(field)] = _inputs(value)
    return out


def _fields(value: Any) -> Any:
    """Inputs back to model fields (the inverse of :func:`model_inputs`)."""
    if isinstance(value, Mapping):
        return {
            snake(key): dict(item) if snake(key) in _DATA_KEYS else _fields(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_fields(item) for item in value]
    return value


def component_type(component: Any) -> str:
    """The Pulumi type token of a model component: ``dctwin:<module>:<Kind>``."""
    return f"dctwin:{component.module}:{component.type_name}"


def zone_resource_name(site: str, zone: str) -> str:
    """The resource name of a zone: ``<site>/<zone>``.

    Zone names are unique per site only, so the site prefixes them. A ``/`` (or
    ``%``) in the site name is percent-escaped so that the first ``/`` always ends
    the site part and two different (site, zone) pairs never share a name.

    >>> zone_resource_name("ansan", "battery-room-1")
    'ansan/battery-room-1'
    >>> zone_resource_name("a/b", "c") != zone_resource_name("a", "b/c")
    True
    """
    escaped = site.replace("%", "%25").replace("/", "%2F")
    return f"{escaped}/{zone}"


def resource_key(type_token: str, name: str) -> str:
    """A resource's key in the manner of a Pulumi URN's last two parts: ``type::name``."""
    return f"{type_token}::{name}"


def requirement_inputs(requirement: Requirement) -> dict[str, Any]:
    """One requirement group as resource inputs: resource, supplier names and its threshold.

    >>> requirement_inputs(Requirement(resource="power", suppliers=["pdu-a", "pdu-b"]))
    {'resource': 'power', 'suppliers': ['pdu-a', 'pdu-b'], 'atLeast': 1}
    """
    group: dict[str, Any] = {
        "resource": requirement.resource,
        "suppliers": list(requirement.suppliers),
    }
    if requirement.capacity is not None:
        group["capacity"] = requirement.capacity
    else:
        group["atLeast"] = int(requirement.threshold)
    return group


def component_inputs(site: Site, component: Any) -> dict[str, Any]:
    """The inputs of a component resource.

    Its site, kind, zone and every declared attribute (the model fields minus ``name``
    and ``requires``; unset optional fields are left out), plus ``requires``: each
    requirement group with its supplier names.
    """
    inputs: dict[str, Any] = {"site": site.name}
    inputs.update(model_inputs(component, exclude={"name", "requires"}))
    inputs["requires"] = [requirement_inputs(group) for group in component.requires]
    return inputs


def zone_inputs(site: Site, zone: Zone) -> dict[str, Any]:
    """The inputs of a zone resource: its site, model name, kind, parent, fire protection."""
    inputs: dict[str, Any] = {"site": site.name, "zone": zone.name}
    inputs.update(model_inputs(zone, exclude={"name"}))
    return inputs


def site_inputs(site: Site) -> dict[str, Any]:
    """The inputs of a site resource: region, description and restart rate."""
    return model_inputs(site, exclude={"name", "zones", "components"})


def service_inputs(service: Service) -> dict[str, Any]:
    """The inputs of a service resource: demand, surges, mode, replicas, dependencies."""
    return model_inputs(service, exclude={"name"})


def fleet_inputs(fleet: Fleet) -> dict[str, Any]:
    """The inputs of the root resource: schema version and description."""
    return {"schemaVersion": fleet.schema_version, "description": fleet.description}


_RACK_NAME = re.compile(r"^(?P<row>.+)-rack\d+$")
_TOR_NAME = re.compile(r"^(?P<rack>.+-rack\d+)-tor(?:-[ab])?$")
ROW_TYPE = "dctwin:power:RackRow"
"""The type token of a rack row, and of the resource declaring a row of racks."""


@dataclass(frozen=True)
class RowGroup:
    """Racks declared as components and their ToRs, declared as one resource: their row."""

    row: str
    zone: str
    members: tuple[AnyComponent, ...]


def resource_units(site: Site, taken: Collection[str]) -> list[AnyComponent | RowGroup]:
    """The site's components as they are declared: one resource each, or per row of racks.

    A one-rack :class:`~twin.model.RackRow` named ``<row>-rackNN`` belongs to row
    ``<row>`` when no component is named ``<row>`` (``taken``: every component name of
    the fleet) and every rack of the row sits in one zone; a leaf named
    ``<rack>-tor``, ``<rack>-tor-a`` or ``<rack>-tor-b`` belongs to its rack's row. A
    row is declared where its first member is, members in site order; everything else
    is declared on its own.

    >>> from stacks.kakao_scale import build
    >>> site = build(sites=1, racks=40).sites[0]
    >>> units = resource_units(site, {c.name for c in site.components})
    >>> rows = [u for u in units if isinstance(u, RowGroup)]
    >>> len(site.components) - len(units), len(rows), rows[0].row, len(rows[0].members)
    (76, 4, 'ansan-hall1-row01', 20)
    """
    racks: dict[str, list[AnyComponent]] = {}
    for c in site.components:
        match = _RACK_NAME.match(c.name) if c.kind == "rack_row" else None
        if match is not None and getattr(c, "racks", 0) == 1 and match["row"] not in taken:
            racks.setdefault(match["row"], []).append(c)
    rows = {row: m for row, m in racks.items() if len({c.zone for c in m}) == 1}
    row_of = {c.name: row for row, members in rows.items() for c in members}
    for c in site.components:
        match = _TOR_NAME.match(c.name) if c.kind == "leaf" else None
        if match is not None and match["rack"] in row_of:
            row_of[c.name] = row_of[match["rack"]]
    members: dict[str, list[AnyComponent]] = {}
    units: list[AnyComponent | RowGroup | str] = []
    for c in site.components:
        row = row_of.get(c.name)
        if row is None:
            units.append(c)
            continue
        if row not in members:
            members[row] = []
            units.append(row)
        members[row].append(c)
    return [
        RowGroup(u, members[u][0].zone, tuple(members[u])) if isinstance(u, str) else u
        for u in units
    ]


def row_inputs(site: Site, group: RowGroup) -> dict[str, Any]:
    """The inputs of a row-of-racks resource: totals and every member's inputs."""
    racks = [c for c in group.members if c.kind == "rack_row"]
    return {
        "site": site.name,
        "kind": "rack_row",
        "zone": group.zone,
        "racks": sum(getattr(c, "racks", 0) for c in racks),
        "servers": sum(getattr(c, "servers", 0) for c in racks),
        "itLoadKw": float(sum(getattr(c, "it_load_kw", 0.0) for c in racks)),
        "members": [
            {"name": c.name, **{k: v for k, v in component_inputs(site, c).items() if k != "site"}}
            for c in group.members
        ],
    }


def component_names(fleet: Fleet) -> set[str]:
    """Every component name of the fleet (names are unique fleet-wide)."""
    return {c.name for site in fleet.sites for c in site.components}


@dataclass(frozen=True)
class ResourceSpec:
    """One resource a fleet declares: type token, name, the key of its parent, inputs."""

    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]

    @property
    def key(self) -> str:
        return resource_key(self.type, self.name)


def fleet_resources(fleet: Fleet) -> dict[str, ResourceSpec]:
    """Every resource ``fleet`` declares, by key (``type::name``), parents first.

    The same set :func:`twin.iac.declare.declare_fleet` registers; the diff compares
    two of these.

    >>> from stacks import build_stack
    >>> specs = fleet_resources(build_stack("lab"))
    >>> next(iter(specs))
    'dctwin:fleet:Fleet::lab'
    """
    out: dict[str, ResourceSpec] = {}

    def add(spec: ResourceSpec) -> str:
        out[spec.key] = spec
        return spec.key

    taken = component_names(fleet)
    root = add(ResourceSpec(FLEET_TYPE, fleet.name, None, fleet_inputs(fleet)))
    regions = {
        region.name: add(
            ResourceSpec(REGION_TYPE, region.name, root, model_inputs(region, exclude={"name"}))
        )
        for region in fleet.regions
    }
    for site in fleet.sites:
        site_key = add(ResourceSpec(SITE_TYPE, site.name, regions[site.region], site_inputs(site)))
        zone_keys: dict[str, str] = {}
        for zone in _outside_in(site):
            parent = zone_keys.get(zone.parent or "", site_key)
            zone_keys[zone.name] = add(
                ResourceSpec(
                    ZONE_TYPE,
                    zone_resource_name(site.name, zone.name),
                    parent,
                    zone_inputs(site, zone),
                )
            )
        for unit in resource_units(site, taken):
            if isinstance(unit, RowGroup):
                add(ResourceSpec(ROW_TYPE, unit.row, zone_keys[unit.zone], row_inputs(site, unit)))
                continue
            add(
                ResourceSpec(
                    component_type(unit),
                    unit.name,
                    zone_keys[unit.zone],
                    component_inputs(site, unit),
                )
            )
    for service in fleet.services:
        add(ResourceSpec(SERVICE_TYPE, service.name, root, service_inputs(service)))
    return out


def _outside_in(site: Site) -> list[Zone]:
    """The site's zones ordered so that an enclosing zone comes before the zones inside it."""
    by_name = {zone.name: zone for zone in site.zones}
    ordered: list[Zone] = []
    placed: set[str] = set()

    def place(zone: Zone) -> None:
        if zone.name in placed:
            return
        placed.add(zone.name)
        if zone.parent is not None and zone.parent in by_name:
            place(by_name[zone.parent])
        ordered.append(zone)

    for zone in site.zones:
        place(zone)
    return ordered


_COMPONENT_TOKENS = {
    f"dctwin:{cls.module}:{cls.type_name}": kind for kind, cls in COMPONENT_TYPES.items()
}


def fleet_from_resources(resources: Iterable[tuple[str, str, Mapping[str, Any]]]) -> Fleet:
    """Rebuild a fleet from ``(type token, name, inputs)`` of its registered resources.

    The inverse of :func:`fleet_resources` for what the twin analyses read (the fleet's
    recovery settings and stack-specific scenarios are not resources: they take their
    defaults). Resources of other types are ignored. Raises
    :class:`twin.errors.DefinitionError` (located) when the result is not a valid fleet.

    >>> from stacks import build_stack
    >>> lab = build_stack("lab")
    >>> rebuilt = fleet_from_resources(
    ...     (s.type, s.name, s.inputs) for s in fleet_resources(lab).values()
    ... )
    >>> fleet_resources(rebuilt) == fleet_resources(lab)
    True
    """
    fleet: dict[str, Any] = {"name": "", "regions": [], "sites": [], "services": []}
    sites: dict[str, dict[str, Any]] = {}
    zones: list[dict[str, Any]] = []
    components: list[dict[str, Any]] = []
    for type_token, name, props in resources:
        fields = _fields(dict(props))
        if type_token == FLEET_TYPE:
            fleet["name"] = name
            fleet["description"] = fields.get("description", "")
        elif type_token == REGION_TYPE:
            fleet["regions"].append({"name": name, **fields})
        elif type_token == SITE_TYPE:
            sites[name] = {"name": name, **fields, "zones": [], "components": []}
            fleet["sites"].append(sites[name])
        elif type_token == ZONE_TYPE:
            zones.append(fields)
        elif type_token == SERVICE_TYPE:
            fleet["services"].append({"name": name, **fields})
        elif type_token == ROW_TYPE and "members" in fields:  # a row of racks
            for member in fields["members"]:
                components.append({"site": fields.get("site", ""), **member})
        elif type_token in _COMPONENT_TOKENS:
            fields.pop(DERIVED_KEY, None)  # what the twin derived: not part of the model
            components.append({"name": name, **fields})
    for zone in zones:
        site = sites.get(zone.pop("site", ""))
        if site is not None:
            site["zones"].append({"name": zone.pop("zone", ""), **zone})
    for component in components:
        site = sites.get(component.pop("site", ""))
        if site is not None:
            for group in component.get("requires", []):
                if group.get("at_least") == 1:
                    group.pop("at_least")  # the default, written out by requirement_inputs
            site["components"].append(component)
    return validate_data(fleet, "the registered resources")
