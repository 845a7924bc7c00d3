"""Regenerate the committed reference diagrams in ``diagrams/``.

``venv/bin/python -m twin.regenerate`` rewrites every view of every reference stack
and the headline failure overlays (revision ``reference``, so the files do not
change with every commit). It composes the layers — stacks → model → analysis →
outputs — which is why it lives beside the command line and not in
:mod:`twin.outputs.diagrams`. The set is published all or nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from twin.analysis.timeline import simulate
from twin.analysis.twin import Twin
from twin.model.catalog import find_scenario
from twin.outputs.diagrams import VIEWS, render_views
from twin.outputs.files import OutputSet
from twin.sources import build_stack, stack_names

__all__ = [
    "HEADLINE_SCENARIOS",
    "REFERENCE_REVISION",
    "REGENERATE_COMMAND",
    "main",
    "reference_jobs",
    "regenerate",
]

REFERENCE_REVISION = "reference"
"""Revision string of the committed diagrams, so they do not change with every commit."""

REGENERATE_COMMAND = "venv/bin/python -m twin.regenerate"
"""The command that rewrites ``diagrams/``."""

HEADLINE_SCENARIOS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pangyo-2022": ("pangyo:fire:pangyo-b3-battery-room", ("power",)),
    "ansan": ("ansan:fire:ansan-battery-room-hall1-a", ("power",)),
    "fleet": ("ansan:site-loss", ("power", "regions")),
    "lab": ("lab:utility-loss:all+generator-fails-to-start", ("power",)),
}
"""Per reference stack: the scenario overlaid in ``diagrams/`` and the views it is drawn on."""


def reference_jobs(stacks: Iterable[str] | None = None) -> list[tuple[str, str | None, str]]:
    """(stack, scenario or None, view) for every committed reference diagram."""
    jobs: list[tuple[str, str | None, str]] = []
    for stack in stacks if stacks is not None else stack_names():
        jobs += [(stack, None, view) for view in VIEWS]
        if stack in HEADLINE_SCENARIOS:
            scenario, views = HEADLINE_SCENARIOS[stack]
            jobs += [(stack, scenario, view) for view in views]
    return jobs


def regenerate(
    out_dir: str | Path = "diagrams",
    stacks: Iterable[str] | None = None,
    formats: Sequence[str] = ("svg", "png"),
) -> list[Path]:
    """Rewrite the reference diagrams (revision ``reference``) into ``out_dir``."""
    twins: dict[str, Twin] = {}
    with OutputSet(out_dir) as files:
        for stack, scenario, view in reference_jobs(stacks):
            twin = twins.setdefault(stack, Twin(build_stack(stack)))
            timeline = simulate(twin, find_scenario(twin.fleet, scenario)) if scenario else None
            render_views(
                twin.fleet,
                files,
                [view],
                timeline=timeline,
                revision=REFERENCE_REVISION,
                stem=stack,
                formats=formats,
            )
    return files.written


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m twin.regenerate [--out DIR] [--stack S ...]``."""
    parser = argparse.ArgumentParser(prog="python -m twin.regenerate", description=__doc__)
    parser.add_argument("--out", default="diagrams", help="output directory (diagrams/)")
    parser.add_argument("--stack", action="append", help="only this stack (repeatable)")
    args = parser.parse_args(argv)
    for path in regenerate(args.out, args.stack):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
