"""The typed datacenter model: fleet, regions, sites, zones, components, services.

Every quantity carries its unit in its name (``capacity_kw``, ``energy_kwh``,
``start_delay_s``). Models forbid unknown fields, so a typo in an inventory is an
error instead of a silently ignored key. Structural rules (types, ranges, unknown
kinds) are enforced by pydantic; rules that span the whole fleet (references,
duplicates, unsatisfiable requirements) are enforced by :mod:`twin.checks`, which
:class:`Fleet` runs after validation so that a fleet that exists is a valid fleet.

A requirement group is a threshold gate: the summed weight of the live suppliers
must reach the threshold. In a count gate each supplier weighs 1 and the threshold
is ``at_least``; in a capacity gate each supplier weighs its rated capacity for the
resource and the threshold is ``capacity``. N, N+1, 2N, quorum and
capacity-limited redundancy are all this one rule.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from twin.scenario_spec import NAME_PATTERN, ScenarioSpec

__all__ = [
    "COMPONENT_TYPES",
    "KIND_MODULES",
    "SCHEMA_VERSION",
    "AtsSwitch",
    "BackboneLink",
    "Battery",
    "BorderRouter",
    "Busway",
    "CarrierLink",
    "ChilledWaterLoop",
    "Chiller",
    "Component",
    "CoolingTower",
    "Crah",
    "Fleet",
    "Generator",
    "Leaf",
    "Pdu",
    "Pump",
    "RackRow",
    "Region",
    "Replica",
    "Requirement",
    "Service",
    "SharedSpace",
    "Site",
    "Spine",
    "StaticSwitch",
    "Suppression",
    "Switchgear",
    "ThermalStorage",
    "Transformer",
    "Ups",
    "UtilityFeed",
    "Zone",
]

SCHEMA_VERSION = "1"


def _no_urn_separator(value: str) -> str:
    if "::" in value:
        raise ValueError("a name cannot contain '::' (it separates the parts of a Pulumi URN)")
    return value


Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=NAME_PATTERN),
    AfterValidator(_no_urn_separator),
    Field(
        description="Identifier; unique within its collection. No control, bidi or "
        "zero-width characters, no '::'."
    ),
]
Kilowatts = Annotated[float, Field(gt=0, description="Power in kW.")]
Fraction = Annotated[float, Field(gt=0, le=1)]
Probability = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0, description="Duration in seconds.")]


class _Strict(BaseModel):
    # strict: a document's `racks: true` or `capacity_kw: "500"` is an error, not 1 or 500.0
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=False, strict=True)


# --------------------------------------------------------------------------- zones


ZoneKind = Literal[
    "campus",
    "building",
    "floor",
    "battery_room",
    "ups_room",
    "electrical_room",
    "generator_yard",
    "chiller_plant",
    "data_hall",
    "meet_me_room",
    "substation",
    "roof",
    "duct",
]


class Suppression(_Strict):
    """What happens after fire is detected in a zone.

    ``deenergize="building"`` with water suppression is the Pangyo sequence: the
    fire service cuts power to the enclosing building ``after_s`` after ignition.
    ``contains_spread`` marks suppression that stops the fire at its source (per-rack
    battery fire units at Ansan), so shared ceiling / cable space does not carry it.
    """

    agent: Literal["none", "gas", "water", "aerosol", "rack_unit"] = Field(
        description="Suppression agent used in the zone."
    )
    after_s: Seconds = Field(
        default=0.0, description="Seconds from ignition until suppression (and any cut) acts."
    )
    deenergize: Literal["none", "zone", "building"] = Field(
        default="none",
        description="What is de-energised when suppression acts: nothing, the zone, or the "
        "enclosing building.",
    )
    contains_spread: bool = Field(
        default=False,
        description="True when suppression stops the fire before it reaches shared spaces.",
    )


class SharedSpace(_Strict):
    """A ceiling, raised floor or cable tray shared with a neighbouring zone."""

    zone: Name = Field(description="The neighbouring zone sharing the space.")
    medium: Literal["ceiling", "cable_tray", "raised_floor", "duct"] = Field(
        default="ceiling", description="What is shared."
    )
    spread_delay_s: Seconds = Field(
        default=600.0, description="Seconds for heat or fire to reach the neighbour."
    )


class Zone(_Strict):
    """A physical compartment and a common-cause failure group."""

    name: Name
    kind: ZoneKind = Field(description="What the compartment is.")
    parent: Name | None = Field(
        default=None, description="Enclosing zone in the same site (room in building)."
    )
    fire_rated_walls: bool = Field(
        default=False, description="True when the zone's walls are a rated fire barrier."
    )
    suppression: Suppression | None = Field(default=None, description="Fire suppression.")
    shares_space_with: list[SharedSpace] = Field(
        default_factory=list, description="Spaces shared with neighbours that let heat spread."
    )


# --------------------------------------------------------------------------- requirements


Resource = Literal["power", "cooling", "network"]


class Requirement(_Strict):
    """A threshold gate over suppliers: what a component needs to keep running.

    A count gate (``at_least``) needs that many live suppliers; a capacity gate
    (``capacity``) needs the suppliers' summed rated capacity for ``resource`` to
    reach the given figure (kW for power and cooling, Gbit/s for network).
    """

    resource: Resource = Field(description="What is supplied.")
    suppliers: list[Name] = Field(min_length=1, description="Names of supplying components.")
    at_least: int | None = Field(
        default=None, ge=1, description="Count gate: live suppliers needed (default 1)."
    )
    capacity: float | None = Field(
        default=None,
        gt=0,
        description="Capacity gate: rated capacity needed, kW (power, cooling) or Gbit/s.",
    )

    @model_validator(mode="after")
    def _one_threshold(self) -> Requirement:
        if self.at_least is not None and self.capacity is not None:
            raise ValueError("give either at_least (count gate) or capacity, not both")
        return self

    @property
    def is_capacity_gate(self) -> bool:
        return self.capacity is not None

    @property
    def threshold(self) -> float:
        if self.capacity is not None:
            return self.capacity
        return float(self.at_least if self.at_least is not None else 1)


# --------------------------------------------------------------------------- components


class _ComponentBase(_Strict):
    """Fields every component has. Subclasses add their kind's attributes."""

    module: ClassVar[str]
    type_name: ClassVar[str]
    provides: ClassVar[Resource | None] = None

    name: Name
    zone: Name = Field(description="Zone (fire compartment) the component sits in.")
    requires: list[Requirement] = Field(
        default_factory=list, description="Requirement groups; all must hold for it to run."
    )
    description: str = Field(default="", max_length=2000, description="Free text.")
    electrical_kw: float = Field(
        default=0.0,
        ge=0,
        description="Electrical draw of the component itself, kW (fans, pumps, compressors, "
        "switches). Rack rows state their draw as it_load_kw instead.",
    )

    @property
    def power_draw_kw(self) -> float:
        """What the component draws from its power suppliers, kW."""
        return self.electrical_kw

    def capacity_for(self, resource: Resource) -> float | None:
        """Rated capacity this component supplies of ``resource``, or None."""
        if resource != self.provides:
            return None
        for field in ("capacity_kw", "cooling_kw", "capacity_gbps"):
            value = getattr(self, field, None)
            if value is not None:
                return float(value)
        return None


class UtilityFeed(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "UtilityFeed"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["utility_feed"] = "utility_feed"
    substation: str = Field(description="Substation the feed comes from.")
    capacity_kw: Kilowatts
    voltage_kv: float = Field(default=22.9, gt=0, description="Supply voltage, kV.")


class Transformer(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Transformer"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["transformer"] = "transformer"
    capacity_kw: Kilowatts


class Switchgear(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Switchgear"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["switchgear"] = "switchgear"
    capacity_kw: Kilowatts


class AtsSwitch(_ComponentBase):
    """Automatic transfer switch: picks a live source among its suppliers."""

    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Ats"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["ats"] = "ats"
    capacity_kw: Kilowatts
    transfer_s: Seconds = Field(default=10.0, description="Transfer time.")


class StaticSwitch(_ComponentBase):
    """Static transfer switch: sub-cycle transfer between two UPS outputs."""

    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Sts"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["sts"] = "sts"
    capacity_kw: Kilowatts


class Generator(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Generator"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["generator"] = "generator"
    capacity_kw: Kilowatts
    start_delay_s: Seconds = Field(default=10.0, description="Start and sync time.")
    fail_to_start_prob: Probability = Field(
        default=0.008, description="Probability of failing to start on demand, per start."
    )
    fuel_hours: float = Field(default=24.0, gt=0, description="Hours of fuel at rated load.")


class Ups(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Ups"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["ups"] = "ups"
    capacity_kw: Kilowatts = Field(description="Module output capacity, kW.")
    efficiency: Fraction = Field(default=0.95, description="Conversion/distribution efficiency.")
    batteries: list[Name] = Field(
        default_factory=list, description="Battery strings that carry this UPS on input loss."
    )


class Battery(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Battery"
    kind: Literal["battery"] = "battery"
    energy_kwh: float = Field(gt=0, description="Usable stored energy, kWh.")
    efficiency: Fraction = Field(default=0.9, description="Discharge efficiency.")
    chemistry: Literal["li_ion", "vrla", "nicd"] = "li_ion"
    fire_unit: bool = Field(
        default=False,
        description="Per-rack fire unit: detect, cut, suppress and water within minutes.",
    )


class Pdu(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Pdu"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["pdu"] = "pdu"
    capacity_kw: Kilowatts
    path: Literal["A", "B", "C"] | None = Field(
        default=None, description="Distribution path this PDU belongs to."
    )


class Busway(_ComponentBase):
    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "Busway"
    provides: ClassVar[Resource | None] = "power"
    kind: Literal["busway"] = "busway"
    capacity_kw: Kilowatts
    path: Literal["A", "B", "C"] | None = None


class RackRow(_ComponentBase):
    """A row of racks: the unit of IT load. Servers are counted, not declared."""

    module: ClassVar[str] = "power"
    type_name: ClassVar[str] = "RackRow"
    kind: Literal["rack_row"] = "rack_row"
    racks: int = Field(ge=1, description="Racks in the row.")
    servers: int = Field(ge=0, description="Servers in the row.")
    it_load_kw: Kilowatts = Field(description="IT load of the row, kW.")

    @model_validator(mode="after")
    def _one_draw(self) -> RackRow:
        if self.electrical_kw:
            raise ValueError("a rack row draws it_load_kw; leave electrical_kw at 0")
        return self

    @property
    def power_draw_kw(self) -> float:
        return self.it_load_kw


class Chiller(_ComponentBase):
    module: ClassVar[str] = "cooling"
    type_name: ClassVar[str] = "Chiller"
    provides: ClassVar[Resource | None] = "cooling"
    kind: Literal["chiller"] = "chiller"
    cooling_kw: Kilowatts


class CoolingTower(_ComponentBase):
    module: ClassVar[str] = "cooling"
    type_name: ClassVar[str] = "CoolingTower"
    provides: ClassVar[Resource | None] = "cooling"
    kind: Literal["cooling_tower"] = "cooling_tower"
    cooling_kw: Kilowatts


class Pump(_ComponentBase):
    module: ClassVar[str] = "cooling"
    type_name: ClassVar[str] = "Pump"
    provides: ClassVar[Resource | None] = "cooling"
    kind: Literal["pump"] = "pump"
    cooling_kw: Kilowatts = Field(description="Heat the pumped flow can carry, kW.")


class ChilledWaterLoop(_ComponentBase):
    module: ClassVar[str] = "cooling"
    type_name: ClassVar[str] = "ChilledWaterLoop"
    provides: ClassVar[Resource | None] = "cooling"
    kind: Literal["chw_loop"] = "chw_loop"
    cooling_kw: Kilowatts


class ThermalStorage(_ComponentBase):
    module: ClassVar[str] = "cooling"
    type_name: ClassVar[str] = "ThermalStorage"
    provides: ClassVar[Resource | None] = "cooling"
    kind: Literal["thermal_storage"] = "thermal_storage"
    cooling_kw: Kilowatts
    minutes: float = Field(gt=0, description="Minutes of ride-through at rated cooling.")


class Crah(_ComponentBase):
    module: ClassVar[str] = "cooling"
    type_name: ClassVar[str] = "Crah"
    provides: ClassVar[Resource | None] = "cooling"
    kind: Literal["crah"] = "crah"
    cooling_kw: Kilowatts = Field(description="Heat removed, kW.")


class CarrierLink(_ComponentBase):
    module: ClassVar[str] = "network"
    type_name: ClassVar[str] = "CarrierLink"
    provides: ClassVar[Resource | None] = "network"
    kind: Literal["carrier_link"] = "carrier_link"
    carrier: str = Field(description="Telecom carrier.")
    capacity_gbps: float = Field(gt=0)
    srlg: list[Name] = Field(
        default_factory=list, description="Shared-risk link groups (ducts, routes) it runs in."
    )


class BorderRouter(_ComponentBase):
    module: ClassVar[str] = "network"
    type_name: ClassVar[str] = "BorderRouter"
    provides: ClassVar[Resource | None] = "network"
    kind: Literal["border_router"] = "border_router"
    capacity_gbps: float = Field(gt=0)


class Spine(_ComponentBase):
    module: ClassVar[str] = "network"
    type_name: ClassVar[str] = "Spine"
    provides: ClassVar[Resource | None] = "network"
    kind: Literal["spine"] = "spine"
    capacity_gbps: float = Field(gt=0)


class Leaf(_ComponentBase):
    module: ClassVar[str] = "network"
    type_name: ClassVar[str] = "Leaf"
    provides: ClassVar[Resource | None] = "network"
    kind: Literal["leaf"] = "leaf"
    capacity_gbps: float = Field(gt=0)


class BackboneLink(_ComponentBase):
    """Inter-site fibre. It sits in the zone where it leaves its site."""

    module: ClassVar[str] = "network"
    type_name: ClassVar[str] = "BackboneLink"
    provides: ClassVar[Resource | None] = "network"
    kind: Literal["backbone_link"] = "backbone_link"
    capacity_gbps: float = Field(gt=0)
    remote_site: Name = Field(description="Site at the far end.")
    srlg: list[Name] = Field(
        default_factory=list, description="Shared-risk link groups: ducts and routes it runs in."
    )


Component = Annotated[
    UtilityFeed
    | Transformer
    | Switchgear
    | AtsSwitch
    | StaticSwitch
    | Generator
    | Ups
    | Battery
    | Pdu
    | Busway
    | RackRow
    | Chiller
    | CoolingTower
    | Pump
    | ChilledWaterLoop
    | ThermalStorage
    | Crah
    | CarrierLink
    | BorderRouter
    | Spine
    | Leaf
    | BackboneLink,
    Field(discriminator="kind"),
]

COMPONENT_TYPES: dict[str, type[_ComponentBase]] = {
    cls.model_fields["kind"].default: cls
    for cls in (
        UtilityFeed,
        Transformer,
        Switchgear,
        AtsSwitch,
        StaticSwitch,
        Generator,
        Ups,
        Battery,
        Pdu,
        Busway,
        RackRow,
        Chiller,
        CoolingTower,
        Pump,
        ChilledWaterLoop,
        ThermalStorage,
        Crah,
        CarrierLink,
        BorderRouter,
        Spine,
        Leaf,
        BackboneLink,
    )
}
"""Component kind (the ``kind`` tag) → its model class."""

KIND_MODULES: dict[str, str] = {kind: cls.module for kind, cls in COMPONENT_TYPES.items()}
"""Component kind → Pulumi module (``power``, ``cooling``, ``network``)."""


# --------------------------------------------------------------------------- sites


class Region(_Strict):
    name: Name
    description: str = Field(default="", max_length=2000)


class Site(_Strict):
    """A datacenter campus: zones (compartments) and the components placed in them."""

    name: Name
    region: Name = Field(description="Region the site is in.")
    description: str = Field(default="", max_length=2000)
    zones: list[Zone] = Field(min_length=1)
    components: list[Component] = Field(default_factory=list)

    def zone_named(self, name: str) -> Zone:
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(name)

    def zone_closure(self, name: str) -> set[str]:
        """The zone and every zone nested inside it, at any depth."""
        inside = {name}
        grew = True
        while grew:
            grew = False
            for zone in self.zones:
                if zone.parent in inside and zone.name not in inside:
                    inside.add(zone.name)
                    grew = True
        return inside

    def components_in(self, zone_name: str) -> list[Any]:
        """Components in the zone or in any zone nested inside it (declaration order)."""
        inside = self.zone_closure(zone_name)
        return [c for c in self.components if c.zone in inside]

    def zone_ancestors(self, name: str) -> list[str]:
        """The zone and its enclosing zones, innermost first."""
        by_name = {z.name: z for z in self.zones}
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in chain:
            chain.append(current)
            current = by_name[current].parent if current in by_name else None
        return chain


# --------------------------------------------------------------------------- services


class Replica(_Strict):
    """A service replica on rack rows at one site; capacity is spread evenly over its rows."""

    site: Name
    rows: list[Name] = Field(min_length=1, description="Rack rows the replica runs on.")
    capacity_rps: float = Field(gt=0, description="Requests/s the replica serves at full health.")
    role: Literal["active", "standby"] = "active"
    stores_data: bool = Field(default=False, description="True when it holds a data copy.")


class Service(_Strict):
    """A service: demand, surge multipliers, replicas and dependencies.

    Served fraction is min(1, live capacity / (demand × surge)), capped by the
    served fraction of every dependency (so zero when a dependency is down).
    Active-standby services move to standby replicas after ``failover_time_s`` only
    while their ``failover_controller`` service is up, otherwise after
    ``manual_recovery_s``.
    """

    name: Name
    description: str = Field(default="", max_length=2000)
    demand_rps: float = Field(gt=0, description="Baseline demand, requests/s.")
    surges: dict[Name, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Named demand multipliers (new_year: 3)."
    )
    mode: Literal["active_active", "active_standby"] = "active_active"
    replicas: list[Replica] = Field(min_length=1)
    failover_time_s: Seconds = Field(default=0.0, description="Automated failover time.")
    failover_controller: Name | None = Field(
        default=None, description="Service that performs the failover; none means manual."
    )
    manual_recovery_s: Seconds = Field(
        default=4 * 3600.0, description="Time to recover by hand when automation is absent."
    )
    data_quorum: int | None = Field(
        default=None, ge=1, description="Data-holding replicas that must be live to serve."
    )
    depends_on: list[Name] = Field(
        default_factory=list, description="Services this one cannot serve without."
    )


# --------------------------------------------------------------------------- fleet


class Fleet(_Strict):
    """The root: a named fleet of regions, sites and services.

    Building a Fleet runs every cross-reference check in :mod:`twin.checks`; an
    invalid fleet raises :class:`twin.errors.DefinitionError` listing each problem
    with its location.
    """

    schema_version: Literal["1"] = "1"
    name: Name
    description: str = Field(default="", max_length=4000)
    regions: list[Region] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    services: list[Service] = Field(default_factory=list)
    scenarios: list[ScenarioSpec] = Field(
        default_factory=list, description="Stack-specific named scenarios (beside the catalog)."
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Fleet:
        from twin.checks import check_fleet  # local: checks imports this module

        check_fleet(self)
        return self

    # Convenience accessors used by analyses and renderers.
    def components(self) -> list[tuple[Site, Any]]:
        """Every (site, component) pair in declaration order."""
        return [(site, comp) for site in self.sites for comp in site.components]

    def component_index(self) -> dict[str, tuple[Site, Any]]:
        return {comp.name: (site, comp) for site, comp in self.components()}
