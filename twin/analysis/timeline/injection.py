"""Scenario events taking effect: each is logged, then fails what it names."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from twin.analysis.timeline.records import Cause, CauseKind, EventKind, cause
from twin.model import scenarios as sc

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = ["inject"]


def inject(sim: Simulation, event: sc.Event) -> None:
    """A scenario event: log it, then fail what it fails."""
    state, twin = sim.state, sim.twin
    if isinstance(event, sc.ZoneFire):
        event_id = _scenario(
            sim, f"{event.site}/{event.zone}", CauseKind.FIRE_BREAKS_OUT, event.site, event.zone
        )
        sim.fire.ignite(event.site, event.zone, event_id, event_id)
    elif isinstance(event, sc.UtilityLoss):
        site = twin.sites[event.site]
        feeds = event.feeds or [c.name for c in site.components if c.kind == "utility_feed"]
        event_id = _scenario(sim, event.site, CauseKind.UTILITY_LOSS, feeds=feeds)
        _fail_all(sim, feeds, cause(CauseKind.UTILITY_LOSS), event_id)
        sim.supplies.schedule_return(feeds, CauseKind.UTILITY_LOSS, event.site, event.duration_s)
    elif isinstance(event, sc.GeneratorFailToStart):
        _scenario(sim, ", ".join(event.generators), CauseKind.FAIL_TO_START_PLANNED)
        state.fail_to_start.update(event.generators)
    elif isinstance(event, sc.ComponentFailure):
        event_id = _scenario(sim, ", ".join(event.components), CauseKind.COMPONENT_FAILURE)
        _fail_all(sim, event.components, cause(CauseKind.COMPONENT_FAILURE), event_id)
    elif isinstance(event, sc.CoolingPlantLoss):
        event_id = _scenario(sim, event.site, CauseKind.COOLING_PLANT_LOSS)
        plant = [
            c.name
            for c in twin.sites[event.site].components
            if c.kind in ("chiller", "cooling_tower")
        ]
        _fail_all(sim, plant, cause(CauseKind.COOLING_PLANT_LOSS), event_id)
    elif isinstance(event, sc.SrlgCut):
        event_id = _scenario(sim, event.srlg, CauseKind.SRLG_CUT)
        cut = [c.name for _, c in twin.fleet.components() if event.srlg in getattr(c, "srlg", ())]
        _fail_all(sim, cut, cause(CauseKind.SRLG_CUT, event.srlg), event_id)
    elif isinstance(event, sc.SiteLoss):
        event_id = _scenario(sim, event.site, CauseKind.SITE_LOSS)
        lost = [c.name for c in twin.sites[event.site].components]
        _fail_all(sim, lost, cause(CauseKind.SITE_LOSS, event.site), event_id)
        sim.supplies.schedule_return(lost, CauseKind.SITE_LOSS, event.site, event.duration_s)
    elif isinstance(event, sc.Surge):
        _scenario(sim, event.surge, CauseKind.SURGE)
        state.surge_name = event.surge
    else:  # pragma: no cover - the model's discriminator makes this unreachable
        raise AssertionError(event)


def _scenario(
    sim: Simulation,
    subject: str,
    kind: CauseKind,
    site: str | None = None,
    zone: str | None = None,
    feeds: list[str] | None = None,
) -> int:
    event_id = len(sim.events.events)
    sim.initiator = event_id
    return sim.log(
        EventKind.SCENARIO,
        subject,
        cause(kind, feeds=feeds, scenario=True)
        if feeds is not None
        else cause(kind, scenario=True),
        initiator=event_id,
        site=site,
        zone=zone,
    )


def _fail_all(sim: Simulation, names: Iterable[str], reason: Cause, trigger: int) -> None:
    for name in names:
        sim.state.fail(name, reason, trigger)
