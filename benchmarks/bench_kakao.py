"""Build and compile a generated Kakao-size fleet: components, gates, seconds.

    venv/bin/python benchmarks/bench_kakao.py [SPEC ...] [--contingency]

Each SPEC is a generated stack's spec string (default: ``kakao:sites=3,racks=4000,per=rack``
and ``...,per=row``, three Ansan-size sites). For each: the time to build the model
(patterns and pydantic validation), the time to compile it into a twin (graph and
engine), the component and gate counts, and the Pulumi resources it would declare
(racks are declared per row); with ``--contingency`` also the N-1 and common-cause run.
A yardstick for the generator, not a timed test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.analysis.contingency import contingency
from twin.analysis.twin import Twin
from twin.model.naming import fleet_resources
from twin.sources import build_stack

DEFAULT_SPECS = ("kakao:sites=3,racks=4000,per=rack", "kakao:sites=3,racks=4000,per=row")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="*", default=list(DEFAULT_SPECS))
    parser.add_argument("--contingency", action="store_true", help="also time N-1")
    args = parser.parse_args(argv)
    for spec in args.specs:
        start = time.perf_counter()
        fleet = build_stack(spec)
        built = time.perf_counter() - start
        start = time.perf_counter()
        twin = Twin(fleet)
        compiled = time.perf_counter() - start
        rows = [c for _, c in fleet.components() if c.kind == "rack_row"]
        print(
            f"{spec}: {twin.graph.n_components:,} components, {twin.graph.n_gates:,} gates, "
            f"{sum(r.racks for r in rows):,} racks in {len(rows):,} IT components, "
            f"{len(fleet_resources(fleet)):,} Pulumi resources; "
            f"build {built:.2f} s, compile {compiled:.2f} s"
        )
        if args.contingency:
            start = time.perf_counter()
            report = contingency(twin)
            print(
                f"  N-1 + common cause {time.perf_counter() - start:.2f} s: "
                f"{len(report.single_points_of_failure):,} single points of failure, "
                f"{len(report.harmful_common_cause)} harmful common-cause groups"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
