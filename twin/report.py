"""Run every analysis on a fleet and gather the results a reviewer reads.

:func:`build_report` is the one place that decides what a full report contains:
the model summary, the tier verdict per site, N-1 contingency with common-cause
groups, every catalog scenario's timeline, and surge headroom. The result is
plain data (:class:`Report`); :mod:`twin.render` turns it into JSON, Markdown or
HTML. Resilience gates (``--fail-on``) are evaluated here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twin.catalog import catalog
from twin.contingency import ContingencyReport, contingency
from twin.engine import Evaluator
from twin.errors import UsageError, shown
from twin.model import SCHEMA_VERSION, Fleet
from twin.summary import FleetSummary, summarize
from twin.tier import TierReport, tier_verdict
from twin.timeline import Timeline, simulate

__all__ = [
    "GATES",
    "Gate",
    "GateResult",
    "HeadroomRow",
    "Report",
    "build_report",
    "evaluate_gates",
    "headline",
    "parse_gates",
    "surge_headroom",
]

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class HeadroomRow:
    """A service at one demand level: healthy, and after the worst single-site loss."""

    service: str
    level: str
    multiplier: float
    demand_rps: float
    capacity_rps: float
    served: float
    headroom: float  # capacity / demand − 1 with everything healthy
    worst_site: str | None
    served_after_worst_site_loss: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "level": self.level,
            "multiplier": self.multiplier,
            "demand_rps": round(self.demand_rps, 6),
            "capacity_rps": round(self.capacity_rps, 6),
            "served": round(self.served, 6),
            "headroom": round(self.headroom, 6),
            "worst_site": self.worst_site,
            "served_after_worst_site_loss": None
            if self.served_after_worst_site_loss is None
            else round(self.served_after_worst_site_loss, 6),
        }


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "detail": self.detail}


@dataclass
class Report:
    """Everything :func:`build_report` found."""

    source: str
    summary: FleetSummary
    tier: TierReport | None = None
    contingency: ContingencyReport | None = None
    timelines: list[Timeline] = field(default_factory=list)
    headroom: list[HeadroomRow] = field(default_factory=list)
    gates: list[GateResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def to_json(self, full: bool = False) -> dict[str, Any]:
        """JSON-ready dict; ``full`` adds every downed component (see ``--detail full``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "summary": self.summary.to_json(),
            "tier": self.tier.to_json() if self.tier else None,
            "contingency": self.contingency.to_json() if self.contingency else None,
            "scenarios": [t.to_json(full) for t in self.timelines],
            "headroom": [h.to_json() for h in self.headroom],
            "gates": [g.to_json() for g in self.gates],
            "passed": self.passed,
        }


def surge_headroom(fleet: Fleet, evaluator: Evaluator | None = None) -> list[HeadroomRow]:
    """Per service and demand level: capacity, served fraction, and the worst site loss."""
    ev = evaluator or Evaluator(fleet)
    levels: dict[str, None] = {"baseline": None}
    for service in fleet.services:
        levels.update(dict.fromkeys(service.surges))
    site_sets = {s.name: [c.name for c in s.components] for s in fleet.sites}
    rows = []
    for level in levels:
        surge: float | str = 1.0 if level == "baseline" else level
        healthy = ev.evaluate((), surge=surge)
        losses = [(site, ev.evaluate(names, surge=surge)) for site, names in site_sets.items()]
        for service in fleet.services:
            m = 1.0 if level == "baseline" else float(service.surges.get(level, 1.0))
            capacity = sum(r.capacity_rps for r in service.replicas if r.role == "active")
            demand = service.demand_rps * m
            worst_site, worst = None, None
            if len(fleet.sites) > 1:
                worst_site, evaluation = min(
                    losses, key=lambda kv: kv[1].served_fraction(service.name)
                )
                worst = evaluation.served_fraction(service.name)
            rows.append(
                HeadroomRow(
                    service=service.name,
                    level=level,
                    multiplier=m,
                    demand_rps=demand,
                    capacity_rps=capacity,
                    served=healthy.served_fraction(service.name),
                    headroom=capacity / demand - 1.0,
                    worst_site=worst_site,
                    served_after_worst_site_loss=worst,
                )
            )
    return rows


def build_report(
    fleet: Fleet,
    source: str,
    *,
    scenarios: list[str] | None = None,
    order: int = 1,
    progress: ProgressFn | None = None,
    full: bool = False,
) -> Report:
    """Run tier, contingency, the catalog's timelines and surge headroom on ``fleet``."""
    ev = Evaluator(fleet)
    report = Report(source=source, summary=summarize(fleet))
    report.tier = tier_verdict(fleet, ev)
    report.contingency = contingency(
        fleet,
        order=order,
        evaluator=ev,
        progress=(lambda d, t: progress("contingency", d, t)) if progress else None,
        full=full,
    )
    specs = catalog(fleet)
    if scenarios is not None:
        specs = [s for s in specs if s.name in set(scenarios)]
    for k, spec in enumerate(specs):
        report.timelines.append(simulate(fleet, spec, ev))
        if progress:
            progress("scenarios", k + 1, len(specs))
    report.headroom = surge_headroom(fleet, ev)
    return report


def headline(fleet: Fleet) -> dict[str, Any]:
    """The twin's headline results as plain values (Pulumi stack outputs, PR summaries):
    tier per site, single points of failure, and surge headroom per service."""
    ev = Evaluator(fleet)
    tiers = tier_verdict(fleet, ev)
    spofs = contingency(fleet, evaluator=ev).single_points_of_failure
    headroom: dict[str, dict[str, float]] = {}
    after_site_loss: dict[str, dict[str, float]] = {}
    for row in surge_headroom(fleet, ev):
        headroom.setdefault(row.service, {})[row.level] = round(row.headroom, 6)
        if row.served_after_worst_site_loss is not None:
            after_site_loss.setdefault(row.service, {})[row.level] = round(
                row.served_after_worst_site_loss, 6
            )
    return {
        "tier": {t.site: t.roman for t in tiers.sites},
        "tierVerdict": {t.site: t.verdict for t in tiers.sites},
        "singlePointsOfFailure": [i.label for i in spofs],
        "surgeHeadroom": headroom,
        "servedAfterWorstSiteLoss": after_site_loss,
    }


# --------------------------------------------------------------------------- gates


@dataclass(frozen=True)
class Gate:
    name: str
    check: Callable[[Report], GateResult]


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


def _gate_spof(report: Report) -> GateResult:
    spofs = report.contingency.single_points_of_failure if report.contingency else []
    names = ", ".join(i.label for i in spofs[:5])
    return GateResult(
        "spof",
        not spofs,
        f"{len(spofs)} single points of failure" + (f": {names}" if spofs else ""),
    )


def _gate_tier(minimum: int) -> Callable[[Report], GateResult]:
    def check(report: Report) -> GateResult:
        sites = report.tier.sites if report.tier else []
        low = [s for s in sites if s.tier < minimum]
        label = f"tier<{next(k for k, v in _ROMAN.items() if v == minimum)}"
        if not low:
            return GateResult(label, True, "every site meets the tier")
        return GateResult(label, False, "; ".join(f"{s.site}: {s.verdict}" for s in low))

    return check


def _gate_downtime(report: Report) -> GateResult:
    bad = [
        f"{t.scenario}: {s.name} down {s.downtime_s / 3600:.2f} h"
        for t in report.timelines
        for s in t.services
        if s.downtime_s > 0
    ]
    return GateResult(
        "downtime",
        not bad,
        f"{len(bad)} service outages" + (f": {'; '.join(bad[:5])}" if bad else ""),
    )


def _gate_rows_lost(report: Report) -> GateResult:
    bad = [f"{t.scenario}: {t.max_loss.rows} rows" for t in report.timelines if t.max_loss.rows]
    return GateResult(
        "rows-lost",
        not bad,
        f"{len(bad)} scenarios lose rack rows" + (f": {'; '.join(bad[:5])}" if bad else ""),
    )


GATES = ("spof", "tier<I|II|III|IV", "downtime", "rows-lost")


def parse_gates(text: str | None) -> list[Gate]:
    """Parse ``--fail-on`` (comma-separated): spof, tier<III, downtime, rows-lost."""
    if not text:
        return []
    gates = []
    for raw in text.split(","):
        item = raw.strip()
        if item == "spof":
            gates.append(Gate(item, _gate_spof))
        elif item == "downtime":
            gates.append(Gate(item, _gate_downtime))
        elif item == "rows-lost":
            gates.append(Gate(item, _gate_rows_lost))
        elif (match := re.fullmatch(r"tier<(I|II|III|IV)", item)) is not None:
            gates.append(Gate(item, _gate_tier(_ROMAN[match.group(1)])))
        else:
            raise UsageError(f"unknown gate {shown(item)} in --fail-on (known: {', '.join(GATES)})")
    return gates


def evaluate_gates(
    report: Report, gates: list[Gate], fleet: Fleet | None = None
) -> list[GateResult]:
    """Check ``gates`` against ``report``, first running any analysis a gate needs that
    the report lacks (so ``contingency --fail-on tier<III`` really checks the tier)."""
    if fleet is not None and gates:
        ev: Evaluator | None = None
        for gate in gates:
            needs = _GATE_NEEDS[gate.name.split("<")[0]]
            if getattr(report, needs) in (None, []):
                ev = ev or Evaluator(fleet)
                if needs == "tier":
                    report.tier = tier_verdict(fleet, ev)
                elif needs == "contingency":
                    report.contingency = contingency(fleet, evaluator=ev)
                else:
                    report.timelines = [simulate(fleet, s, ev) for s in catalog(fleet)]
    report.gates = [g.check(report) for g in gates]
    return report.gates


_GATE_NEEDS = {
    "spof": "contingency",
    "tier": "tier",
    "downtime": "timelines",
    "rows-lost": "timelines",
}
