"""Availability: Monte Carlo histories per second, the exact method on the largest
system it takes, and the cut-set pruning, each against a naive yardstick in the same run.

* **Monte Carlo** on a stack (default ``ansan``): histories a second with the engine
  judging each distinct state once. Yardstick: the naive reference evaluator
  (:func:`twin.analysis.reference.reference_evaluate`) timed on a sample of the states
  the run met (and checked to agree on every criterion), extrapolated to judging every
  stretch of constant state — what a straightforward simulation would do.
* **Exact** enumeration of a system with :data:`MAX_EXACT_COMPONENTS` things that fail
  (2^20 states): seconds. Yardstick: the reference evaluator on a sample of states,
  extrapolated.
* **Cut sets** of order 2: the pruned pair enumeration against judging every pair.

    venv/bin/python benchmarks/bench_availability.py [--stack S] [--years N]
        [--reference-sample K]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.nx_worklist import NxWorklist
from stacks import build_stack
from twin.analysis.availability.cutsets import cut_sets
from twin.analysis.availability.exact import (
    MAX_EXACT_COMPONENTS,
    exact_unavailability,
    exact_variables,
)
from twin.analysis.availability.model import ReliabilityModel
from twin.analysis.availability.montecarlo import Walker, blocks_for, merge
from twin.analysis.graph import EPSILON
from twin.analysis.reference import reference_evaluate
from twin.analysis.twin import Twin
from twin.model import (
    Fleet,
    Generator,
    Pdu,
    RackRow,
    Region,
    Requirement,
    Site,
    UtilityFeed,
    Zone,
)
from twin.model.components import COMPONENT_TYPES
from twin.model.reliability import (
    CommonCauseRates,
    KindReliability,
    ReliabilityOverrides,
    UtilityReliability,
)


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def _site_failing(
    model: ReliabilityModel, k: int, down: Callable[[str], bool], excused: set[int]
) -> bool:
    """Site criterion ``k`` read off a yardstick's answer: a row of the site up at the
    baseline is down (``down`` by name) and not excused."""
    g = model.twin.graph
    s = g.site_names.index(model.criteria[k].name)
    rows = np.flatnonzero(model._baseline_rows & (g.component_site == s))
    return any(down(g.component_names[i]) for i in rows if i not in excused)


def _reference_failing(model: ReliabilityModel, down: list[int], excused: list[int]) -> np.ndarray:
    """One state judged the naive way: the reference evaluator, then the criteria read
    off its answer (rows of a site up unless excused; services at their SLO)."""
    twin = model.twin
    names = twin.graph.component_names
    up, served = reference_evaluate(twin.fleet, [names[c] for c in [*model.base, *down]])
    out = np.zeros(len(model.criteria), dtype=bool)
    for k, criterion in enumerate(model.criteria):
        if criterion.kind == "site":
            out[k] = _site_failing(model, k, lambda name: not up[name], set(excused))
        else:
            service = next(x for x in twin.fleet.services if x.name == criterion.name)
            out[k] = served[service.name] < service.slo - EPSILON
    return out


def _networkx_site_failing(
    model: ReliabilityModel, nx: NxWorklist, down: list[int], excused: list[int]
) -> np.ndarray:
    """The site criteria of one state by the networkx worklist yardstick (components
    only: it has no services), as :func:`_reference_failing` reads them."""
    names = model.twin.graph.component_names
    gone = nx.down([names[c] for c in [*model.base, *down]])
    sites = [k for k, c in enumerate(model.criteria) if c.kind == "site"]
    return np.array([_site_failing(model, k, gone.__contains__, set(excused)) for k in sites])


def bench_monte_carlo(
    stack: str, years: int, sample: int, networkx_sample: int = 2_000
) -> dict[str, Any]:
    model = ReliabilityModel(Twin(build_stack(stack)))
    _ = model.ride_through_h  # measured once with the timeline; not part of the sampling
    walker = Walker(model)
    blocks = blocks_for(years)
    seconds, parts = _timed(lambda: [walker.block(r, 0, b) for b, r in enumerate(blocks)])
    result = merge(parts)
    keys = sorted(walker.state_ids, key=walker.state_ids.__getitem__)
    step = max(1, len(keys) // sample)
    chosen = keys[::step][:sample]
    start = time.perf_counter()
    disagree = 0
    for key in chosen:
        naive = _reference_failing(model, sorted(key[0]), sorted(key[1]))
        if not np.array_equal(naive, walker.state_failing[walker.state_ids[key]]):
            disagree += 1
    per_state = (time.perf_counter() - start) / len(chosen)
    naive_every = per_state * result.segments
    naive_cached = per_state * len(keys)
    # the networkx worklist: components and the site criteria of each state
    nx = NxWorklist(model.twin.fleet)
    sites = [k for k, c in enumerate(model.criteria) if c.kind == "site"]
    nx_keys = keys[:: max(1, len(keys) // networkx_sample)][:networkx_sample]
    start = time.perf_counter()
    judged = [_networkx_site_failing(model, nx, sorted(k[0]), sorted(k[1])) for k in nx_keys]
    nx_per_state = (time.perf_counter() - start) / len(nx_keys)
    disagree_nx = sum(
        1
        for key, sites_failing in zip(nx_keys, judged, strict=True)
        if not np.array_equal(sites_failing, walker.state_failing[walker.state_ids[key]][sites])
    )
    nx_every = nx_per_state * result.segments
    nx_cached = nx_per_state * len(keys)
    print(f"model        {stack}: {model.twin.graph.n_components} components, "
          f"{len(model.processes)} processes, {len(model.criteria)} criteria")  # fmt: skip
    print(f"monte carlo  {years} years in {seconds:.2f} s: {years / seconds:,.0f} histories/s; "
          f"{result.segments:,} stretches, {len(keys):,} distinct states judged")  # fmt: skip
    print(f"reference    {per_state * 1e3:.1f} ms/state on {len(chosen)} sampled states, "
          f"{disagree} disagreements")  # fmt: skip
    print(f"ratio        naive judging every stretch ≈ {naive_every:,.0f} s "
          f"({naive_every / seconds:,.0f}x); naive judging each distinct state once ≈ "
          f"{naive_cached:,.0f} s ({naive_cached / seconds:,.0f}x)")  # fmt: skip
    print(f"networkx     {nx_per_state * 1e3:.2f} ms/state (components and sites only) on "
          f"{len(nx_keys)} states, {disagree_nx} disagreements; judging every stretch ≈ "
          f"{nx_every:,.1f} s ({nx_every / seconds:,.0f}x), each distinct state once ≈ "
          f"{nx_cached:,.1f} s ({nx_cached / seconds:,.1f}x)")  # fmt: skip
    if disagree or disagree_nx:
        raise SystemExit(1)
    return {
        "stack": stack,
        "years": years,
        "histories_per_s": years / seconds,
        "distinct_states": len(keys),
        "reference_ms_per_state": per_state * 1e3,
        "ratio_naive_every_stretch": naive_every / seconds,
        "ratio_naive_each_state_once": naive_cached / seconds,
        "networkx_ms_per_state": nx_per_state * 1e3,
        "ratio_networkx_every_stretch": nx_every / seconds,
        "ratio_networkx_each_state_once": nx_cached / seconds,
        "disagreements": disagree,
        "disagreements_networkx": disagree_nx,
    }


def _twenty(n_pdus: int = 18) -> Fleet:
    """A feed and a generator into 18 PDUs, a row needing 9: 20 things that fail."""
    zone = "hall"
    pdus = [f"pdu{k:02d}" for k in range(n_pdus)]
    comps: list[Any] = [
        UtilityFeed(name="feed", zone=zone, substation="s", capacity_kw=100),
        Generator(name="gen", zone=zone, capacity_kw=100),
    ]
    comps += [
        Pdu(name=p, zone=zone, capacity_kw=100,
            requires=[Requirement(resource="power", suppliers=["feed", "gen"])])
        for p in pdus
    ]  # fmt: skip
    comps.append(
        RackRow(name="row", zone=zone, racks=1, servers=10, it_load_kw=10,
                requires=[Requirement(resource="power", suppliers=pdus, at_least=n_pdus // 2)])
    )  # fmt: skip
    figures = {p: KindReliability(failure_rate_per_year=2.0 + k, mttr_h=24.0)
               for k, p in enumerate(pdus)}  # fmt: skip
    return Fleet(
        name="twenty",
        regions=[Region(name="r")],
        sites=[Site(name="s", region="r", zones=[Zone(name=zone, kind="data_hall")],
                    components=comps)],
        reliability=ReliabilityOverrides(
            kinds={k: KindReliability(failure_rate_per_year=0.0) for k in COMPONENT_TYPES
                   if k not in ("generator", "pdu")},
            components=figures,
            utility=UtilityReliability(outages_per_year=3.0, mean_outage_h=4.0),
            common_cause=CommonCauseRates(zone_fire_per_year={"data_hall": 0.0},
                                          srlg_cut_per_year=0.0, site_loss_per_year=0.0),
        ),
    )  # fmt: skip


def bench_exact(sample: int) -> None:
    model = ReliabilityModel(Twin(_twenty()))
    n = len(exact_variables(model))
    assert n == MAX_EXACT_COMPONENTS, n
    seconds, u = _timed(lambda: exact_unavailability(model))
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(sample):
        down = sorted(rng.choice(n, size=int(rng.integers(0, 6)), replace=False).tolist())
        _reference_failing(model, down, [])
    per_state = (time.perf_counter() - start) / sample
    naive = per_state * 2**n
    print(f"exact        {n} variables, {2**n:,} states in {seconds:.1f} s "
          f"({2**n / seconds:,.0f} states/s); unavailability {u[0]:.6g}")  # fmt: skip
    print(f"reference    {per_state * 1e3:.2f} ms/state: all states ≈ {naive:,.0f} s "
          f"({naive / seconds:,.0f}x)")  # fmt: skip


def bench_cut_sets(stack: str) -> None:
    model = ReliabilityModel(Twin(build_stack(stack)))
    pruned_s, pruned = _timed(lambda: cut_sets(model, 2))
    brute_s, brute = _timed(lambda: cut_sets(model, 2, prune=False))
    same = [c.labels for c in pruned.cut_sets] == [c.labels for c in brute.cut_sets]
    print(f"cut sets     {stack} order 2: pruned {pruned.sets_judged:,} sets in {pruned_s:.1f} s, "
          f"every pair {brute.sets_judged:,} in {brute_s:.1f} s ({brute_s / pruned_s:.1f}x); "
          f"{len(pruned.cut_sets)} cut sets, identical: {same}")  # fmt: skip
    if not same:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="ansan")
    parser.add_argument("--years", type=int, default=5000)
    parser.add_argument("--reference-sample", type=int, default=40)
    args = parser.parse_args(argv)
    bench_monte_carlo(args.stack, args.years, args.reference_sample)
    bench_exact(args.reference_sample)
    bench_cut_sets(args.stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
