"""A whole campus from one spec: zones, rows, network, cooling and power, in order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from stacks.patterns.base import (
    SUPPORT,
    Redundancy,
    SiteBuilder,
    rack_rows,
    racks_of_rows,
    redundancy_layout,
)
from stacks.patterns.cooling import CoolingHandles, cooling_plant
from stacks.patterns.network import NetworkHandles, leaf_spine
from stacks.patterns.power import PowerHandles, power_train
from twin.model import (
    SharedSpace,
    Site,
    Suppression,
)

__all__ = [
    "Campus",
    "CampusSpec",
    "build_campus",
]


@dataclass(frozen=True)
class CampusSpec:
    """A whole site: building, halls of rows, and the three patterns wired together.

    Fire-compartment layout: ``ups_layout="separate"`` gives every UPS block side its
    own fire-rated UPS room and its own fire-rated battery room (Ansan);
    ``"shared"`` puts every UPS module in one UPS room and every battery string in one
    battery room (``battery_room_suffix``) which, when ``battery_shared_medium`` is
    set, shares that space with the UPS room (heat reaches it after
    ``battery_spread_delay_s``; Pangyo).

    ``racks_as_components`` declares every rack as its own IT component (a one-rack
    :class:`~twin.model.RackRow` ``<row>-rackNN`` with its own top-of-rack switch
    ``<row>-rackNN-tor``) instead of whole rows: same A/B PDU pair and hall CRAHs as its
    row would have, network through its ToR to the row group's leaf pair. PDU and leaf
    grouping still count rows (``rows_per_pdu``, ``rows_per_leaf_pair``). With one ToR
    (``tors_per_rack=1``) each ToR is a single point of failure of its own rack; with
    two (``<rack>-tor-a``/``-b``, the rack needing either) racks are as redundant as rows.
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
    racks_as_components: bool = False
    tors_per_rack: Literal[1, 2] = 1


@dataclass
class Campus:
    """A built campus: its builder (add more before ``.site()``) and the handles.

    ``rows`` maps each hall to its rows. Where racks are components (``racks`` is not
    empty, row → its racks) a row is a grouping, not a component: place services with
    :meth:`units`, which turns rows into the IT components that carry them.
    """

    builder: SiteBuilder
    rows: dict[str, list[str]]
    network: NetworkHandles
    cooling: CoolingHandles
    power: PowerHandles
    racks: dict[str, list[str]] = field(default_factory=dict)

    def site(self) -> Site:
        return self.builder.site()

    @property
    def all_rows(self) -> list[str]:
        return [row for rows in self.rows.values() for row in rows]

    def units(self, rows: Iterable[str]) -> list[str]:
        """The IT components (rack rows, or racks) of ``rows``, in order."""
        return [unit for row in rows for unit in self.racks.get(row, [row])]


def build_campus(spec: CampusSpec) -> Campus:
    """Build a campus from ``spec`` with the patterns in this module.

    Zones: campus ⊃ {substations, generator yard, building ⊃ {electrical rooms A/B,
    chiller plant rooms, data halls, meet-me rooms, UPS rooms, battery rooms, the roof
    with the cooling towers and the reserve water}}. With duplicated cooling (``2N``)
    the roof is two areas, one per path's towers. Fire-rated walls on every room of
    the building.
    """
    b = SiteBuilder(spec.name, spec.region, spec.description)
    paths, _ = redundancy_layout(spec.power_redundancy)
    campus = b.add_zone("campus", "campus")
    substation_zones = [b.add_zone(sub, "substation", campus) for sub in spec.substations]
    gen_yard = b.add_zone("generator-yard", "generator_yard", campus, fire_rated_walls=True)
    building = b.add_zone("building", "building", campus, suppression=spec.building_suppression)
    cooling_paths, _ = redundancy_layout(spec.cooling_redundancy)
    roofs = (
        [b.add_zone("roof", "roof", building)]
        if len(cooling_paths) == 1
        else [b.add_zone(f"roof-{path.lower()}", "roof", building) for path in cooling_paths]
    )
    roof = roofs[0]
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

    rows: dict[str, list[str]] = {}
    racks: dict[str, list[str]] = {}
    for hall in halls:
        tag = hall.removeprefix(b.name + "-")
        if spec.racks_as_components:
            in_hall = racks_of_rows(
                b,
                hall,
                tag,
                rows=spec.rows_per_hall,
                racks_per_row=spec.racks_per_row,
                servers_per_rack=spec.servers_per_rack,
                rack_kw=spec.rack_kw,
            )
            rows[hall] = list(in_hall)
            racks.update(in_hall)
        else:
            rows[hall] = rack_rows(
                b,
                hall,
                tag,
                rows=spec.rows_per_hall,
                racks_per_row=spec.racks_per_row,
                servers_per_rack=spec.servers_per_rack,
                rack_kw=spec.rack_kw,
            )
    network = leaf_spine(
        b,
        halls=rows,
        # SRLG names are fleet-wide strings: a site's own ducts carry its prefix.
        carriers=[(carrier, [b.n(d) for d in ducts]) for carrier, ducts in spec.carriers],
        core_zones=mmrs,
        spines=spec.spines,
        rows_per_leaf_pair=spec.rows_per_leaf_pair,
        racks=racks if spec.racks_as_components else None,
        tors_per_rack=spec.tors_per_rack,
    )
    cooling = cooling_plant(
        b,
        redundancy=spec.cooling_redundancy,
        halls=halls,
        plant_zones=plant_zones,
        tower_zone=roofs,
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
    return Campus(b, rows, network, cooling, power, racks)
