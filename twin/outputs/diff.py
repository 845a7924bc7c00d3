"""The resilience diff between two revisions of a fleet, for one pull-request comment.

Both fleets go through :func:`twin.outputs.report.build_report` (the current code,
each compiled once into a twin) and the two reports are compared: single-event
failures and single points of failure new and gone, tier per site and its missed
requirements, every catalog scenario's served fractions and recovery (RTO, RPO) per
service and demand level, surge headroom, and the declared resources themselves,
keyed like Pulumi URNs (``type::name``, :mod:`twin.model.naming`).

Gates (``--fail-on`` of ``dctwin diff``) fail on a *regression* only, never on what
the base already had: ``single-event`` (a new single-event failure, or one that now
takes down a service it did not), ``spof`` (a new single point of failure), ``tier``
(a site's tier drops), ``rto`` (a service recovers later in a scenario both sides
run), ``rpo`` (it loses more data), ``headroom`` (a service serves less at a demand
level, healthy or after the worst site loss, or its surge headroom turns negative),
``availability`` (a site's IT load or a service is expected down more than
:data:`AVAILABILITY_TOLERANCE` longer a year, by the minimal cut sets).
All of them are on by default (:data:`DEFAULT_DIFF_GATES`).

Long on purpose: each part of a report has its own comparison rule (what counts as new,
gone, worse), and the verdict, the gates and the JSON read them all; one module keeps
the definition of a regression in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from twin.analysis.availability.importance import MINUTES_PER_YEAR
from twin.analysis.contingency import Impact, SingleEvent
from twin.analysis.tier import SiteTier, TierMiss
from twin.analysis.timeline import simulate
from twin.analysis.twin import Twin
from twin.errors import UsageError, shown
from twin.model import SCHEMA_VERSION, Fleet
from twin.model.naming import fleet_resources
from twin.model.scenarios import ComponentFailure, Event, ScenarioSpec
from twin.outputs.report import GateResult, Report, build_report

__all__ = [
    "DEFAULT_DIFF_GATES",
    "DIFF_GATES",
    "ResilienceDiff",
    "ResourceChange",
    "build_diff",
    "parse_diff_gates",
]

DIFF_GATES = ("single-event", "spof", "tier", "rto", "rpo", "headroom", "availability")
DEFAULT_DIFF_GATES = DIFF_GATES
"""Every regression fails a diff unless ``--fail-on`` narrows it (``none``: never)."""

_EPS = 1e-6
_SECONDS = 1.0  # recovery times closer than this are the same

Change = Literal["added", "removed", "changed"]


def parse_diff_gates(text: str | None) -> tuple[str, ...]:
    """``--fail-on`` of ``dctwin diff``: comma-separated :data:`DIFF_GATES`, or ``none``."""
    if text is None:
        return DEFAULT_DIFF_GATES
    items = [item.strip() for item in text.split(",") if item.strip()]
    if items == ["none"]:
        return ()
    unknown = [item for item in items if item not in DIFF_GATES]
    if unknown or not items:
        raise UsageError(
            f"unknown gate {shown(unknown[0] if unknown else text)} in --fail-on of diff "
            f"(known: {', '.join(DIFF_GATES)}, or none)"
        )
    return tuple(dict.fromkeys(items))


@dataclass(frozen=True)
class ResourceChange:
    """A declared resource added, removed, or with changed inputs (named)."""

    key: str
    change: Change
    inputs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "change": self.change, "inputs": list(self.inputs)}


@dataclass(frozen=True)
class EventChange:
    """A single-event failure on both sides whose harm changed."""

    base: SingleEvent
    head: SingleEvent

    @property
    def worse(self) -> bool:
        """It now takes down a service it did not (more servers alone is not worse: a site
        that grows loses more servers with it)."""
        return bool(set(self.head.services_down) - set(self.base.services_down))

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.head.label,
            "worse": self.worse,
            "base": self.base.to_json(),
            "head": self.head.to_json(),
        }


@dataclass(frozen=True)
class TierChange:
    """A site whose tier or missed requirements differ (None: the site is on one side only)."""

    site: str
    base: SiteTier | None
    head: SiteTier | None
    new_misses: tuple[TierMiss, ...]
    gone_misses: tuple[TierMiss, ...]

    @property
    def dropped(self) -> bool:
        return self.base is not None and self.head is not None and self.head.tier < self.base.tier

    @property
    def raised(self) -> bool:
        return self.base is not None and self.head is not None and self.head.tier > self.base.tier

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "base": None if self.base is None else self.base.roman,
            "head": None if self.head is None else self.head.roman,
            "dropped": self.dropped,
            "new_misses": [m.to_json() for m in self.new_misses],
            "gone_misses": [m.to_json() for m in self.gone_misses],
        }


@dataclass(frozen=True)
class Delta:
    """One number that differs between the sides: a served fraction, a downtime, an RTO,
    an RPO or a headroom, of a service in a scenario (or in the surge table)."""

    section: Literal["scenario", "recovery", "headroom", "availability"]
    scope: str  # the scenario, or "surge headroom"
    service: str
    metric: str  # e.g. "min served at world_cup", "rto full", "headroom at baseline"
    base: float | None
    head: float | None
    worse: bool
    better: bool
    gate: str | None  # the gate a worse value fails

    def to_json(self) -> dict[str, Any]:
        def value(v: float | None) -> float | str | None:
            return "unrestored" if v == float("inf") else (None if v is None else round(v, 6))

        return {
            "section": self.section,
            "scope": self.scope,
            "service": self.service,
            "metric": self.metric,
            "base": value(self.base),
            "head": value(self.head),
            "worse": self.worse,
            "better": self.better,
        }


@dataclass
class ResilienceDiff:
    """What changed between the base and the head, and the gates' verdict."""

    source: str
    base_label: str
    head_label: str
    base: Report
    head: Report
    head_fleet: Fleet
    resources: list[ResourceChange] = field(default_factory=list)
    new_events: list[SingleEvent] = field(default_factory=list)
    gone_events: list[SingleEvent] = field(default_factory=list)
    changed_events: list[EventChange] = field(default_factory=list)
    new_spofs: list[Impact] = field(default_factory=list)
    gone_spofs: list[Impact] = field(default_factory=list)
    tiers: list[TierChange] = field(default_factory=list)
    deltas: list[Delta] = field(default_factory=list)
    gates: list[GateResult] = field(default_factory=list)
    blast_radii: list[tuple[str, str]] = field(default_factory=list)
    """(what, Mermaid chart) for each new single-event failure and single point of failure."""

    @property
    def changed(self) -> bool:
        """Whether resilience changed (a resource change alone does not count)."""
        return bool(
            self.new_events
            or self.gone_events
            or self.changed_events
            or self.new_spofs
            or self.gone_spofs
            or self.tiers
            or self.deltas
        )

    @property
    def passed(self) -> bool:
        return all(g.passed for g in self.gates)

    def section(self, name: str) -> list[Delta]:
        return [d for d in self.deltas if d.section == name]

    def counts(self) -> dict[str, dict[str, int]]:
        """Per part of the comparison: added, removed, changed."""

        def trio(added: int, removed: int, changed: int) -> dict[str, int]:
            return {"added": added, "removed": removed, "changed": changed}

        res = [r.change for r in self.resources]
        tiers = self.tiers
        return {
            "single_event_failures": trio(
                len(self.new_events), len(self.gone_events), len(self.changed_events)
            ),
            "single_points_of_failure": trio(len(self.new_spofs), len(self.gone_spofs), 0),
            "tier": trio(
                sum(t.base is None for t in tiers),
                sum(t.head is None for t in tiers),
                sum(t.base is not None and t.head is not None for t in tiers),
            ),
            "scenarios": trio(0, 0, len(self.section("scenario"))),
            "recovery": trio(0, 0, len(self.section("recovery"))),
            "headroom": trio(0, 0, len(self.section("headroom"))),
            "availability": trio(0, 0, len(self.section("availability"))),
            "resources": trio(res.count("added"), res.count("removed"), res.count("changed")),
        }

    def verdict(self) -> str:
        """One sentence, worst news first, in the manner of a cost-diff comment."""
        bad: list[str] = []
        if self.new_events:
            bad.append(_counted(self.new_events, "new single-event failure", _event_text))
        worse_events = [c for c in self.changed_events if c.worse]
        if worse_events:
            bad.append(_counted(worse_events, "single-event failure now worse", _change_text))
        if self.new_spofs:
            bad.append(_counted(self.new_spofs, "new single point of failure", _label))
        dropped = [t for t in self.tiers if t.dropped]
        if dropped:
            bad.append(_counted(dropped, "tier drop", _tier_text))
        for gate, what in (("rto", "later recovery"), ("rpo", "larger data loss")):
            worse = [d for d in self.deltas if d.worse and d.gate == gate]
            if worse:
                bad.append(_counted(worse, what, _delta_text))
        lost = [d for d in self.deltas if d.worse and d.gate == "headroom"]
        if lost:
            bad.append(_counted(lost, "surge headroom loss", _delta_text))
        down = [d for d in self.deltas if d.worse and d.gate == "availability"]
        if down:
            bad.append(_counted(down, "longer expected downtime", _delta_text))
        good: list[str] = []
        if self.gone_events:
            good.append(_counted(self.gone_events, "single-event failure gone", _label))
        if self.gone_spofs:
            good.append(_counted(self.gone_spofs, "single point of failure gone", _label))
        raised = [t for t in self.tiers if t.raised]
        if raised:
            good.append(_counted(raised, "tier raised", _tier_text))
        better = [d for d in self.deltas if d.better]
        if better:
            good.append(f"{len(better)} service figure{'s' if len(better) != 1 else ''} better")
        if bad:
            tail = f" (also improved: {'; '.join(good)})" if good else ""
            return "; ".join(bad) + tail + "."
        if good:
            return "Resilience improved: " + "; ".join(good) + "."
        if self.changed:
            return "Resilience changed, no regression: see the details."
        resources = len(self.resources)
        if resources:
            return f"Resilience unchanged ({_counted_only(resources, 'resource')} changed)."
        return "Resilience unchanged."

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "source": self.source,
            "base": self.base_label,
            "head": self.head_label,
            "verdict": self.verdict(),
            "changed": self.changed,
            "counts": self.counts(),
            "single_event_failures": {
                "new": [e.to_json() for e in self.new_events],
                "gone": [e.to_json() for e in self.gone_events],
                "changed": [c.to_json() for c in self.changed_events],
            },
            "single_points_of_failure": {
                "new": [i.to_json() for i in self.new_spofs],
                "gone": [i.to_json() for i in self.gone_spofs],
            },
            "tier": [t.to_json() for t in self.tiers],
            "services": [d.to_json() for d in self.deltas],
            "resources": [r.to_json() for r in self.resources],
            "gates": [g.to_json() for g in self.gates],
            "passed": self.passed,
        }


def _label(item: Impact | SingleEvent) -> str:
    return item.label


def _event_text(event: SingleEvent) -> str:
    return f"{event.label} ({event.describe()})"


def _change_text(change: EventChange) -> str:
    gained = sorted(set(change.head.services_down) - set(change.base.services_down))
    return f"{change.head.label} now takes down {', '.join(gained)}"


def _tier_text(change: TierChange) -> str:
    assert change.base is not None and change.head is not None
    return f"{change.site} {change.base.roman} → {change.head.roman}"


def _delta_text(delta: Delta) -> str:
    return f"{delta.service} {delta.metric} in {delta.scope}"


_PLURALS = {
    "new single-event failure": "new single-event failures",
    "single-event failure now worse": "single-event failures now worse",
    "new single point of failure": "new single points of failure",
    "tier drop": "tier drops",
    "later recovery": "later recoveries",
    "larger data loss": "larger data losses",
    "surge headroom loss": "surge headroom losses",
    "longer expected downtime": "longer expected downtimes",
    "single-event failure gone": "single-event failures gone",
    "single point of failure gone": "single points of failure gone",
    "tier raised": "tiers raised",
}


def _counted_only(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _counted(items: list[Any], what: str, text: Callable[[Any], str]) -> str:
    """``2 new single points of failure: a, b`` (at most three named)."""
    shown_items = ", ".join(text(item) for item in items[:3])
    more = f" and {len(items) - 3} more" if len(items) > 3 else ""
    plural = what if len(items) == 1 else _PLURALS.get(what, what)
    return f"{len(items)} {plural}: {shown_items}{more}"


# --------------------------------------------------------------------------- building


def build_diff(
    base: Fleet,
    head: Fleet,
    *,
    source: str,
    base_label: str,
    head_label: str,
    gates: Iterable[str] = DEFAULT_DIFF_GATES,
    blast_radii: int = 3,
) -> ResilienceDiff:
    """Run every analysis on both fleets (the same code) and compare the results."""
    base_twin, head_twin = Twin(base), Twin(head)
    diff = ResilienceDiff(
        source=source,
        base_label=base_label,
        head_label=head_label,
        base=build_report(base_twin, f"{source} at {base_label}"),
        head=build_report(head_twin, f"{source} at {head_label}"),
        head_fleet=head,
    )
    diff.resources = _resource_changes(base, head)
    _compare_contingency(diff)
    diff.tiers = _tier_changes(diff.base, diff.head)
    diff.deltas = [
        *_scenario_deltas(diff.base, diff.head),
        *_headroom_deltas(diff),
        *_availability_deltas(diff),
    ]
    diff.gates = [_GATES[name](diff) for name in gates]
    diff.blast_radii = _new_blast_radii(diff, head_twin, blast_radii)
    return diff


def _resource_changes(base: Fleet, head: Fleet) -> list[ResourceChange]:
    before, after = fleet_resources(base), fleet_resources(head)
    out = [ResourceChange(key, "added") for key in after if key not in before]
    out += [ResourceChange(key, "removed") for key in before if key not in after]
    for key, spec in after.items():
        old = before.get(key)
        if old is None:
            continue
        inputs = sorted(
            name
            for name in set(spec.inputs) | set(old.inputs)
            if spec.inputs.get(name) != old.inputs.get(name)
        )
        if old.parent != spec.parent:
            inputs.append("(parent)")
        if inputs:
            out.append(ResourceChange(key, "changed", tuple(inputs)))
    return out


def _compare_contingency(diff: ResilienceDiff) -> None:
    base, head = diff.base.contingency, diff.head.contingency
    assert base is not None and head is not None
    before = {e.label: e for e in base.single_events}
    after = {e.label: e for e in head.single_events}
    diff.new_events = [e for label, e in after.items() if label not in before]
    diff.gone_events = [e for label, e in before.items() if label not in after]
    diff.changed_events = [
        EventChange(before[label], e)
        for label, e in after.items()
        if label in before and _event_facts(before[label]) != _event_facts(e)
    ]
    spofs_before = {i.label: i for i in base.single_points_of_failure}
    spofs_after = {i.label: i for i in head.single_points_of_failure}
    diff.new_spofs = [i for label, i in spofs_after.items() if label not in spofs_before]
    diff.gone_spofs = [i for label, i in spofs_before.items() if label not in spofs_after]


def _event_facts(event: SingleEvent) -> tuple[object, ...]:
    i = event.impact
    return (event.rows_outside, i.servers, tuple(sorted(i.services.items())), event.how())


def _tier_changes(base: Report, head: Report) -> list[TierChange]:
    assert base.tier is not None and head.tier is not None
    before = {s.site: s for s in base.tier.sites}
    after = {s.site: s for s in head.tier.sites}
    out = []
    for site in [*after, *(s for s in before if s not in after)]:
        old, new = before.get(site), after.get(site)

        def keys(tier: SiteTier | None) -> dict[tuple[str, str], TierMiss]:
            return {(m.requirement, m.broken_by): m for m in (tier.misses if tier else [])}

        old_misses, new_misses = keys(old), keys(new)
        added = tuple(m for k, m in new_misses.items() if k not in old_misses)
        gone = tuple(m for k, m in old_misses.items() if k not in new_misses)
        same_tier = old is not None and new is not None and old.tier == new.tier
        if not (same_tier and not added and not gone):
            out.append(TierChange(site, old, new, added, gone))
    return out


def _order(value: float | None) -> float:
    """Recovery times in order: never needed (None) first, not by the end (inf) last."""
    return -1.0 if value is None else value


def _scenario_deltas(base: Report, head: Report) -> list[Delta]:
    before = {t.scenario: t for t in base.timelines}
    out: list[Delta] = []
    for timeline in head.timelines:
        old = before.get(timeline.scenario)
        if old is None:
            continue
        services = {s.name: s for s in old.services}
        for outcome in timeline.services:
            prior = services.get(outcome.name)
            if prior is None:
                continue
            for level, served in outcome.min_served.items():
                was = prior.min_served.get(level)
                if was is not None and abs(served - was) > _EPS:
                    out.append(
                        Delta(
                            "scenario",
                            timeline.scenario,
                            outcome.name,
                            f"lowest served at {level}",
                            was,
                            served,
                            worse=served < was,
                            better=served > was,
                            gate=None,  # a lower service level shows as a later recovery
                        )
                    )
            for key in ("partial_s", "slo_s", "full_s"):
                was_t, now_t = prior.rto.get(key), outcome.rto.get(key)
                if abs(_order(now_t) - _order(was_t)) > _SECONDS or (was_t is None) != (
                    now_t is None
                ):
                    metric = _RTO_NAMES[key]
                    worse = _order(now_t) > _order(was_t)
                    out.append(
                        Delta(
                            "recovery",
                            timeline.scenario,
                            outcome.name,
                            metric,
                            was_t,
                            now_t,
                            worse=worse,
                            better=not worse,
                            gate="rto",
                        )
                    )
            if (prior.rpo_s or 0.0) != (outcome.rpo_s or 0.0):
                worse = (outcome.rpo_s or 0.0) > (prior.rpo_s or 0.0)
                out.append(
                    Delta(
                        "recovery",
                        timeline.scenario,
                        outcome.name,
                        "RPO (data lost)",
                        prior.rpo_s,
                        outcome.rpo_s,
                        worse=worse,
                        better=not worse,
                        gate="rpo",
                    )
                )
    return out


_RTO_NAMES = {
    "partial_s": "RTO to partial service",
    "slo_s": "RTO to its SLO",
    "full_s": "RTO to full service",
}


AVAILABILITY_TOLERANCE = (0.10, 0.01)
"""A criterion's expected downtime counts as worse when it grows by more than 10 % and
more than 0.01 minutes a year (cut sets are exact arithmetic: any growth is real, but a
rounding-size one is not worth a failed check)."""


def _availability_deltas(diff: ResilienceDiff) -> list[Delta]:
    """Expected downtime minutes a year of each site's IT load and each service, by the
    minimal cut sets (deterministic, so both sides compare like for like)."""
    if diff.base.availability is None or diff.head.availability is None:
        return []
    before = {c.criterion: c for c in diff.base.availability.criteria}
    relative, floor = AVAILABILITY_TOLERANCE
    out: list[Delta] = []
    for now in diff.head.availability.criteria:
        old = before.get(now.criterion)
        if old is None or old.cut_sets is None or now.cut_sets is None:
            continue
        was, then = old.cut_sets[0] * MINUTES_PER_YEAR, now.cut_sets[0] * MINUTES_PER_YEAR
        if abs(then - was) <= _EPS:
            continue
        out.append(
            Delta(
                "availability",
                "availability",
                now.criterion.label,
                "downtime min/yr",
                was,
                then,
                worse=then > was * (1 + relative) and then - was > floor,
                better=then < was / (1 + relative) and was - then > floor,
                gate="availability",
            )
        )
    return out


def _headroom_deltas(diff: ResilienceDiff) -> list[Delta]:
    before = {(h.service, h.level): h for h in diff.base.headroom}
    out: list[Delta] = []
    for row in diff.head.headroom:
        old = before.get((row.service, row.level))
        if old is None:
            continue
        pairs: list[tuple[str, float | None, float | None, bool]] = [
            (f"served at {row.level}", old.served, row.served, True),
            (
                f"served at {row.level} after the worst site loss",
                old.served_after_worst_site_loss,
                row.served_after_worst_site_loss,
                True,
            ),
            (f"headroom at {row.level}", old.headroom, row.headroom, False),
        ]
        for metric, was, now, strict in pairs:
            if was is None or now is None or abs(now - was) <= _EPS:
                continue
            lost = now < was if strict else (was >= 0 > now)
            out.append(
                Delta(
                    "headroom",
                    "surge headroom",
                    row.service,
                    metric,
                    was,
                    now,
                    worse=lost,
                    better=now > was and (strict or now >= 0 > was),
                    gate="headroom",
                )
            )
    return out


# --------------------------------------------------------------------------- gates


def _gate(name: str, failures: list[str], what: str) -> GateResult:
    detail = f"{len(failures)} {what}" + (f": {'; '.join(failures[:5])}" if failures else "")
    return GateResult(name, not failures, detail)


_GATES: dict[str, Callable[[ResilienceDiff], GateResult]] = {
    "single-event": lambda d: _gate(
        "single-event",
        [_event_text(e) for e in d.new_events]
        + [_change_text(c) for c in d.changed_events if c.worse],
        "new or worse single-event failures",
    ),
    "spof": lambda d: _gate(
        "spof", [i.chain() for i in d.new_spofs], "new single points of failure"
    ),
    "tier": lambda d: _gate(
        "tier", [_tier_text(t) for t in d.tiers if t.dropped], "sites whose tier dropped"
    ),
    "rto": lambda d: _gate(
        "rto",
        [_delta_text(x) for x in d.deltas if x.worse and x.gate == "rto"],
        "later recoveries",
    ),
    "rpo": lambda d: _gate(
        "rpo",
        [_delta_text(x) for x in d.deltas if x.worse and x.gate == "rpo"],
        "larger data losses",
    ),
    "headroom": lambda d: _gate(
        "headroom",
        [_delta_text(x) for x in d.deltas if x.worse and x.gate == "headroom"],
        "surge headroom losses",
    ),
    "availability": lambda d: _gate(
        "availability",
        [_delta_text(x) for x in d.deltas if x.worse and x.gate == "availability"],
        "longer expected downtimes",
    ),
}


# --------------------------------------------------------------------------- blast radii


def _new_blast_radii(diff: ResilienceDiff, twin: Twin, limit: int) -> list[tuple[str, str]]:
    """The blast radius (Mermaid) of each new single-event failure, then each new single
    point of failure, on the head: only what is new is drawn."""
    from twin.outputs.mermaid import blast_radius_mermaid

    specs: list[tuple[str, Event]] = [
        (event.label, event.scenario().events[0])
        for event in [*diff.new_events, *(c.head for c in diff.changed_events if c.worse)]
    ]
    for spof in diff.new_spofs:
        specs.append((f"loss of {spof.label}", ComponentFailure(components=list(spof.failed))))
    out = []
    for label, injected in specs[:limit]:
        timeline = simulate(twin, ScenarioSpec(name=label, events=[injected]))
        out.append((label, blast_radius_mermaid(twin.fleet, timeline, max_edges=120)))
    return out
