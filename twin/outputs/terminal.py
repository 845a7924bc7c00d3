"""Terminal tables for every command's ``--format table`` output."""

from __future__ import annotations

from twin.analysis.summary import FleetSummary
from twin.model.scenarios import ScenarioSpec
from twin.outputs.report import Report
from twin.outputs.tables import counted, duration, format_table, recovery_time

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


def summary_table(summary: FleetSummary) -> str:
    """What a fleet declares: per site, per kind, and its services."""
    lines = [
        f"fleet {summary.name}: {summary.regions} regions, {len(summary.sites)} sites, "
        f"{summary.zones} zones, {summary.components} components, "
        f"{len(summary.services)} services",
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
        ),
        "",
        format_table(["kind", "count"], [[k, v] for k, v in summary.kinds.items()]),
        "",
        f"services: {', '.join(summary.services) or '(none)'}",
    ]
    return "\n".join(lines) + "\n"


def scenarios_table(specs: list[ScenarioSpec]) -> str:
    """The scenario catalog: name and description."""
    return (
        format_table(["scenario", "description"], [[s.name, s.description] for s in specs]) + "\n"
    )


def gates_table(report: Report) -> str:
    """The ``--fail-on`` gates and their results (empty when none were asked for)."""
    if not report.gates:
        return ""
    rows = [[g.gate, "pass" if g.passed else "FAIL", g.detail] for g in report.gates]
    return "\n" + format_table(["gate", "result", "detail"], rows) + "\n"


def timeline_table(report: Report) -> str:
    t = report.timelines[0]
    lines = [f"scenario {t.scenario}: {t.description}", ""]
    lines.append(
        format_table(
            ["time", "event", "subject", "cause"],
            [[duration(e.time_s), e.kind, e.subject, e.cause] for e in t.events],
        )
    )
    lines.append("")
    lines.append(
        format_table(
            ["time", "rows lost", "racks", "servers", "IT kW"],
            [[duration(p.time_s), p.rows, p.racks, p.servers, p.it_load_kw] for p in t.losses],
        )
    )
    lines.append("")
    lines.append(
        format_table(
            [
                "service",
                "downtime",
                "below SLO",
                "lowest served",
                "at the end",
                "capped by",
                "back: partial / SLO / full",
                "RPO",
            ],
            [
                [
                    o.name,
                    ("≥ " if o.down_at_horizon else "") + duration(o.downtime_s),
                    duration(o.degraded_s),
                    ", ".join(f"{k} {v:.0%}" for k, v in o.min_served.items()),
                    ", ".join(f"{k} {v:.0%}" for k, v in o.final_served.items()),
                    o.capped_by or "–",
                    " / ".join(
                        recovery_time(o.rto.get(k)) for k in ("partial_s", "slo_s", "full_s")
                    ),
                    "stateless" if o.rpo_s is None else duration(o.rpo_s),
                ]
                for o in t.services
            ],
        )
    )
    return "\n".join(lines) + "\n"


def contingency_table(report: Report) -> str:
    c = report.contingency
    assert c is not None
    events = c.single_events
    lines = [
        f"{counted(len(events), 'single-event failure')} (one fire with its spread and power "
        "cut, one shared-risk link cut, one site), worst first:"
        if events
        else "no single event (one fire, one shared-risk link cut, one site) takes IT or a "
        "service down",
    ]
    if events:
        lines.append(
            format_table(
                ["event", "servers", "what happens"],
                [[e.label, e.impact.servers, e.describe()] for e in events],
            )
        )
    lines += [
        "",
        f"{c.scenarios_evaluated:,} failure sets evaluated; "
        f"{len(c.single_points_of_failure)} single points of failure",
        "",
    ]
    if c.single_points_of_failure:
        lines.append(
            format_table(
                ["single point of failure", "rows", "servers", "chain of impact"],
                [[i.label, i.rows, i.servers, i.chain()] for i in c.single_points_of_failure],
            )
        )
        lines.append("")
    if c.order == 2:
        lines.append(f"{c.pairs_evaluated:,} pairs evaluated; critical pairs:")
        lines.append(
            format_table(
                ["pair", "rows", "chain of impact"],
                [[i.label, i.rows, i.chain()] for i in c.critical_pairs],
            )
        )
        lines.append("")
    harmful = c.harmful_common_cause
    lines.append(f"{len(harmful)} of {len(c.common_cause)} common-cause groups hurt:")
    lines.append(
        format_table(
            ["group", "kind", "rows", "servers", "chain of impact"],
            [[i.label, i.kind, i.rows, i.servers, i.chain()] for i in harmful],
        )
    )
    return "\n".join(lines) + "\n"


def tier_table(report: Report) -> str:
    assert report.tier is not None
    return (
        format_table(
            ["site", "tier", "verdict"], [[t.site, t.roman, t.verdict] for t in report.tier.sites]
        )
        + "\n"
    )


def availability_table(report: Report) -> str:
    """Availability per site and service, then what to fix first."""
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
    )
    fix = format_table(
        ["fix this first", "kind", "outage min/yr it is part of"],
        [[name, kind, f"{minutes:.3g}"] for kind, name, minutes in a.fix_first],
    )
    runs = f"{a.years:,} simulated years, seed {a.seed}" if a.years else "no simulation"
    return f"availability of {a.fleet} ({', '.join(a.methods)}; {runs})\n{table}\n\n{fix}\n"


def report_table(report: Report) -> str:
    parts = [tier_table(report).rstrip("\n"), contingency_table(report)]
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
        )
    )
    if report.availability is not None:
        parts.append(availability_table(report).rstrip("\n"))
    return "\n\n".join(parts) + "\n"
