"""Pulumi declaration under the SDK's mocks: the program against bare component resources.

    venv/bin/python benchmarks/bench_pulumi.py [--stack NAME ...] [--repeat N]

For each stack, in the same run and under the same mocks (update mode):

* ``program``  — the dctwin program (``twin.iac.declare.declare_fleet``): every region,
  site, zone, component and service as a ``ComponentResource`` with its inputs, and the
  stack outputs, headline twin results included;
* ``headline`` — the share of that spent computing the twin's headline (tier, N-1,
  headroom), measured on its own;
* ``bare``     — the floor: the same number of ``ComponentResource``s with the same
  parents and no inputs, nothing computed.

The ratio program / bare is the figure to watch: what declaring the design costs beyond
what Pulumi itself costs per resource. Prints one line per stack and a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.settings import reset_options

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.analysis.headline import headline
from twin.analysis.twin import Twin
from twin.iac.declare import declare_fleet
from twin.sources import build_stack


class EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return "mock-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def _under_mocks(program: Callable[[], None]) -> float:
    reset_options()
    pulumi.runtime.set_all_config({}, [])
    pulumi.runtime.set_mocks(EchoMocks(), project="dctwin", stack="bench", preview=False)
    start = time.perf_counter()
    pulumi.runtime.test(program)()
    return time.perf_counter() - start


def _bare(count: int) -> Callable[[], None]:
    def program() -> None:
        root = pulumi.ComponentResource("bench:bare:Root", "root")
        for i in range(count - 1):
            pulumi.ComponentResource(
                "bench:bare:Resource", f"r{i}", None, pulumi.ResourceOptions(parent=root)
            )

    return program


def measure(stack: str, repeat: int) -> dict[str, Any]:
    fleet = build_stack(stack)
    resources = 0

    def program() -> None:
        nonlocal resources
        declared = declare_fleet(fleet)
        resources = len(declared)
        for key, value in declared.outputs.items():
            pulumi.export(key, value)

    program_s = min(_under_mocks(program) for _ in range(repeat))
    headline_s = min(_timed(lambda: headline(Twin(fleet))) for _ in range(repeat))
    bare_s = min(_under_mocks(_bare(resources)) for _ in range(repeat))
    return {
        "stack": stack,
        "resources": resources,
        "program_s": round(program_s, 4),
        "headline_s": round(headline_s, 4),
        "bare_s": round(bare_s, 4),
        "program_per_resource_ms": round(1000 * program_s / resources, 4),
        "bare_per_resource_ms": round(1000 * bare_s / resources, 4),
        "ratio_program_to_bare": round(program_s / bare_s, 3),
    }


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="stack (repeatable; default all)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    args = parser.parse_args(argv)
    rows = [measure(s, args.repeat) for s in args.stack or ["lab", "ansan", "pangyo-2022", "fleet"]]
    for r in rows:
        program_ms, headline_ms, bare_ms = (
            1000 * r[k] for k in ("program_s", "headline_s", "bare_s")
        )
        print(
            f"{r['stack']:12} {r['resources']:5} resources  program {program_ms:8.1f} ms "
            f"(headline {headline_ms:7.1f} ms)  bare {bare_ms:7.1f} ms  "
            f"program/bare {r['ratio_program_to_bare']:.2f}x"
        )
    print(json.dumps({"benchmark": "pulumi_declaration", "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
