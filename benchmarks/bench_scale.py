"""Fleet scale: the engine against its two yardsticks, in the same run, with JSON results.

    venv/bin/python benchmarks/bench_scale.py [--fleet SPEC] [--site SPEC]
        [--reference-sample K] [--pair-sample N] [--triple-sample N] [--json PATH]
        [--quick]

Measured, each beside the naive reference oracle (``twin.analysis.reference``) and a
straightforward networkx worklist with the same gate semantics
(``benchmarks/nx_worklist.py``), and checked for agreement with both:

* ``compile``: building the compiled twin of ``--fleet`` (default the per-rack
  Kakao-size fleet, 3 sites × 4,000 racks);
* ``n1``: every component of ``--fleet`` failed alone (components propagated; the
  engine also with services), the yardstick over every component, the reference on a
  sample of ``--reference-sample`` components, extrapolated;
* ``n2``: exhaustive N-2 over every component of one site (``--site``, racks
  included) with the exact pruning of :mod:`twin.analysis.interaction`, against the
  yardstick and the unpruned engine on ``--pair-sample`` random pairs and the reference
  on ``--reference-sample`` of them, each extrapolated to every pair;
* ``n3``: sampled N-3 on the same site (``--triple-sample`` triples, after its N-2),
  against the yardstick and the reference on samples of those triples, extrapolated;
* ``monte_carlo``: histories per second on ``--mc-stack`` against the reference
  judging each state (``bench_availability.py``) and the networkx worklist judging
  each distinct state's components and sites;
* ``pulumi``: declaring ``--pulumi-stack`` under the SDK's mocks against as many bare
  ``ComponentResource`` s (``bench_pulumi.py``);
* ``report``: ``dctwin report --stack fleet --out-dir DIR --diagrams`` end to end;
* ``peak_rss_mib``: the process's peak resident memory.

``--quick`` swaps in small fleets (for a smoke run).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_availability import bench_monte_carlo
from benchmarks.bench_pulumi import measure as measure_pulumi
from benchmarks.nx_worklist import NxWorklist
from twin.analysis.contingency import contingency, sampled_triples, transient_sources
from twin.analysis.harm import context_of, sample_triples
from twin.analysis.reference import reference_evaluate
from twin.analysis.twin import Twin
from twin.cli import main as cli_main
from twin.sources import build_stack

FLEET = "kakao:sites=3,racks=4000,per=rack"
SITE = "kakao:sites=1,racks=4000,per=rack"
QUICK_FLEET, QUICK_SITE = "fleet", "ansan"


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _n1(spec: str, reference_sample: int) -> dict[str, Any]:
    t_build, fleet = _timed(lambda: build_stack(spec))
    t_compile, twin = _timed(lambda: Twin(fleet))
    graph, ev = twin.graph, twin.evaluator
    n = graph.n_components
    names = graph.component_names
    print(
        f"fleet      {spec}: {n:,} components, {graph.n_gates:,} gates on "
        f"{graph.n_nodes:,} shared nodes, {len(graph.node_supplier):,} supplier edges; "
        f"built in {t_build:.2f} s"
    )
    t_init, _ = _timed(lambda: ev.evaluate([]))  # the all-up state, computed lazily
    print(f"compile    {t_compile:.2f} s (+ {t_init * 1e3:.0f} ms for the all-up state)")

    singles = [(i,) for i in range(n)]
    t_fast, (ptr, idx) = _timed(lambda: ev.down_deltas(singles))
    t_worklist, batch = _timed(lambda: ev.evaluate_many(singles, services=False))
    t_contingency, _ = _timed(lambda: contingency(twin, order=1))
    engine_down = [set(idx[ptr[k] : ptr[k + 1]].tolist()) for k in range(n)]
    assert all(engine_down[k] == set(batch.down(k).tolist()) for k in range(n)), (
        "all-at-once and worklist propagation disagree"
    )
    t_nx_init, nx = _timed(lambda: NxWorklist(fleet))
    t_nx, nx_down = _timed(lambda: [nx.down([name]) for name in names])
    disagree_nx = sum(
        1 for k in range(n) if nx_down[k] != frozenset(names[int(i)] for i in batch.down(k))
    )
    picks = np.linspace(0, n - 1, min(reference_sample, n)).round().astype(int).tolist()
    t_ref_sample, ref = _timed(lambda: [reference_evaluate(fleet, [names[i]])[0] for i in picks])
    t_ref = t_ref_sample * n / len(picks)
    disagree_ref = sum(
        1
        for i, up in zip(picks, ref, strict=True)
        if {c for c, ok in up.items() if not ok} != {names[int(j)] for j in batch.down(i)}
    )
    print(
        f"N-1        engine {t_fast * 1e3:,.0f} ms all at once ({t_worklist * 1e3:,.0f} ms by "
        f"its worklist; the whole contingency N-1 with services and single events "
        f"{t_contingency:.2f} s); networkx worklist {t_nx * 1e3:,.0f} ms (+ {t_nx_init:.2f} s "
        f"to build); reference ≈ {t_ref:,.0f} s (from {len(picks)})"
    )
    print(
        f"N-1 ratio  networkx / engine = {t_nx / t_fast:.1f}x, reference / engine = "
        f"{t_ref / t_fast:,.0f}x; disagreements: networkx {disagree_nx}, reference "
        f"{disagree_ref} of {len(picks)}"
    )
    return {
        "fleet": spec,
        "components": n,
        "gates": graph.n_gates,
        "gate_nodes": graph.n_nodes,
        "supplier_edges": len(graph.node_supplier),
        "build_s": t_build,
        "compile_s": t_compile,
        "n1_engine_s": t_fast,
        "n1_engine_worklist_s": t_worklist,
        "n1_contingency_s": t_contingency,
        "n1_networkx_s": t_nx,
        "n1_reference_s_extrapolated": t_ref,
        "n1_reference_sample": len(picks),
        "n1_ratio_networkx": t_nx / t_fast,
        "n1_ratio_reference": t_ref / t_fast,
        "n1_disagreements_networkx": disagree_nx,
        "n1_disagreements_reference": disagree_ref,
    }


def _reference_down(fleet: Any, failed: list[str]) -> frozenset[str]:
    up, _ = reference_evaluate(fleet, failed)
    return frozenset(name for name, is_up in up.items() if not is_up)


def _n2(spec: str, pair_sample: int, reference_sample: int, seed: int) -> dict[str, Any]:
    fleet = build_stack(spec)
    twin = Twin(fleet)
    graph, ev = twin.graph, twin.evaluator
    n = graph.n_components
    names = graph.component_names
    t_pruned, report = _timed(lambda: contingency(twin, order=2, all_pairs=True, max_listed=None))
    pool = report.pairs_evaluated
    print(
        f"N-2        {spec}: {pool:,} pairs of {n:,} components (racks included) in "
        f"{t_pruned:.2f} s: {report.pairs_propagated:,} propagated in full "
        f"({report.pairs_propagated / max(pool, 1):.2%}); {report.notes[-1]}"
    )
    spofs = {imp.failed[0] for imp in report.single_points_of_failure}
    members = [i for i in range(n) if names[i] not in spofs]
    rng = random.Random(seed)
    sample = sorted(
        {tuple(sorted(rng.sample(members, 2))) for _ in range(pair_sample)}  # type: ignore[misc]
    )
    base = sorted(graph.component_index[c] for c in transient_sources(fleet))
    t_engine, batch = _timed(lambda: ev.evaluate_many([[*base, a, b] for a, b in sample]))
    nx = NxWorklist(fleet)
    storage = [names[i] for i in base]
    t_nx, nx_down = _timed(lambda: [nx.down([*storage, names[a], names[b]]) for a, b in sample])
    disagree = sum(
        1
        for k in range(len(sample))
        if nx_down[k] != frozenset(names[int(i)] for i in batch.down(k))
    )
    scale = pool / len(sample)
    engine_all, nx_all = t_engine * scale, t_nx * scale
    picks = sample[:: max(1, len(sample) // max(reference_sample, 1))][:reference_sample]
    t_ref, ref_down = _timed(
        lambda: [_reference_down(fleet, [*storage, names[a], names[b]]) for a, b in picks]
    )
    where = {pair: k for k, pair in enumerate(sample)}
    disagree_ref = sum(
        1
        for pair, down in zip(picks, ref_down, strict=True)
        if down != frozenset(names[int(i)] for i in batch.down(where[pair]))
    )
    ref_all = t_ref / max(len(picks), 1) * pool
    print(
        f"N-2 ratio  every pair ≈ {engine_all:,.1f} s unpruned engine, ≈ {nx_all:,.1f} s "
        f"networkx worklist (from {len(sample):,} pairs), ≈ {ref_all:,.0f} s reference (from "
        f"{len(picks)}): networkx / pruned = {nx_all / t_pruned:.1f}x, reference / pruned = "
        f"{ref_all / t_pruned:,.0f}x, unpruned / pruned = {engine_all / t_pruned:.1f}x; "
        f"disagreements: networkx {disagree}, reference {disagree_ref}"
    )
    return {
        "site": spec,
        "components": n,
        "pairs": pool,
        "pairs_propagated": report.pairs_propagated,
        "critical_pairs": report.critical_pairs_found,
        "n2_pruned_s": t_pruned,
        "n2_unpruned_s_extrapolated": engine_all,
        "n2_networkx_s_extrapolated": nx_all,
        "n2_pair_sample": len(sample),
        "n2_reference_s_extrapolated": ref_all,
        "n2_reference_sample": len(picks),
        "n2_ratio_networkx": nx_all / t_pruned,
        "n2_ratio_reference": ref_all / t_pruned,
        "n2_ratio_unpruned": engine_all / t_pruned,
        "n2_disagreements_networkx": disagree,
        "n2_disagreements_reference": disagree_ref,
    }


def _n3(spec: str, triples: int, yard_sample: int, reference_sample: int) -> dict[str, Any]:
    fleet = build_stack(spec)
    twin = Twin(fleet)
    names, index = twin.graph.component_names, twin.graph.component_index
    report = contingency(twin, order=2, all_pairs=True, max_listed=None)
    spofs = {imp.failed[0] for imp in report.single_points_of_failure}
    pool = np.array([i for i in range(len(names)) if names[i] not in spofs])
    critical = np.array(
        sorted(
            min(index[a], index[b]) * len(names) + max(index[a], index[b])
            for a, b in (imp.failed for imp in report.critical_pairs)
        ),
        dtype=np.int64,
    )
    base, context = context_of(twin)
    # the triples alone: what order=3 adds to the N-2 above
    t_sampling, t3 = _timed(
        lambda: sampled_triples(twin, context, base, pool, triples, 0, critical, None, None)
    )
    drawn = sample_triples(pool, min(triples, yard_sample), 0, 0).tolist()
    storage = [names[i] for i in base]
    batch = twin.evaluator.evaluate_many([[*base, *t] for t in drawn], services=False)
    nx = NxWorklist(fleet)
    t_nx, nx_down = _timed(lambda: [nx.down([*storage, *(names[i] for i in t)]) for t in drawn])
    disagree = sum(
        1
        for k in range(len(drawn))
        if nx_down[k] != frozenset(names[int(i)] for i in batch.down(k))
    )
    picks = drawn[:reference_sample]
    t_ref, ref_down = _timed(
        lambda: [_reference_down(fleet, [*storage, *(names[i] for i in t)]) for t in picks]
    )
    disagree_ref = sum(
        1
        for k, down in enumerate(ref_down)
        if down != frozenset(names[int(i)] for i in batch.down(k))
    )
    nx_all = t_nx / len(drawn) * t3.sampled
    ref_all = t_ref / max(len(picks), 1) * t3.sampled
    count, low, high = t3.estimated
    print(
        f"N-3        {spec}: {t3.sampled:,} of {t3.total:,} triples sampled and judged in "
        f"{t_sampling:.2f} s (after N-2): {t3.critical_found} critical, "
        f"{t3.with_critical_pair:,} holding a critical pair; ≈ {count:,.0f} critical "
        f"triples in all (95 % {low:,.0f}–{high:,.0f})"
    )
    print(
        f"N-3 ratio  the same triples ≈ {nx_all:,.1f} s networkx worklist (from {len(drawn):,}), "
        f"≈ {ref_all:,.0f} s reference (from {len(picks)}): networkx / engine = "
        f"{nx_all / t_sampling:.1f}x, reference / engine = {ref_all / t_sampling:,.0f}x; "
        f"disagreements: networkx {disagree}, reference {disagree_ref}"
    )
    return {
        "site": spec,
        "triples_total": t3.total,
        "triples_sampled": t3.sampled,
        "critical_triples": t3.critical_found,
        "with_critical_pair": t3.with_critical_pair,
        "n3_sampled_s": t_sampling,
        "n3_networkx_s_extrapolated": nx_all,
        "n3_reference_s_extrapolated": ref_all,
        "n3_ratio_networkx": nx_all / t_sampling,
        "n3_ratio_reference": ref_all / t_sampling,
        "n3_disagreements_networkx": disagree,
        "n3_disagreements_reference": disagree_ref,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", help=f"N-1 and compile (default {FLEET})")
    parser.add_argument("--site", help=f"N-2 (default {SITE})")
    parser.add_argument("--reference-sample", type=int, default=10, metavar="K")
    parser.add_argument("--pair-sample", type=int, default=20_000, metavar="N")
    parser.add_argument("--triple-sample", type=int, default=100_000, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mc-stack", default="ansan", help="Monte Carlo (default ansan)")
    parser.add_argument("--mc-years", type=int, default=10_000)
    parser.add_argument("--pulumi-stack", default="fleet", help="Pulumi (default fleet)")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--quick", action="store_true", help="small fleets: a smoke run")
    args = parser.parse_args(argv)
    fleet = args.fleet or (QUICK_FLEET if args.quick else FLEET)
    site = args.site or (QUICK_SITE if args.quick else SITE)
    results: dict[str, Any] = {"n1": _n1(fleet, args.reference_sample)}
    results["n2"] = _n2(site, args.pair_sample, args.reference_sample, args.seed)
    results["n3"] = _n3(site, args.triple_sample, args.pair_sample, args.reference_sample)
    results["monte_carlo"] = bench_monte_carlo(args.mc_stack, args.mc_years, 20)
    pulumi_row = measure_pulumi(args.pulumi_stack, 1)
    print(
        f"pulumi     {pulumi_row['stack']}: {pulumi_row['resources']:,} resources in "
        f"{pulumi_row['program_s']:.2f} s against {pulumi_row['bare_s']:.2f} s bare "
        f"({pulumi_row['ratio_program_to_bare']:.1f}x)"
    )
    results["pulumi"] = pulumi_row
    with tempfile.TemporaryDirectory() as out:
        argv = ["report", "--stack", "fleet", "--out-dir", out, "--diagrams"]
        with contextlib.redirect_stdout(io.StringIO()):
            t_report, _ = _timed(lambda: cli_main(argv))
    print(f"report     dctwin {' '.join(argv[:3])} --out-dir DIR --diagrams: {t_report:.1f} s")
    results["report_diagrams_s"] = t_report
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak_rss_mib"] = peak
    print(f"memory     peak resident {peak:,.0f} MiB")
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    bad = sum(
        v
        for part in ("n1", "n2", "n3", "monte_carlo")
        for k, v in results[part].items()
        if k.endswith("disagreements") or "_disagreements_" in k
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
