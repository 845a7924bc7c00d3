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

Pulumi conventions: every component resource takes ``(name, args, opts)`` and passes
``opts`` (``protect``, ``aliases``, ``transforms``, ...) through to the engine; a
resource declares its children with itself as their parent (so options such as
``protect`` and ``transformations`` are inherited) and calls ``register_outputs``
after them. A URN carries the *types* of its parents, so a component or zone moved
to a zone nested at another depth would get a new URN and preview as delete +
create: every zone and component carries aliases (whole URNs) for the other depths
(:data:`ALIAS_DEPTHS`), so such a move is an update. Inputs and outputs share one
naming style, camelCase (:mod:`twin.model.naming`).

Every resource has one input, ``spec``: its declared attributes as JSON text
(:mod:`twin.iac.spec`; one text, not an input per attribute, keeps declaring cheap), so
``pulumi preview --diff`` shows a change to a feed, a capacity or a surge as a ``(json)``
diff of that resource's ``spec``. It registers ``spec`` as an output too: a stack policy
reads resources' outputs.
A component's requirement groups carry the *names* of its suppliers. Replicas are
inputs of their service rather than child resources: a replica has no name of its
own in the model, so as a child it would be named by its position and inserting one
replica would show as every later replica being replaced; as an input it is one
readable diff on the service. Rack rows, not servers, are resources, which keeps a
reference stack in the low thousands of resources; racks declared as components are
declared per row too (:class:`RowResource`).

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
from twin.analysis.redundancy import battery_separation, row_feeds
from twin.errors import DefinitionError, UsageError
from twin.iac.spec import spec_props
from twin.model import AnyComponent, Fleet, Region, Service, Site, Zone
from twin.model.documents import load_fleet
from twin.model.naming import (
    DERIVED_KEY,
    FLEET_TYPE,
    REGION_TYPE,
    ROW_TYPE,
    SERVICE_TYPE,
    SITE_TYPE,
    ZONE_TYPE,
    RowGroup,
    component_inputs,
    component_names,
    component_type,
    fleet_inputs,
    model_inputs,
    requirement_inputs,
    resource_units,
    row_inputs,
    service_inputs,
    site_inputs,
    zone_inputs,
    zone_resource_name,
)
from twin.sources import apply_overrides, build_stack

__all__ = [
    "ALIAS_DEPTHS",
    "FLEET_TYPE",
    "OVERRIDE_KEYS",
    "REGION_TYPE",
    "SERVICE_TYPE",
    "SITE_TYPE",
    "ZONE_TYPE",
    "DeclaredFleet",
    "EquipmentArgs",
    "EquipmentResource",
    "FleetArgs",
    "FleetResource",
    "RegionArgs",
    "RegionResource",
    "RowArgs",
    "RowResource",
    "ServiceArgs",
    "ServiceResource",
    "SiteArgs",
    "SiteResource",
    "ZoneArgs",
    "ZoneResource",
    "component_inputs",
    "component_type",
    "declare_fleet",
    "derived_inputs",
    "fleet_from_config",
    "fleet_outputs",
    "overrides_from_config",
    "requirement_inputs",
    "service_inputs",
    "zone_inputs",
    "zone_resource_name",
]

OVERRIDE_KEYS = ("surges", "demandScale")
"""Stack config keys (namespace ``dctwin``) passed to :func:`twin.sources.apply_overrides`."""

ALIAS_DEPTHS = 4
"""Zone nesting depths (1 = a zone directly in its site) a zone or component keeps an
alias for: moving it between zones of these depths keeps its identity."""

_SITE_CHAIN = f"{FLEET_TYPE}${REGION_TYPE}${SITE_TYPE}"


# --------------------------------------------------------------------------- resources


def _child_options(parent: pulumi.Resource, aliases: list[str] | None = None) -> Any:
    return pulumi.ResourceOptions(parent=parent, aliases=list(aliases) if aliases else None)


def _depth_aliases(type_token: str, name: str, depth: int) -> list[str]:
    """The URNs ``name`` would have under a zone at each other depth up to :data:`ALIAS_DEPTHS`.

    A URN names the types of its parents, not their names, so the URN under any zone at
    depth ``d`` (zones above the resource) is fixed by ``d`` alone. Whole URN strings: the
    SDK resolves a :class:`pulumi.Alias` with a parent through several ``Output`` s.
    """
    prefix = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{_SITE_CHAIN}"
    return [
        f"{prefix}{f'${ZONE_TYPE}' * d}${type_token}::{name}"
        for d in range(0, ALIAS_DEPTHS + 1)
        # the current place; a component always sits in a zone
        if d != depth and (type_token == ZONE_TYPE or d > 0)
    ]


class _ModelResource(pulumi.ComponentResource):
    """A component resource whose one input, ``spec``, is a model object's inputs as JSON.

    ``inputs`` holds those inputs as a plain dict, ``spec`` is the ``Output[str]`` the SDK
    makes of the input (:mod:`twin.iac.spec`), ``model`` the model object. :meth:`finish`
    registers ``spec`` (and any extra outputs) as outputs once the children are declared.
    """

    model: Any
    inputs: dict[str, Any]
    spec: pulumi.Output[str]

    def __init__(
        self,
        type_token: str,
        name: str,
        inputs: Mapping[str, Any],
        model: Any,
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        props = spec_props(inputs)
        super().__init__(type_token, name, props, opts)
        self.model = model
        self.inputs = dict(inputs)
        self._props = props

    def finish(self, outputs: Mapping[str, Any] | None = None) -> None:
        """Register the outputs (``spec`` and ``outputs``): call after the children."""
        self.register_outputs({**self._props, **dict(outputs or {})})


@dataclass(frozen=True)
class EquipmentArgs:
    """What an :class:`EquipmentResource` declares: a model component in its site."""

    site: Site
    component: AnyComponent
    derived: Mapping[str, Any] | None = None
    """What the twin derived for it (rows: power cords; batteries: fire separation), an
    input under ``twin`` that the policy pack reads."""


class EquipmentResource(_ModelResource):
    """A model component (UPS, chiller, spine, rack row, ...), usually a child of its zone.

    Type ``dctwin:<module>:<Kind>``, named after the component (names are unique
    fleet-wide), with the inputs of :func:`component_inputs`.
    """

    def __init__(
        self, name: str, args: EquipmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        inputs = component_inputs(args.site, args.component)
        if args.derived:
            inputs[DERIVED_KEY] = dict(args.derived)
        super().__init__(component_type(args.component), name, inputs, args.component, opts)
        self.finish()


@dataclass(frozen=True)
class RowArgs:
    """What a :class:`RowResource` declares: a row of racks declared as components."""

    site: Site
    group: RowGroup
    derived: Mapping[str, Any] | None = None
    """What the twin derived for the row (the power cords its racks all have)."""


class RowResource(_ModelResource):
    """Racks declared as components (and their ToRs), as one ``dctwin:power:RackRow``
    named after their row: totals and every member's inputs (``row_inputs``), so a
    change to one rack previews as a diff on its row."""

    def __init__(self, name: str, args: RowArgs, opts: pulumi.ResourceOptions | None = None):
        inputs = row_inputs(args.site, args.group)
        if args.derived:
            inputs[DERIVED_KEY] = dict(args.derived)
        super().__init__(ROW_TYPE, name, inputs, args.group, opts)
        self.finish()


def _row_derived(
    group: RowGroup, derived: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The power cords every rack of ``group`` has (so the row policy checks the weakest)."""
    feeds: list[Any] | None = None
    for member in group.members:
        if member.kind != "rack_row":
            continue
        mine = list((derived.get(member.name) or {}).get("powerFeeds", []))
        feeds = mine if feeds is None else [f for f in feeds if f in mine]
    return {"powerFeeds": feeds} if feeds is not None else None


@dataclass(frozen=True)
class ZoneArgs:
    """What a :class:`ZoneResource` declares: a zone of a site."""

    site: Site
    zone: Zone


class ZoneResource(_ModelResource):
    """A zone (fire compartment), ``dctwin:site:Zone``, child of its enclosing zone or site.

    Named ``<site>/<zone>`` (:func:`zone_resource_name`). Its components and nested zones
    are declared by :class:`SiteResource`, which finishes the zone after them.
    """

    def __init__(self, name: str, args: ZoneArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(ZONE_TYPE, name, zone_inputs(args.site, args.zone), args.zone, opts)


@dataclass(frozen=True)
class SiteArgs:
    """What a :class:`SiteResource` declares: a site with its zones and components."""

    site: Site
    derived: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per component name: what the twin derived for it (see :func:`derived_inputs`)."""
    taken: frozenset[str] | None = None
    """Every component name of the fleet (none: the site's); see ``resource_units``."""


class SiteResource(_ModelResource):
    """A site (datacenter campus), ``dctwin:site:Site``: its zones, and in them its components.

    ``zones`` (by resource name), ``components`` (by name) and ``rows`` (rows of racks
    declared as components, by row name) hold the children.
    """

    def __init__(self, name: str, args: SiteArgs, opts: pulumi.ResourceOptions | None = None):
        site = args.site
        super().__init__(SITE_TYPE, name, site_inputs(site), site, opts)
        self.zones: dict[str, ZoneResource] = {}
        self.components: dict[str, EquipmentResource] = {}
        self.rows: dict[str, RowResource] = {}
        by_model_name: dict[str, ZoneResource] = {}
        for zone in _zones_outside_in(site):
            depth = len(site.zone_ancestors(zone.name)) - 1
            zone_name = zone_resource_name(site.name, zone.name)
            parent: pulumi.Resource = by_model_name.get(zone.parent or "", self)
            resource = ZoneResource(
                zone_name,
                ZoneArgs(site, zone),
                _child_options(parent, _depth_aliases(ZONE_TYPE, zone_name, depth)),
            )
            by_model_name[zone.name] = resource
            self.zones[zone_name] = resource
        taken = args.taken if args.taken is not None else {c.name for c in site.components}
        for component in resource_units(site, taken):
            if isinstance(component, RowGroup):
                depth = len(site.zone_ancestors(component.zone))
                self.rows[component.row] = RowResource(
                    component.row,
                    RowArgs(site, component, _row_derived(component, args.derived)),
                    _child_options(
                        by_model_name[component.zone],
                        _depth_aliases(ROW_TYPE, component.row, depth),
                    ),
                )
                continue
            depth = len(site.zone_ancestors(component.zone))
            token = component_type(component)
            self.components[component.name] = EquipmentResource(
                component.name,
                EquipmentArgs(site, component, args.derived.get(component.name)),
                _child_options(
                    by_model_name[component.zone],
                    _depth_aliases(token, component.name, depth),
                ),
            )
        for zone_resource in reversed(list(self.zones.values())):  # innermost first
            zone_resource.finish()
        rows = [c for c in site.components if c.kind == "rack_row"]
        self.finish(
            {
                "itLoadKw": sum(row.it_load_kw for row in rows),
                "racks": sum(row.racks for row in rows),
                "servers": sum(row.servers for row in rows),
            }
        )


@dataclass(frozen=True)
class RegionArgs:
    """What a :class:`RegionResource` declares: a region and the sites in it."""

    region: Region
    sites: list[Site]
    derived: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    taken: frozenset[str] | None = None


class RegionResource(_ModelResource):
    """A region, ``dctwin:site:Region``, with its sites as children."""

    def __init__(self, name: str, args: RegionArgs, opts: pulumi.ResourceOptions | None = None):
        inputs = model_inputs(args.region, exclude={"name"})
        super().__init__(REGION_TYPE, name, inputs, args.region, opts)
        self.sites: dict[str, SiteResource] = {}
        for site in args.sites:  # a loop, not a comprehension: one frame less per child
            self.sites[site.name] = SiteResource(
                site.name, SiteArgs(site, args.derived, args.taken), _child_options(self)
            )
        self.finish({"sites": [site.name for site in args.sites]})


@dataclass(frozen=True)
class ServiceArgs:
    """What a :class:`ServiceResource` declares: a service with its replicas as inputs."""

    service: Service


class ServiceResource(_ModelResource):
    """A service, ``dctwin:app:Service``, child of the fleet: its replicas span sites."""

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(SERVICE_TYPE, name, service_inputs(args.service), args.service, opts)
        self.finish()


@dataclass(frozen=True)
class FleetArgs:
    """What a :class:`FleetResource` declares: the whole fleet, and its headline outputs."""

    fleet: Fleet
    outputs: Mapping[str, Any] = field(default_factory=dict)


class FleetResource(_ModelResource):
    """The root resource, ``dctwin:fleet:Fleet``: regions (sites, zones, components) and
    services as children; its outputs are the stack's headline numbers."""

    def __init__(self, name: str, args: FleetArgs, opts: pulumi.ResourceOptions | None = None):
        fleet = args.fleet
        super().__init__(FLEET_TYPE, name, fleet_inputs(fleet), fleet, opts)
        sites_in: dict[str, list[Site]] = {}
        for site in fleet.sites:
            sites_in.setdefault(site.region, []).append(site)
        derived = derived_inputs(fleet)
        taken = frozenset(component_names(fleet))
        self.regions: dict[str, RegionResource] = {}
        for region in fleet.regions:  # a loop, not a comprehension: one frame less per child
            self.regions[region.name] = RegionResource(
                region.name,
                RegionArgs(region, sites_in.get(region.name, []), derived, taken),
                _child_options(self),
            )
        self.services = {
            service.name: ServiceResource(service.name, ServiceArgs(service), _child_options(self))
            for service in fleet.services
        }
        self.finish(args.outputs)


# --------------------------------------------------------------------------- declaring


def derived_inputs(fleet: Fleet) -> dict[str, dict[str, Any]]:
    """What the twin derives per component for the policy pack, under ``twin``: each rack
    row's power cords (``powerFeeds``) and each battery string's fire separation from the
    UPS modules it carries (``upsSeparation``), :mod:`twin.analysis.redundancy`."""
    out: dict[str, dict[str, Any]] = {}
    for row, feeds in row_feeds(fleet).items():
        out[row] = {"powerFeeds": [feed.to_inputs() for feed in feeds]}
    for battery, checks in battery_separation(fleet).items():
        out[battery] = {"upsSeparation": [check.to_inputs() for check in checks]}
    return out


@dataclass
class DeclaredFleet:
    """The resources declared for a fleet, by name, and the stack outputs.

    ``zones`` is keyed by resource name (``"<site>/<zone>"``, see
    :func:`zone_resource_name`), ``rows`` (rows of racks declared as components) by row
    name; every other mapping by the model name.
    """

    fleet: Fleet
    root: FleetResource
    regions: dict[str, RegionResource] = field(default_factory=dict)
    sites: dict[str, SiteResource] = field(default_factory=dict)
    zones: dict[str, ZoneResource] = field(default_factory=dict)
    components: dict[str, EquipmentResource] = field(default_factory=dict)
    rows: dict[str, RowResource] = field(default_factory=dict)
    services: dict[str, ServiceResource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    def resources(self) -> Iterator[pulumi.ComponentResource]:
        """Every declared resource, parents before children."""
        yield self.root
        yield from self.regions.values()
        yield from self.sites.values()
        yield from self.zones.values()
        yield from self.components.values()
        yield from self.rows.values()
        yield from self.services.values()

    def __len__(self) -> int:
        return (
            1
            + len(self.regions)
            + len(self.sites)
            + len(self.zones)
            + len(self.components)
            + len(self.rows)
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
    taken = component_names(fleet)
    units = sum(len(resource_units(site, taken)) for site in fleet.sites)
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
        + units
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


def declare_fleet(fleet: Fleet, opts: pulumi.ResourceOptions | None = None) -> DeclaredFleet:
    """Declare ``fleet`` as Pulumi component resources; return them by name.

    ``opts`` are the root resource's options (``protect``, ``transformations``,
    ``aliases``, a parent, ...); its children inherit what Pulumi lets them inherit.
    Must run inside a Pulumi program (``pulumi preview``/``up``, or under
    ``pulumi.runtime.set_mocks`` in tests). It declares resources only; exporting
    :attr:`DeclaredFleet.outputs` as stack outputs is the program's job.
    """
    outputs = {**fleet_outputs(fleet), **headline(fleet)}
    root = FleetResource(fleet.name, FleetArgs(fleet, outputs), opts)
    declared = DeclaredFleet(fleet=fleet, root=root, outputs=outputs)
    declared.regions.update(root.regions)
    for region in root.regions.values():
        for name, site_resource in region.sites.items():
            declared.sites[name] = site_resource
            declared.zones.update(site_resource.zones)
            declared.components.update(site_resource.components)
            declared.rows.update(site_resource.rows)
    declared.services.update(root.services)
    return declared


# --------------------------------------------------------------------------- config


def overrides_from_config(config: pulumi.Config) -> dict[str, Any]:
    """The model overrides set in stack config (``dctwin:surges``, ``dctwin:demandScale``).

    Both are typed ``string`` in ``Pulumi.yaml`` (a JSON object, a number); a value that
    does not parse stops the program with the key named.
    """
    overrides: dict[str, Any] = {}
    try:
        surges = config.get_object("surges")
    except pulumi.ConfigTypeError:
        raise pulumi.RunError(
            "dctwin: config.surges: must be a JSON object of surge name to multiplier, e.g. "
            "'{\"world_cup\": 12}'"
        ) from None
    if surges is not None:
        overrides["surges"] = surges
    try:
        scale = config.get_float("demandScale")
    except pulumi.ConfigTypeError:
        raise pulumi.RunError("dctwin: config.demandScale: must be a positive number") from None
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
