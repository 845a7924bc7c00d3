"""Kakao Data Center Ansan: the post-Pangyo design, one region, one site.

Facts (each cited where used) come from Kakao's public description of the Ansan data
center, as summarised in ``DESIGN.md``: ~4,000 racks, ~120,000 servers, 40 MW; main
feed from one substation and backup feed from a second, each 100 %; 12 × 3 MW diesel
generators; A/B distribution to every server row; UPS room and battery room separated
by fire walls; per-rack battery fire units (detect → cut → suppress → water within
4 min, no spread); duplicated chilled-water paths with rooftop reserve water;
duplicated carrier paths. Everything else is an assumption and marked as such.

:func:`ansan_campus` builds the site alone so :mod:`stacks.fleet` can reuse it;
:func:`build` adds the KakaoTalk-like services, active-active across the four halls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stacks.patterns import Campus, CampusSpec, build_campus, replicate
from twin.model import Fleet, Region, Service, Suppression
from twin.model.recovery import FuelContract, Recovery
from twin.model.reliability import ReliabilityOverrides, UtilityReliability
from twin.model.scenarios import GeneratorFailToStart, ScenarioSpec, Surge, UtilityLoss, ZoneFire

__all__ = [
    "ANSAN_SPEC",
    "FUEL_CONTRACT",
    "KOREAN_GRID",
    "SERVICE_DEMANDS",
    "SURGES",
    "ansan_campus",
    "ansan_services",
    "build",
    "service_rows",
]

SURGES: dict[str, float] = {
    "new_year": 3.0,  # source: KakaoTalk New Year midnight > 3× average (DESIGN.md)
    "world_cup": 10.0,  # source: big events such as a World Cup match up to 10× (DESIGN.md)
}

SERVICE_DEMANDS: dict[str, float] = {
    "messaging": 45_000.0,  # source: KakaoTalk ~45,000 messages/s on average (DESIGN.md)
    "auth": 50_000.0,  # assumption: about one token check per message plus logins
    "cache": 300_000.0,  # assumption: most of the ~500,000 req/s total traffic hits cache
    "object-storage": 20_000.0,  # assumption: media/attachment reads and writes
    "ops-tooling": 200.0,  # assumption: deploy/ops API calls
    "failover-controller": 10.0,  # assumption: control-plane heartbeats
}

ANSAN_SPEC = CampusSpec(
    name="ansan",
    region="capital",  # assumption: region label for Gyeonggi-do / the capital area
    description="Kakao Data Center Ansan (operating since Jan 2024).",
    # source: ~4,000 racks and ~120,000 servers (DESIGN.md) →
    # 4 halls × 50 rows × 20 racks = 4,000 racks; × 30 servers/rack = 120,000 servers.
    halls=4,  # assumption: hall split of the 4,000 racks
    rows_per_hall=50,  # assumption
    racks_per_row=20,  # assumption
    servers_per_rack=30,  # assumption (120,000 / 4,000)
    # assumption: 6 kW per rack → 24 MW IT, so the facility load (IT / UPS efficiency
    # + cooling ≈ 32 MW) stays within 11 of the 12 × 3 MW generators (one spare) and
    # within the 40 MW facility capacity.
    rack_kw=6.0,
    power_redundancy="2N",  # source: A/B distribution to every server row (DESIGN.md)
    # source: duplicated chilled-water paths; communications, control and cooling are each
    # duplicated (DESIGN.md) → two plant paths, each with its own chillers and towers
    # sized for the whole heat (2N); the two tower areas on the roof are an assumption.
    cooling_redundancy="2N",
    # source: main feed from one substation, backup from a second, each 100 % (DESIGN.md)
    substations=("main-substation", "backup-substation"),
    feed_kw=40_000.0,  # source: 40 MW facility capacity (DESIGN.md); each feed carries it
    generators=12,  # source: 12 diesel generators (DESIGN.md)
    generator_kw=3000.0,  # source: 3 MW each (DESIGN.md)
    # source: NREL REopt default generator fail-to-start 0.0066–0.0094 per start; midpoint
    generator_fail_to_start_prob=0.008,
    # assumption: on-site tanks hold 72 h at rated load (resupply: FUEL_CONTRACT below)
    generator_fuel_hours=72.0,
    module_kw=1250.0,  # assumption: 1,250 kW UPS modules
    ride_through_min=7.0,  # assumption: ~7 min of battery at full module load
    strings_per_module=2,  # assumption: two battery racks per UPS module
    chemistry="li_ion",  # assumption: lithium-ion UPS batteries
    battery_fire_unit=True,  # source: per-rack battery fire units (DESIGN.md)
    # source: detect → cut → suppress → water within 4 min, no spread (DESIGN.md)
    battery_suppression=Suppression(
        agent="rack_unit", after_s=240.0, deenergize="none", contains_spread=True
    ),
    ups_layout="separate",  # source: UPS room and battery room separated by fire walls
    rows_per_pdu=5,  # assumption
    rows_per_leaf_pair=5,  # assumption
    # source: duplicated carrier paths (DESIGN.md); carrier names and ducts are assumptions
    carriers=(("carrier-1", ("duct-east",)), ("carrier-2", ("duct-west",))),
    spines=4,  # assumption
    loops=2,  # source: duplicated chilled-water paths (DESIGN.md)
    storage_minutes=30.0,  # source: rooftop reserve water (DESIGN.md); 30 min is an assumption
)


# assumption: a fuel supply contract delivers within a day of the generators starting,
# then daily (Korean data centers keep such contracts; Kakao's terms are not published).
FUEL_CONTRACT = FuelContract(first_delivery_s=24 * 3600.0, interval_s=24 * 3600.0)

# The Korean grid, not the US defaults of the reference data. Source: KEPCO via Hankyung
# (7 Dec 2023): 9.05 minutes of interruption per household in 2022 (SAIDI). SAIFI was
# not found: 0.2 interruptions a year of 45 min each (9 min a year) is an assumption.
KOREAN_GRID = ReliabilityOverrides(
    utility=UtilityReliability(
        outages_per_year=0.2,
        mean_outage_h=0.75,
        source="kepco: SAIDI 9.05 min/household (2022); the split into 0.2 outages a year "
        "of 45 min is an assumption (SAIFI not published)",
    )
)


def ansan_campus(name: str = "ansan", region: str = "capital") -> Campus:
    """The Ansan site (power, cooling, network, compartments), without services."""
    spec = ANSAN_SPEC
    if (name, region) != (spec.name, spec.region):
        spec = replace(spec, name=name, region=region)
    return build_campus(spec)


# Rows each service uses in every hall (0-based, half-open): disjoint slices.
ROW_SLICES: dict[str, tuple[int, int]] = {
    "messaging": (0, 20),  # assumption
    "cache": (20, 30),  # assumption
    "object-storage": (30, 40),  # assumption
    "auth": (40, 45),  # assumption
    "ops-tooling": (45, 47),  # assumption
    "failover-controller": (47, 48),  # assumption
}


SLICED_ROWS = ROW_SLICES["failover-controller"][1] + 2
"""Rows per hall :data:`ROW_SLICES` were cut for (Ansan's 50)."""


def service_rows(rows: Sequence[str], service: str) -> list[str]:
    """The service's slice of a hall's ``rows``, scaled to the hall size (at least one row).

    At Ansan's 50 rows per hall this is exactly :data:`ROW_SLICES`; smaller halls get
    proportionally fewer rows and, below 50 rows, services may share a row.
    """
    lo, hi = ROW_SLICES[service]
    a = lo * len(rows) // SLICED_ROWS
    z = max(a + 1, hi * len(rows) // SLICED_ROWS)
    return list(rows[a:z])


def ansan_services(campus: Campus) -> list[Service]:
    """KakaoTalk-like services, active-active across the campus's halls.

    One replica per hall. Each replica is sized for the New Year surge with any one
    hall lost: capacity = demand × 3 / (halls − 1) (assumption), so a World Cup
    surge (× 10) exceeds the single site — the surge analysis should say so.
    """
    site = campus.builder.name
    halls = list(campus.rows.values())

    def placements(service: str) -> list[tuple[str, list[str]]]:
        return [(site, campus.units(service_rows(rows, service))) for rows in halls]

    def sized(service: str) -> float:
        return SERVICE_DEMANDS[service] * SURGES["new_year"] / (len(halls) - 1)

    messaging = replicate(
        "messaging",
        description="KakaoTalk-like messaging; stores message data in every hall.",
        placements=placements("messaging"),
        demand_rps=SERVICE_DEMANDS["messaging"],
        capacity_rps=sized("messaging"),
        surges=SURGES,
        stores_data=True,
        data_quorum=2,  # assumption: a write needs two live data replicas
        depends_on=["auth", "cache", "object-storage"],
    )
    user_facing = [
        replicate(
            name,
            placements=placements(name),
            demand_rps=SERVICE_DEMANDS[name],
            capacity_rps=sized(name),
            surges=SURGES,  # assumption: they scale with messaging
            stores_data=name == "object-storage",
            data_quorum=2 if name == "object-storage" else None,  # assumption
        )
        for name in ("auth", "cache", "object-storage")
    ]
    ops = replicate(
        "ops-tooling",
        description="Operations and deploy tools; internal login through auth.",
        placements=placements("ops-tooling"),
        demand_rps=SERVICE_DEMANDS["ops-tooling"],
        capacity_rps=sized("ops-tooling"),
        depends_on=["auth"],
    )
    controller = replicate(
        "failover-controller",
        description="Failover automation; acts through the ops tooling.",
        placements=placements("failover-controller"),
        demand_rps=SERVICE_DEMANDS["failover-controller"],
        capacity_rps=sized("failover-controller"),
        depends_on=["ops-tooling"],
    )
    return [messaging, *user_facing, ops, controller]


def build() -> Fleet:
    """The ``ansan`` stack: one region, one site, six services."""
    campus = ansan_campus()
    return Fleet(
        name="ansan",
        description="Kakao Data Center Ansan: 2N power, compartmentalised batteries.",
        regions=[Region(name="capital", description="Seoul capital area (Gyeonggi-do).")],
        sites=[campus.site()],
        services=ansan_services(campus),
        recovery=Recovery(fuel_contract=FUEL_CONTRACT),
        reliability=KOREAN_GRID,
        scenarios=[
            ScenarioSpec(
                name="ansan:pangyo-replay",
                description="The Pangyo sequence replayed at Ansan: a battery-room fire, "
                "then the loss of both utility feeds 30 min later during a World Cup surge, "
                "with one generator failing to start.",
                events=[
                    Surge(surge="world_cup"),
                    ZoneFire(site="ansan", zone="ansan-battery-room-hall1-a"),
                    GeneratorFailToStart(generators=["ansan-gen-01"]),
                    # assumption: the grid drops 30 min into the fire (a drill, not a fact)
                    UtilityLoss(site="ansan", at_s=1800),
                ],
            )
        ],
    )
