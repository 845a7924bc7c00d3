"""Tier verdicts on textbook mini-topologies (Uptime-style tiers I–IV)."""

from __future__ import annotations

from twin.analysis.tier import tier_verdict
from twin.model import (
    AtsSwitch,
    Battery,
    ChilledWaterLoop,
    Chiller,
    Crah,
    Fleet,
    Generator,
    Pdu,
    RackRow,
    Region,
    Requirement,
    Site,
    Switchgear,
    ThermalStorage,
    Ups,
    UtilityFeed,
    Zone,
)

LOAD = 400.0


def power(suppliers: list[str], capacity: float | None = None) -> Requirement:
    return Requirement(resource="power", suppliers=suppliers, capacity=capacity)


def cooling(suppliers: list[str], capacity: float | None = None) -> Requirement:
    return Requirement(resource="cooling", suppliers=suppliers, capacity=capacity)


def mini(
    *,
    spare: int,
    paths: int,
    separate_rooms: bool = True,
    continuous_cooling: bool = False,
) -> Fleet:
    """A one-row site: ``spare`` redundant capacity units, ``paths`` distribution paths.

    UPS modules come as N (= 1 module carrying the whole load) plus ``spare`` per
    path; generators, chillers and CRAHs as N plus ``spare`` (at least one spare on
    a two-path site). With two paths, each path has its own UPS
    group, bus and PDU (2N when ``spare`` is 0 per path); ``separate_rooms`` puts
    the A and B UPS groups and batteries in their own fire compartments.
    ``continuous_cooling`` powers the CRAHs from the UPS buses and adds thermal
    storage to ride through the chillers' restart on generator.
    """
    zones = [
        Zone(name="bldg", kind="building"),
        Zone(name="hall", kind="data_hall", parent="bldg"),
    ]
    sides = ["a", "b"][:paths]
    for side in sides:  # each path's generators, switchgear and chillers in their own rooms
        zones += [
            Zone(name=f"yard-{side}", kind="generator_yard", parent="bldg"),
            Zone(name=f"elec-{side}", kind="electrical_room", parent="bldg"),
            Zone(name=f"plant-{side}", kind="chiller_plant", parent="bldg"),
        ]
    for side in sides:
        room = f"ups-{side}" if separate_rooms else "ups-shared"
        battery_room = f"bat-{side}" if separate_rooms else "bat-shared"
        for name, kind in ((room, "ups_room"), (battery_room, "battery_room")):
            if all(z.name != name for z in zones):
                zones.append(Zone(name=name, kind=kind, parent="bldg", fire_rated_walls=True))
    n = 1 + spare  # UPS modules per path
    mech = 1 + max(spare, paths - 1)  # generators, chillers, CRAHs: 2N sites get N+1 plant
    comps: list = [
        UtilityFeed(name="feed", zone="bldg", substation="sub", capacity_kw=4 * LOAD),
    ]
    gens = [f"gen-{i}" for i in range(mech)]
    comps += [
        Generator(
            name=g, zone=f"yard-{sides[i % len(sides)]}", capacity_kw=2 * LOAD, start_delay_s=10
        )
        for i, g in enumerate(gens)
    ]
    pdus = []
    for side in sides:
        comps.append(
            AtsSwitch(
                name=f"ats-{side}",
                zone=f"elec-{side}",
                capacity_kw=4 * LOAD,
                requires=[power(["feed", *gens], capacity=2 * LOAD)],
            )
        )
        room = f"ups-{side}" if separate_rooms else "ups-shared"
        battery_room = f"bat-{side}" if separate_rooms else "bat-shared"
        modules = [f"ups-{side}{i}" for i in range(n)]
        for m in modules:
            comps.append(Battery(name=f"{m}-bat", zone=battery_room, energy_kwh=LOAD / 6))
            comps.append(
                Ups(
                    name=m,
                    zone=room,
                    capacity_kw=LOAD,
                    batteries=[f"{m}-bat"],
                    requires=[power([f"ats-{side}"])],
                )
            )
        comps.append(
            Switchgear(
                name=f"bus-{side}",
                zone=room,
                capacity_kw=2 * LOAD,
                requires=[power(modules, capacity=LOAD)],
            )
        )
        comps.append(
            Pdu(
                name=f"pdu-{side}",
                zone="hall",
                capacity_kw=LOAD,
                path=side.upper(),
                requires=[power([f"bus-{side}"])],
            )
        )
        pdus.append(f"pdu-{side}")
    chillers = [f"chiller-{i}" for i in range(mech)]

    def side_of(i: int, prefix: str) -> list[str]:
        return [f"{prefix}-{sides[i % len(sides)]}"]

    comps += [
        Chiller(
            name=c,
            zone=side_of(i, "plant")[0],
            cooling_kw=LOAD,
            requires=[power(side_of(i, "ats"))],
        )
        for i, c in enumerate(chillers)
    ]
    loop_suppliers = list(chillers)
    if continuous_cooling:
        comps.append(ThermalStorage(name="tes", zone="plant-a", cooling_kw=LOAD, minutes=15))
        loop_suppliers.append("tes")
    loops = [f"loop-{side}" for side in sides]  # one chilled-water path per power path
    comps += [
        ChilledWaterLoop(
            name=loop,
            zone=f"plant-{loop[-1]}",
            cooling_kw=2 * LOAD,
            requires=[cooling(loop_suppliers, capacity=LOAD)],
        )
        for loop in loops
    ]
    crah_power = "bus" if continuous_cooling else "ats"
    crahs = [f"crah-{i}" for i in range(mech)]
    comps += [
        Crah(
            name=c,
            zone="hall",
            cooling_kw=LOAD,
            requires=[power(side_of(i, crah_power)), cooling(loops)],
        )
        for i, c in enumerate(crahs)
    ]
    comps.append(
        RackRow(
            name="row-1",
            zone="hall",
            racks=40,
            servers=1200,
            it_load_kw=LOAD,
            requires=[power(pdus), cooling(crahs, capacity=LOAD)],
        )
    )
    site = Site(name="dc", region="r", zones=zones, components=comps)
    return Fleet(name="mini", regions=[Region(name="r")], sites=[site])


def verdict(fleet: Fleet):
    return tier_verdict(fleet).site("dc")


def test_n_single_path_is_tier_1():
    result = verdict(mini(spare=0, paths=1))
    assert result.tier == 1
    assert result.failed_requirement == "redundant capacity components (N+1)"
    assert result.broken_by == "gen-0"  # the first capacity component without a spare


def test_n_plus_1_single_path_is_tier_2():
    result = verdict(mini(spare=1, paths=1))
    assert result.tier == 2
    assert result.failed_requirement == "concurrent maintainability"
    assert result.broken_by in {"ats-a", "bus-a", "pdu-a", "loop-a"}


def test_n_plus_1_alternate_path_is_tier_3():
    result = verdict(mini(spare=1, paths=2, separate_rooms=True))
    assert result.tier == 3
    assert result.failed_requirement == "fault tolerance"


def test_2n_compartmentalised_with_continuous_cooling_is_tier_4():
    result = verdict(mini(spare=0, paths=2, separate_rooms=True, continuous_cooling=True))
    assert result.tier == 4, result.verdict
    assert result.failed_requirement is None


def test_2n_with_shared_ups_compartment_is_not_4_and_names_the_zone():
    result = verdict(mini(spare=0, paths=2, separate_rooms=False, continuous_cooling=True))
    assert result.tier < 4
    assert result.broken_by == "zone ups-shared"
    assert "ups-shared" in result.verdict


def test_2n_without_continuous_cooling_names_the_crah():
    result = verdict(mini(spare=0, paths=2, separate_rooms=True, continuous_cooling=False))
    assert result.tier == 3
    assert "continuous cooling" in (result.detail or "")
    assert result.broken_by.startswith(("crah", "row"))
