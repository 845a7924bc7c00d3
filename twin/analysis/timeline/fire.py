"""Fire and suppression over time: a fire fails its zone, spreads through shared space,
and may make the fire service cut the building's power (the Pangyo sequence).

The rules (what spreads where, what suppression contains or cuts) are those of
:mod:`twin.analysis.fire`; this module gives them their timing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.analysis.fire import cut_target, spread_targets
from twin.analysis.timeline.core import P_FIRE, Scheduled
from twin.analysis.timeline.records import CauseKind, EventKind, cause

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = ["Cut", "Deenergize", "FireOut", "FireSpreads", "FireSystem"]


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


@dataclass
class FireOut(Scheduled):
    """The fire in ``zone`` is out."""

    site: str
    zone: str
    seconds: float
    input: str

    def apply(self, sim: Simulation) -> None:
        sim.fire.fire_out(self)


@dataclass
class Cut:
    """A zone the fire service de-energised, waiting for the fires inside it to be out."""

    site: str
    target: str
    phases: list[tuple[float, float]]
    scheduled: bool = False


class FireSystem:
    """Burning zones, spread through shared space, and suppression's power cuts."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.burning: set[tuple[str, str]] = set()
        self.out: set[tuple[str, str]] = set()
        self.cuts: list[Cut] = []

    def ignite(self, site_name: str, zone_name: str, event_id: int, initiator: int | None) -> None:
        """Set ``zone_name`` on fire; ``event_id`` is the logged event that says so."""
        if (site_name, zone_name) in self.burning or (site_name, zone_name) in self.out:
            return
        sim = self.sim
        site = sim.twin.sites[site_name]
        zone = site.zone_named(zone_name)
        self.burning.add((site_name, zone_name))
        suppression = zone.suppression
        if suppression is not None and suppression.extinguished_after_s is not None:
            burn_s, source = suppression.extinguished_after_s, f"{zone_name} extinguished_after_s"
        else:
            burn_s, source = sim.twin.fleet.recovery.fire_burn_s, "recovery.fire_burn_s"
        sim.queue.schedule(
            sim.now + burn_s,
            P_FIRE,
            FireOut(site_name, zone_name, burn_s, source, initiator=initiator),
        )
        for comp in site.components_in(zone_name):
            sim.state.fail(comp.name, cause(CauseKind.FIRE, zone_name), event_id)
        if suppression is not None and suppression.deenergize != "none":
            sim.queue.schedule(
                sim.now + suppression.after_s,
                P_FIRE,
                Deenergize(site_name, zone_name, initiator=initiator),
            )
        for neighbour, delay in spread_targets(site, zone):
            sim.queue.schedule(
                sim.now + delay,
                P_FIRE,
                FireSpreads(site_name, neighbour, zone_name, event_id, initiator=initiator),
            )

    def spread(self, event: FireSpreads) -> None:
        if (event.site, event.source) not in self.burning:
            return  # the source fire is out before the heat got through
        if (event.site, event.zone) in self.burning or (event.site, event.zone) in self.out:
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
        if (event.site, event.zone) not in self.burning:
            return  # out before the fire service had to cut
        site = sim.twin.sites[event.site]
        zone = site.zone_named(event.zone)
        assert zone.suppression is not None
        target = cut_target(site, zone) or event.zone
        phases = [(p.after_s, p.fraction) for p in zone.suppression.reenergize]
        self.cuts.append(Cut(event.site, target, phases))
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

    def fire_out(self, event: FireOut) -> None:
        sim = self.sim
        key = (event.site, event.zone)
        if key not in self.burning:
            return
        self.burning.discard(key)
        self.out.add(key)
        sim.log(
            EventKind.FIRE_OUT,
            f"{event.site}/{event.zone}",
            cause(CauseKind.FIRE_OUT, event.zone, seconds=event.seconds, input=event.input),
            initiator=event.initiator,
            site=event.site,
            zone=event.zone,
        )
        site = sim.twin.sites[event.site]
        burnt = [c.name for c in site.components_in(event.zone)]
        sim.repairs.fire_out(event.site, event.zone, burnt)

    def pending_cuts(self, site_name: str) -> list[Cut]:
        """Cuts at the site that can now be undone: no fire burns inside them. Each is
        returned once."""
        site = self.sim.twin.sites[site_name]
        ready = []
        for cut in self.cuts:
            if cut.scheduled or cut.site != site_name:
                continue
            inside = site.zone_closure(cut.target)
            if not any(s == site_name and z in inside for s, z in self.burning):
                cut.scheduled = True
                ready.append(cut)
        return ready
