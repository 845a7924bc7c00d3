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
    SharedSpace,
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
    shared_space: tuple[str, str] | None = None,
    common_switchgear: bool = False,
) -> Fleet:
    """A one-row site: ``spare`` redundant capacity units, ``paths`` distribution paths.

    UPS modules come as N (= 1 module carrying the whole load) plus ``spare`` per
    path; generators, chillers and CRAHs as N plus ``spare`` (at least one spare on
    a two-path site). With two paths, each path has its own UPS
    group, bus and PDU (2N when ``spare`` is 0 per path); ``separate_rooms`` puts
    the A and B UPS groups and batteries in their own fire compartments.
    ``continuous_cooling`` powers the CRAHs from the UPS buses and adds thermal
    storage to ride through the chillers' restart on generator. ``shared_space``
    makes two zones share ceiling space (heat spreads in 10 min); ``common_switchgear``
    runs both paths through one switchgear between the UPS buses and the PDUs.
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
    if shared_space is not None:
        a, b = shared_space
        zones = [
            z.model_copy(update={"shares_space_with": [SharedSpace(zone=b, spread_delay_s=600)]})
            if z.name == a
            else z
            for z in zones
        ]
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
                requires=[power(["swgr-common" if common_switchgear else f"bus-{side}"])],
            )
        )
        pdus.append(f"pdu-{side}")
    if common_switchgear:
        comps.append(
            Switchgear(
                name="swgr-common",
                zone="elec-a",
                capacity_kw=2 * LOAD,
                requires=[power([f"bus-{side}" for side in sides])],
            )
        )
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


def missed(result) -> list[str]:
    return [m.requirement for m in result.misses]


def test_n_single_path_is_tier_1_and_lists_every_miss():
    result = verdict(mini(spare=0, paths=1))
    assert result.tier == 1
    assert result.failed_requirement == "redundant capacity components (N+1)"
    assert result.broken_by == "gen-0"  # the first capacity component without a spare
    assert missed(result) == [
        "redundant capacity components (N+1)",
        "distribution paths",
        "concurrent maintainability",
        "compartmentalisation",
        "continuous cooling",
    ]
    for miss in result.misses:
        assert miss.requirement in result.verdict and miss.broken_by in result.verdict


def test_n_plus_1_single_path_is_tier_2():
    result = verdict(mini(spare=1, paths=1))
    assert result.tier == 2
    assert result.failed_requirement == "distribution paths"
    assert result.broken_by == "row-1"
    maintainability = result.misses[1]
    assert maintainability.requirement == "concurrent maintainability"
    assert {maintainability.broken_by, *maintainability.also_broken_by} >= {
        "ats-a",
        "bus-a",
        "pdu-a",
    }


def test_n_plus_1_alternate_path_is_tier_3():
    result = verdict(mini(spare=1, paths=2, separate_rooms=True))
    assert result.tier == 3
    assert missed(result) == ["continuous cooling"]


def test_2n_compartmentalised_with_continuous_cooling_is_tier_4():
    result = verdict(mini(spare=0, paths=2, separate_rooms=True, continuous_cooling=True))
    assert result.tier == 4, result.verdict
    assert result.failed_requirement is None
    assert all(result.checks.values())


def test_2n_with_shared_ups_compartment_is_not_4_and_names_the_zone():
    result = verdict(mini(spare=0, paths=2, separate_rooms=False, continuous_cooling=True))
    assert result.tier == 3
    assert missed(result) == ["compartmentalisation"]
    assert result.broken_by == "zone ups-shared"
    assert "ups-shared" in result.verdict


def test_shared_cable_space_between_complementary_paths_breaks_compartmentalisation():
    """Separate rooms are not enough when heat reaches the B path through shared space."""
    result = verdict(
        mini(
            spare=0,
            paths=2,
            separate_rooms=True,
            continuous_cooling=True,
            shared_space=("ups-a", "ups-b"),
        )
    )
    assert result.tier == 3
    assert missed(result) == ["compartmentalisation"]
    miss = result.misses[0]
    assert {miss.broken_by, *miss.also_broken_by} == {"zone ups-a", "zone ups-b"}
    assert "spreads to ups-" in miss.detail


def test_both_paths_through_one_switchgear_is_tier_2_and_names_it():
    result = verdict(
        mini(spare=0, paths=2, separate_rooms=True, continuous_cooling=True, common_switchgear=True)
    )
    assert result.tier == 2
    paths, maintainability = result.misses[0], result.misses[1]
    assert paths.requirement == "distribution paths" and "swgr-common" in paths.detail
    assert maintainability.requirement == "concurrent maintainability"
    assert maintainability.broken_by == "swgr-common"


def test_2n_without_continuous_cooling_names_the_crah():
    result = verdict(mini(spare=0, paths=2, separate_rooms=True, continuous_cooling=False))
    assert result.tier == 3
    assert missed(result) == ["continuous cooling"]
    assert "on loss of utility" in (result.detail or "")
    assert result.broken_by.startswith(("crah", "row"))


def test_reference_stacks_tell_pangyo_from_ansan():
    """Both miss Tier IV on the (assumed) shared generator yard, but only Pangyo loses
    rows to a battery-room fire, and only Pangyo lacks continuous cooling."""
    from twin.sources import build_stack

    pangyo = tier_verdict(build_stack("pangyo-2022")).site("pangyo")
    ansan = tier_verdict(build_stack("ansan")).site("ansan")
    assert pangyo.broken_by == "zone pangyo-b3-battery-room"
    assert missed(pangyo) == ["compartmentalisation", "continuous cooling"]
    assert missed(ansan) == ["compartmentalisation"]
    breakers = {ansan.misses[0].broken_by, *ansan.misses[0].also_broken_by}
    assert breakers == {"zone ansan-generator-yard"}
