"""The typed datacenter model: fleet, regions, sites, zones, components, services.

The first layer of dctwin: what a fleet *is*, validated. Nothing here evaluates
anything; the analyses in :mod:`twin.analysis` read it.

=================  ============================================================
module             what it holds
=================  ============================================================
``types``          names, quantities with units, the strict frozen base model
``zones``          compartments (common-cause groups), suppression, shared space
``components``     the component kinds and their requirement groups (gates)
``fleet``          regions, sites, services and replicas, the :class:`Fleet`
``scenarios``      scenario definitions: timed events to inject
``checks``         cross-reference rules over a whole fleet
``documents``      JSON / YAML model documents and the JSON Schema
``catalog``        the standard scenarios generated for any fleet
=================  ============================================================

Every quantity carries its unit in its name (``capacity_kw``, ``energy_kwh``,
``start_delay_s``). Models forbid unknown fields, so a typo in an inventory is an
error instead of a silently ignored key, and are frozen once validated.
"""

from twin.model.components import (
    COMPONENT_TYPES,
    KIND_LABELS,
    KIND_MODULES,
    AnyComponent,
    AtsSwitch,
    BackboneLink,
    Battery,
    BorderRouter,
    Busway,
    CarrierLink,
    ChilledWaterLoop,
    Chiller,
    Component,
    ComponentBase,
    CoolingTower,
    Crah,
    Generator,
    Leaf,
    Pdu,
    Pump,
    RackRow,
    Requirement,
    Resource,
    Spine,
    StaticSwitch,
    Switchgear,
    ThermalStorage,
    Transformer,
    Ups,
    UtilityFeed,
)
from twin.model.fleet import Fleet, Region, Replica, Service, Site
from twin.model.types import SCHEMA_VERSION, Name
from twin.model.zones import SharedSpace, Suppression, Zone, ZoneKind

__all__ = [
    "COMPONENT_TYPES",
    "KIND_LABELS",
    "KIND_MODULES",
    "SCHEMA_VERSION",
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
    "Fleet",
    "Generator",
    "Leaf",
    "Name",
    "Pdu",
    "Pump",
    "RackRow",
    "Region",
    "Replica",
    "Requirement",
    "Resource",
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
    "ZoneKind",
]
