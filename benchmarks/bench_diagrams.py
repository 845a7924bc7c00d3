"""Render time per diagram view for a reference stack (default ``ansan``).

Not a pytest test: run ``venv/bin/python benchmarks/bench_diagrams.py [--stack S]``.
Each view must render (layout + SVG + PNG) in under 10 s; the script exits 1 when
one does not.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stacks import build_stack
from twin.analysis.timeline import simulate
from twin.model.catalog import find_scenario
from twin.outputs.diagrams import VIEWS, render_view_png, render_view_svg
from twin.regenerate import HEADLINE_SCENARIOS

BUDGET_S = 10.0


def _time(fn, *args, **kwargs) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stack", default="ansan")
    parser.add_argument("--detail", type=int, default=0)
    args = parser.parse_args(argv)
    fleet = build_stack(args.stack)
    timeline = None
    if args.stack in HEADLINE_SCENARIOS:
        timeline = simulate(fleet, find_scenario(fleet, HEADLINE_SCENARIOS[args.stack][0]))
    print(f"stack {args.stack}: {len(fleet.components())} components, detail {args.detail}")
    print(f"{'view':<10} {'overlay':<8} {'svg s':>7} {'png s':>7} {'total s':>8}")
    worst = 0.0
    for view in VIEWS:
        for overlay in (None, timeline) if timeline is not None else (None,):
            kw = {"timeline": overlay, "detail": args.detail}
            svg = _time(render_view_svg, fleet, view, **kw)
            png = _time(render_view_png, fleet, view, **kw)
            worst = max(worst, svg + png)
            flag = "" if svg + png < BUDGET_S else "  OVER BUDGET"
            tag = "yes" if overlay is not None else "no"
            print(f"{view:<10} {tag:<8} {svg:7.2f} {png:7.2f} {svg + png:8.2f}{flag}")
    print(f"slowest view: {worst:.2f} s (budget {BUDGET_S:.0f} s)")
    return 0 if worst < BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
