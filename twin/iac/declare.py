"""The Pulumi layer: declare a fleet as Pulumi component resources.

This is the only module in :mod:`twin` that imports :mod:`pulumi`; the model and
the engine never do. ``__main__.py`` only wires: it reads the stack config with
:func:`fleet_from_config`, declares the fleet with :func:`declare_fleet` and
exports :attr:`DeclaredFleet.outputs`.

Resources and their parents mirror containment::

    dctwin:fleet:Fleet                       the fleet (root)
    ├── dctwin:site:Region                   one per region
    │   └── dctwin:site:Site                 one per site
    │       └── dctwin:site:Zone             "<site>/<zone>"; a nested zone's parent
    │           │                            is its enclosing zone
    │           └── dctwin:<module>:<Kind>   one per component (dctwin:power:Ups, ...)
    └── dctwin:app:Service                   one per service (services span sites)

Every resource passes its declared attributes as inputs, so ``pulumi preview``
shows a change to a feed, a capacity or a surge as a diff on that resource. A
component's requirement groups carry the *names* of its suppliers. Replicas are
inputs of their service rather than child resources: a replica has no name of its
own in the model, so as a child it would be named by its position and inserting one
replica would show as every later replica being replaced; as an input it is one
readable diff on the service. Rack rows, not servers, are resources, which keeps a
reference stack in the low thousands of resources.

Nothing here needs a provider plugin: component resources are recorded by the
engine itself, so ``pulumi preview`` runs offline against a local file backend.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi

from twin.analysis.headline import headline
from twin.errors import DefinitionError, UsageError
from twin.model import Fleet, Requirement, Service, Site, Zone
from twin.model.documents import load_fleet
from twin.sources import apply_overrides, build_stack

__all__ = [
    "FLEET_TYPE",
    "OVERRIDE_KEYS",
    "REGION_TYPE",
    "SERVICE_TYPE",
    "SITE_TYPE",
    "ZONE_TYPE",
    "DeclaredFleet",
    "EquipmentResource",
    "FleetResource",
    "RegionResource",
    "ServiceResource",
    "SiteResource",
    "ZoneResource",
    "component_inputs",
    "component_type",
    "declare_fleet",
    "fleet_from_config",
    "fleet_outputs",
    "overrides_from_config",
    "requirement_inputs",
    "service_inputs",
    "zone_inputs",
    "zone_resource_name",
]

FLEET_TYPE = "dctwin:fleet:Fleet"
REGION_TYPE = "dctwin:site:Region"
SITE_TYPE = "dctwin:site:Site"
ZONE_TYPE = "dctwin:site:Zone"
SERVICE_TYPE = "dctwin:app:Service"

OVERRIDE_KEYS = ("surges", "demandScale")
"""Stack config keys (namespace ``dctwin``) passed to :func:`twin.sources.apply_overrides`."""


# --------------------------------------------------------------------------- names and inputs


def component_type(component: Any) -> str:
    """The Pulumi type token of a model component: ``dctwin:<module>:<Kind>``.

    >>> from twin.model import Ups
    >>> component_type(Ups(name="ups-a1", zone="ups-room", capacity_kw=500))
    'dctwin:power:Ups'
    """
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


def requirement_inputs(requirement: Requirement) -> dict[str, Any]:
    """One requirement group as resource inputs: resource, supplier names and its threshold.

    >>> from twin.model import Requirement
    >>> requirement_inputs(Requirement(resource="power", suppliers=["pdu-a", "pdu-b"]))
    {'resource': 'power', 'suppliers': ['pdu-a', 'pdu-b'], 'at_least': 1}
    """
    group: dict[str, Any] = {
        "resource": requirement.resource,
        "suppliers": list(requirement.suppliers),
    }
    if requirement.capacity is not None:
        group["capacity"] = requirement.capacity
    else:
        group["at_least"] = int(requirement.threshold)
    return group


def component_inputs(site: Site, component: Any) -> dict[str, Any]:
    """The inputs of a component resource.

    Its site, kind, zone and every declared attribute (the model fields minus ``name``
    and ``requires``; unset optional fields are left out), plus ``requires``: each
    requirement group with its supplier names.
    """
    inputs: dict[str, Any] = {"site": site.name}
    inputs.update(
        component.model_dump(mode="json", exclude={"name", "requires"}, exclude_none=True)
    )
    inputs["requires"] = [requirement_inputs(group) for group in component.requires]
    return inputs


def zone_inputs(site: Site, zone: Zone) -> dict[str, Any]:
    """The inputs of a zone resource: its site, model name, kind, parent, fire protection."""
    inputs: dict[str, Any] = {"site": site.name, "zone": zone.name}
    inputs.update(zone.model_dump(mode="json", exclude={"name"}, exclude_none=True))
    return inputs


def service_inputs(service: Service) -> dict[str, Any]:
    """The inputs of a service resource: demand, surges, mode, replicas, dependencies."""
    return service.model_dump(mode="json", exclude={"name"}, exclude_none=True)


# --------------------------------------------------------------------------- resources


class _ModelResource(pulumi.ComponentResource):
    """A component resource whose inputs are a model object's declared attributes.

    Each input key also becomes an ``Output`` attribute of the resource (the SDK does
    that for every input), so ``resource.requires`` or ``resource.surges`` can be read
    in tests. The model object itself is kept as :attr:`spec`.
    """

    spec: Any

    def __init__(
        self,
        type_token: str,
        name: str,
        inputs: Mapping[str, Any],
        spec: Any,
        parent: pulumi.Resource | None = None,
        outputs: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            type_token,
            name,
            dict(inputs),
            pulumi.ResourceOptions(parent=parent) if parent is not None else None,
        )
        self.spec = spec
        self.register_outputs(dict(outputs or {}))


class FleetResource(_ModelResource):
    """The root resource, ``dctwin:fleet:Fleet``; its outputs are the stack's headline numbers."""

    def __init__(self, fleet: Fleet, outputs: Mapping[str, Any]) -> None:
        inputs = {"schema_version": fleet.schema_version, "description": fleet.description}
        super().__init__(FLEET_TYPE, fleet.name, inputs, fleet, None, outputs)


class RegionResource(_ModelResource):
    """A region, ``dctwin:site:Region``, child of the fleet."""

    def __init__(self, region: Any, parent: FleetResource, sites: list[str]) -> None:
        inputs = {"description": region.description}
        super().__init__(REGION_TYPE, region.name, inputs, region, parent, {"sites": sites})


class SiteResource(_ModelResource):
    """A site (datacenter campus), ``dctwin:site:Site``, child of its region."""

    def __init__(self, site: Site, parent: RegionResource) -> None:
        rows = [c for c in site.components if c.kind == "rack_row"]
        outputs = {
            "it_load_kw": sum(row.it_load_kw for row in rows),
            "racks": sum(row.racks for row in rows),
            "servers": sum(row.servers for row in rows),
        }
        inputs = {"region": site.region, "description": site.description}
        super().__init__(SITE_TYPE, site.name, inputs, site, parent, outputs)


class ZoneResource(_ModelResource):
    """A zone (fire compartment), ``dctwin:site:Zone``, child of its enclosing zone or site."""

    def __init__(self, site: Site, zone: Zone, parent: pulumi.Resource) -> None:
        name = zone_resource_name(site.name, zone.name)
        super().__init__(ZONE_TYPE, name, zone_inputs(site, zone), zone, parent)


class EquipmentResource(_ModelResource):
    """A model component (UPS, chiller, spine, rack row, ...), child of its zone.

    Type ``dctwin:<module>:<Kind>``, named after the component (names are unique
    fleet-wide), with the inputs of :func:`component_inputs`.
    """

    def __init__(self, site: Site, component: Any, parent: ZoneResource) -> None:
        super().__init__(
            component_type(component),
            component.name,
            component_inputs(site, component),
            component,
            parent,
        )


class ServiceResource(_ModelResource):
    """A service, ``dctwin:app:Service``, child of the fleet: its replicas span sites."""

    def __init__(self, service: Service, parent: FleetResource) -> None:
        super().__init__(SERVICE_TYPE, service.name, service_inputs(service), service, parent)


# --------------------------------------------------------------------------- declaring


@dataclass
class DeclaredFleet:
    """The resources declared for a fleet, by name, and the stack outputs.

    ``zones`` is keyed by resource name (``"<site>/<zone>"``, see
    :func:`zone_resource_name`); every other mapping by the model name.
    """

    fleet: Fleet
    root: FleetResource
    regions: dict[str, RegionResource] = field(default_factory=dict)
    sites: dict[str, SiteResource] = field(default_factory=dict)
    zones: dict[str, ZoneResource] = field(default_factory=dict)
    components: dict[str, EquipmentResource] = field(default_factory=dict)
    services: dict[str, ServiceResource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def resources(self) -> Iterator[pulumi.ComponentResource]:
        """Every declared resource, parents before children."""
        yield self.root
        yield from self.regions.values()
        yield from self.sites.values()
        yield from self.zones.values()
        yield from self.components.values()
        yield from self.services.values()

    def __len__(self) -> int:
        return (
            1
            + len(self.regions)
            + len(self.sites)
            + len(self.zones)
            + len(self.components)
            + len(self.services)
        )


def fleet_outputs(fleet: Fleet) -> dict[str, Any]:
    """The stack outputs: plain numbers read from the model.

    Counts (regions, sites, zones, components, services, and components per kind),
    the IT load and what carries it (rack rows, racks, servers), and the design
    capacity of the power sources (utility feeds, generators, UPS) and chillers.
    ``resources`` is the number of Pulumi resources the fleet declares (the stack
    resource itself not included).
    """
    components = [component for _, component in fleet.components()]
    rows = [c for c in components if c.kind == "rack_row"]

    def rated(kind: str, attribute: str) -> float:
        return float(sum(getattr(c, attribute) for c in components if c.kind == kind))

    zones = sum(len(site.zones) for site in fleet.sites)
    return {
        "fleet": fleet.name,
        "regions": len(fleet.regions),
        "sites": len(fleet.sites),
        "zones": zones,
        "components": len(components),
        "services": len(fleet.services),
        "resources": 1
        + len(fleet.regions)
        + len(fleet.sites)
        + zones
        + len(components)
        + len(fleet.services),
        "componentCounts": dict(sorted(Counter(c.kind for c in components).items())),
        "rackRows": len(rows),
        "racks": sum(row.racks for row in rows),
        "servers": sum(row.servers for row in rows),
        "itLoadKw": float(sum(row.it_load_kw for row in rows)),
        "itLoadKwBySite": {
            site.name: float(sum(c.it_load_kw for c in site.components if c.kind == "rack_row"))
            for site in fleet.sites
        },
        "utilityCapacityKw": rated("utility_feed", "capacity_kw"),
        "generatorCapacityKw": rated("generator", "capacity_kw"),
        "upsCapacityKw": rated("ups", "capacity_kw"),
        "chillerCapacityKw": rated("chiller", "cooling_kw"),
    }


def _zones_outside_in(site: Site) -> list[Zone]:
    """The site's zones ordered so that an enclosing zone comes before the zones inside it."""
    by_name = {zone.name: zone for zone in site.zones}
    ordered: list[Zone] = []
    placed: set[str] = set()

    def place(zone: Zone) -> None:
        if zone.name in placed:
            return
        if zone.parent is not None and zone.parent in by_name:
            place(by_name[zone.parent])
        placed.add(zone.name)
        ordered.append(zone)

    for zone in site.zones:
        place(zone)
    return ordered


def declare_fleet(fleet: Fleet) -> DeclaredFleet:
    """Declare ``fleet`` as Pulumi component resources; return them by name.

    Must run inside a Pulumi program (``pulumi preview``/``up``, or under
    ``pulumi.runtime.set_mocks`` in tests). It declares resources only; exporting
    :attr:`DeclaredFleet.outputs` as stack outputs is the program's job.
    """
    outputs = {**fleet_outputs(fleet), **headline(fleet)}
    root = FleetResource(fleet, outputs)
    declared = DeclaredFleet(fleet=fleet, root=root, outputs=outputs)
    sites_in: dict[str, list[str]] = {}
    for site in fleet.sites:
        sites_in.setdefault(site.region, []).append(site.name)
    for region in fleet.regions:
        declared.regions[region.name] = RegionResource(region, root, sites_in.get(region.name, []))
    for site in fleet.sites:
        site_resource = SiteResource(site, declared.regions[site.region])
        declared.sites[site.name] = site_resource
        zone_resources: dict[str, ZoneResource] = {}
        for zone in _zones_outside_in(site):
            parent = zone_resources[zone.parent] if zone.parent is not None else site_resource
            resource = ZoneResource(site, zone, parent)
            zone_resources[zone.name] = resource
            declared.zones[zone_resource_name(site.name, zone.name)] = resource
        for component in site.components:
            declared.components[component.name] = EquipmentResource(
                site, component, zone_resources[component.zone]
            )
    for service in fleet.services:
        declared.services[service.name] = ServiceResource(service, root)
    return declared


# --------------------------------------------------------------------------- config


def overrides_from_config(config: pulumi.Config) -> dict[str, Any]:
    """The model overrides set in stack config (``dctwin:surges``, ``dctwin:demandScale``)."""
    overrides: dict[str, Any] = {}
    surges = config.get_object("surges")
    if surges is not None:
        overrides["surges"] = surges
    scale = config.get_float("demandScale")
    if scale is not None:
        overrides["demandScale"] = scale
    return overrides


def fleet_from_config(config: pulumi.Config, stack: str) -> Fleet:
    """The fleet a stack declares, with its config overrides applied.

    ``dctwin:model`` names a model document (JSON or YAML); otherwise
    ``dctwin:definition`` names a stack module in ``stacks/``, defaulting to the
    Pulumi stack name. A bad definition or override stops the program with a
    :class:`pulumi.RunError` that lists every problem (no Python traceback).
    """
    model = config.get("model")
    definition = config.get("definition")
    try:
        if model is not None and definition is not None:
            raise UsageError("set at most one of dctwin:definition and dctwin:model")
        fleet = load_fleet(model) if model is not None else build_stack(definition or stack)
        return apply_overrides(fleet, overrides_from_config(config))
    except (UsageError, DefinitionError) as error:
        raise pulumi.RunError(f"dctwin: {error}") from None
