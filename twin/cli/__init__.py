"""The ``dctwin`` command line.

Exit codes a CI gate can use: 0 pass, 1 a resilience gate failed, 2 bad input or
usage (or an output that cannot be written), 3 an internal error, 130 interrupted.
Bad input never prints a traceback: the message names the location. An internal
error prints one line (the traceback only with ``--debug`` or ``DCTWIN_DEBUG=1``),
so a crash can never be read as a resilience verdict.

Long on purpose: one handler and one parser block per command the README documents,
kept in one module so the table in the README and the parser read side by side (the
matrix test checks them against each other).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

from twin.analysis.availability import METHODS, TooLargeForExact, availability
from twin.analysis.contingency import DEFAULT_TRIPLE_SAMPLES, contingency
from twin.analysis.scheduler import Scheduler, open_scheduler
from twin.analysis.summary import summarize
from twin.analysis.tier import tier_verdict
from twin.analysis.timeline import simulate
from twin.analysis.twin import Twin
from twin.cli.options import (
    EXIT_BAD_INPUT,
    Parser,
    add_detail,
    add_output,
    add_scheduler,
    add_source,
    add_wide,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from twin.errors import DefinitionError, OutputError, UsageError, terminal_safe
from twin.model import SCHEMA_VERSION, Fleet
from twin.model.catalog import catalog, find_scenario
from twin.model.documents import dump_fleet, fleet_schema, load_fleet
from twin.model.scenarios import Surge
from twin.outputs.diff import DIFF_GATES, build_diff, parse_diff_gates
from twin.outputs.documents import diff_markdown, html_report, markdown_report
from twin.outputs.events import component_kinds
from twin.outputs.files import (
    OutputSet,
    emit,
    interrupted,
    note_interrupt,
    published,
    reset_interrupt,
)
from twin.outputs.layout import VIEWS
from twin.outputs.progress import Progress
from twin.outputs.render import render_json
from twin.outputs.report import Report, build_report, build_verdict, evaluate_gates, parse_gates
from twin.outputs.tables import Width, terminal_columns
from twin.outputs.terminal import (
    availability_table,
    contingency_table,
    gates_table,
    report_table,
    scenarios_table,
    summary_table,
    tier_table,
    timeline_table,
)
from twin.revisions import Revision, fleet_at, resolve
from twin.sources import file_stem, load_source

__all__ = ["EXIT_CODES", "build_parser", "command_names", "entry", "main"]

EXIT_OK, EXIT_CHECK_FAILED, EXIT_INTERNAL = 0, 1, 3
EXIT_INTERRUPTED = 130

EXIT_CODES = (
    "Exit codes: 0 pass; 1 a resilience gate (--fail-on) failed (diff: a gate regressed); "
    "2 bad input or usage, "
    "or an output that cannot be written; 3 an internal error (a bug: --debug shows the "
    "traceback); 130 interrupted."
)


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
    emit(_fitted(args, lambda width: summary_table(summary, width)), args.out)
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
        emit(_fitted(args, lambda width: scenarios_table(specs, width)), args.out)
    return EXIT_OK


Table = Callable[[Report, Width], str]


def _fitted(args: argparse.Namespace, table: Callable[[Width], str]) -> str:
    """A table fitted to the terminal (``--wide``, ``--out`` or a pipe: cut nothing), with
    a closing note when a cell had to be cut."""
    width = Width(None if args.wide or args.out else terminal_columns(sys.stdout))
    text = table(width)
    return text + (width.note() + "\n" if width.cut else "")


def _check_wide(args: argparse.Namespace) -> None:
    if getattr(args, "wide", False) and getattr(args, "format", "table") != "table":
        raise UsageError("--wide prints table cells whole; it applies to --format table only")


def _finish(args: argparse.Namespace, twin: Twin, report: Report, table: Table) -> int:
    """Evaluate the gates, render in the chosen format, and pick the exit code."""
    gates = parse_gates(args.fail_on)
    evaluate_gates(report, gates, twin)
    report.verdict = build_verdict(report, gates)
    text = _render(args, twin.fleet, report, table)
    emit(text, args.out)
    return EXIT_OK if report.passed else EXIT_CHECK_FAILED


def _render(args: argparse.Namespace, fleet: Fleet, report: Report, table: Table) -> str:
    """The report in the format asked for (``--format``, ``--detail``)."""
    fmt = args.format
    if fmt == "json":
        text = render_json(report.to_json(full=getattr(args, "detail", "") == "full"))
    elif fmt == "markdown":
        text = markdown_report(fleet, report)
    elif fmt == "html":
        text = html_report(fleet, report)
    else:
        text = _fitted(args, lambda width: table(report, width) + gates_table(report, width))
    return text


def cmd_simulate(args: argparse.Namespace) -> int:
    _check_detail(args)
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
    twin = Twin(fleet)
    report = Report(
        source=_source_label(args), summary=summarize(fleet), component_kinds=component_kinds(fleet)
    )
    report.timelines.append(simulate(twin, spec, horizon_s=args.horizon))
    return _finish(args, twin, report, timeline_table)


def _check_detail(args: argparse.Namespace) -> None:
    if args.detail == "full" and args.format != "json" and not getattr(args, "out_dir", None):
        raise UsageError(
            "--detail full lists every downed component in the JSON output; add --format json"
        )


def cmd_diagram(args: argparse.Namespace) -> int:
    from twin.outputs.diagrams import render_views

    if args.at is not None and not args.scenario:
        raise UsageError("--at picks the moment of a failure overlay; it needs --scenario")
    if args.all_sites and not args.scenario:
        raise UsageError(
            "--all-sites unfolds the sites a failure overlay leaves alone; it needs --scenario"
        )
    if args.detail and args.view == "regions":
        raise UsageError("--detail applies to the power, cooling and network views, not regions")
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
        fold_unaffected=not args.all_sites,
    )
    for path in paths:
        print(path)
    return EXIT_OK


def cmd_contingency(args: argparse.Namespace) -> int:
    if args.all and args.order < 2:
        raise UsageError("--all widens the pairs of --order 2 or 3; it needs --order 2 or 3")
    if args.order != 3 and (args.samples is not None or args.seed is not None):
        option = "--samples" if args.samples is not None else "--seed"
        raise UsageError(f"{option} draws the triples of --order 3; it needs --order 3")
    _check_detail(args)
    scheduler = _scheduler(args, args.order >= 2, "add --order 2 or 3")
    with scheduler:
        twin = Twin(_fleet(args))
        report = Report(source=_source_label(args), summary=summarize(twin.fleet))
        with Progress("contingency") as bar:
            report.contingency = contingency(
                twin,
                order=args.order,
                all_pairs=args.all,
                progress=bar.update,
                full=args.detail == "full",
                scheduler=scheduler if scheduler.distributed else None,
                samples=args.samples if args.samples is not None else DEFAULT_TRIPLE_SAMPLES,
                seed=args.seed or 0,
            )
    return _finish(args, twin, report, contingency_table)


def cmd_tier(args: argparse.Namespace) -> int:
    twin = Twin(_fleet(args))
    report = Report(source=_source_label(args), summary=summarize(twin.fleet))
    report.tier = tier_verdict(twin)
    return _finish(args, twin, report, tier_table)


@contextmanager
def _too_large_is_usage() -> Iterator[None]:
    try:
        yield
    except TooLargeForExact as exc:
        raise UsageError(f"--method exact: {exc}") from None


def _scheduler(args: argparse.Namespace, shardable: bool, why: str) -> Scheduler:
    """The ``--scheduler`` asked for (connected, for a ``tcp://`` one); a cluster when
    nothing it shards runs (N-2, Monte Carlo) is a usage error, not silently ignored."""
    if args.scheduler.kind != "in-process" and not shardable:
        raise UsageError(
            f"--scheduler {args.scheduler} shards N-2, sampled N-3 and Monte Carlo; {why}"
        )
    return open_scheduler(args.scheduler)


def cmd_availability(args: argparse.Namespace) -> int:
    scheduler = _scheduler(
        args,
        args.method in ("auto", "monte-carlo"),
        f"--method {args.method} runs no Monte Carlo (use auto or monte-carlo)",
    )
    with scheduler:
        twin = Twin(_fleet(args))
        report = Report(source=_source_label(args), summary=summarize(twin.fleet))
        with Progress("availability") as bar, _too_large_is_usage():
            report.availability = availability(
                twin,
                years=args.years,
                seed=args.seed,
                method=args.method,
                order=args.order,
                shards=args.shards,
                scheduler=scheduler,
                progress=lambda stage, d, t: bar.update(d, t, stage),
            )
    return _finish(args, twin, report, availability_table)


def cmd_report(args: argparse.Namespace) -> int:
    if args.diagrams and not args.out_dir:
        raise UsageError("--diagrams writes into the --out-dir folder; add --out-dir DIR")
    if args.out_dir and args.out:
        raise UsageError(
            "--out-dir writes the JSON, Markdown and HTML reports; --out writes one: pick one"
        )
    _check_detail(args)
    scheduler = _scheduler(
        args, args.years is not None or args.order == 2, "add --order 2 or --years N"
    )
    with scheduler:
        twin = Twin(_fleet(args))
        fleet = twin.fleet
        with Progress("report") as bar:
            report = build_report(
                twin,
                _source_label(args),
                order=args.order,
                progress=lambda stage, d, t: bar.update(d, t, stage),
                full=args.detail == "full",
                years=args.years,
                seed=args.seed,
                scheduler=scheduler,
            )
    if not args.out_dir:
        return _finish(args, twin, report, report_table)
    gates = parse_gates(args.fail_on)
    evaluate_gates(report, gates, twin)
    report.verdict = build_verdict(report, gates)
    stem = file_stem(args.stack) if args.stack else "model"
    if args.diagrams:  # imported before staging: a Ctrl-C must not land in an import
        from twin.outputs.diagrams import draw_views, write_views
    # every file is staged and published together: a failure or Ctrl-C leaves DIR as it was
    with OutputSet(args.out_dir) as files:
        files.write(f"{stem}.json", render_json(report.to_json(full=args.detail == "full")))
        files.write(f"{stem}.md", markdown_report(fleet, report))
        # each view drawn once: diagrams/ and the HTML report hold the same SVG bytes
        drawn = draw_views(fleet, VIEWS) if args.diagrams else []
        files.write(f"{stem}.html", html_report(fleet, report, drawn))
        if args.diagrams:
            write_views(fleet, files, drawn, stem=stem, folder="diagrams")
    shown = [str(p) for p in files.written if p.parent == files.root]
    if args.diagrams:
        shown.append(str(files.root / "diagrams") + "/")
    sys.stderr.write(terminal_safe(f"wrote {', '.join(shown)}") + "\n")
    emit(_render(args, fleet, report, report_table), None)
    return EXIT_OK if report.passed else EXIT_CHECK_FAILED


def _diff_side(path: str, side: str) -> Fleet:
    try:
        return load_fleet(path)
    except DefinitionError as error:
        raise DefinitionError(error.problems, f"{side} ({error.source or path})") from None


def _revision_label(revision: Revision) -> str:
    if revision.rev is None:
        return "the working tree"
    return f"{revision.rev} ({resolve(revision)[:12]})"


def cmd_diff(args: argparse.Namespace) -> int:
    """Resilience at the base and the head, compared; exit 1 when a selected gate regresses."""
    gates = parse_diff_gates(args.fail_on)
    documents = args.base_model is not None or args.head_model is not None
    if documents:
        if args.base_model is None or args.head_model is None:
            raise UsageError("--base-model and --head-model go together: give both")
        if args.stack or args.base or args.head:
            raise UsageError(
                "compare two model documents (--base-model, --head-model) or a stack at two "
                "revisions (--stack, --base, --head), not both"
            )
        base = _diff_side(args.base_model, "base")
        head = _diff_side(args.head_model, "head")
        source, base_label, head_label = "model documents", args.base_model, args.head_model
    else:
        if not args.stack or not args.base:
            raise UsageError(
                "dctwin diff needs --stack S --base REV [--head REV], or --base-model FILE "
                "--head-model FILE"
            )
        project = Path(args.repo)
        base_side = Revision("base", project, args.base)
        head_side = Revision("head", project, args.head)
        base_label, head_label = _revision_label(base_side), _revision_label(head_side)
        base = fleet_at(base_side, args.stack)
        head = fleet_at(head_side, args.stack)
        source = f"stack {args.stack}"
    with Progress("diff") as bar:
        bar.update(0, 1, "analyses")
        diff = build_diff(
            base, head, source=source, base_label=base_label, head_label=head_label, gates=gates
        )
        bar.update(1, 1, "analyses")
    if args.only_if_changed and not diff.changed and diff.passed:
        return EXIT_OK
    text = render_json(diff.to_json()) if args.format == "json" else diff_markdown(diff)
    emit(text, args.out)
    return EXIT_OK if diff.passed else EXIT_CHECK_FAILED


def command_names() -> list[str]:
    """Every subcommand the parser knows, in the order ``--help`` lists them."""
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return list(action.choices)
    return []


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="dctwin",
        description="Failure-simulating digital twin for redundant datacenters.",
        epilog=EXIT_CODES,
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=bool(os.environ.get("DCTWIN_DEBUG")),
        help="print the traceback of an internal error (also DCTWIN_DEBUG=1)",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    export = commands.add_parser("export", help="write the model as a JSON or YAML document")
    add_source(export)
    export.add_argument("--format", choices=["json", "yaml"], default="json")
    export.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(run=cmd_export)

    validate = commands.add_parser("validate", help="check a stack or model document")
    add_source(validate)
    validate.set_defaults(run=cmd_validate)

    schema = commands.add_parser("schema", help="print the JSON Schema of model documents")
    schema.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    schema.set_defaults(run=cmd_schema)

    summary = commands.add_parser("summary", help="counts per kind, IT load, servers, racks")
    add_source(summary)
    summary.add_argument("--format", choices=["table", "json"], default="table")
    summary.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    add_wide(summary)
    summary.set_defaults(run=cmd_summary)

    scenarios = commands.add_parser("scenarios", help="list the scenario catalog")
    add_source(scenarios)
    scenarios.add_argument("--format", choices=["table", "json"], default="table")
    scenarios.add_argument("--out", metavar="FILE", help="write here instead of stdout")
    add_wide(scenarios)
    scenarios.set_defaults(run=cmd_scenarios)

    sim = commands.add_parser("simulate", help="simulate one scenario's timeline")
    add_source(sim)
    sim.add_argument("--scenario", required=True, metavar="NAME", help="see `dctwin scenarios`")
    sim.add_argument("--surge", metavar="NAME", help="run the scenario during this surge")
    sim.add_argument(
        "--horizon", type=positive_float, metavar="SECONDS", help="simulated time (default 72 h)"
    )
    add_output(sim)
    add_detail(sim, "with --format json: the whole set of components down at every change")
    sim.set_defaults(run=cmd_simulate)

    cont = commands.add_parser("contingency", help="N-1 / N-2 and common-cause groups")
    add_source(cont)
    cont.add_argument(
        "--order",
        type=int,
        choices=[1, 2, 3],
        default=1,
        help="1: every single failure; 2: every pair too; 3: a sample of triples too",
    )
    cont.add_argument(
        "--all",
        action="store_true",
        help="with --order 2 or 3: pairs (and triples) of every component, rows included",
    )
    cont.add_argument(
        "--samples",
        type=positive_int,
        metavar="N",
        help=f"with --order 3: triples drawn (default {DEFAULT_TRIPLE_SAMPLES:,})",
    )
    cont.add_argument(
        "--seed", type=non_negative_int, metavar="K", help="with --order 3: sample seed (default 0)"
    )
    add_output(cont)
    add_detail(
        cont,
        "with --format json: every component down for every failure set, every N-1 result "
        "and every critical pair",
    )
    add_scheduler(cont)
    cont.set_defaults(run=cmd_contingency)

    tier = commands.add_parser("tier", help="tier verdict per site")
    add_source(tier)
    add_output(tier)
    tier.set_defaults(run=cmd_tier)

    avail = commands.add_parser(
        "availability", help="availability per site and service, and what to fix first"
    )
    add_source(avail)
    avail.add_argument(
        "--years",
        type=positive_int,
        default=10_000,
        metavar="N",
        help="simulated years for Monte Carlo (default 10000)",
    )
    avail.add_argument("--seed", type=non_negative_int, default=0, metavar="K", help="default 0")
    avail.add_argument(
        "--method",
        choices=list(METHODS),
        default="auto",
        help="auto: exact where small enough, else Monte Carlo; cut sets always rank",
    )
    avail.add_argument(
        "--order", type=int, choices=[1, 2], default=2, help="largest cut set enumerated"
    )
    avail.add_argument(
        "--shards",
        type=positive_int,
        metavar="K",
        help="split the Monte Carlo run into K pieces (same result; default 1, or one per "
        "worker with --scheduler)",
    )
    add_scheduler(avail)
    add_output(avail)
    avail.set_defaults(run=cmd_availability)

    rep = commands.add_parser("report", help="every analysis, as one report")
    add_source(rep)
    rep.add_argument("--order", type=int, choices=[1, 2], default=1)
    rep.add_argument(
        "--years",
        type=positive_int,
        metavar="N",
        help="add N simulated years of Monte Carlo availability (default: cut sets only)",
    )
    rep.add_argument("--seed", type=non_negative_int, default=0, metavar="K", help="default 0")
    add_scheduler(rep)
    rep.add_argument(
        "--out-dir", metavar="DIR", help="write JSON, Markdown and HTML reports into DIR"
    )
    rep.add_argument(
        "--diagrams",
        action="store_true",
        help="with --out-dir: also write the architecture diagrams into DIR/diagrams",
    )
    add_output(rep)
    add_detail(rep, "with --format json or --out-dir: every downed component in the JSON")
    rep.set_defaults(run=cmd_report)

    dia = commands.add_parser("diagram", help="architecture diagrams (SVG and PNG)")
    add_source(dia)
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
        type=non_negative_float,
        metavar="SECONDS",
        help="moment of the overlay (default: the worst moment)",
    )
    dia.add_argument(
        "--all-sites",
        action="store_true",
        help="with --scenario: draw every site (default: sites the scenario leaves alone are "
        "folded to one line each on the power, cooling and network views)",
    )
    dia.add_argument("--revision", default="", help="revision shown in the title")
    dia.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    dia.set_defaults(run=cmd_diagram)
    dif = commands.add_parser(
        "diff",
        help="what a change does to resilience (base vs head), for one pull-request comment",
    )
    dif.add_argument("--stack", metavar="S", help="the stack to compare at two revisions")
    dif.add_argument("--base", metavar="REV", help="the base revision (a branch, tag or commit)")
    dif.add_argument("--head", metavar="REV", help="the head revision (default: the working tree)")
    dif.add_argument(
        "--repo",
        metavar="DIR",
        default=".",
        help="the project folder in its git repository (default: the current folder)",
    )
    dif.add_argument("--base-model", metavar="FILE", help="a model document as the base")
    dif.add_argument("--head-model", metavar="FILE", help="a model document as the head")
    dif.add_argument("--format", choices=["markdown", "json"], default="markdown")
    dif.add_argument("--out", metavar="PATH", help="write here instead of stdout")
    dif.add_argument(
        "--fail-on",
        metavar="GATES",
        help=f"exit 1 when one regresses; comma-separated: {', '.join(DIFF_GATES)} (default: "
        "all), or none",
    )
    dif.add_argument(
        "--only-if-changed",
        action="store_true",
        help="print nothing (exit 0) when resilience did not change",
    )
    dif.set_defaults(run=cmd_diff, parse_fail_on=parse_diff_gates)
    for command in commands.choices.values():  # `dctwin tier --debug` works too
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see :data:`EXIT_CODES`)."""
    reset_interrupt()
    debug = bool(os.environ.get("DCTWIN_DEBUG"))
    try:
        with _interrupts_noted():
            parser = build_parser()
            args = parser.parse_args(argv)
            debug = args.debug
            run: Callable[[argparse.Namespace], int] = args.run
            # a bad gate fails before any analysis
            getattr(args, "parse_fail_on", parse_gates)(getattr(args, "fail_on", None))
            _check_wide(args)
            code = run(args)
            return EXIT_INTERRUPTED if interrupted() else code
    except DefinitionError as error:
        sys.stderr.write(f"dctwin: {error.render()}\n")
        return EXIT_BAD_INPUT
    except (UsageError, OutputError) as error:
        sys.stderr.write(f"dctwin: error: {terminal_safe(str(error))}\n")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        _silence_stdout()  # the reader went away (`| head`): nothing left to say
        return EXIT_OK
    except OSError as error:  # the machine said no (reading stdin, a full disk): not a bug
        where = f" {error.filename}" if error.filename else ""
        reason = error.strerror or str(error)
        sys.stderr.write(terminal_safe(f"dctwin: error:{where}: {reason}") + "\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("dctwin: interrupted\n")
        return EXIT_INTERRUPTED
    except SystemExit:
        raise  # argparse's usage errors (exit 2) and --help (exit 0)
    except Exception as error:  # a bug: one line, never the exit code of a verdict
        if interrupted():
            # a library turned the KeyboardInterrupt into its own error (matplotlib's
            # C code: "Invalid bounding box"): the run was interrupted, not broken
            sys.stderr.write("dctwin: interrupted\n")
            return EXIT_INTERRUPTED
        if debug:
            traceback.print_exc()
        message = terminal_safe(str(error).splitlines()[0] if str(error) else "")[:300]
        hint = "" if debug else " (a bug in dctwin; --debug or DCTWIN_DEBUG=1 shows the traceback)"
        sys.stderr.write(f"dctwin: internal error: {type(error).__name__}: {message}{hint}\n")
        return EXIT_INTERNAL


@contextmanager
def _interrupts_noted() -> Iterator[None]:
    """SIGINT notes the interrupt before raising, and a ``KeyboardInterrupt`` swallowed by
    a finaliser prints nothing: the run still ends with 130 and publishes no output.

    Once the run has published its outputs, a SIGINT is ignored: the command has
    completed (its files are in place) and ends with its own exit code, not 130."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if published():
            return
        note_interrupt()
        raise KeyboardInterrupt

    def unraisable(info: Any) -> None:
        if isinstance(info.exc_value, KeyboardInterrupt):
            note_interrupt()
            return
        previous_hook(info)

    previous_handler = signal.signal(signal.SIGINT, on_sigint)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous_handler)
        sys.unraisablehook = previous_hook


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def entry() -> NoReturn:
    """The console script: run :func:`main` and exit with its code.

    Once the command is done, a late Ctrl-C is ignored: the outputs are published
    (or were never started) and the exit code already says which, so a signal in
    the interpreter's shutdown must not turn it into a "killed by SIGINT" status.
    After an interrupt the process leaves without finalising the interpreter.
    SIGINT is ignored before :func:`main` installs its handler, so the handler it
    restores on the way out is "ignore" and no moment is left uncovered.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code = main()
    if code == EXIT_INTERRUPTED:
        # The interrupt may have landed inside a C extension's callback (matplotlib,
        # numpy); finalising the interpreter after that can abort it. Every output was
        # already discarded, so leave without finalising.
        for stream in (sys.stdout, sys.stderr):
            with suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)
    sys.exit(code)
