"""Terminal tables for every command's ``--format table`` output.

Each takes the :class:`~twin.outputs.tables.Width` its tables are fitted to (long cells
cut with an ellipsis; ``Width()`` cuts nothing) and its prose is wrapped to.
"""

from __future__ import annotations

from twin.analysis.harm import Impact
from twin.analysis.summary import FleetSummary
from twin.analysis.timeline import ServiceOutcome
from twin.model.scenarios import ScenarioSpec
from twin.outputs.events import group_events, loss_steps, severity
from twin.outputs.report import Report
from twin.outputs.tables import Width, counted, duration, format_table, recovery_time

__all__ = [
    "availability_table",
    "contingency_table",
    "gates_table",
    "report_table",
    "scenarios_table",
    "summary_table",
    "tier_table",
    "timeline_table",
]


def summary_table(summary: FleetSummary, width: Width | None = None) -> str:
    """What a fleet declares: per site, per kind, and its services."""
    width = width or Width()
    lines = [
        width.prose(
            f"fleet {summary.name}: {summary.regions} regions, {len(summary.sites)} sites, "
            f"{summary.zones} zones, {summary.components} components, "
            f"{len(summary.services)} services"
        ),
        "",
        format_table(
            [
                "site",
                "region",
                "zones",
                "components",
                "rows",
                "racks",
                "servers",
                "IT kW",
                "utility kW",
                "generator kW",
            ],
            [
                [
                    s.name,
                    s.region,
                    s.zones,
                    s.components,
                    s.rows,
                    s.racks,
                    s.servers,
                    s.it_load_kw,
                    s.utility_kw,
                    s.generator_kw,
                ]
                for s in summary.sites
            ],
            width,
        ),
        "",
        format_table(["kind", "count"], [[k, v] for k, v in summary.kinds.items()], width),
        "",
        width.prose(f"services: {', '.join(summary.services) or '(none)'}"),
    ]
    return "\n".join(lines) + "\n"


def scenarios_table(specs: list[ScenarioSpec], width: Width | None = None) -> str:
    """The scenario catalog: name and description."""
    rows = [[s.name, s.description] for s in specs]
    return format_table(["scenario", "description"], rows, width) + "\n"


def gates_table(report: Report, width: Width | None = None) -> str:
    """The ``--fail-on`` gates and their results (empty when none were asked for)."""
    if not report.gates:
        return ""
    rows = [[g.gate, "pass" if g.passed else "FAIL", g.detail] for g in report.gates]
    return "\n" + format_table(["gate", "result", "detail"], rows, width, wrap=True) + "\n"


def timeline_table(report: Report, width: Width | None = None) -> str:
    """One scenario: how bad, what happened (events grouped, :mod:`twin.outputs.events`),
    IT lost over time (staircases as one step) and how each service fared."""
    width = width or Width()
    t = report.timelines[0]
    groups = group_events(t.events, report.component_kinds)
    lines = [
        width.prose(f"scenario {t.scenario}: {t.description}"),
        width.prose(f"worst: {severity(t)}"),
        width.prose(
            f"{len(t.events):,} events in {len(groups):,} lines (--format json lists every event)"
        ),
        "",
    ]
    lines.append(
        format_table(
            ["time", "what happened", "why"], [[g.when, g.what, g.cause] for g in groups], width
        )
    )
    lines.append("")
    lines.append(
        format_table(
            ["time", "rows lost", "racks", "servers", "IT kW"],
            [[step.when, *step.values()] for step in loss_steps(t.losses)],
            width,
        )
    )
    lines += ["", *_service_outcomes(t.services, width)]
    return "\n".join(lines) + "\n"


def _back(outcome: ServiceOutcome) -> str:
    """When a service was back to partial, SLO and full service (said once when alike)."""
    times = [recovery_time(outcome.rto.get(k)) for k in ("partial_s", "slo_s", "full_s")]
    return times[0] if len(set(times)) == 1 else " / ".join(times)


def _service_outcomes(services: list[ServiceOutcome], width: Width) -> list[str]:
    """How each service fared: its served fractions at baseline and every surge as one
    cell (``0% / 0% / 0%``, the levels named once above), wrapped rather than cut."""
    levels = list(services[0].min_served) if services else []
    same = all(list(o.min_served) == levels == list(o.final_served) for o in services)

    def served(fractions: dict[str, float]) -> str:
        if same:
            return " / ".join(f"{v:.0%}" for v in fractions.values())
        return ", ".join(f"{k} {v:.0%}" for k, v in fractions.items())

    capped = any(o.capped_by for o in services)
    headers = ["service", "downtime", "below SLO", "lowest served", "at the end"]
    headers += ["capped by"] * capped + ["back: partial / SLO / full", "RPO"]
    rows = [
        [
            o.name,
            ("≥ " if o.down_at_horizon else "") + duration(o.downtime_s),
            duration(o.degraded_s),
            served(o.min_served),
            served(o.final_served),
            *[o.capped_by or "–"] * capped,
            _back(o),
            "stateless" if o.rpo_s is None else duration(o.rpo_s),
        ]
        for o in services
    ]
    lines = [width.prose(f"served at {' / '.join(levels)}:")] if same and len(levels) > 1 else []
    return [*lines, format_table(headers, rows, width, wrap=True)]


def _failure_sets(what: str, impacts: list[Impact], width: Width) -> str:
    """Critical pairs or triples: each with the rows it takes and its chain of impact."""
    return format_table(
        [what, "rows", "chain of impact"], [[i.label, i.rows, i.chain()] for i in impacts], width
    )


def contingency_table(report: Report, width: Width | None = None) -> str:
    width = width or Width()
    c = report.contingency
    assert c is not None
    events = c.single_events
    lines = [
        width.prose(
            f"{counted(len(events), 'single-event failure')} (one fire with its spread and "
            "power cut, one shared-risk link cut, one site), worst first:"
            if events
            else "no single event (one fire, one shared-risk link cut, one site) takes IT or a "
            "service down"
        ),
    ]
    if events:
        lines.append(
            format_table(
                ["event", "servers", "what happens"],
                [[e.label, e.impact.servers, e.describe()] for e in events],
                width,
            )
        )
    lines += [
        "",
        width.prose(
            f"{c.scenarios_evaluated:,} failure sets evaluated; "
            f"{len(c.single_points_of_failure)} single points of failure"
        ),
        "",
    ]
    if c.single_points_of_failure:
        lines.append(
            format_table(
                ["single point of failure", "rows", "servers", "chain of impact"],
                [[i.label, i.rows, i.servers, i.chain()] for i in c.single_points_of_failure],
                width,
            )
        )
        lines.append("")
    if c.order >= 2:
        listed = len(c.critical_pairs)
        lines.append(
            width.prose(
                f"{c.pairs_evaluated:,} pairs evaluated; "
                f"{counted(c.critical_pairs_found, 'critical pair')}"
                + (f", the first {listed:,} listed" if listed < c.critical_pairs_found else "")
                + (":" if listed else "")
            )
        )
        if listed:
            lines.append(_failure_sets("pair", c.critical_pairs, width))
        lines.append("")
    if c.triples is not None:
        t3 = c.triples
        count, low, high = t3.estimated
        lines.append(
            width.prose(
                f"{t3.sampled:,} of {t3.total:,} triples sampled (seed {t3.seed}): "
                f"{counted(t3.critical_found, 'critical triple')}, "
                f"{t3.with_critical_pair:,} {'holds' if t3.with_critical_pair == 1 else 'hold'} "
                f"a critical pair; about {count:,.0f} critical triples in all (95 % interval "
                f"{low:,.0f}–{high:,.0f})" + (":" if t3.critical else "")
            )
        )
        if t3.critical:
            lines.append(_failure_sets("triple", t3.critical, width))
        lines.append("")
    harmful = c.harmful_common_cause
    lines.append(width.prose(f"{len(harmful)} of {len(c.common_cause)} common-cause groups hurt:"))
    lines.append(
        format_table(
            ["group", "kind", "rows", "servers", "chain of impact"],
            [[i.label, i.kind, i.rows, i.servers, i.chain()] for i in harmful],
            width,
        )
    )
    return "\n".join(lines) + "\n"


def tier_table(report: Report, width: Width | None = None) -> str:
    assert report.tier is not None
    rows = [[t.site, t.roman, t.verdict] for t in report.tier.sites]
    return format_table(["site", "tier", "verdict"], rows, width, wrap=True) + "\n"


def availability_table(report: Report, width: Width | None = None) -> str:
    """Availability per site and service, then what to fix first."""
    width = width or Width()
    a = report.availability
    assert a is not None
    rows = []
    for c in a.criteria:
        down = c.downtime_min_per_year
        interval = (
            f" ({down.low:.3g}–{down.high:.3g})" if down.low is not None and down.high is not None
            else ""
        )  # fmt: skip
        mean = c.mean_outage_h
        rows.append(
            [
                c.criterion.label,
                c.method,
                f"{c.availability:.7f}",
                "∞" if c.nines == float("inf") else f"{c.nines:.2f}",
                f"{down.value:.3g}{interval}",
                f"{c.outages_per_year.value:.3g}",
                "–" if mean is None else duration(mean.value * 3600.0),
                c.explain(2),
            ]
        )
    table = format_table(
        [
            "site or service",
            "method",
            "availability",
            "nines",
            "min/yr (95 % CI)",
            "outages/yr",
            "mean outage",
            "from",
        ],
        rows,
        width,
        wrap=True,  # a row per site and service: whole, over a few lines
    )
    fix = format_table(
        ["fix this first", "kind", "outage min/yr it is part of"],
        [[name, kind, f"{minutes:.3g}"] for kind, name, minutes in a.fix_first],
        width,
    )
    runs = f"{a.years:,} simulated years, seed {a.seed}" if a.years else "no simulation"
    title = width.prose(f"availability of {a.fleet} ({', '.join(a.methods)}; {runs})")
    return f"{title}\n{table}\n\n{fix}\n"


def report_table(report: Report, width: Width | None = None) -> str:
    width = width or Width()
    parts = [tier_table(report, width).rstrip("\n"), contingency_table(report, width)]
    parts.append(
        format_table(
            ["scenario", "rows lost", "servers lost", "services down", "below SLO"],
            [
                [
                    t.scenario,
                    t.max_loss.rows,
                    t.max_loss.servers,
                    ", ".join(
                        f"{o.name} {'≥ ' if o.down_at_horizon else ''}{duration(o.downtime_s)}"
                        for o in t.services
                        if o.downtime_s > 0
                    )
                    or "none",
                    ", ".join(
                        f"{o.name} {duration(o.degraded_s)}" for o in t.services if o.degraded_s > 0
                    )
                    or "none",
                ]
                for t in report.timelines
            ],
            width,
        )
    )
    parts.append(
        format_table(
            ["service", "level", "served", "headroom", "after worst site loss"],
            [
                [
                    h.service,
                    h.level,
                    f"{h.served:.0%}" + (f" (capped by {h.capped_by})" if h.capped_by else ""),
                    f"{h.headroom:+.0%}",
                    "–"
                    if h.worst_site is None
                    else f"{h.served_after_worst_site_loss:.0%} without {h.worst_site}"
                    + (
                        f" (capped by {h.capped_after_worst_site_loss_by})"
                        if h.capped_after_worst_site_loss_by
                        else ""
                    ),
                ]
                for h in report.headroom
            ],
            width,
        )
    )
    if report.availability is not None:
        parts.append(availability_table(report, width).rstrip("\n"))
    return "\n\n".join(parts) + "\n"
