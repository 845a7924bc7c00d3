"""Command-line option helpers: the parser class, shared options and argument types."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from twin.analysis.scheduler import SchedulerError, SchedulerSpec, parse_scheduler
from twin.sources import stack_names

__all__ = [
    "EXIT_BAD_INPUT",
    "Parser",
    "add_detail",
    "add_output",
    "add_scheduler",
    "add_source",
    "add_wide",
    "non_negative_float",
    "non_negative_int",
    "positive_float",
    "positive_int",
    "scheduler_spec",
]

EXIT_BAD_INPUT = 2

_MAX_INT = 10**9
"""Bound on integer options (years, seeds, shards): larger is a typo, not a plan."""


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors with exit code 2 and one clear line."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        sys.stderr.write(f"dctwin: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def add_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument(
        "--stack",
        metavar="S",
        help=f"reference stack ({', '.join(_stacks())}) or a generated one "
        "(kakao:sites=3,racks=4000,per=rack)",
    )
    group.add_argument("--model", metavar="FILE", help="model document (JSON/YAML; - for stdin)")


def _stacks() -> list[str]:
    try:
        return stack_names()
    except (ImportError, AttributeError):  # registry not importable: help omits the list
        return []


def add_output(parser: argparse.ArgumentParser, *, gates: bool = True) -> None:
    parser.add_argument("--format", choices=["table", "json", "markdown", "html"], default="table")
    parser.add_argument("--out", metavar="PATH", help="write here instead of stdout")
    add_wide(parser)
    if gates:
        parser.add_argument(
            "--fail-on",
            metavar="GATES",
            help="exit 1 when a gate fails; comma-separated: spof, single-event, "
            "tier<I|II|III|IV, downtime, rows-lost, nines<N",
        )


def add_wide(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wide",
        action="store_true",
        help="tables: print long cells whole (by default they are cut with … to fit the "
        "terminal's width, or COLUMNS)",
    )


def add_detail(parser: argparse.ArgumentParser, full: str) -> None:
    parser.add_argument(
        "--detail",
        choices=["summary", "full"],
        default="summary",
        help=f"summary (counts and a sample) or full ({full})",
    )


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


def positive_float(text: str) -> float:
    return _finite_float(text, allow_zero=False)


def non_negative_float(text: str) -> float:
    return _finite_float(text, allow_zero=True)


def _integer(text: str, *, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not low <= value <= _MAX_INT:
        raise argparse.ArgumentTypeError(f"must be between {low} and {_MAX_INT:,}: {text!r}")
    return value


def positive_int(text: str) -> int:
    return _integer(text, low=1)


def non_negative_int(text: str) -> int:
    return _integer(text, low=0)


def scheduler_spec(text: str) -> SchedulerSpec:
    """``--scheduler``: local, local:N or tcp://HOST:PORT (checked before any work)."""
    try:
        return parse_scheduler(text)
    except SchedulerError as error:
        raise argparse.ArgumentTypeError(str(error).removeprefix("--scheduler ")) from None


def add_scheduler(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scheduler",
        type=scheduler_spec,
        default=parse_scheduler(None),
        metavar="local|local:N|tcp://HOST:PORT",
        help="where the N-2 and Monte Carlo shards run: this process (local, the default), N "
        "worker processes here (local:N) or a dask cluster (tcp://HOST:PORT); same result",
    )
