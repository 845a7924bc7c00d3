"""The ``dctwin`` command line.

Exit codes a CI gate can use: 0 pass, 1 a resilience check failed, 2 bad input or
usage. Bad input never prints a traceback: the message names the location.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from twin.catalog import catalog, find_scenario
from twin.contingency import contingency
from twin.documents import dump_fleet, fleet_schema
from twin.errors import DefinitionError, UsageError
from twin.layout import VIEWS
from twin.model import SCHEMA_VERSION, Fleet
from twin.outputs import emit, write_atomic
from twin.progress import Progress
from twin.render import render_html, render_json, render_markdown
from twin.report import Report, build_report, evaluate_gates, parse_gates
from twin.scenario_spec import Surge
from twin.sources import load_source, stack_names
from twin.summary import summarize
from twin.tables import format_table
from twin.tier import tier_verdict
from twin.timeline import simulate

__all__ = ["main"]

EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and one clear line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"dctwin: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def _add_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--stack", metavar="S", help=f"reference stack ({', '.join(_stacks())})")
    group.add_argument("--model", metavar="FILE", help="model document (JSON/YAML; - for stdin)")


def _stacks() -> list[str]:
    try:
        return stack_names()
    except (ImportError, AttributeError):  # registry not importable: help omits the list
        return []


def _fleet(args: argparse.Namespace) -> Fleet:
    return load_source(stack=args.stack, model=args.model)


def cmd_export(args: argparse.Namespace) -> int:
    emit(dump_fleet(_fleet(args), args.format), args.out)
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    summary = summarize(fleet)
    print(
        f"ok: fleet {fleet.name!r} is valid ({len(fleet.sites)} sites, "
        f"{summary.components} components, {len(fleet.services)} services)"
    )
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    emit(render_json(fleet_schema()), args.out)
    return EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    summary = summarize(_fleet(args))
    if args.format == "json":
        emit(render_json(summary.to_json()), args.out)
        return EXIT_OK
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
    emit("\n".join(lines) + "\n", args.out)
    return EXIT_OK


def _source_label(args: argparse.Namespace) -> str:
    return f"stack {args.stack}" if args.stack else f"model {args.model}"


def cmd_scenarios(args: argparse.Namespace) -> int:
    specs = catalog(_fleet(args))
    if args.format == "json":
        doc = {
            "schema_version": SCHEMA_VERSION,
            "scenarios": [s.model_dump(mode="json") for s in specs],
        }
        emit(render_json(doc), args.out)
    else:
        rows = [[s.name, s.description] for s in specs]
        emit(format_table(["scenario", "description"], rows) + "\n", args.out)
    return EXIT_OK


def _finish(
    args: argparse.Namespace, fleet: Fleet, report: Report, table: Callable[[Report], str]
) -> int:
    """Evaluate the gates, render in the chosen format, and pick the exit code."""
    evaluate_gates(report, parse_gates(args.fail_on), fleet)
    fmt = args.format
    if fmt == "json":
        text = render_json(report.to_json())
    elif fmt == "markdown":
        text = _markdown(fleet, report)
    elif fmt == "html":
        text = _html(fleet, report)
    else:
        text = table(report)
        if report.gates:
            text += (
                "\n"
                + format_table(
                    ["gate", "result", "detail"],
                    [[g.gate, "pass" if g.passed else "FAIL", g.detail] for g in report.gates],
                )
                + "\n"
            )
    emit(text, args.out)
    return EXIT_OK if report.passed else EXIT_CHECK_FAILED


def cmd_simulate(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    spec = find_scenario(fleet, args.scenario)
    if args.surge:
        known = {n for s in fleet.services for n in s.surges}
        if args.surge not in known:
            raise UsageError(f"unknown surge {args.surge!r} (known: {', '.join(sorted(known))})")
        spec = spec.model_copy(
            update={
                "name": f"{spec.name}+{args.surge}",
                "events": [Surge(surge=args.surge), *spec.events],
            }
        )
    report = Report(source=_source_label(args), summary=summarize(fleet))
    report.timelines.append(simulate(fleet, spec, horizon_s=args.horizon))
    return _finish(args, fleet, report, _timeline_table)


def _markdown(fleet: Fleet, report: Report) -> str:
    from twin.figures import worst_mermaid  # matplotlib only when a report needs it

    worst = worst_mermaid(fleet, report.timelines)
    return render_markdown(
        "report.md.j2",
        report=report,
        mermaid=worst[1] if worst else None,
        mermaid_scenario=worst[0] if worst else None,
    )


def _html(fleet: Fleet, report: Report) -> str:
    from twin.figures import report_figures

    views = VIEWS if (report.tier or report.contingency) else ()
    figures = report_figures(fleet, report.timelines, views=views)
    return render_html("report.html.j2", report=report, figures=figures)


def cmd_diagram(args: argparse.Namespace) -> int:
    from twin.diagrams import render_views

    fleet = _fleet(args)
    timeline = None
    if args.scenario:
        timeline = simulate(fleet, find_scenario(fleet, args.scenario))
    views = VIEWS if args.view == "all" else (args.view,)
    paths = render_views(
        fleet,
        args.out,
        views,
        timeline=timeline,
        at_s=args.at,
        detail=args.detail,
        revision=args.revision,
        stem=args.stack,
    )
    for path in paths:
        print(path)
    return EXIT_OK


def _timeline_table(report: Report) -> str:
    t = report.timelines[0]
    lines = [f"scenario {t.scenario}: {t.description}", ""]
    lines.append(
        format_table(
            ["time", "event", "subject", "cause"],
            [[f"{e.time_s:,.1f} s", e.kind, e.subject, e.cause] for e in t.events],
        )
    )
    lines.append("")
    lines.append(
        format_table(
            ["time", "rows lost", "racks", "servers", "IT kW"],
            [[f"{p.time_s:,.1f} s", p.rows, p.racks, p.servers, p.it_load_kw] for p in t.losses],
        )
    )
    lines.append("")
    lines.append(
        format_table(
            ["service", "downtime s", "degraded s", "lowest served", "at the end"],
            [
                [
                    o.name,
                    o.downtime_s,
                    o.degraded_s,
                    ", ".join(f"{k} {v:.0%}" for k, v in o.min_served.items()),
                    ", ".join(f"{k} {v:.0%}" for k, v in o.final_served.items()),
                ]
                for o in t.services
            ],
        )
    )
    return "\n".join(lines) + "\n"


def cmd_contingency(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    report = Report(source=_source_label(args), summary=summarize(fleet))
    with Progress("contingency") as bar:
        report.contingency = contingency(
            fleet, order=args.order, all_pairs=args.all, progress=bar.update
        )
    return _finish(args, fleet, report, _contingency_table)


def _contingency_table(report: Report) -> str:
    c = report.contingency
    assert c is not None
    lines = [
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


def cmd_tier(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    report = Report(source=_source_label(args), summary=summarize(fleet))
    report.tier = tier_verdict(fleet)
    return _finish(
        args,
        report,
        lambda r: (
            format_table(
                ["site", "tier", "verdict"],
                [[t.site, t.roman, t.verdict] for t in r.tier.sites],  # type: ignore[union-attr]
            )
            + "\n"
        ),
    )


def cmd_report(args: argparse.Namespace) -> int:
    fleet = _fleet(args)
    with Progress("report") as bar:
        report = build_report(
            fleet,
            _source_label(args),
            order=args.order,
            progress=lambda stage, d, t: bar.update(d, t, stage),
        )
    if args.out_dir:
        evaluate_gates(report, parse_gates(args.fail_on), fleet)
        stem = args.stack or "model"
        out = args.out_dir
        # render everything first: a failure leaves no partial set of reports behind
        texts = {
            f"{out}/{stem}.json": render_json(report.to_json()),
            f"{out}/{stem}.md": _markdown(fleet, report),
            f"{out}/{stem}.html": _html(fleet, report),
        }
        for path, text in texts.items():
            write_atomic(path, text)
        if args.diagrams:
            from twin.diagrams import render_views

            render_views(fleet, f"{out}/diagrams", VIEWS, stem=stem)
        written = ", ".join(texts) + (f", {out}/diagrams/" if args.diagrams else "")
        sys.stderr.write(f"wrote {written}\n")
        print(_report_table(report))
        return EXIT_OK if report.passed else EXIT_CHECK_FAILED
    return _finish(args, fleet, report, _report_table)


def _report_table(report: Report) -> str:
    parts = [_tier_lines(report), _contingency_table(report)]
    parts.append(
        format_table(
            ["scenario", "rows lost", "servers lost", "services down"],
            [
                [
                    t.scenario,
                    t.max_loss.rows,
                    t.max_loss.servers,
                    ", ".join(
                        f"{o.name} {o.downtime_s / 3600:.1f} h"
                        for o in t.services
                        if o.downtime_s > 0
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
                    f"{h.served:.0%}",
                    f"{h.headroom:+.0%}",
                    "–"
                    if h.worst_site is None
                    else f"{h.served_after_worst_site_loss:.0%} without {h.worst_site}",
                ]
                for h in report.headroom
            ],
        )
    )
    return "\n\n".join(parts) + "\n"


def _tier_lines(report: Report) -> str:
    assert report.tier is not None
    return format_table(
        ["site", "tier", "verdict"], [[t.site, t.roman, t.verdict] for t in report.tier.sites]
    )


def _add_output(parser: argparse.ArgumentParser, *, gates: bool = True) -> None:
    parser.add_argument("--format", choices=["table", "json", "markdown", "html"], default="table")
    parser.add_argument("--out", metavar="PATH", help="write here instead of stdout")
    if gates:
        parser.add_argument(
            "--fail-on",
            metavar="GATES",
            help="exit 1 when a gate fails; comma-separated: spof, tier<I|II|III|IV, "
            "downtime, rows-lost",
        )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dctwin",
        description="Failure-simulating digital twin for redundant datacenters.",
        epilog="Exit codes: 0 pass, 1 a resilience check failed, 2 bad input or usage.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    export = commands.add_parser("export", help="write the model as a JSON or YAML document")
    _add_source(export)
    export.add_argument("--format", choices=["json", "yaml"], default="json")
    export.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(run=cmd_export)

    validate = commands.add_parser("validate", help="check a stack or model document")
    _add_source(validate)
    validate.set_defaults(run=cmd_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of model documents")
    schema.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    schema.set_defaults(run=cmd_schema)

    summary = commands.add_parser("summary", help="counts per kind, IT load, servers, racks")
    _add_source(summary)
    summary.add_argument("--format", choices=["table", "json"], default="table")
    summary.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    summary.set_defaults(run=cmd_summary)

    scenarios = commands.add_parser("scenarios", help="list the scenario catalog")
    _add_source(scenarios)
    scenarios.add_argument("--format", choices=["table", "json"], default="table")
    scenarios.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    scenarios.set_defaults(run=cmd_scenarios)

    sim = commands.add_parser("simulate", help="simulate one scenario's timeline")
    _add_source(sim)
    sim.add_argument("--scenario", required=True, metavar="NAME", help="see `dctwin scenarios`")
    sim.add_argument("--surge", metavar="NAME", help="run the scenario during this surge")
    sim.add_argument(
        "--horizon", type=_positive_float, metavar="SECONDS", help="simulated time (default 72 h)"
    )
    _add_output(sim)
    sim.set_defaults(run=cmd_simulate)

    cont = commands.add_parser("contingency", help="N-1 / N-2 and common-cause groups")
    _add_source(cont)
    cont.add_argument("--order", type=int, choices=[1, 2], default=1)
    cont.add_argument(
        "--all", action="store_true", help="with --order 2: pairs of every component, rows included"
    )
    _add_output(cont)
    cont.set_defaults(run=cmd_contingency)

    tier = commands.add_parser("tier", help="tier verdict per site")
    _add_source(tier)
    _add_output(tier)
    tier.set_defaults(run=cmd_tier)

    rep = commands.add_parser("report", help="every analysis, as one report")
    _add_source(rep)
    rep.add_argument("--order", type=int, choices=[1, 2], default=1)
    rep.add_argument(
        "--out-dir", metavar="DIR", help="write JSON, Markdown and HTML reports into DIR"
    )
    rep.add_argument(
        "--diagrams",
        action="store_true",
        help="with --out-dir: also write the architecture diagrams into DIR/diagrams",
    )
    _add_output(rep)
    rep.set_defaults(run=cmd_report)

    dia = commands.add_parser("diagram", help="architecture diagrams (SVG and PNG)")
    _add_source(dia)
    dia.add_argument("--scenario", metavar="NAME", help="overlay this scenario's failures")
    dia.add_argument("--view", choices=[*VIEWS, "all"], default="all")
    dia.add_argument(
        "--detail",
        type=int,
        choices=[0, 1, 2],
        default=0,
        help="0 groups alike components, 1 groups rows/batteries/leaves, 2 none",
    )
    dia.add_argument(
        "--at",
        type=_non_negative_float,
        metavar="SECONDS",
        help="moment of the overlay (default: the worst moment)",
    )
    dia.add_argument("--revision", default="", help="revision shown in the title")
    dia.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    dia.set_defaults(run=cmd_diagram)
    return parser


def _finite_float(text: str, *, allow_zero: bool) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or value == float("inf"):
        what = "non-negative" if allow_zero else "positive"
        raise argparse.ArgumentTypeError(f"must be a {what} number: {text!r}")
    return value


def _positive_float(text: str) -> float:
    return _finite_float(text, allow_zero=False)


def _non_negative_float(text: str) -> float:
    return _finite_float(text, allow_zero=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        parse_gates(getattr(args, "fail_on", None))  # a bad gate fails before any analysis
        return run(args)
    except DefinitionError as error:
        sys.stderr.write(f"dctwin: {error.render()}\n")
        return EXIT_BAD_INPUT
    except UsageError as error:
        sys.stderr.write(f"dctwin: error: {error}\n")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:  # an output that cannot be written is a usage error
        where = f" {error.filename}" if error.filename else ""
        sys.stderr.write(f"dctwin: error: cannot write{where}: {error.strerror or error}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("dctwin: interrupted\n")
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
