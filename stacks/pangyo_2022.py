"""SK C&C Pangyo as it was on 15 Oct 2022, with Kakao's services as they were placed.

Facts, from Kakao's post-mortem of the outage (summarised in ``DESIGN.md``): on
15 Oct 2022 a lithium-ion UPS battery rack caught fire in the B3 battery room; UPS
units sharing a ceiling/cable space with the battery room failed from the heat; gas
suppression could not stop a lithium fire, so firefighters cut power to the whole
building at about 16:52 (the fire started at about 15:19); about 32,000 Kakao
servers went down; full normalisation took 127 h 33 min. Data was already in three
or more data centers, but the failover automation, the operations/deploy tools,
internal login, cache and object storage lived only in Pangyo, and the surviving
sites lacked spare capacity for a whole DC's load.

The twin must reproduce that outage from this definition. Layout choices not in the
public record are marked as assumptions.
"""

from __future__ import annotations

from typing import Literal

from stacks.ansan import KOREAN_GRID, SERVICE_DEMANDS, SURGES
from stacks.patterns import Campus, CampusSpec, build_campus, replicate
from stacks.patterns.services import Role
from twin.model import Fleet, Region, Service, Suppression
from twin.model.recovery import Recovery, ReenergizePhase

__all__ = ["FIRE_TO_POWER_CUT_S", "MANUAL_RECOVERY_S", "build", "pangyo_campus"]

# source: fire at ~15:19, whole-building power cut at ~16:52 on 15 Oct 2022
# (Kakao post-mortem, DESIGN.md) → 93 minutes.
FIRE_TO_POWER_CUT_S = 93 * 60.0

# assumption: without the failover controller (itself only in Pangyo) moving
# messaging to the standby sites takes engineers about 6 hours by hand.
MANUAL_RECOVERY_S = 6 * 3600.0

# source: full normalisation took 127 h 33 min (Kakao post-mortem, DESIGN.md); kept
# for reports that compare the simulated recovery with the real one.
FULL_NORMALISATION_S = (127 * 60 + 33) * 60.0

# --------------------------------------------------------------------------- recovery inputs
# The staged recovery is not declared: it follows from these inputs through the twin.

# source: the fire was put out about eight hours after it started (DESIGN.md).
FIRE_BURN_S = 8 * 3600.0

# The building comes back in phases once no fire burns in it (safety checks first).
REENERGIZE = [
    # assumption: eight hours of safety checks, then the first feeders (40 % of the
    # building's equipment, suppliers first: switchgear and UPS before rows).
    ReenergizePhase(after_s=8 * 3600.0, fraction=0.4),
    # source: ~95 % of the data center's power was back by 06:00 on 17 Oct, about 39 h
    # after the fire started (DESIGN.md) → ~30.5 h after it was out.
    ReenergizePhase(after_s=30.5 * 3600.0, fraction=0.95),
    # assumption: the last feeders, around the burnt rooms, with the repairs ~100 h after
    # the fire was out (full normalisation took 127.5 h in all).
    ReenergizePhase(after_s=100 * 3600.0, fraction=1.0),
]

# source: 12,000 of the 32,000 servers were back about a day in (DESIGN.md); power
# started returning ~16 h in (the phase above) → about 1,000 servers booted an hour
# gets 12,000 back by ~28 h.
RESTART_SERVERS_PER_H = 1000.0

# assumption: the burnt UPS room was bypassed with temporary switchgear about four hours
# after the fire was out (power came back to servers in phases, not after new UPSs).
BYPASS_S = 4 * 3600.0

# assumption: new lithium-ion battery racks for the burnt B3 room were procured and
# installed about 110 h after the fire was out; the design is whole again only then
# (full normalisation took 127 h 33 min: source, DESIGN.md).
BATTERY_REPLACEMENT_S = 110 * 3600.0

# assumption: engineers rebuilt internal login (auth) and cache at the other data centers
# in about nine hours; text messaging came back 10–11 h after the fire (source: Kakao's
# post-mortem, DESIGN.md) "by moving traffic and rebuilding the Pangyo-only pieces".
REBUILD_S = 9 * 3600.0

# assumption: spare capacity at the two other data centers for a rebuilt service, as a
# share of its demand: the surviving sites lacked spare capacity for a whole DC's load
# (source: Kakao post-mortem, DESIGN.md).
REBUILD_SHARE = 0.3

PANGYO_SPEC = CampusSpec(
    name="pangyo",
    region="capital",  # assumption: region label for Seongnam / the capital area
    description="SK C&C Pangyo data center as of the 15 Oct 2022 fire (Kakao's share).",
    # source: ~32,000 Kakao servers went down (Kakao post-mortem, DESIGN.md) →
    # 4 halls × 20 rows × 20 racks × 20 servers = 32,000 (the split is an assumption).
    halls=4,
    rows_per_hall=20,
    racks_per_row=20,
    servers_per_rack=20,
    rack_kw=6.0,  # assumption
    power_redundancy="2N",  # assumption: A/B UPS, but both in one UPS room (below)
    cooling_redundancy="N+1",  # assumption
    substations=("substation-1", "substation-2"),  # assumption: two utility feeds
    module_kw=1000.0,  # assumption
    ride_through_min=10.0,  # assumption
    chemistry="li_ion",  # source: lithium-ion UPS batteries (Kakao post-mortem)
    battery_fire_unit=False,  # source: no per-rack fire units; the rack fire spread
    # source: the B3 battery room's fire could not be put out by gas; firefighters used
    # water and cut the whole building's power ~93 min after ignition (DESIGN.md).
    battery_suppression=Suppression(
        agent="water",
        after_s=FIRE_TO_POWER_CUT_S,
        deenergize="building",
        contains_spread=False,
        extinguished_after_s=FIRE_BURN_S,
        reenergize=REENERGIZE,
    ),
    ups_layout="shared",  # source: UPS units shared a ceiling/cable space with the batteries
    battery_room_suffix="b3-battery-room",  # source: the fire was in the B3 battery room
    battery_shared_medium="ceiling",  # source: shared ceiling/cable space (DESIGN.md)
    battery_spread_delay_s=600.0,  # assumption: heat reached the UPS units in ~10 min
    # assumption: the building's own gas system; the cut is declared on the battery room
    building_suppression=Suppression(agent="gas", after_s=60.0),
    carriers=(("carrier-1", ("duct-1",)), ("carrier-2", ("duct-2",))),  # assumption
    spines=4,  # assumption
    storage_minutes=None,  # assumption: no thermal storage
)


def _small_site(name: str, region: str) -> CampusSpec:
    """A small secondary DC holding messaging data replicas (all values assumptions)."""
    return CampusSpec(
        name=name,
        region=region,
        description="Secondary data center holding messaging data replicas (assumption).",
        halls=1,
        rows_per_hall=6,
        racks_per_row=10,
        servers_per_rack=20,
        rack_kw=6.0,
        power_redundancy="2N",
        cooling_redundancy="N+1",
        generator_kw=1000.0,
        module_kw=500.0,
        chiller_kw=500.0,
        tower_kw=600.0,
        pump_kw=1000.0,
        crah_kw=100.0,
        spines=2,
        rows_per_pdu=3,
        rows_per_leaf_pair=3,
        storage_minutes=None,
    )


def pangyo_campus() -> Campus:
    """The Pangyo site: one building, B3 battery room sharing space with the UPS room."""
    return build_campus(PANGYO_SPEC)


def _services(pangyo: Campus, standby: list[Campus]) -> list[Service]:
    """Kakao's placement in 2022: everything but message data only at Pangyo."""
    rows = pangyo.rows
    halls = list(rows.values())

    def at_pangyo(lo: int, hi: int) -> list[tuple[str, list[str]]]:
        # one replica spanning the same row slice of every hall
        return [("pangyo", [r for hall in halls for r in hall[lo:hi]])]

    def sized(name: str) -> float:
        return SERVICE_DEMANDS[name] * SURGES["new_year"]  # assumption: New Year headroom

    messaging_demand = SERVICE_DEMANDS["messaging"]
    standby_rps = 0.125 * messaging_demand  # assumption: each standby site ~12.5 % (25 % total)
    standby_roles: list[Literal["active", "standby"]] = ["standby"] * len(standby)
    messaging = replicate(
        "messaging",
        description="Active at Pangyo; data replicated to the standby sites.",
        mode="active_standby",
        placements=[
            *at_pangyo(0, 10),
            *[(c.builder.name, c.all_rows) for c in standby],
        ],
        roles=["active", *standby_roles],
        demand_rps=messaging_demand,
        capacity_rps=[sized("messaging"), *[standby_rps] * len(standby)],
        surges=SURGES,
        # source: data was already in three or more data centers (Kakao post-mortem)
        stores_data=True,
        replication="asynchronous",
        replication_lag_s=1.0,  # assumption: about a second of replication lag
        # source: text messaging came back hours before photo and video transfer (object
        # storage), so text does not depend on object storage (DESIGN.md)
        depends_on=["auth", "cache"],
        failover_controller="failover-controller",
        failover_time_s=300.0,  # assumption: automated failover in ~5 min
        manual_recovery_s=MANUAL_RECOVERY_S,
    )

    # source: failover automation, ops/deploy tools, internal login, cache and object
    # storage lived only in Pangyo (Kakao post-mortem).
    def rebuilt_elsewhere(name: str, lo: int, hi: int) -> Service:
        """Only at Pangyo, with spare capacity at the other sites to rebuild it on."""
        spare = REBUILD_SHARE * SERVICE_DEMANDS[name] / len(standby)
        rebuild_roles: list[Role] = ["rebuild"] * len(standby)
        return replicate(
            name,
            placements=[*at_pangyo(lo, hi), *[(c.builder.name, c.all_rows) for c in standby]],
            roles=["active", *rebuild_roles],
            demand_rps=SERVICE_DEMANDS[name],
            capacity_rps=[sized(name), *[spare] * len(standby)],
            surges=SURGES,
            rebuild_after_s=REBUILD_S,
        )

    only_here = [
        rebuilt_elsewhere("auth", 10, 12),
        rebuilt_elsewhere("cache", 12, 15),
        replicate(
            "object-storage",
            placements=at_pangyo(15, 18),
            demand_rps=SERVICE_DEMANDS["object-storage"],
            capacity_rps=sized("object-storage"),
            surges=SURGES,
            stores_data=True,
        ),
        replicate(
            "ops-tooling",
            placements=at_pangyo(18, 19),
            demand_rps=SERVICE_DEMANDS["ops-tooling"],
            capacity_rps=sized("ops-tooling"),
            depends_on=["auth"],
        ),
        replicate(
            "failover-controller",
            placements=at_pangyo(19, 20),
            demand_rps=SERVICE_DEMANDS["failover-controller"],
            capacity_rps=sized("failover-controller"),
            depends_on=["ops-tooling"],
        ),
    ]
    return [messaging, *only_here]


def build() -> Fleet:
    """The ``pangyo-2022`` stack: Pangyo plus two small data-replica sites."""
    pangyo = pangyo_campus()
    standby = [
        build_campus(_small_site("dc2", "capital")),  # assumption: a leased Seoul-area DC
        build_campus(_small_site("dc3", "central")),  # assumption: a DC outside the capital
    ]
    return Fleet(
        name="pangyo-2022",
        description="As-was Pangyo design of the Oct 2022 fire, with Kakao's 2022 placement.",
        regions=[
            Region(name="capital", description="Seoul capital area."),
            Region(name="central", description="Outside the capital area (assumption)."),
        ],
        sites=[
            pangyo.site().model_copy(update={"restart_servers_per_h": RESTART_SERVERS_PER_H}),
            *(c.site() for c in standby),
        ],
        services=_services(pangyo, standby),
        recovery=Recovery(
            fire_burn_s=FIRE_BURN_S,
            repair_s={
                "ups": BYPASS_S,
                "switchgear": BYPASS_S,
                "battery": BATTERY_REPLACEMENT_S,
            },
        ),
        reliability=KOREAN_GRID,
    )
