"""Where one fire reaches: its zone, the zones it spreads to, and what suppression cuts.

One rule, used by the timeline (with its delays) and by the static analyses (single
events, tier compartmentalisation) alike:

* a fire fails everything in its zone and the zones nested in it;
* it spreads to every zone sharing ceiling / cable space with a burning zone (declared
  on either side) after the space's delay, unless the burning zone's suppression
  contains it first (``contains_spread`` and acting no later than the spread);
* a burning zone whose suppression de-energises (``deenergize`` ``zone`` or
  ``building``) has that zone, or its enclosing building, cut by the fire service
  ``after_s`` after ignition — the Pangyo sequence.

A fire *origin* is a room: a zone with no zones inside it. A fire "in the building"
starts in one of its rooms; the loss of a whole building or campus is a site loss.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin.model import Site, Zone

__all__ = [
    "ORIGIN_ORDER",
    "FireReach",
    "cut_target",
    "enclosing_building",
    "fire_origins",
    "fire_reach",
    "neighbours",
    "origin_rank",
    "spread_targets",
]


ORIGIN_ORDER = (
    "battery_room",
    "ups_room",
    "electrical_room",
    "generator_yard",
    "substation",
    "chiller_plant",
    "roof",
    "meet_me_room",
    "data_hall",
    "duct",
    "floor",
    "building",
    "campus",
)
"""Ties in impact are broken by where the fire starts, in this order: an assumption of
relative fire likelihood (lithium-ion battery rooms first, as at Pangyo in 2022)."""


def origin_rank(kind: str | None) -> int:
    """Position of a zone kind in :data:`ORIGIN_ORDER` (unknown kinds last)."""
    return ORIGIN_ORDER.index(kind) if kind in ORIGIN_ORDER else len(ORIGIN_ORDER)


def neighbours(site: Site, zone_name: str) -> list[tuple[str, float]]:
    """Zones sharing space with ``zone_name`` (declared on either side) and the delay."""
    out: dict[str, float] = {}
    for zone in site.zones:
        for shared in zone.shares_space_with:
            if zone.name == zone_name:
                other = shared.zone
            elif shared.zone == zone_name:
                other = zone.name
            else:
                continue
            out[other] = min(out.get(other, float("inf")), shared.spread_delay_s)
    return sorted(out.items())


def spread_targets(site: Site, zone: Zone) -> list[tuple[str, float]]:
    """The neighbours a fire in ``zone`` spreads to, with their delays: all of them,
    except where the zone's suppression contains the fire before the spread."""
    suppression = zone.suppression
    return [
        (neighbour, delay)
        for neighbour, delay in neighbours(site, zone.name)
        if not (
            suppression is not None and suppression.contains_spread and suppression.after_s <= delay
        )
    ]


def enclosing_building(site: Site, zone_name: str) -> str:
    """The building around ``zone_name`` (the outermost zone when there is none)."""
    chain = site.zone_ancestors(zone_name)
    by_name = {z.name: z for z in site.zones}
    for name in chain:
        if by_name[name].kind == "building":
            return name
    return chain[-1]


def cut_target(site: Site, zone: Zone) -> str | None:
    """The zone the fire service de-energises when ``zone`` burns (None for none)."""
    suppression = zone.suppression
    if suppression is None or suppression.deenergize == "none":
        return None
    if suppression.deenergize == "building":
        return enclosing_building(site, zone.name)
    return zone.name


@dataclass(frozen=True)
class FireReach:
    """Everything one fire takes, given time to run its course."""

    site: str
    origin: str
    burnt: tuple[str, ...]
    """Zones on fire, the origin first, then in order of spread."""
    cut: tuple[str, ...]
    """Zones de-energised by the fire service (a building, for the Pangyo sequence)."""
    components: tuple[str, ...]
    """Components failed by the fire or the cut, in declaration order."""


def fire_reach(site: Site, origin: str) -> FireReach:
    """Where a fire starting in ``origin`` ends up: burnt zones, cut zones, components.

    >>> from stacks import build_stack
    >>> pangyo = build_stack("pangyo-2022").sites[0]
    >>> reach = fire_reach(pangyo, "pangyo-b3-battery-room")
    >>> reach.burnt, reach.cut
    (('pangyo-b3-battery-room', 'pangyo-ups-room'), ('pangyo-building',))
    """
    by_name = {z.name: z for z in site.zones}
    burnt: list[str] = [origin]
    queue = [origin]
    while queue:
        zone = by_name[queue.pop(0)]
        for neighbour, _delay in spread_targets(site, zone):
            if neighbour not in burnt:
                burnt.append(neighbour)
                queue.append(neighbour)
    cut = list(dict.fromkeys(t for z in burnt if (t := cut_target(site, by_name[z]))))
    inside: set[str] = set()
    for zone_name in [*burnt, *cut]:
        inside |= site.zone_closure(zone_name)
    components = tuple(c.name for c in site.components if c.zone in inside)
    return FireReach(site.name, origin, tuple(burnt), tuple(cut), components)


def fire_origins(site: Site) -> list[str]:
    """The rooms a fire can start in: zones with no zones inside them, in declaration order."""
    parents = {z.parent for z in site.zones if z.parent is not None}
    return [z.name for z in site.zones if z.name not in parents]
