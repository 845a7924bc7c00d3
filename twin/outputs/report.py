"""Run every analysis on a fleet and gather the results a reviewer reads.

:func:`build_report` is the one place that decides what a full report contains:
the model summary, the tier verdict per site, N-1 contingency with common-cause
groups, every catalog scenario's timeline, and surge headroom. The result is
plain data (:class:`Report`); :mod:`twin.outputs.render` turns it into JSON, Markdown or
HTML. Resilience gates (``--fail-on``) are evaluated here too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from twin.analysis.availability import AvailabilityReport, availability
from twin.analysis.contingency import ContingencyReport, contingency
from twin.analysis.headroom import HeadroomRow, surge_headroom
from twin.analysis.partitions import SrlgConsequence, srlg_consequences
from twin.analysis.scheduler import Scheduler
from twin.analysis.summary import FleetSummary, summarize
from twin.analysis.tier import TierReport, tier_verdict
from twin.analysis.timeline import ServiceOutcome, Timeline, simulate
from twin.analysis.twin import Twin, as_twin
from twin.errors import UsageError, shown
from twin.model import SCHEMA_VERSION, Fleet
from twin.model.catalog import catalog
from twin.outputs.events import component_kinds
from twin.outputs.tables import counted

__all__ = [
    "DEFAULT_VERDICT_GATES",
    "GATES",
    "Gate",
    "GateResult",
    "Report",
    "ServiceWorst",
    "Verdict",
    "build_report",
    "build_verdict",
    "evaluate_gates",
    "parse_gates",
]

ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class SrlgView:
    """What one shared-risk link-group cut does at baseline demand and at the peak surge."""

    baseline: SrlgConsequence
    peak_level: str | None
    peak: SrlgConsequence | None

    @property
    def srlg(self) -> str:
        return self.baseline.srlg

    def describe(self) -> str:
        text = self.baseline.describe()
        if (
            self.peak is not None
            and self.peak.services
            and self.peak.services != self.baseline.services
        ):
            served = ", ".join(f"{s} {v:.0%}" for s, v in self.peak.services.items())
            text += f"; at {self.peak_level}: {served}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "srlg": self.srlg,
            "description": self.describe(),
            "baseline": self.baseline.to_json(),
            "peak_level": self.peak_level,
            "peak": self.peak.to_json() if self.peak else None,
        }


def srlg_views(twin: Twin) -> list[SrlgView]:
    """Every shared-risk group's consequence, at baseline and at the largest surge."""
    levels = twin.demand_levels[1:]
    peak = max(
        levels,
        key=lambda lv: max((s.surges.get(lv, 1.0) for s in twin.fleet.services), default=1.0),
        default=None,
    )
    base = srlg_consequences(twin)
    at_peak = srlg_consequences(twin, surge=peak) if peak else [None] * len(base)
    return [SrlgView(b, peak, p) for b, p in zip(base, at_peak, strict=True)]


@dataclass
class Report:
    """Everything :func:`build_report` found."""

    source: str
    summary: FleetSummary
    tier: TierReport | None = None
    contingency: ContingencyReport | None = None
    timelines: list[Timeline] = field(default_factory=list)
    headroom: list[HeadroomRow] = field(default_factory=list)
    srlgs: list[SrlgView] = field(default_factory=list)
    availability: AvailabilityReport | None = None
    gates: list[GateResult] = field(default_factory=list)
    verdict: Verdict | None = None
    component_kinds: dict[str, str] = field(default_factory=dict)
    """Component name → kind, so timeline groups say what their members are (not in the
    JSON, whose events name each component)."""

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    @property
    def harmful_timelines(self) -> list[Timeline]:
        """Scenarios that take a row or a service down, or leave one below its SLO,
        worst first (servers lost, then service downtime, then below-SLO time)."""
        return sorted(
            (t for t in self.timelines if _harm(t) > (0, 0.0, 0.0)),
            key=lambda t: (tuple(-x for x in _harm(t)), t.scenario),
        )

    @property
    def harmless_timelines(self) -> list[Timeline]:
        return [t for t in self.timelines if _harm(t) <= (0, 0.0, 0.0)]

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
            "srlgs": [v.to_json() for v in self.srlgs],
            "availability": self.availability.to_json() if self.availability else None,
            "gates": [g.to_json() for g in self.gates],
            "verdict": self.verdict.to_json() if self.verdict else None,
            "passed": self.passed,
        }


def build_report(
    fleet: Twin | Fleet,
    source: str,
    *,
    scenarios: list[str] | None = None,
    order: int = 1,
    progress: ProgressFn | None = None,
    full: bool = False,
    years: int | None = None,
    seed: int = 0,
    scheduler: Scheduler | None = None,
) -> Report:
    """Run tier, contingency, the catalog's timelines, surge headroom and availability
    on ``fleet`` (availability by cut sets, or exact where small; ``years`` adds that
    many Monte Carlo years with intervals, on ``scheduler``'s workers when given)."""
    twin = as_twin(fleet)
    fleet = twin.fleet
    report = Report(source=source, summary=summarize(fleet), component_kinds=component_kinds(fleet))
    report.tier = tier_verdict(twin)
    report.contingency = contingency(
        twin,
        order=order,
        progress=(lambda d, t: progress("contingency", d, t)) if progress else None,
        full=full,
        scheduler=scheduler if scheduler is not None and scheduler.distributed else None,
    )
    specs = catalog(fleet)
    if scenarios is not None:
        specs = [s for s in specs if s.name in set(scenarios)]
    for k, spec in enumerate(specs):
        report.timelines.append(simulate(twin, spec))
        if progress:
            progress("scenarios", k + 1, len(specs))
    report.headroom = surge_headroom(twin)
    report.srlgs = srlg_views(twin)
    report.availability = availability(
        twin,
        method="auto" if years else "cut-sets",
        years=years or 1,
        seed=seed,
        scheduler=scheduler,
        progress=progress,
    )
    return report


# --------------------------------------------------------------------------- gates


@dataclass(frozen=True)
class Gate:
    name: str
    check: Callable[[Report], GateResult]


_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4}


def _gate_single_event(report: Report) -> GateResult:
    events = report.contingency.single_events if report.contingency else []
    names = "; ".join(f"{e.label}: {e.describe()}" for e in events[:3])
    return GateResult(
        "single-event",
        not events,
        counted(len(events), "single-event failure") + (f": {names}" if events else ""),
    )


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


def _gate_nines(minimum: float) -> Callable[[Report], GateResult]:
    def check(report: Report) -> GateResult:
        label = f"nines<{minimum:g}"
        criteria = report.availability.criteria if report.availability else []
        low = [c for c in criteria if c.nines < minimum]
        if not low:
            return GateResult(label, True, f"every site and service has at least {minimum:g} nines")
        detail = "; ".join(
            f"{c.criterion.label}: {c.nines:.2f} nines ({c.method}), {c.explain()}" for c in low[:5]
        )
        return GateResult(label, False, f"{len(low)} below {minimum:g} nines: {detail}")

    return check


GATES = ("spof", "single-event", "tier<I|II|III|IV", "downtime", "rows-lost", "nines<N")


def parse_gates(text: str | None) -> list[Gate]:
    """Parse ``--fail-on`` (comma-separated): spof, tier<III, downtime, rows-lost."""
    if not text:
        return []
    gates = []
    for raw in text.split(","):
        item = raw.strip()
        if item == "spof":
            gates.append(Gate(item, _gate_spof))
        elif item == "single-event":
            gates.append(Gate(item, _gate_single_event))
        elif item == "downtime":
            gates.append(Gate(item, _gate_downtime))
        elif item == "rows-lost":
            gates.append(Gate(item, _gate_rows_lost))
        elif (match := re.fullmatch(r"tier<(I|II|III|IV)", item)) is not None:
            gates.append(Gate(item, _gate_tier(_ROMAN[match.group(1)])))
        elif (match := re.fullmatch(r"nines<(\d+(?:\.\d+)?)", item)) is not None:
            gates.append(Gate(item, _gate_nines(float(match.group(1)))))
        else:
            raise UsageError(f"unknown gate {shown(item)} in --fail-on (known: {', '.join(GATES)})")
    return gates


def evaluate_gates(
    report: Report, gates: list[Gate], fleet: Twin | Fleet | None = None
) -> list[GateResult]:
    """Check ``gates`` against ``report``, first running any analysis a gate needs that
    the report lacks (so ``contingency --fail-on tier<III`` really checks the tier)."""
    if fleet is not None and gates:
        twin: Twin | None = None
        for gate in gates:
            needs = _GATE_NEEDS[gate.name.split("<")[0]]
            if getattr(report, needs) in (None, []):
                twin = twin or as_twin(fleet)
                if needs == "tier":
                    report.tier = tier_verdict(twin)
                elif needs == "contingency":
                    report.contingency = contingency(twin)
                elif needs == "availability":
                    report.availability = availability(twin, method="cut-sets")
                else:
                    report.timelines = [simulate(twin, s) for s in catalog(twin.fleet)]
    report.gates = [g.check(report) for g in gates]
    return report.gates


# --------------------------------------------------------------------------- verdict

DEFAULT_VERDICT_GATES = "single-event,spof,tier<III,nines<4"
"""What the verdict at the top of a report judges when ``--fail-on`` names no gates:
no single event and no single component takes IT or a service down, every site at
least Tier III, every site's IT load and service at least four nines."""


@dataclass(frozen=True)
class ServiceWorst:
    """A service's worst catalog scenario: the longest down, then the lowest served."""

    service: str
    scenario: str
    downtime_s: float
    down_at_horizon: bool
    rto_slo_s: float | None
    min_served: dict[str, float]

    def to_json(self) -> dict[str, Any]:
        rto = self.rto_slo_s
        return {
            "service": self.service,
            "scenario": self.scenario,
            "downtime_s": round(self.downtime_s, 3),
            "down_at_horizon": self.down_at_horizon,
            "rto_slo_s": None if rto is None else ("unrestored" if rto == float("inf") else rto),
            "min_served": {k: round(v, 6) for k, v in self.min_served.items()},
        }


@dataclass
class Verdict:
    """The short answer a report opens with: each gate judged, what breaks worst, and
    each service's worst scenario."""

    gates: list[GateResult]
    chosen: bool
    """True when the gates are the ones ``--fail-on`` asked for (else the defaults)."""
    headline: str
    worst: list[ServiceWorst]

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "gates_from": "--fail-on" if self.chosen else DEFAULT_VERDICT_GATES,
            "headline": self.headline,
            "gates": [g.to_json() for g in self.gates],
            "worst_scenario_per_service": [w.to_json() for w in self.worst],
        }


def build_verdict(report: Report, gates: list[Gate] | None = None) -> Verdict:
    """Judge ``report`` against ``gates`` (default :data:`DEFAULT_VERDICT_GATES`), using
    only the analyses it holds: a gate whose analysis is absent is left out."""
    chosen = bool(gates)
    wanted = gates if gates else parse_gates(DEFAULT_VERDICT_GATES)
    present = [
        g for g in wanted if getattr(report, _GATE_NEEDS[g.name.split("<")[0]]) not in (None, [])
    ]
    results = report.gates if chosen and report.gates else [g.check(report) for g in present]
    return Verdict(results, chosen, _headline(report, results), _worst_per_service(report))


def _headline(report: Report, results: list[GateResult]) -> str:
    """One sentence: what breaks worst, or that nothing in the checks does."""
    parts: list[str] = []
    events = report.contingency.single_events if report.contingency else []
    if events:
        worst = events[0]
        down = worst.services_down
        parts.append(
            f"{counted(len(events), 'single event')} take{'s' if len(events) == 1 else ''} "
            f"IT or a service down, worst {worst.label} ({worst.impact.rows:,} rows, "
            f"{worst.impact.servers:,} servers"
            + (f", {len(down)} service{'s' if len(down) != 1 else ''} down" if down else "")
            + ")"
        )
    if report.tier:
        low = min(report.tier.sites, key=lambda t: t.tier, default=None)
        if low is not None:
            parts.append(f"lowest tier {low.roman} at {low.site}")
    if report.availability:
        worst_a = min(report.availability.criteria, key=lambda c: c.nines, default=None)
        if worst_a is not None and math.isfinite(worst_a.nines):
            parts.append(
                f"least available: {worst_a.criterion.label} at {worst_a.nines:.2f} nines "
                f"({worst_a.explain(1)})"
            )
    failed = [g.gate for g in results if not g.passed]
    n = len(results)
    plural = "s" if n != 1 else ""
    lead = (
        f"Fails {len(failed)} of {n} gate{plural} ({', '.join(failed)})"
        if failed
        else f"Passes {'all ' if n > 1 else ''}{n} gate{plural}"
    )
    return lead + (": " + "; ".join(parts) if parts else "") + "."


def _worst_per_service(report: Report) -> list[ServiceWorst]:
    out: list[ServiceWorst] = []
    if not report.timelines:
        return out
    for name in [o.name for o in report.timelines[0].services]:
        timeline = max(report.timelines, key=partial(_badness_in, name))
        o = timeline.service(name)
        if _badness(o) <= (0.0, -1.0):
            continue
        out.append(
            ServiceWorst(
                name, timeline.scenario, o.downtime_s, o.down_at_horizon, o.rto.get("slo_s"),
                dict(o.min_served),
            )
        )  # fmt: skip
    return out


def _harm(timeline: Timeline) -> tuple[int, float, float]:
    downtime = sum(o.downtime_s for o in timeline.services)
    degraded = sum(o.degraded_s for o in timeline.services)
    return (timeline.max_loss.servers, downtime, degraded)


def _badness_in(service: str, timeline: Timeline) -> tuple[float, float]:
    return _badness(timeline.service(service))


def _badness(outcome: ServiceOutcome) -> tuple[float, float]:
    """Longest down (degraded time breaking ties), then lowest served at any level."""
    lowest = min(outcome.min_served.values(), default=1.0)
    return (outcome.downtime_s + outcome.degraded_s * 1e-3, -lowest)


_GATE_NEEDS = {
    "single-event": "contingency",
    "spof": "contingency",
    "tier": "tier",
    "nines": "availability",
    "downtime": "timelines",
    "rows-lost": "timelines",
}
