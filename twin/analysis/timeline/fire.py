"""Fire and suppression: a fire fails its zone, spreads through shared space, and may
make the fire service cut the building's power (the Pangyo sequence).

A fire in a zone fails everything in it and in its nested zones. It spreads to zones
that share ceiling / cable space after the space's delay, unless the zone's
suppression contains the fire first (acts no later than the spread). Suppression
that de-energises the building fails everything in the enclosing building
``after_s`` after ignition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.analysis.timeline.core import P_FIRE, Scheduled
from twin.analysis.timeline.records import CauseKind, EventKind, cause
from twin.model import Site

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = ["Deenergize", "FireSpreads", "FireSystem", "enclosing_building", "neighbours"]


@dataclass
class FireSpreads(Scheduled):
    """Heat and fire reach ``zone`` from ``source`` through shared space."""

    site: str
    zone: str
    source: str
    source_event: int

    def apply(self, sim: Simulation) -> None:
        sim.fire.spread(self)


@dataclass
class Deenergize(Scheduled):
    """Suppression in ``zone`` makes the fire service cut power (zone or building)."""

    site: str
    zone: str

    def apply(self, sim: Simulation) -> None:
        sim.fire.deenergize(self)


class FireSystem:
    """Burning zones, spread through shared space, and suppression's power cuts."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.burning: set[tuple[str, str]] = set()

    def ignite(self, site_name: str, zone_name: str, event_id: int, initiator: int | None) -> None:
        """Set ``zone_name`` on fire; ``event_id`` is the logged event that says so."""
        if (site_name, zone_name) in self.burning:
            return
        sim = self.sim
        site = sim.twin.sites[site_name]
        zone = site.zone_named(zone_name)
        self.burning.add((site_name, zone_name))
        for comp in site.components_in(zone_name):
            sim.state.fail(comp.name, cause(CauseKind.FIRE, zone_name), event_id)
        suppression = zone.suppression
        if suppression is not None and suppression.deenergize != "none":
            sim.queue.schedule(
                sim.now + suppression.after_s,
                P_FIRE,
                Deenergize(site_name, zone_name, initiator=initiator),
            )
        for neighbour, delay in neighbours(site, zone_name):
            contained = (
                suppression is not None
                and suppression.contains_spread
                and suppression.after_s <= delay
            )
            if not contained:
                sim.queue.schedule(
                    sim.now + delay,
                    P_FIRE,
                    FireSpreads(site_name, neighbour, zone_name, event_id, initiator=initiator),
                )

    def spread(self, event: FireSpreads) -> None:
        if (event.site, event.zone) in self.burning:
            return
        event_id = self.sim.log(
            EventKind.FIRE_SPREAD,
            f"{event.site}/{event.zone}",
            cause(CauseKind.FIRE_SPREAD, event.source),
            trigger=event.source_event,
            initiator=event.initiator,
            site=event.site,
            zone=event.zone,
        )
        self.ignite(event.site, event.zone, event_id, event.initiator)

    def deenergize(self, event: Deenergize) -> None:
        sim = self.sim
        site = sim.twin.sites[event.site]
        zone = site.zone_named(event.zone)
        assert zone.suppression is not None
        target = event.zone
        if zone.suppression.deenergize == "building":
            target = enclosing_building(site, event.zone)
        event_id = sim.log(
            EventKind.DEENERGIZED,
            f"{event.site}/{target}",
            cause(
                CauseKind.SUPPRESSION_CUT, event.zone, agent=zone.suppression.agent, target=target
            ),
            initiator=event.initiator,
            site=event.site,
            zone=target,
        )
        for comp in site.components_in(target):
            sim.state.fail(comp.name, cause(CauseKind.DEENERGIZED, target), event_id)


def enclosing_building(site: Site, zone_name: str) -> str:
    """The building around ``zone_name`` (the outermost zone when there is none)."""
    chain = site.zone_ancestors(zone_name)
    by_name = {z.name: z for z in site.zones}
    for name in chain:
        if by_name[name].kind == "building":
            return name
    return chain[-1]


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
