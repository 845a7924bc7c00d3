"""Benchmark the fast engine against the naive reference, measured in the same run.

Usage::

    venv/bin/python benchmarks/bench_engine.py [--stack NAME | --synthetic HALLS]
        [--reference-sample K] [--pairs N|all] [--seed S]

* exhaustive N-1 (every component failed alone, components and services
  evaluated) with :class:`twin.engine.Evaluator` (batch and one-at-a-time) and
  with :func:`twin.reference.reference_evaluate`, the ratio between them, and a
  check that both agree on every scenario timed;
* the fast evaluator's N-2 over a seeded random sample of pairs (or all pairs),
  with the time extrapolated to exhaustive N-2.

``--synthetic HALLS`` builds a generated fleet instead of a reference stack
(2N power, N+1 UPS capacity gates, N+1 chillers, CRAH capacity gates, a leaf-spine
network and services), to show how the cost per scenario scales with fleet size.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from twin.analysis.engine import Evaluator
from twin.analysis.graph import compile_fleet
from twin.analysis.reference import reference_evaluate
from twin.model import Fleet


def req(resource: str, suppliers: list[str], **gate: Any) -> dict[str, Any]:
    """A requirement group document."""
    return {"resource": resource, "suppliers": suppliers, **gate}


def _adder(prefix: str, comps: list[dict[str, Any]]):
    """A function that appends a component document and returns its full name."""

    def add(name: str, kind: str, zone: str = "plant", requires=(), **attrs: Any) -> str:
        doc = {"name": f"{prefix}-{name}", "kind": kind, "zone": zone, **attrs}
        if requires:
            doc["requires"] = list(requires)
        comps.append(doc)
        return doc["name"]

    return add


def synthetic_fleet(halls: int, sites: int = 2) -> Fleet:
    """A redundant fleet with ``halls`` data halls per site (about 60 components a hall)."""
    site_docs: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    rows_by_site: dict[str, list[str]] = {}
    for s in range(sites):
        p = f"s{s}"
        comps: list[dict[str, Any]] = []

        add = _adder(p, comps)

        buses = {}
        for side in "AB":
            feed = add(f"feed-{side}", "utility_feed", substation=f"sub-{side}", capacity_kw=40e3)
            gens = [add(f"gen-{side}{i}", "generator", "yard", capacity_kw=3e3) for i in range(7)]
            tx = add(f"tx-{side}", "transformer", requires=[req("power", [feed])], capacity_kw=40e3)
            buses[side] = add(
                f"swgr-{side}",
                "switchgear",
                requires=[req("power", [tx, *gens], capacity=18e3)],
                capacity_kw=40e3,
            )
        chillers = [
            add(
                f"chiller-{i}",
                "chiller",
                requires=[req("power", [buses["A"], buses["B"]])],
                cooling_kw=6e3,
            )
            for i in range(5)
        ]
        loop = add(
            "chw-loop",
            "chw_loop",
            requires=[req("cooling", chillers, capacity=24e3)],
            cooling_kw=30e3,
        )
        spines = [
            add(
                f"spine-{i}",
                "spine",
                requires=[req("power", [buses["A"], buses["B"]])],
                capacity_gbps=400.0,
            )
            for i in range(4)
        ]
        rows: list[str] = []
        for h in range(halls):
            zone = f"hall-{h}"
            pdus = {}
            for side in "AB":
                ups = [
                    add(
                        f"h{h}-ups-{side}{i}",
                        "ups",
                        "ups",
                        requires=[req("power", [buses[side]])],
                        capacity_kw=250.0,
                    )
                    for i in range(4)
                ]
                pdus[side] = add(
                    f"h{h}-pdu-{side}",
                    "pdu",
                    zone,
                    requires=[req("power", ups, capacity=750.0)],
                    capacity_kw=800.0,
                    path=side,
                )
            crahs = [
                add(
                    f"h{h}-crah-{i}",
                    "crah",
                    zone,
                    requires=[req("cooling", [loop]), req("power", [pdus["A"], pdus["B"]])],
                    cooling_kw=150.0,
                )
                for i in range(6)
            ]
            leaves = [
                add(
                    f"h{h}-leaf-{i}",
                    "leaf",
                    zone,
                    requires=[
                        req("network", spines, at_least=2),
                        req("power", [pdus["A"], pdus["B"]]),
                    ],
                    capacity_gbps=100.0,
                )
                for i in range(2)
            ]
            for r in range(10):
                rows.append(
                    add(
                        f"h{h}-row-{r}",
                        "rack_row",
                        zone,
                        requires=[
                            req("power", [pdus["A"], pdus["B"]]),
                            req("cooling", crahs, capacity=600.0),
                            req("network", leaves),
                        ],
                        racks=10,
                        servers=300,
                        it_load_kw=70.0,
                    )
                )
        rows_by_site[p] = rows
        zones = [
            {"name": "campus", "kind": "campus"},
            {"name": "plant", "kind": "chiller_plant", "parent": "campus"},
            {"name": "yard", "kind": "generator_yard", "parent": "campus"},
            {"name": "ups", "kind": "ups_room", "parent": "campus"},
            *({"name": f"hall-{h}", "kind": "data_hall", "parent": "campus"} for h in range(halls)),
        ]
        site_docs.append({"name": p, "region": "kr", "zones": zones, "components": comps})

    names = ["auth", "ops", "cache", "storage", "messaging"]
    for k, name in enumerate(names):
        replicas = []
        for site, rows in rows_by_site.items():
            picked = rows[k::7][:6] or rows[:1]
            replicas.append(
                {
                    "site": site,
                    "rows": picked,
                    "capacity_rps": 60_000.0,
                    "stores_data": True,
                    "role": "active" if site == "s0" or name != "ops" else "standby",
                }
            )
        services.append(
            {
                "name": name,
                "demand_rps": 50_000.0,
                "mode": "active_standby" if name == "ops" else "active_active",
                "failover_controller": "auth" if name == "ops" else None,
                "data_quorum": 1 if name == "storage" else None,
                "depends_on": {"messaging": ["auth", "cache", "storage"], "ops": ["auth"]}.get(
                    name, []
                ),
                "replicas": replicas,
            }
        )
    return Fleet.model_validate(
        {
            "name": f"synthetic-{halls}",
            "regions": [{"name": "kr"}],
            "sites": site_docs,
            "services": services,
        }
    )


def _timed(fn, repeat: int = 1) -> tuple[float, Any]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--stack", default="fleet", help="reference stack (default: fleet)")
    source.add_argument("--synthetic", type=int, metavar="HALLS", help="generated fleet instead")
    parser.add_argument(
        "--reference-sample",
        type=int,
        default=0,
        metavar="K",
        help="time the reference on K evenly spaced single failures and extrapolate "
        "(default 0: all of them)",
    )
    parser.add_argument("--pairs", default="50000", help="N-2 pairs to sample, or 'all'")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.synthetic is not None:
        fleet = synthetic_fleet(args.synthetic)
    else:
        import stacks

        fleet = stacks.build_stack(args.stack)

    t_compile, graph = _timed(lambda: compile_fleet(fleet))
    t_init, ev = _timed(lambda: Evaluator(graph))
    n = graph.n_components
    print(
        f"model      {fleet.name}: {n} components, {graph.n_gates} gates, "
        f"{graph.n_services} services, {graph.n_replicas} replicas"
    )
    print(f"compile    {t_compile * 1e3:8.1f} ms   evaluator init {t_init * 1e3:.1f} ms")

    singles = [(i,) for i in range(n)]
    t_batch, batch = _timed(lambda: ev.evaluate_many(singles), repeat=3)
    t_loop, _ = _timed(lambda: [ev.evaluate(s) for s in singles], repeat=3)
    cones = batch.down_counts()
    print(
        f"N-1 fast   {t_batch * 1e3:8.1f} ms batch ({t_batch / n * 1e6:.1f} µs/scenario), "
        f"{t_loop * 1e3:.1f} ms one at a time; cone mean {cones.mean():.2f}, "
        f"max {cones.max()}"
    )

    if args.reference_sample and args.reference_sample < n:
        picks = np.linspace(0, n - 1, args.reference_sample).round().astype(int).tolist()
    else:
        picks = list(range(n))
    names = graph.component_names
    start = time.perf_counter()
    mismatches = 0
    for i in picks:
        ref_up, ref_served = reference_evaluate(fleet, [names[i]])
        fast_up, fast_served = batch[i].as_dicts()
        if fast_up != ref_up or any(abs(fast_served[s] - v) > 1e-9 for s, v in ref_served.items()):
            mismatches += 1
    t_ref = (time.perf_counter() - start) * n / len(picks)
    what = "" if len(picks) == n else f" (extrapolated from {len(picks)} scenarios)"
    print(
        f"N-1 ref    {t_ref * 1e3:8.1f} ms{what} ({t_ref / n * 1e3:.2f} ms/scenario); "
        f"{mismatches} disagreements in {len(picks)} scenarios"
    )
    print(
        f"N-1 ratio  reference / fast batch = {t_ref / t_batch:.0f}x, "
        f"reference / fast one-at-a-time = {t_ref / t_loop:.0f}x"
    )

    total_pairs = n * (n - 1) // 2
    if args.pairs == "all":
        pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    else:
        rng = random.Random(args.seed)
        k = min(int(args.pairs), total_pairs)
        chosen: set[tuple[int, int]] = set()
        while len(chosen) < k:
            a, b = rng.randrange(n), rng.randrange(n)
            if a != b:
                chosen.add((min(a, b), max(a, b)))
        pairs = sorted(chosen)
    t_pairs, pair_batch = _timed(lambda: ev.evaluate_many(pairs))
    t_pairs_nosvc, _ = _timed(lambda: ev.evaluate_many(pairs, services=False))
    per = t_pairs / len(pairs)
    print(
        f"N-2 fast   {len(pairs)} of {total_pairs} pairs in {t_pairs:.2f} s "
        f"({per * 1e6:.1f} µs/pair, {t_pairs_nosvc / len(pairs) * 1e6:.1f} µs without "
        f"services); cone mean {pair_batch.down_counts().mean():.2f}; "
        f"exhaustive N-2 ≈ {per * total_pairs:.1f} s"
    )
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
