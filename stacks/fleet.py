"""A multi-region fleet after Kakao's remedies: Ansan plus two more sites, 3-way replicas.

Kakao's remedies after Pangyo (post-mortem, summarised in ``DESIGN.md``): three-way
replication across data centers ("3+α"), operations tools and auth usable when any
one DC is lost, backbone centers 2 → 3, DR drills. This stack applies them: every
service has a replica at each of three sites, each replica sized so that the other
two serve the baseline demand; data-holding services need a quorum of 2 of 3; the
three sites are joined by a backbone triangle, two of whose links share a duct.

The Ansan site is :func:`stacks.ansan.ansan_campus`; ``seoul`` and ``busan`` and their
sizes are assumptions.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from stacks.ansan import (
    FUEL_CONTRACT,
    KOREAN_GRID,
    SERVICE_DEMANDS,
    SURGES,
    ansan_campus,
    service_rows,
)
from stacks.patterns import Campus, CampusSpec, backbone, build_campus, replicate
from twin.model import Fleet, Region, Service
from twin.model.recovery import Recovery

__all__ = ["BACKBONE", "SHARED_DUCT", "build", "secondary_spec", "site_replicated_services"]

SHARED_DUCT = "duct-gyeonggi-trunk"
"""assumption: the Ansan–Seoul and Ansan–Busan fibres leave Ansan in one trunk duct.

Cutting it leaves Ansan reaching its users but no other site: Seoul and Busan hold the
2-of-3 quorum of messaging and object-storage, whose Ansan replicas stop (a third of
their traffic lost until it is re-routed); at baseline demand the two sites carry it
all, at a surge the lost third shows (``twin.analysis.partitions.srlg_consequences``)."""

BACKBONE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # source: backbone centers 2 → 3 (Kakao remedies, DESIGN.md); routes are assumptions
    ("ansan", "seoul", (SHARED_DUCT, "route-capital-west")),
    ("ansan", "busan", (SHARED_DUCT, "route-west-coast")),
    ("seoul", "busan", ("duct-seoul-south", "route-gyeongbu")),
)


def secondary_spec(name: str, region: str) -> CampusSpec:
    """A mid-size site: 2 halls × 25 rows × 20 racks × 30 servers (all assumptions)."""
    return CampusSpec(
        name=name,
        region=region,
        description="Secondary Kakao-like data center (assumption).",
        halls=2,
        rows_per_hall=25,
        racks_per_row=20,
        servers_per_rack=30,
        rack_kw=6.0,
        power_redundancy="2N",
        cooling_redundancy="N+1",
        generator_kw=2500.0,
        module_kw=1000.0,
        chiller_kw=2000.0,
        tower_kw=2500.0,
        pump_kw=4000.0,
        crah_kw=400.0,
        spines=4,
        storage_minutes=20.0,
    )


def _rows(campus: Campus, service: str) -> list[str]:
    """The service's row slice of every hall, scaled to the hall size."""
    return campus.units(
        [row for rows in campus.rows.values() for row in service_rows(rows, service)]
    )


def site_replicated_services(campuses: list[Campus], data_quorum: int = 2) -> list[Service]:
    """Every service with one replica per site; all sites but one carry the baseline.

    Data-holding services (messaging, object storage) need ``data_quorum`` live data
    replicas (2 of 3 in the ``fleet`` stack).
    """

    def spread(name: str, **kwargs: Any) -> Service:  # replicate()'s keyword arguments
        return replicate(
            name,
            placements=[(c.builder.name, _rows(c, name)) for c in campuses],
            demand_rps=SERVICE_DEMANDS[name],
            tolerate=1,  # source: usable when any one DC is lost (Kakao remedies)
            # assumption: global load balancing moves a lost site's traffic within a minute
            failover_time_s=60.0,
            **kwargs,
        )

    return [
        spread(
            "messaging",
            description="Three-way replicated messaging, active in every site.",
            surges=SURGES,
            stores_data=True,  # source: three-way replication "3+α" (Kakao remedies)
            data_quorum=data_quorum,  # assumption: majority of the three data replicas
            depends_on=["auth", "cache", "object-storage"],
        ),
        spread("auth", surges=SURGES),
        spread("cache", surges=SURGES),
        spread("object-storage", surges=SURGES, stores_data=True, data_quorum=data_quorum),
        spread("ops-tooling", depends_on=["auth"]),
        spread("failover-controller", depends_on=["ops-tooling"]),
    ]


def build() -> Fleet:
    """The ``fleet`` stack: Ansan, Seoul and Busan with a three-center backbone."""
    ansan = ansan_campus()
    seoul = build_campus(secondary_spec("seoul", "capital"))
    busan = build_campus(
        replace(
            secondary_spec("busan", "south"), substations=("substation-east", "substation-west")
        )
    )
    campuses = [ansan, seoul, busan]
    backbone(
        {c.builder.name: (c.builder, c.network) for c in campuses},
        BACKBONE,
    )
    return Fleet(
        name="fleet",
        description="Three sites in two regions, three-way replication, three backbone centers.",
        regions=[
            Region(name="capital", description="Seoul capital area."),
            Region(name="south", description="Southeast (assumption)."),
        ],
        sites=[c.site() for c in campuses],
        services=site_replicated_services(campuses),
        recovery=Recovery(fuel_contract=FUEL_CONTRACT),  # assumption, as at Ansan
        reliability=KOREAN_GRID,  # every site is in Korea
    )
