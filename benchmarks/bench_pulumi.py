"""Pulumi declaration under the SDK's mocks: the program against bare component resources.

    venv/bin/python benchmarks/bench_pulumi.py [--stack NAME ...] [--repeat N] [--bound]

For each stack, in the same run and under the same mocks (update mode), program and bare
runs interleaved (so a change in the machine's load hits both):

* ``program``  — the dctwin program (``twin.iac.declare.declare_fleet``): every region,
  site, zone, component and service as a ``ComponentResource`` with its inputs, and the
  stack outputs, headline twin results included;
* ``headline`` — the share of that spent computing the twin's headline (tier, N-1,
  headroom), measured on its own;
* ``bare``     — the floor: the same number of ``ComponentResource``s with the same
  parents and no inputs, nothing computed.

The ratio program / bare is the figure to watch: what declaring the design costs beyond
what Pulumi itself costs per resource. Prints one line per stack and a JSON summary.

``--bound`` adds the floor ladder: the bare resources again, adding one by one, through
the public API only, what the SDK charges for each thing the program keeps — the same
parents, declared from nested ``(name, args, opts)`` constructors (the SDK records a
source position for every frame outside a component's constructor); one input, ``spec``,
of the same JSON text; ``register_outputs`` of it (a stack policy reads outputs); the
same number of aliases (URN strings). The last rung is what any program declaring these
resources with these features pays before computing anything; the program's excess over
it is dctwin's own work (inputs, derived facts, the headline).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime.settings import reset_options

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twin.analysis.headline import headline
from twin.analysis.twin import Twin
from twin.iac.declare import FLEET_TYPE, REGION_TYPE, SITE_TYPE, declare_fleet, fleet_outputs
from twin.iac.spec import SPEC_KEY
from twin.model import Fleet
from twin.sources import build_stack


class EchoMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return "mock-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def _under_mocks(program: Callable[[], None]) -> float:
    return _run_under_mocks(program)[0]


def _run_under_mocks(program: Callable[[], None]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``program`` under fresh mocks (update mode)."""
    reset_options()
    pulumi.runtime.set_all_config({}, [])
    pulumi.runtime.set_mocks(EchoMocks(), project="dctwin", stack="bench", preview=False)
    start, cpu = time.perf_counter(), time.process_time()
    pulumi.runtime.test(program)()
    return time.perf_counter() - start, time.process_time() - cpu


def _bare(count: int) -> Callable[[], None]:
    def program() -> None:
        root = pulumi.ComponentResource("bench:bare:Root", "root")
        for i in range(count - 1):
            pulumi.ComponentResource(
                "bench:bare:Resource", f"r{i}", None, pulumi.ResourceOptions(parent=root)
            )

    return program


def measure(stack: str, repeat: int, bound: bool = False) -> dict[str, Any]:
    """Best-of-``repeat`` times of the program and of the bare floor (interleaved), and of
    the headline alone; with ``bound``, also the floor ladder (``floor_ladder``)."""
    fleet = build_stack(stack)
    resources = fleet_outputs(fleet)["resources"]  # what declare_fleet declares (tested)

    def program() -> None:
        declared = declare_fleet(fleet)
        for key, value in declared.outputs.items():
            pulumi.export(key, value)

    runs: dict[str, Callable[[], None]] = {"program": program, "bare": _bare(resources)}
    if bound:
        nodes = _plan(fleet)
        runs.update((name, _floor(nodes, k + 1)) for k, name in enumerate(_RUNGS))
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):  # interleaved: a change in the machine's load hits every run
        for name, run in runs.items():
            seconds, cpu_seconds = _run_under_mocks(run)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
    best = {name: min(times) for name, times in wall.items()}
    best_cpu = {name: min(times) for name, times in cpu.items()}
    program_s, bare_s = best["program"], best["bare"]
    headline_s = min(_timed(lambda: headline(Twin(fleet))) for _ in range(repeat))
    row: dict[str, Any] = {
        "stack": stack,
        "resources": resources,
        "program_s": round(program_s, 4),
        "headline_s": round(headline_s, 4),
        "bare_s": round(bare_s, 4),
        "program_per_resource_ms": round(1000 * program_s / resources, 4),
        "bare_per_resource_ms": round(1000 * bare_s / resources, 4),
        "ratio_program_to_bare": round(program_s / bare_s, 3),
        "program_cpu_s": round(best_cpu["program"], 4),
        "bare_cpu_s": round(best_cpu["bare"], 4),
        "ratio_program_to_bare_cpu": round(best_cpu["program"] / best_cpu["bare"], 3),
    }
    if bound:
        row["floor_ladder"] = {
            "rungs_s": {name: round(best[name], 4) for name in _RUNGS},
            "rungs_cpu_s": {name: round(best_cpu[name], 4) for name in _RUNGS},
            "ratio_floor_to_bare": round(best[_RUNGS[-1]] / bare_s, 3),
            "ratio_program_to_floor": round(program_s / best[_RUNGS[-1]], 3),
            "ratio_program_to_floor_cpu": round(best_cpu["program"] / best_cpu[_RUNGS[-1]], 3),
        }
    return row


# --------------------------------------------------------------------------- the floor ladder


@dataclass
class _Node:
    """One resource of the program, as the ladder replays it."""

    name: str
    parent: int | None
    aliases: int
    spec: str
    declares: list[int] = field(default_factory=list)


def _plan(fleet: Fleet) -> list[_Node]:
    """The program's resources in declaration order: parent, alias count, ``spec`` text,
    and which resource's constructor declares which (fleet: regions and services; region:
    sites; site: its zones and components)."""
    seen: list[tuple[pulumi.Resource, str, pulumi.ResourceOptions, Any]] = []

    def spy(args: pulumi.ResourceTransformationArgs) -> None:
        seen.append((args.resource, args.type_, args.opts, args.props))

    def program() -> None:
        pulumi.runtime.register_stack_transformation(spy)
        declare_fleet(fleet)

    _under_mocks(program)
    index = {id(resource): i for i, (resource, *_) in enumerate(seen)}
    types = [type_ for _, type_, _, _ in seen]
    nodes: list[_Node] = []
    for resource, _, opts, props in seen:
        parent = index.get(id(opts.parent)) if opts.parent is not None else None
        nodes.append(
            _Node(resource._name, parent, len(opts.aliases or []), props.get(SPEC_KEY, ""))
        )
        declarer = parent
        while declarer is not None and types[declarer] not in (FLEET_TYPE, REGION_TYPE, SITE_TYPE):
            declarer = nodes[declarer].parent
        if declarer is not None:
            nodes[declarer].declares.append(len(nodes) - 1)
    return nodes


_RUNGS = (
    "nested constructors, same parents",
    "+ one spec input",
    "+ register_outputs",
    "+ aliases",
)


def _floor(nodes: list[_Node], rung: int) -> Callable[[], None]:
    """Bare component resources with the first ``rung`` features of :data:`_RUNGS`.

    Each is declared inside its declaring resource's constructor, as the program does
    (no helper frame in between: the SDK converts every frame outside a component's
    constructor into a source position, so a frame more per level would cost the floor
    what the program does not pay).
    """

    made: dict[int, pulumi.Resource] = {}
    prefix = "urn:pulumi:{stack}::dctwin::bench:floor:Resource"

    def options(i: int) -> pulumi.ResourceOptions:
        node = nodes[i]
        aliases = None
        if rung >= 4 and node.aliases:
            base = prefix.format(stack=pulumi.get_stack())
            aliases = [f"{base}{'$z' * (d + 1)}::{node.name}" for d in range(node.aliases)]
        parent = made[node.parent] if node.parent is not None else None
        return pulumi.ResourceOptions(parent=parent, aliases=aliases)

    class Floor(pulumi.ComponentResource):
        def __init__(self, name: str, args: int, opts: pulumi.ResourceOptions | None = None):
            node = nodes[args]
            props = {SPEC_KEY: node.spec} if rung >= 2 and node.spec else None
            super().__init__("bench:floor:Resource", name, props, opts)
            made[args] = self
            for child in node.declares:
                Floor(nodes[child].name, child, options(child))
            if rung >= 3:
                self.register_outputs(props or {})

    def program() -> None:
        Floor(nodes[0].name, 0, options(0))
        assert len(made) == len(nodes), "the ladder must declare every resource once"

    return program


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="stack (repeatable; default all)")
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs (default 3)")
    parser.add_argument(
        "--bound",
        action="store_true",
        help="also the floor ladder: what the SDK charges per feature",
    )
    args = parser.parse_args(argv)
    stacks = args.stack or ["lab", "ansan", "pangyo-2022", "fleet"]
    rows = [measure(s, args.repeat, args.bound) for s in stacks]
    for r in rows:
        program_ms, headline_ms, bare_ms = (
            1000 * r[k] for k in ("program_s", "headline_s", "bare_s")
        )
        print(
            f"{r['stack']:12} {r['resources']:5} resources  program {program_ms:8.1f} ms "
            f"(headline {headline_ms:7.1f} ms)  bare {bare_ms:7.1f} ms  "
            f"program/bare {r['ratio_program_to_bare']:.2f}x"
        )
        print(f"{'':12} program/bare in CPU time {r['ratio_program_to_bare_cpu']:.2f}x")
        ladder = r.get("floor_ladder")
        if ladder:
            for name, seconds in ladder["rungs_s"].items():
                cpu_ratio = ladder["rungs_cpu_s"][name] / r["bare_cpu_s"]
                print(
                    f"{'':12} floor {name:36} {1000 * seconds:8.1f} ms  "
                    f"{seconds / r['bare_s']:.2f}x bare (CPU {cpu_ratio:.2f}x)"
                )
            print(
                f"{'':12} program / floor with those features "
                f"{ladder['ratio_program_to_floor']:.2f}x "
                f"(CPU {ladder['ratio_program_to_floor_cpu']:.2f}x)"
            )
    print(json.dumps({"benchmark": "pulumi_declaration", "results": rows}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
