"""A tiny 2N site for the diff tests (copied into a temporary repository as stacks/mini.py).

Each constant below is what one commit of the tests changes.
"""

from __future__ import annotations

from twin.model import (
    Battery,
    Fleet,
    Pdu,
    RackRow,
    Region,
    Replica,
    Requirement,
    Service,
    Site,
    Switchgear,
    Ups,
    UtilityFeed,
    Zone,
)

SUBSTATIONS = ["substation-1", "substation-2"]
UPS_SYSTEMS = {"a": 2, "b": 2}  # UPS system → modules; system "ab" feeds both PDUs
MERGED_ROOMS = False
MODULE_KW = 50.0
ROW_KW = 50.0


def build() -> Fleet:
    zones = [Zone(name="building", kind="building")]
    zones += [Zone(name=f"yard-{k}", kind="substation") for k in range(1, len(SUBSTATIONS) + 1)]
    zones += [Zone(name=f"elec-{p}", kind="electrical_room", parent="building") for p in "ab"]
    zones.append(Zone(name="hall", kind="data_hall", parent="building", fire_rated_walls=True))
    if MERGED_ROOMS:
        zones.append(Zone(name="ups-battery-room", kind="ups_room", parent="building"))
    else:
        for p in "ab":
            zones.append(Zone(name=f"ups-room-{p}", kind="ups_room", parent="building"))
            zones.append(Zone(name=f"battery-room-{p}", kind="battery_room", parent="building"))
    feeds = [f"mini-utility-{k}" for k in range(1, len(SUBSTATIONS) + 1)]
    components: list = [
        UtilityFeed(name=name, zone=f"yard-{k}", substation=sub, capacity_kw=400)
        for k, (name, sub) in enumerate(zip(feeds, SUBSTATIONS, strict=True), start=1)
    ]
    for p in "ab":
        components.append(
            Switchgear(
                name=f"mini-swgr-{p}",
                zone=f"elec-{p}",
                capacity_kw=400,
                requires=[Requirement(resource="power", suppliers=feeds)],
            )
        )
    feeding: dict[str, list[str]] = {}
    for system, count in UPS_SYSTEMS.items():
        side = system[0]
        modules = [f"mini-ups-{system}-{i}" for i in range(1, count + 1)]
        for pdu_side in system:
            feeding[pdu_side] = modules
        for module in modules:
            components.append(
                Battery(
                    name=f"{module}-battery",
                    zone="ups-battery-room" if MERGED_ROOMS else f"battery-room-{side}",
                    energy_kwh=20,
                )
            )
            components.append(
                Ups(
                    name=module,
                    zone="ups-battery-room" if MERGED_ROOMS else f"ups-room-{side}",
                    capacity_kw=MODULE_KW,
                    batteries=[f"{module}-battery"],
                    requires=[Requirement(resource="power", suppliers=[f"mini-swgr-{side}"])],
                )
            )
    for p in "ab":
        components.append(
            Pdu(
                name=f"mini-pdu-{p}",
                zone="hall",
                capacity_kw=400,
                path=p.upper(),
                requires=[Requirement(resource="power", suppliers=feeding[p], capacity=2 * ROW_KW)],
            )
        )
    for r in (1, 2):
        components.append(
            RackRow(
                name=f"mini-row-{r}",
                zone="hall",
                racks=10,
                servers=200,
                it_load_kw=ROW_KW,
                requires=[Requirement(resource="power", suppliers=["mini-pdu-a", "mini-pdu-b"])],
            )
        )
    web = Service(
        name="web",
        demand_rps=1000,
        surges={"peak": 1.5},
        replicas=[
            Replica(site="mini", rows=["mini-row-1"], capacity_rps=1000),
            Replica(site="mini", rows=["mini-row-2"], capacity_rps=1000),
        ],
        needs_network=False,
    )
    return Fleet(
        name="mini",
        regions=[Region(name="lab")],
        sites=[Site(name="mini", region="lab", zones=zones, components=components)],
        services=[web],
    )
