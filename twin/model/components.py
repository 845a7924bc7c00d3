"""Components and their requirement groups (threshold gates).

A requirement group is a threshold gate: the summed weight of the live suppliers
must reach the threshold. In a count gate each supplier weighs 1 and the threshold
is ``at_least``; in a capacity gate each supplier weighs its rated capacity for the
resource and the threshold is ``capacity``. N, N+1, 2N, quorum and
capacity-limited redundancy are all this one rule.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import Field, model_validator

from twin.model.types import Fraction, Kilowatts, Name, Probability, Seconds, StrictModel

__all__ = [
    "COMPONENT_TYPES",
    "KIND_LABELS",
    "KIND_MODULES",
    "AnyComponent",
    "AtsSwitch",
    "BackboneLink",
    "Battery",
    "BorderRouter",
    "Busway",
    "CarrierLink",
    "ChilledWaterLoop",
    "Chiller",
    "Component",
    "ComponentBase",
    "CoolingTower",
    "Crah",
    "Generator",
    "Leaf",
    "Pdu",
    "Pump",
    "RackRow",
    "Requirement",
    "Resource",
    "Spine",
    "StaticSwitch",
    "Switchgear",
    "ThermalStorage",
    "Transformer",
    "Ups",
    "UtilityFeed",
]


Resource = Literal["power", "cooling", "network"]


class Requirement(StrictModel):
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


class ComponentBase(StrictModel):
    """Fields every component has. Subclasses add their kind's attributes.

    A kind declares its metadata once, as class keywords::

        class Ups(ComponentBase, module="power", type_name="Ups", provides="power"): ...

    ``module`` and ``type_name`` make its Pulumi type token (``dctwin:power:Ups``);
    ``provides`` is the resource it supplies to the components that require it (none
    for a battery or a rack row); ``label`` is its human name where the kind tag will
    not do (``UPS``, ``battery string``). The ``kind`` tag names it in documents.
    """

    module: ClassVar[str] = ""
    type_name: ClassVar[str] = ""
    provides: ClassVar[Resource | None] = None
    label: ClassVar[str] = ""

    def __init_subclass__(
        cls,
        *,
        module: str = "",
        type_name: str = "",
        provides: Resource | None = None,
        label: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if module:
            cls.module = module
            cls.type_name = type_name
            cls.provides = provides
            cls.label = label

    kind: str

    name: Name
    zone: Name = Field(description="Zone (fire compartment) the component sits in.")
    requires: list[Requirement] = Field(
        default_factory=list, description="Requirement groups; all must hold for it to run."
    )
    description: str = Field(default="", max_length=2000, description="Free text.")
    repair_s: Seconds | None = Field(
        default=None,
        description="Seconds to repair or replace it when it fails; none: its kind's time "
        "(fleet recovery.repair_s, then the reliability data's mean time to restore).",
    )
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


class UtilityFeed(ComponentBase, module="power", type_name="UtilityFeed", provides="power"):
    kind: Literal["utility_feed"] = "utility_feed"
    substation: str = Field(description="Substation the feed comes from.")
    capacity_kw: Kilowatts
    voltage_kv: float = Field(default=22.9, gt=0, description="Supply voltage, kV.")


class Transformer(ComponentBase, module="power", type_name="Transformer", provides="power"):
    kind: Literal["transformer"] = "transformer"
    capacity_kw: Kilowatts


class Switchgear(ComponentBase, module="power", type_name="Switchgear", provides="power"):
    kind: Literal["switchgear"] = "switchgear"
    capacity_kw: Kilowatts


class AtsSwitch(ComponentBase, module="power", type_name="Ats", provides="power", label="ATS"):
    """Automatic transfer switch: picks a live source among its suppliers."""

    kind: Literal["ats"] = "ats"
    capacity_kw: Kilowatts
    transfer_s: Seconds = Field(default=10.0, description="Transfer time.")


class StaticSwitch(ComponentBase, module="power", type_name="Sts", provides="power", label="STS"):
    """Static transfer switch: sub-cycle transfer between two UPS outputs."""

    kind: Literal["sts"] = "sts"
    capacity_kw: Kilowatts


class Generator(ComponentBase, module="power", type_name="Generator", provides="power"):
    kind: Literal["generator"] = "generator"
    capacity_kw: Kilowatts
    start_delay_s: Seconds = Field(default=10.0, description="Start and sync time.")
    fail_to_start_prob: Probability | None = Field(
        default=None,
        description="Probability of failing to start on demand, per start; none: the "
        "reliability data's figure.",
    )
    fuel_hours: float = Field(default=24.0, gt=0, description="Hours of fuel at rated load.")


class Ups(ComponentBase, module="power", type_name="Ups", provides="power", label="UPS"):
    kind: Literal["ups"] = "ups"
    capacity_kw: Kilowatts = Field(description="Module output capacity, kW.")
    efficiency: Fraction = Field(default=0.95, description="Conversion/distribution efficiency.")
    batteries: list[Name] = Field(
        default_factory=list, description="Battery strings that carry this UPS on input loss."
    )


class Battery(ComponentBase, module="power", type_name="Battery", label="battery string"):
    kind: Literal["battery"] = "battery"
    energy_kwh: float = Field(gt=0, description="Usable stored energy, kWh.")
    efficiency: Fraction = Field(default=0.9, description="Discharge efficiency.")
    chemistry: Literal["li_ion", "vrla", "nicd"] = "li_ion"
    fire_unit: bool = Field(
        default=False,
        description="Per-rack fire unit: detect, cut, suppress and water within minutes.",
    )


class Pdu(ComponentBase, module="power", type_name="Pdu", provides="power", label="PDU"):
    kind: Literal["pdu"] = "pdu"
    capacity_kw: Kilowatts
    path: Literal["A", "B", "C"] | None = Field(
        default=None, description="Distribution path this PDU belongs to."
    )


class Busway(ComponentBase, module="power", type_name="Busway", provides="power"):
    kind: Literal["busway"] = "busway"
    capacity_kw: Kilowatts
    path: Literal["A", "B", "C"] | None = None


class RackRow(ComponentBase, module="power", type_name="RackRow"):
    """A row of racks: the unit of IT load. Servers are counted, not declared."""

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


class Chiller(ComponentBase, module="cooling", type_name="Chiller", provides="cooling"):
    kind: Literal["chiller"] = "chiller"
    cooling_kw: Kilowatts


class CoolingTower(ComponentBase, module="cooling", type_name="CoolingTower", provides="cooling"):
    kind: Literal["cooling_tower"] = "cooling_tower"
    cooling_kw: Kilowatts


class Pump(ComponentBase, module="cooling", type_name="Pump", provides="cooling"):
    kind: Literal["pump"] = "pump"
    cooling_kw: Kilowatts = Field(description="Heat the pumped flow can carry, kW.")


class ChilledWaterLoop(
    ComponentBase,
    module="cooling",
    type_name="ChilledWaterLoop",
    provides="cooling",
    label="chilled-water loop",
):
    kind: Literal["chw_loop"] = "chw_loop"
    cooling_kw: Kilowatts


class ThermalStorage(
    ComponentBase, module="cooling", type_name="ThermalStorage", provides="cooling"
):
    kind: Literal["thermal_storage"] = "thermal_storage"
    cooling_kw: Kilowatts
    minutes: float = Field(gt=0, description="Minutes of ride-through at rated cooling.")


class Crah(ComponentBase, module="cooling", type_name="Crah", provides="cooling", label="CRAH"):
    kind: Literal["crah"] = "crah"
    cooling_kw: Kilowatts = Field(description="Heat removed, kW.")


class CarrierLink(ComponentBase, module="network", type_name="CarrierLink", provides="network"):
    kind: Literal["carrier_link"] = "carrier_link"
    carrier: str = Field(description="Telecom carrier.")
    capacity_gbps: float = Field(gt=0)
    srlg: list[Name] = Field(
        default_factory=list, description="Shared-risk link groups (ducts, routes) it runs in."
    )


class BorderRouter(ComponentBase, module="network", type_name="BorderRouter", provides="network"):
    kind: Literal["border_router"] = "border_router"
    capacity_gbps: float = Field(gt=0)


class Spine(ComponentBase, module="network", type_name="Spine", provides="network"):
    kind: Literal["spine"] = "spine"
    capacity_gbps: float = Field(gt=0)


class Leaf(ComponentBase, module="network", type_name="Leaf", provides="network"):
    kind: Literal["leaf"] = "leaf"
    capacity_gbps: float = Field(gt=0)


class BackboneLink(ComponentBase, module="network", type_name="BackboneLink", provides="network"):
    """Inter-site fibre. It sits in the zone where it leaves its site."""

    kind: Literal["backbone_link"] = "backbone_link"
    capacity_gbps: float = Field(gt=0)
    remote_site: Name = Field(description="Site at the far end.")
    srlg: list[Name] = Field(
        default_factory=list, description="Shared-risk link groups: ducts and routes it runs in."
    )


AnyComponent = (
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
    | BackboneLink
)
"""Any component kind (for type annotations)."""

Component = Annotated[AnyComponent, Field(discriminator="kind")]
"""A component in a document or model: the ``kind`` tag picks its class."""

COMPONENT_TYPES: dict[str, type[ComponentBase]] = {
    cls.model_fields["kind"].default: cls for cls in get_args(AnyComponent)
}
"""Component kind (the ``kind`` tag) → its model class."""

KIND_MODULES: dict[str, str] = {kind: cls.module for kind, cls in COMPONENT_TYPES.items()}
"""Component kind → Pulumi module (``power``, ``cooling``, ``network``)."""

KIND_LABELS: dict[str, str] = {
    kind: cls.label or kind.replace("_", " ") for kind, cls in COMPONENT_TYPES.items()
}
"""Component kind → human name, for labels and legends."""
