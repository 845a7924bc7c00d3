"""The ``dctwin`` command line.

Exit codes a CI gate can use: 0 pass, 1 a resilience check failed, 2 bad input or
usage. Bad input never prints a traceback: the message names the location.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from twin.documents import dump_fleet, fleet_schema
from twin.errors import DefinitionError, UsageError
from twin.model import Fleet
from twin.outputs import emit
from twin.sources import load_source, stack_names
from twin.summary import summarize
from twin.tables import format_table

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
    emit(json.dumps(fleet_schema(), indent=2) + "\n", args.out)
    return EXIT_OK


def cmd_summary(args: argparse.Namespace) -> int:
    summary = summarize(_fleet(args))
    if args.format == "json":
        emit(json.dumps(summary.to_json(), indent=2) + "\n", args.out)
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except DefinitionError as error:
        sys.stderr.write(f"dctwin: {error.render()}\n")
        return EXIT_BAD_INPUT
    except UsageError as error:
        sys.stderr.write(f"dctwin: error: {error}\n")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
