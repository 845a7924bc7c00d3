"""Reusable builders for datacenter definitions: power trains, cooling plants, networks.

A stack is a handful of calls to these patterns instead of a thousand hand-written
components. Each pattern adds zones-placed components to a :class:`SiteBuilder` and
wires their requirements as threshold gates (see :mod:`twin.model`).

The modelling rule every pattern follows: a requirement is a gate evaluated per
consumer, so **capacity is checked at aggregation points**, never per leaf consumer:

* power — each UPS block side (a hall, or the UPS-backed "support" loads) has an
  output bus (a :class:`~twin.model.Switchgear`) whose capacity gate over its UPS
  modules is the full block load; PDUs need their bus (count gate); a rack row needs
  at least one of its A and B PDUs (A/B cords). The generator paralleling bus gates
  the whole site load (IT through the UPS plus mechanical) over the generators, and
  each path's medium-voltage switchgear gates the whole site load over the utility
  feeds, so one feed sized for 100 % suffices.
* cooling — each chilled-water loop (a duplicated path) gates the whole plant heat
  over the chillers (plus thermal storage) and over its own pumps; every chiller
  gates the whole plant's heat rejection over the cooling towers. A data hall is one
  air volume: every consumer in the hall gates the *whole hall's* heat over the
  hall's CRAHs, which is the hall-level aggregate without inventing a virtual single
  point of failure.
* network — count gates (bandwidth is not gated): carriers → border routers →
  spines → leaf pairs → rows.

Power consumers are registered with :meth:`SiteBuilder.add_load` as they are created
(rows, leaves, CRAH fans, pumps, chillers...) and :func:`power_train`, called last,
sizes UPS modules, generators and feeds from the registered loads and attaches every
consumer's power requirement. Call order within a site is therefore: rows →
:func:`leaf_spine` → :func:`cooling_plant` → :func:`power_train`.

Every sizing constant here is an engineering assumption unless a stack overrides it
with a sourced value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from twin.model import (
    AtsSwitch,
    BackboneLink,
    Battery,
    BorderRouter,
    CarrierLink,
    ChilledWaterLoop,
    Chiller,
    Component,
    CoolingTower,
    Crah,
    Generator,
    Leaf,
    Pdu,
    Pump,
    RackRow,
    Replica,
    Requirement,
    Service,
    SharedSpace,
    Site,
    Spine,
    Suppression,
    Switchgear,
    ThermalStorage,
    Transformer,
    Ups,
    UtilityFeed,
    Zone,
    ZoneKind,
)

__all__ = [
    "SUPPORT",
    "CampusSpec",
    "CoolingHandles",
    "NetworkHandles",
    "PowerHandles",
    "PowerLoad",
    "Redundancy",
    "SiteBuilder",
    "backbone",
    "build_campus",
    "cooling_plant",
    "leaf_spine",
    "power_train",
    "rack_rows",
    "redundancy_layout",
    "replicate",
]

Redundancy = Literal["N", "N+1", "2N", "2(N+1)"]
Path = Literal["A", "B"]

SUPPORT = "support"
"""Block name of UPS-backed support loads: CRAH fans, chilled-water pumps, core network."""
MECH = "mech"
"""Block name of generator-backed (not UPS-backed) mechanical loads: chillers, towers."""


def redundancy_layout(redundancy: Redundancy) -> tuple[tuple[Path, ...], int]:
    """Distribution paths and spare units per path for a redundancy level.

    ``N`` → one path, no spare; ``N+1`` → one path, one spare; ``2N`` → paths A and B,
    each able to carry the full load alone; ``2(N+1)`` → A and B, each with a spare.
    """
    layouts: dict[Redundancy, tuple[tuple[Path, ...], int]] = {
        "N": (("A",), 0),
        "N+1": (("A",), 1),
        "2N": (("A", "B"), 0),
        "2(N+1)": (("A", "B"), 1),
    }
    return layouts[redundancy]


def _units(load: float, unit: float, spares: int) -> int:
    """Units of size ``unit`` needed to carry ``load``, plus ``spares``."""
    return max(1, math.ceil(load / unit - 1e-9)) + spares


def _round_up(value: float, step: float = 50.0) -> float:
    return step * math.ceil(value / step - 1e-9)


# --------------------------------------------------------------------------- builder


@dataclass
class PowerLoad:
    """A component that draws power, registered for :func:`power_train` to feed.

    ``block`` is a data-hall zone name (UPS-backed, fed through that hall's PDUs),
    :data:`SUPPORT` (UPS-backed support bus) or :data:`MECH` (generator-backed board).
    """

    component: str
    kw: float
    block: str


class SiteBuilder:
    """Accumulates the zones, components and power loads of one site.

    Names passed to :meth:`add_zone` and :meth:`n` are suffixes: the builder prefixes
    the site name, so component names are unique across a fleet of builders.
    """

    def __init__(self, name: str, region: str, description: str = "") -> None:
        self.name = name
        self.region = region
        self.description = description
        self.zones: dict[str, Zone] = {}
        self.components: dict[str, Component] = {}
        self.loads: list[PowerLoad] = []

    def n(self, *parts: object) -> str:
        """The fleet-unique kebab-case name ``<site>-<part>-<part>...``."""
        return "-".join([self.name, *(str(p) for p in parts)])

    def add_zone(
        self,
        suffix: str,
        kind: ZoneKind,
        parent: str | None = None,
        *,
        fire_rated_walls: bool = False,
        suppression: Suppression | None = None,
        shares_space_with: Sequence[SharedSpace] = (),
    ) -> str:
        """Add a zone named ``<site>-<suffix>``; ``parent`` is a full zone name."""
        name = self.n(suffix)
        if name in self.zones:
            raise ValueError(f"duplicate zone {name!r}")
        self.zones[name] = Zone(
            name=name,
            kind=kind,
            parent=parent,
            fire_rated_walls=fire_rated_walls,
            suppression=suppression,
            shares_space_with=list(shares_space_with),
        )
        return name

    def add(self, component: Component) -> str:
        """Add a component; returns its name."""
        if component.name in self.components:
            raise ValueError(f"duplicate component {component.name!r}")
        if component.zone not in self.zones:
            raise ValueError(f"{component.name!r}: unknown zone {component.zone!r}")
        self.components[component.name] = component
        return component.name

    def get(self, name: str) -> Component:
        return self.components[name]

    def require(self, name: str, requirement: Requirement) -> None:
        """Append a requirement group to an existing component."""
        self.components[name].requires.append(requirement)

    def add_load(self, component: str, kw: float, block: str) -> None:
        """Register ``component`` as drawing ``kw`` from ``block`` (see :class:`PowerLoad`).

        The draw is also recorded on the component itself (``electrical_kw``; rows
        carry theirs as ``it_load_kw``) so that timelines load UPSs and generators
        with it.
        """
        self.loads.append(PowerLoad(component, kw, block))
        target = self.components.get(component)
        if target is not None and target.kind != "rack_row":
            target.electrical_kw = round(kw, 3)

    def block_loads(self, block: str) -> list[PowerLoad]:
        return [load for load in self.loads if load.block == block]

    def site(self) -> Site:
        """The validated-per-field :class:`Site` (cross-checks run when the Fleet is built)."""
        return Site(
            name=self.name,
            region=self.region,
            description=self.description,
            zones=list(self.zones.values()),
            components=list(self.components.values()),
        )


def rack_rows(
    b: SiteBuilder,
    hall: str,
    tag: str,
    *,
    rows: int,
    racks_per_row: int,
    servers_per_rack: int,
    rack_kw: float,
) -> list[str]:
    """Add ``rows`` rack rows to data hall ``hall`` and register their IT load."""
    names = []
    for i in range(1, rows + 1):
        name = b.add(
            RackRow(
                name=b.n(tag, f"row{i:02d}"),
                zone=hall,
                racks=racks_per_row,
                servers=racks_per_row * servers_per_rack,
                it_load_kw=racks_per_row * rack_kw,
            )
        )
        b.add_load(name, racks_per_row * rack_kw, hall)
        names.append(name)
    return names


# --------------------------------------------------------------------------- network


@dataclass
class NetworkHandles:
    """What :func:`leaf_spine` built: names other patterns wire to."""

    carriers: list[str]
    border_routers: list[str]
    spines: list[str]
    leaf_pairs: dict[str, list[tuple[str, str]]]
    core: list[str]
    """Border routers and spines: UPS-backed support loads that need room cooling."""
    core_zones: list[str]


def leaf_spine(
    b: SiteBuilder,
    *,
    halls: Mapping[str, Sequence[str]],
    carriers: Sequence[tuple[str, Sequence[str]]],
    core_zones: Sequence[str],
    spines: int = 4,
    rows_per_leaf_pair: int = 5,
    carrier_gbps: float = 400.0,
    router_gbps: float = 3200.0,
    spine_gbps: float = 12800.0,
    leaf_gbps: float = 3200.0,
    leaf_kw: float = 5.0,
    core_kw: float = 10.0,
) -> NetworkHandles:
    """Carriers → border routers → spines → leaf pairs → rows.

    ``halls`` maps each data-hall zone to its rack rows; ``carriers`` lists
    ``(carrier, srlg ducts)`` — give each carrier its own duct for diverse paths.
    One border router per core zone (meet-me room); spines alternate over the core
    zones. Rows need ``at_least=1`` of their leaf pair; leaves need any spine;
    spines any border router; border routers any carrier. Leaves draw power in their
    hall (on the hall's first PDU pair); core gear is a :data:`SUPPORT` load.
    """
    carrier_names = []
    for i, (carrier, srlg) in enumerate(carriers, start=1):
        carrier_names.append(
            b.add(
                CarrierLink(
                    name=b.n("carrier", i),
                    zone=core_zones[(i - 1) % len(core_zones)],
                    carrier=carrier,
                    capacity_gbps=carrier_gbps,
                    srlg=list(srlg),
                )
            )
        )
    routers = []
    for i, zone in enumerate(core_zones, start=1):
        name = b.add(
            BorderRouter(
                name=b.n("border", i),
                zone=zone,
                capacity_gbps=router_gbps,
                requires=[Requirement(resource="network", suppliers=carrier_names, at_least=1)],
            )
        )
        b.add_load(name, core_kw, SUPPORT)
        routers.append(name)
    spine_names = []
    for i in range(1, spines + 1):
        name = b.add(
            Spine(
                name=b.n("spine", i),
                zone=core_zones[(i - 1) % len(core_zones)],
                capacity_gbps=spine_gbps,
                requires=[Requirement(resource="network", suppliers=routers, at_least=1)],
            )
        )
        b.add_load(name, core_kw, SUPPORT)
        spine_names.append(name)
    pairs: dict[str, list[tuple[str, str]]] = {}
    for hall, rows in halls.items():
        hall_tag = hall.removeprefix(b.name + "-")
        pairs[hall] = []
        for k in range(math.ceil(len(rows) / rows_per_leaf_pair)):
            pair = []
            for side in ("a", "b"):
                leaf = b.add(
                    Leaf(
                        name=b.n(hall_tag, f"leaf{k + 1:02d}{side}"),
                        zone=hall,
                        capacity_gbps=leaf_gbps,
                        requires=[
                            Requirement(resource="network", suppliers=spine_names, at_least=1)
                        ],
                    )
                )
                b.add_load(leaf, leaf_kw, hall)
                pair.append(leaf)
            leaf_a, leaf_b = pair
            pairs[hall].append((leaf_a, leaf_b))
            for row in rows[k * rows_per_leaf_pair : (k + 1) * rows_per_leaf_pair]:
                b.require(
                    row, Requirement(resource="network", suppliers=[leaf_a, leaf_b], at_least=1)
                )
    return NetworkHandles(
        carrier_names, routers, spine_names, pairs, [*routers, *spine_names], list(core_zones)
    )


def backbone(
    ends: Mapping[str, tuple[SiteBuilder, NetworkHandles]],
    links: Sequence[tuple[str, str, Sequence[str]]],
    *,
    capacity_gbps: float = 800.0,
) -> list[str]:
    """Inter-site backbone: one :class:`BackboneLink` at each end of every link.

    ``links`` lists ``(site_a, site_b, srlg)``: the ducts/routes the fibre runs in.
    Two links listing the same duct fail together in an SRLG cut. Each end sits in
    its site's first core zone and needs one of its site's border routers. Links
    between the same pair of sites are numbered.
    """
    names: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    for site_a, site_b, srlg in links:
        key = (site_a, site_b)
        seen[key] = seen.get(key, 0) + 1
        for here, there in ((site_a, site_b), (site_b, site_a)):
            b, net = ends[here]
            names.append(
                b.add(
                    BackboneLink(
                        name=b.n("backbone", there, seen[key]),
                        zone=net.core_zones[0],
                        capacity_gbps=capacity_gbps,
                        remote_site=there,
                        srlg=list(srlg),
                        requires=[
                            Requirement(
                                resource="network", suppliers=net.border_routers, at_least=1
                            )
                        ],
                    )
                )
            )
    return names


# --------------------------------------------------------------------------- cooling


@dataclass
class CoolingHandles:
    """What :func:`cooling_plant` built."""

    loops: list[str]
    chillers: list[str]
    towers: list[str]
    storage: list[str]
    crahs: dict[str, list[str]]
    heat_kw: float
    hall_heat_kw: dict[str, float]


def cooling_plant(
    b: SiteBuilder,
    *,
    redundancy: Redundancy,
    halls: Sequence[str],
    plant_zones: Sequence[str],
    tower_zone: str,
    storage_zone: str | None,
    extra_consumers: Sequence[str] = (),
    loops: int = 2,
    chiller_kw: float = 3500.0,
    tower_kw: float = 4500.0,
    pump_kw: float = 6500.0,
    crah_kw: float = 500.0,
    storage_minutes: float = 20.0,
    cop: float = 5.5,
    overhead: float = 0.06,
) -> CoolingHandles:
    """Chillers, towers, duplicated chilled-water loops, thermal storage, hall CRAHs.

    Heat of a hall = the registered power loads in it (rows, leaves); plant heat =
    Σ hall heat × (1 + ``overhead``) for UPS losses, fans and lighting (assumption).
    ``redundancy`` sets the spares of chillers, towers, pumps and CRAHs (N+1 → one
    spare of each); ``loops`` chilled-water paths each carry the whole plant heat and
    loop *i* with its pumps sits in ``plant_zones[i]``; chillers alternate over the
    plant zones.

    Gates: every chiller needs the whole plant's heat plus compressor work from the
    towers (one shared condenser-water system); each loop needs the plant heat from
    chillers + storage and the plant heat from its own pumps. Thermal
    storage is a requirement-free supplier in the chiller gate, sized for the whole
    plant heat: steady-state analyses never count on it (they fail it), and a
    timeline discharges it for ``storage_minutes`` when the chillers trip (generator
    start gap, chiller restart).
    CRAHs need any loop; every consumer in a hall (rows, leaves) needs the *whole
    hall's heat* from the hall's CRAHs (one air volume). ``extra_consumers``
    (UPS modules, core network) need any loop (room fan-coils, not modelled).

    Power: chillers and towers are generator-backed :data:`MECH` loads (chiller
    electrical = heat / ``cop``; towers 1.5 % of heat); pumps (1.5 %) and CRAH fans
    (3 %) are UPS-backed :data:`SUPPORT` loads, so cooling continues through the
    generator start gap. All fractions are assumptions.
    """
    _paths, spares = redundancy_layout(redundancy)
    hall_heat = {hall: sum(load.kw for load in b.block_loads(hall)) for hall in halls}
    heat = _round_up(sum(hall_heat.values()) * (1 + overhead))
    rejection = heat * (1 + 1 / cop)

    chillers = []
    n_chillers = _units(heat, chiller_kw, spares)
    for i in range(1, n_chillers + 1):
        name = b.add(
            Chiller(
                name=b.n("chiller", i),
                zone=plant_zones[(i - 1) % len(plant_zones)],
                cooling_kw=chiller_kw,
                electrical_kw=round(chiller_kw / cop, 1),
            )
        )
        b.add_load(name, heat / cop / n_chillers, MECH)
        chillers.append(name)
    towers = []
    n_towers = _units(rejection, tower_kw, spares)
    for i in range(1, n_towers + 1):
        name = b.add(CoolingTower(name=b.n("tower", i), zone=tower_zone, cooling_kw=tower_kw))
        b.add_load(name, 0.015 * heat / n_towers, MECH)
        towers.append(name)
    # The chillers share one condenser-water system: each needs the whole plant's
    # heat rejection from the towers (the plant-level aggregate, repeated per chiller).
    for chiller in chillers:
        b.require(chiller, Requirement(resource="cooling", suppliers=towers, capacity=rejection))
    storage = []
    if storage_zone is not None:
        storage.append(
            b.add(
                ThermalStorage(
                    name=b.n("thermal-storage"),
                    zone=storage_zone,
                    cooling_kw=heat,
                    minutes=storage_minutes,
                    description="Reserve chilled water: a transient source, never counted "
                    "on in steady state.",
                )
            )
        )
    loop_names = []
    n_pumps = _units(heat, pump_kw, spares)
    for k in range(loops):
        path = "ab"[k] if loops <= 2 else str(k + 1)
        zone = plant_zones[k % len(plant_zones)]
        pumps = []
        for i in range(1, n_pumps + 1):
            pump = b.add(Pump(name=b.n("chw-pump", f"{path}{i}"), zone=zone, cooling_kw=pump_kw))
            b.add_load(pump, 0.015 * heat / (n_pumps * loops), SUPPORT)
            pumps.append(pump)
        loop_names.append(
            b.add(
                ChilledWaterLoop(
                    name=b.n("chw-loop", path),
                    zone=zone,
                    cooling_kw=heat,
                    requires=[
                        Requirement(
                            resource="cooling", suppliers=[*chillers, *storage], capacity=heat
                        ),
                        Requirement(resource="cooling", suppliers=pumps, capacity=heat),
                    ],
                )
            )
        )
    crahs: dict[str, list[str]] = {}
    for hall in halls:
        hall_tag = hall.removeprefix(b.name + "-")
        crahs[hall] = []
        n_crah = _units(hall_heat[hall], crah_kw, spares)
        for i in range(1, n_crah + 1):
            crah = b.add(
                Crah(
                    name=b.n(hall_tag, f"crah{i:02d}"),
                    zone=hall,
                    cooling_kw=crah_kw,
                    requires=[Requirement(resource="cooling", suppliers=loop_names, at_least=1)],
                )
            )
            b.add_load(crah, 0.03 * hall_heat[hall] / n_crah, SUPPORT)
            crahs[hall].append(crah)
        for load in b.block_loads(hall):
            b.require(
                load.component,
                Requirement(resource="cooling", suppliers=crahs[hall], capacity=hall_heat[hall]),
            )
    for consumer in extra_consumers:
        b.require(consumer, Requirement(resource="cooling", suppliers=loop_names, at_least=1))
    return CoolingHandles(loop_names, chillers, towers, storage, crahs, heat, hall_heat)


# --------------------------------------------------------------------------- power


@dataclass
class PowerHandles:
    """What :func:`power_train` built."""

    feeds: list[str]
    generators: list[str]
    generator_buses: list[str]
    ups: dict[tuple[str, str], list[str]]
    """(block, path) → UPS modules."""
    ups_buses: dict[tuple[str, str], str]
    pdus: dict[str, dict[str, list[str]]]
    """hall → path → PDUs (index k of A pairs with index k of B)."""
    batteries: list[str]
    site_load_kw: float
    block_load_kw: dict[str, float] = field(default_factory=dict)


def power_train(
    b: SiteBuilder,
    *,
    redundancy: Redundancy,
    feeds: Sequence[tuple[str, str]],
    electrical_rooms: Mapping[Path, str],
    generator_zone: str,
    ups_room: Callable[[str, str], str],
    battery_room: Callable[[str, str], str],
    feed_kw: float | None = None,
    generators: int | None = None,
    generator_kw: float = 3000.0,
    generator_start_delay_s: float = 10.0,
    generator_fail_to_start_prob: float = 0.008,
    generator_fuel_hours: float = 24.0,
    module_kw: float = 1250.0,
    ups_efficiency: float = 0.96,
    ride_through_min: float = 7.0,
    strings_per_module: int = 2,
    battery_efficiency: float = 0.92,
    chemistry: Literal["li_ion", "vrla", "nicd"] = "li_ion",
    fire_unit: bool = False,
    rows_per_pdu: int = 5,
    ups_cooling: Sequence[str] = (),
) -> PowerHandles:
    """Utility feeds, generators, ATS, transformers, UPS blocks with batteries, PDUs.

    Call it after every consumer has registered its load. ``feeds`` lists
    ``(substation, zone)``; ``electrical_rooms`` maps each path (``"A"``/``"B"``)
    to the room of its MV switchgear, ATS, transformer and mechanical board;
    ``ups_room(block, path)`` / ``battery_room(block, path)`` give the zones of a
    UPS block side and its battery strings (a block is a data-hall zone or
    :data:`SUPPORT`).

    Per path: MV switchgear (gate: whole site load over the feeds) and generator
    paralleling bus (gate: whole site load over every generator) → ATS (any of the
    two) → transformer and mechanical board. Per block and
    path: UPS modules (ceil(load / ``module_kw``) + spares; each needs the path's
    transformer, and any of ``ups_cooling``) → UPS output bus (gate: the *full*
    block load over that side's modules — in 2N each side carries it alone) → PDUs
    (halls only; one per ``rows_per_pdu`` rows). Rows and leaves need one of their
    A/B PDU pair; support loads one of the support buses; mechanical loads one of the
    mechanical boards (dual-fed through their own transfer switch — assumption).
    Generator bus gate: whole site load = Σ UPS block load / efficiency + mechanical.
    Battery strings are sized for ``ride_through_min`` at full module load
    (energy = kW × t / efficiency) and do not gate the UPS in steady state.
    """
    paths, spares = redundancy_layout(redundancy)
    halls = [
        blk for blk in dict.fromkeys(load.block for load in b.loads) if blk not in (SUPPORT, MECH)
    ]
    blocks = [*halls, SUPPORT]
    block_kw = {blk: sum(load.kw for load in b.block_loads(blk)) for blk in blocks}
    mech_kw = sum(load.kw for load in b.block_loads(MECH))
    site_load = _round_up(sum(block_kw.values()) / ups_efficiency + mech_kw, 10.0)

    feed_capacity = feed_kw if feed_kw is not None else _round_up(site_load, 1000.0)
    feed_names = [
        b.add(
            UtilityFeed(
                name=b.n("utility", i),
                zone=zone,
                substation=substation,
                capacity_kw=feed_capacity,
            )
        )
        for i, (substation, zone) in enumerate(feeds, start=1)
    ]
    n_gen = (
        generators if generators is not None else _units(site_load, generator_kw, max(spares, 1))
    )
    if n_gen * generator_kw < site_load:
        raise ValueError(f"{b.name}: {n_gen} × {generator_kw} kW generators < {site_load} kW")
    gen_names = [
        b.add(
            Generator(
                name=b.n("gen", f"{i:02d}"),
                zone=generator_zone,
                capacity_kw=generator_kw,
                start_delay_s=generator_start_delay_s,
                fail_to_start_prob=generator_fail_to_start_prob,
                fuel_hours=generator_fuel_hours,
            )
        )
        for i in range(1, n_gen + 1)
    ]
    # One paralleling bus per path, each able to take every generator (dual-bus
    # paralleling switchgear — assumption), so either bus can be maintained.
    gen_buses = {
        path: b.add(
            Switchgear(
                name=b.n("gen-bus", path.lower()),
                zone=electrical_rooms[path],
                capacity_kw=n_gen * generator_kw,
                description="Generator paralleling bus; gates the whole site load.",
                requires=[Requirement(resource="power", suppliers=gen_names, capacity=site_load)],
            )
        )
        for path in paths
    }

    transformers: dict[str, str] = {}
    mech_boards: list[str] = []
    for path in paths:
        p = path.lower()
        room = electrical_rooms[path]
        mv = b.add(
            Switchgear(
                name=b.n("mv-swgr", p),
                zone=room,
                capacity_kw=feed_capacity,
                requires=[Requirement(resource="power", suppliers=feed_names, capacity=site_load)],
            )
        )
        ats = b.add(
            AtsSwitch(
                name=b.n("ats", p),
                zone=room,
                capacity_kw=feed_capacity,
                requires=[
                    Requirement(resource="power", suppliers=[mv, gen_buses[path]], at_least=1)
                ],
            )
        )
        ups_input = sum(block_kw.values()) / ups_efficiency
        transformers[path] = b.add(
            Transformer(
                name=b.n("tx", p),
                zone=room,
                capacity_kw=_round_up(ups_input * 1.1, 500.0),
                requires=[Requirement(resource="power", suppliers=[ats], at_least=1)],
            )
        )
        mech_boards.append(
            b.add(
                Switchgear(
                    name=b.n("mech-board", p),
                    zone=room,
                    capacity_kw=_round_up(mech_kw * 1.2 + 1, 500.0),
                    requires=[Requirement(resource="power", suppliers=[ats], at_least=1)],
                )
            )
        )

    ups: dict[tuple[str, str], list[str]] = {}
    buses: dict[tuple[str, str], str] = {}
    batteries: list[str] = []
    energy = module_kw * ride_through_min / 60 / battery_efficiency / strings_per_module
    for blk in blocks:
        tag = SUPPORT if blk == SUPPORT else blk.removeprefix(b.name + "-")
        load = block_kw[blk]
        n_mod = _units(load, module_kw, spares)
        for path in paths:
            p = path.lower()
            modules = []
            for m in range(1, n_mod + 1):
                strings = [
                    b.add(
                        Battery(
                            name=b.n("batt", tag, f"{p}{m}", s),
                            zone=battery_room(blk, path),
                            energy_kwh=round(energy, 1),
                            efficiency=battery_efficiency,
                            chemistry=chemistry,
                            fire_unit=fire_unit,
                        )
                    )
                    for s in range(1, strings_per_module + 1)
                ]
                batteries.extend(strings)
                reqs = [Requirement(resource="power", suppliers=[transformers[path]], at_least=1)]
                if ups_cooling:
                    reqs.append(
                        Requirement(resource="cooling", suppliers=list(ups_cooling), at_least=1)
                    )
                modules.append(
                    b.add(
                        Ups(
                            name=b.n("ups", tag, f"{p}{m}"),
                            zone=ups_room(blk, path),
                            capacity_kw=module_kw,
                            efficiency=ups_efficiency,
                            batteries=strings,
                            requires=reqs,
                        )
                    )
                )
            ups[(blk, path)] = modules
            buses[(blk, path)] = b.add(
                Switchgear(
                    name=b.n("ups-bus", tag, p),
                    zone=ups_room(blk, path),
                    capacity_kw=n_mod * module_kw,
                    description=f"UPS output bus, side {path}; gates the full block load.",
                    requires=[
                        Requirement(
                            resource="power", suppliers=modules, capacity=_round_up(load, 1.0)
                        )
                    ],
                )
            )

    pdus: dict[str, dict[str, list[str]]] = {}
    for hall in halls:
        tag = hall.removeprefix(b.name + "-")
        loads = b.block_loads(hall)
        rows = [ld for ld in loads if isinstance(b.get(ld.component), RackRow)]
        others = [ld for ld in loads if not isinstance(b.get(ld.component), RackRow)]
        groups = [rows[k : k + rows_per_pdu] for k in range(0, len(rows), rows_per_pdu)] or [[]]
        groups[0] = [*groups[0], *others]
        pdus[hall] = {path: [] for path in paths}
        for k, group in enumerate(groups, start=1):
            pair = []
            for path in paths:
                pdu = b.add(
                    Pdu(
                        name=b.n(tag, f"pdu{k:02d}{path.lower()}"),
                        zone=hall,
                        capacity_kw=_round_up(sum(ld.kw for ld in group) * 1.25),
                        path=path,
                        requires=[
                            Requirement(
                                resource="power", suppliers=[buses[(hall, path)]], at_least=1
                            )
                        ],
                    )
                )
                pdus[hall][path].append(pdu)
                pair.append(pdu)
            for ld in group:
                b.require(ld.component, Requirement(resource="power", suppliers=pair, at_least=1))
    support_buses = [buses[(SUPPORT, path)] for path in paths]
    for ld in b.block_loads(SUPPORT):
        b.require(ld.component, Requirement(resource="power", suppliers=support_buses, at_least=1))
    for ld in b.block_loads(MECH):
        b.require(ld.component, Requirement(resource="power", suppliers=mech_boards, at_least=1))
    return PowerHandles(
        feed_names,
        gen_names,
        list(gen_buses.values()),
        ups,
        buses,
        pdus,
        batteries,
        site_load,
        block_kw,
    )


# --------------------------------------------------------------------------- services


def replicate(
    name: str,
    *,
    placements: Sequence[tuple[str, Sequence[str]]],
    demand_rps: float,
    capacity_rps: float | Sequence[float] | None = None,
    tolerate: int = 1,
    roles: Sequence[Literal["active", "standby"]] | None = None,
    stores_data: bool = False,
    data_quorum: int | None = None,
    surges: Mapping[str, float] | None = None,
    mode: Literal["active_active", "active_standby"] = "active_active",
    depends_on: Sequence[str] = (),
    failover_controller: str | None = None,
    failover_time_s: float = 0.0,
    manual_recovery_s: float = 4 * 3600.0,
    description: str = "",
) -> Service:
    """A :class:`Service` with one replica per ``(site, rows)`` placement.

    Without ``capacity_rps`` each replica gets ``demand / (replicas − tolerate)``, so
    losing any ``tolerate`` replicas still serves the baseline demand.
    """
    n = len(placements)
    if capacity_rps is None:
        each = demand_rps / max(1, n - tolerate)
        capacities = [each] * n
    elif isinstance(capacity_rps, int | float):
        capacities = [float(capacity_rps)] * n
    else:
        capacities = list(capacity_rps)
    role_list: list[Literal["active", "standby"]] = (
        list(roles) if roles is not None else ["active"] * n
    )
    return Service(
        name=name,
        description=description,
        demand_rps=demand_rps,
        surges=dict(surges or {}),
        mode=mode,
        replicas=[
            Replica(
                site=site,
                rows=list(rows),
                capacity_rps=cap,
                role=role,
                stores_data=stores_data,
            )
            for (site, rows), cap, role in zip(placements, capacities, role_list, strict=True)
        ],
        failover_time_s=failover_time_s,
        failover_controller=failover_controller,
        manual_recovery_s=manual_recovery_s,
        data_quorum=data_quorum,
        depends_on=list(depends_on),
    )


# --------------------------------------------------------------------------- campus


@dataclass(frozen=True)
class CampusSpec:
    """A whole site: building, halls of rows, and the three patterns wired together.

    Fire-compartment layout: ``ups_layout="separate"`` gives every UPS block side its
    own fire-rated UPS room and its own fire-rated battery room (Ansan);
    ``"shared"`` puts every UPS module in one UPS room and every battery string in one
    battery room (``battery_room_suffix``) which, when ``battery_shared_medium`` is
    set, shares that space with the UPS room (heat reaches it after
    ``battery_spread_delay_s``; Pangyo).
    """

    name: str
    region: str
    description: str = ""
    halls: int = 2
    rows_per_hall: int = 10
    racks_per_row: int = 20
    servers_per_rack: int = 30
    rack_kw: float = 6.0
    power_redundancy: Redundancy = "2N"
    cooling_redundancy: Redundancy = "N+1"
    substations: tuple[str, ...] = ("substation-1", "substation-2")
    feed_kw: float | None = None
    generators: int | None = None
    generator_kw: float = 3000.0
    generator_fail_to_start_prob: float = 0.008
    generator_fuel_hours: float = 24.0
    module_kw: float = 1250.0
    ride_through_min: float = 7.0
    strings_per_module: int = 2
    chemistry: Literal["li_ion", "vrla", "nicd"] = "li_ion"
    battery_fire_unit: bool = False
    battery_suppression: Suppression | None = None
    ups_layout: Literal["separate", "shared"] = "separate"
    battery_room_suffix: str = "battery-room"
    battery_shared_medium: Literal["ceiling", "cable_tray", "raised_floor", "duct"] | None = None
    battery_spread_delay_s: float = 600.0
    building_suppression: Suppression | None = None
    rows_per_pdu: int = 5
    rows_per_leaf_pair: int = 5
    carriers: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("carrier-1", ("duct-north",)),
        ("carrier-2", ("duct-south",)),
    )
    spines: int = 4
    chiller_kw: float = 3500.0
    tower_kw: float = 4500.0
    pump_kw: float = 6500.0
    crah_kw: float = 500.0
    loops: int = 2
    storage_minutes: float | None = 20.0
    cool_ups_rooms: bool = True


@dataclass
class Campus:
    """A built campus: its builder (add more before ``.site()``) and the handles."""

    builder: SiteBuilder
    rows: dict[str, list[str]]
    network: NetworkHandles
    cooling: CoolingHandles
    power: PowerHandles

    def site(self) -> Site:
        return self.builder.site()

    @property
    def all_rows(self) -> list[str]:
        return [row for rows in self.rows.values() for row in rows]


def build_campus(spec: CampusSpec) -> Campus:
    """Build a campus from ``spec`` with the patterns in this module.

    Zones: campus ⊃ {substations, generator yard, cooling-tower roof, building ⊃
    {electrical rooms A/B, chiller plant rooms, data halls, meet-me rooms, UPS rooms,
    battery rooms, roof storage}}. Fire-rated walls on every room of the building.
    """
    b = SiteBuilder(spec.name, spec.region, spec.description)
    paths, _ = redundancy_layout(spec.power_redundancy)
    campus = b.add_zone("campus", "campus")
    substation_zones = [b.add_zone(sub, "substation", campus) for sub in spec.substations]
    gen_yard = b.add_zone("generator-yard", "generator_yard", campus, fire_rated_walls=True)
    building = b.add_zone("building", "building", campus, suppression=spec.building_suppression)
    roof = b.add_zone("roof", "roof", building)
    elec = {
        path: b.add_zone(
            f"electrical-room-{path.lower()}", "electrical_room", building, fire_rated_walls=True
        )
        for path in paths
    }
    plant_zones = [
        b.add_zone(
            f"chiller-plant-{'ab'[k] if spec.loops <= 2 else k + 1}",
            "chiller_plant",
            building,
            fire_rated_walls=True,
        )
        for k in range(spec.loops)
    ]
    mmrs = [
        b.add_zone(f"meet-me-room-{k}", "meet_me_room", building, fire_rated_walls=True)
        for k in (1, 2)
    ]
    halls = [
        b.add_zone(f"hall{h}", "data_hall", building, fire_rated_walls=True)
        for h in range(1, spec.halls + 1)
    ]

    ups_rooms: dict[tuple[str, str], str] = {}
    battery_rooms: dict[tuple[str, str], str] = {}
    if spec.ups_layout == "shared":
        ups = b.add_zone("ups-room", "ups_room", building, fire_rated_walls=True)
        shares = []
        if spec.battery_shared_medium is not None:
            shares.append(
                SharedSpace(
                    zone=ups,
                    medium=spec.battery_shared_medium,
                    spread_delay_s=spec.battery_spread_delay_s,
                )
            )
        batt = b.add_zone(
            spec.battery_room_suffix,
            "battery_room",
            building,
            fire_rated_walls=True,
            suppression=spec.battery_suppression,
            shares_space_with=shares,
        )
        for blk in [*halls, SUPPORT]:
            for path in paths:
                ups_rooms[(blk, path)] = ups
                battery_rooms[(blk, path)] = batt
    else:
        for blk in [*halls, SUPPORT]:
            tag = SUPPORT if blk == SUPPORT else blk.removeprefix(b.name + "-")
            for path in paths:
                p = path.lower()
                ups_rooms[(blk, path)] = b.add_zone(
                    f"ups-room-{tag}-{p}", "ups_room", building, fire_rated_walls=True
                )
                battery_rooms[(blk, path)] = b.add_zone(
                    f"battery-room-{tag}-{p}",
                    "battery_room",
                    building,
                    fire_rated_walls=True,
                    suppression=spec.battery_suppression,
                )

    rows = {
        hall: rack_rows(
            b,
            hall,
            hall.removeprefix(b.name + "-"),
            rows=spec.rows_per_hall,
            racks_per_row=spec.racks_per_row,
            servers_per_rack=spec.servers_per_rack,
            rack_kw=spec.rack_kw,
        )
        for hall in halls
    }
    network = leaf_spine(
        b,
        halls=rows,
        # SRLG names are fleet-wide strings: a site's own ducts carry its prefix.
        carriers=[(carrier, [b.n(d) for d in ducts]) for carrier, ducts in spec.carriers],
        core_zones=mmrs,
        spines=spec.spines,
        rows_per_leaf_pair=spec.rows_per_leaf_pair,
    )
    cooling = cooling_plant(
        b,
        redundancy=spec.cooling_redundancy,
        halls=halls,
        plant_zones=plant_zones,
        tower_zone=roof,
        storage_zone=roof if spec.storage_minutes else None,
        extra_consumers=network.core,
        loops=spec.loops,
        chiller_kw=spec.chiller_kw,
        tower_kw=spec.tower_kw,
        pump_kw=spec.pump_kw,
        crah_kw=spec.crah_kw,
        storage_minutes=spec.storage_minutes or 20.0,
    )
    power = power_train(
        b,
        redundancy=spec.power_redundancy,
        feeds=list(zip(spec.substations, substation_zones, strict=True)),
        electrical_rooms=elec,
        generator_zone=gen_yard,
        ups_room=lambda blk, path: ups_rooms[(blk, path)],
        battery_room=lambda blk, path: battery_rooms[(blk, path)],
        feed_kw=spec.feed_kw,
        generators=spec.generators,
        generator_kw=spec.generator_kw,
        generator_fail_to_start_prob=spec.generator_fail_to_start_prob,
        generator_fuel_hours=spec.generator_fuel_hours,
        module_kw=spec.module_kw,
        ride_through_min=spec.ride_through_min,
        strings_per_module=spec.strings_per_module,
        chemistry=spec.chemistry,
        fire_unit=spec.battery_fire_unit,
        rows_per_pdu=spec.rows_per_pdu,
        ups_cooling=cooling.loops if spec.cool_ups_rooms else (),
    )
    return Campus(b, rows, network, cooling, power)
