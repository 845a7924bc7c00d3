"""The twin's headline: tier per site, single points of failure, surge headroom."""

from __future__ import annotations

from typing import Any

from twin.analysis.contingency import SingleEvent, contingency
from twin.analysis.headroom import surge_headroom
from twin.analysis.tier import tier_verdict
from twin.analysis.timeline import simulate
from twin.analysis.twin import Twin, as_twin
from twin.model import Fleet
from twin.model.scenarios import Event, ScenarioSpec, SiteLoss, SrlgCut, ZoneFire

__all__ = ["headline"]


def headline(source: Twin | Fleet) -> dict[str, Any]:
    """The twin's headline results as plain values (Pulumi stack outputs, PR summaries):
    tier per site, single points of failure, and surge headroom per service.

    Computed once per twin (memoised), however many resources or outputs read it.
    """
    twin = as_twin(source)
    return twin.memo("headline", lambda: _headline(twin))


def _headline(twin: Twin) -> dict[str, Any]:
    tiers = tier_verdict(twin)
    report = contingency(twin)
    spofs = report.single_points_of_failure
    headroom: dict[str, dict[str, float]] = {}
    after_site_loss: dict[str, dict[str, float]] = {}
    for row in surge_headroom(twin):
        headroom.setdefault(row.service, {})[row.level] = round(row.headroom, 6)
        if row.served_after_worst_site_loss is not None:
            after_site_loss.setdefault(row.service, {})[row.level] = round(
                row.served_after_worst_site_loss, 6
            )
    return {
        "tier": {t.site: t.roman for t in tiers.sites},
        "tierVerdict": {t.site: t.verdict for t in tiers.sites},
        "singleEventFailures": [e.label for e in report.single_events],
        "singlePointsOfFailure": [i.label for i in spofs],
        "surgeHeadroom": headroom,
        "servedAfterWorstSiteLoss": after_site_loss,
        "recoveryFromWorstSingleEvent": _recovery(twin, report.single_events[:1]),
    }


def _recovery(twin: Twin, worst: list[SingleEvent]) -> dict[str, Any]:
    """RTO and RPO per service through the worst single event's timeline."""
    if not worst:
        return {}
    event = worst[0]
    injected: Event
    if event.kind == "fire":
        assert event.reach is not None
        injected = ZoneFire(site=event.reach.site, zone=event.origin)
    elif event.kind == "srlg":
        injected = SrlgCut(srlg=event.origin)
    else:
        injected = SiteLoss(site=event.origin)
    timeline = simulate(twin, ScenarioSpec(name=event.label, events=[injected]))

    def seconds(value: float | None) -> float | str | None:
        return "unrestored" if value == float("inf") else value

    return {
        "event": event.label,
        "restoredS": timeline.restored_s,
        "services": {
            o.name: {
                "rtoPartialS": seconds(o.rto.get("partial_s")),
                "rtoSloS": seconds(o.rto.get("slo_s")),
                "rtoFullS": seconds(o.rto.get("full_s")),
                "rpoS": o.rpo_s,
            }
            for o in timeline.services
        },
    }
