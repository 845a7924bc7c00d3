"""Network patterns: carriers, border routers, leaf-spine fabric, inter-site backbone."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from stacks.patterns.base import SUPPORT, SiteBuilder
from twin.model import (
    BackboneLink,
    BorderRouter,
    CarrierLink,
    Leaf,
    Requirement,
    Spine,
)

__all__ = [
    "NetworkHandles",
    "backbone",
    "leaf_spine",
]


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
    tors: dict[str, list[str]] = field(default_factory=dict)
    """Rack → its top-of-rack switches, where racks are components (else empty)."""


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
    racks: Mapping[str, Sequence[str]] | None = None,
    tor_gbps: float = 400.0,
    tor_kw: float = 0.0,
    tors_per_rack: int = 1,
) -> NetworkHandles:
    """Carriers → border routers → spines → leaf pairs → rows (or racks' ToRs).

    ``halls`` maps each data-hall zone to its rack rows; ``carriers`` lists
    ``(carrier, srlg ducts)`` — give each carrier its own duct for diverse paths.
    One border router per core zone (meet-me room); spines alternate over the core
    zones. Rows need ``at_least=1`` of their leaf pair; leaves need any spine;
    spines any border router; border routers any carrier. Leaves draw power in their
    hall (on the hall's first PDU pair); core gear is a :data:`SUPPORT` load.

    ``racks`` (row → its racks) is given where racks are components
    (:func:`~stacks.patterns.base.racks_of_rows`): the rows of ``halls`` are then
    groupings, and each rack gets its own top-of-rack switch ``<rack>-tor`` (a
    :class:`Leaf`) that needs one of the row group's leaf pair; the rack needs its ToR.
    With ``tors_per_rack=2`` a rack has two, ``<rack>-tor-a`` and ``<rack>-tor-b``, and
    needs one of them (dual-homed servers): a single ToR is a single point of failure of
    its own rack. ``rows_per_leaf_pair`` still counts rows. A ToR registers ``tor_kw`` in the row
    (its A/B PDU pair, the hall's CRAHs); the default 0 counts its draw in the rack's
    own load (assumption), so power and cooling are sized as for whole rows.
    """
    if tors_per_rack not in (1, 2):
        raise ValueError(f"tors_per_rack must be 1 or 2, not {tors_per_rack}")
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
    tors: dict[str, list[str]] = {}
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
            uplink = Requirement(resource="network", suppliers=[leaf_a, leaf_b], at_least=1)
            for row in rows[k * rows_per_leaf_pair : (k + 1) * rows_per_leaf_pair]:
                members = racks.get(row) if racks is not None else None
                if members is None:  # the row is the IT component
                    b.require(row, uplink)
                    continue
                for rack in members:
                    suffixes = ["tor"] if tors_per_rack == 1 else ["tor-a", "tor-b"]
                    rack_tors = []
                    for suffix in suffixes:
                        tor = b.add(
                            Leaf(
                                name=f"{rack}-{suffix}",
                                zone=hall,
                                capacity_gbps=tor_gbps,
                                description="Top-of-rack switch.",
                                requires=[uplink],
                            )
                        )
                        b.add_load(tor, tor_kw, hall, row=row)
                        rack_tors.append(tor)
                    b.require(
                        rack, Requirement(resource="network", suppliers=rack_tors, at_least=1)
                    )
                    tors[rack] = rack_tors
    return NetworkHandles(
        carrier_names,
        routers,
        spine_names,
        pairs,
        [*routers, *spine_names],
        list(core_zones),
        tors,
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
