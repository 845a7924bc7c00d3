"""Sampled N-3 (``contingency(order=3)``): every sampled triple judged as the naive
reference judges it, the same sample however it is split, and a sound interval."""

from __future__ import annotations

import json
import math
from functools import cache
from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from tests.strategies import fleets, networked_fleets
from twin.analysis import harm
from twin.analysis.contingency import contingency, transient_sources, wilson
from twin.analysis.harm import TRIPLE_BLOCK, sample_triples
from twin.analysis.reference import reference_evaluate
from twin.analysis.scheduler import InProcess, parse_scheduler
from twin.analysis.twin import Twin
from twin.cli import main
from twin.model import Fleet
from twin.sources import build_stack


def _reference_harm(fleet: Fleet):
    """harmful(failed names): a row other than the failed ones lost, or a service
    lowered, against the baseline — by the naive oracle alone."""
    storage = transient_sources(fleet)
    rows = {c.name for _, c in fleet.components() if c.kind == "rack_row"}
    up0, served0 = reference_evaluate(fleet, storage)

    @cache
    def harmful(failed: frozenset[str]) -> bool:
        up, served = reference_evaluate(fleet, [*storage, *failed])
        lost = any(up0[r] and not up[r] for r in rows - failed)
        return lost or any(served[s] < served0[s] - 1e-9 for s in served0)

    return harmful


def _check_against_reference(fleet: Fleet, samples: int, seed: int) -> None:
    report = contingency(
        fleet, order=3, all_pairs=True, samples=samples, seed=seed, max_listed=None
    )
    triples = report.triples
    assert triples is not None
    names = Twin(fleet).graph.component_names
    harmful = _reference_harm(fleet)
    pool = [i for i, n in enumerate(names) if not harmful(frozenset([n]))]
    assert {imp.failed[0] for imp in report.single_points_of_failure} == set(names) - {
        names[i] for i in pool
    }
    assert triples.total == math.comb(len(pool), 3)
    if len(pool) < 3:
        assert triples.sampled == 0
        return
    drawn = sample_triples(np.array(pool), samples, seed, 0)
    assert triples.sampled == len(drawn) == samples
    with_pair, critical = 0, []
    for triple in drawn.tolist():
        failed = [names[i] for i in triple]
        if any(harmful(frozenset(p)) for p in combinations(failed, 2)):
            with_pair += 1
        elif harmful(frozenset(failed)):
            critical.append(tuple(failed))
    assert triples.with_critical_pair == with_pair
    assert triples.critical_found == len(critical)
    assert [imp.failed for imp in triples.critical] == critical


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets(max_components=12))
def test_sampled_triples_are_judged_as_the_naive_reference_judges_them(fleet):
    _check_against_reference(fleet, samples=150, seed=7)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=networked_fleets(max_components=12))
def test_sampled_triples_on_networked_fleets(fleet):
    _check_against_reference(fleet, samples=150, seed=1)


def test_pangyo_has_critical_triples_and_each_is_minimal():
    """Pangyo's A-side generator bus and medium-voltage switchgear are harmless
    together; a third failure on the B side makes them harmful. Each listed triple
    is harmful while none of its members or pairs is (engine evaluations)."""
    twin = Twin(build_stack("pangyo-2022"))
    report = contingency(twin, order=3, samples=40_000, seed=0)
    t3 = report.triples
    assert t3 is not None and t3.critical_found > 0 and t3.critical
    ev, index = twin.evaluator, twin.graph.component_index
    storage = list(twin.transient_sources)
    baseline = ev.evaluate(storage)

    def harmful(failed: tuple[str, ...]) -> bool:
        e = ev.evaluate([*storage, *failed])
        rows = [
            i
            for i in np.flatnonzero(twin.graph.is_row)
            if twin.graph.component_names[i] not in failed
        ]
        lost = bool((baseline.up[rows] & ~e.up[rows]).any())
        return lost or bool((e.served < baseline.served - 1e-9).any())

    for imp in t3.critical:
        assert all(n in index for n in imp.failed)
        assert harmful(imp.failed)
        assert not any(harmful(p) for p in combinations(imp.failed, 2))
    low, high = t3.share[1:]
    assert low <= t3.critical_found / t3.sampled <= high


def test_the_sample_does_not_depend_on_how_it_is_split(monkeypatch):
    """Small blocks shared out over three shards, or one shard: the same triples, the
    same counts, the same listed triples."""
    monkeypatch.setattr(harm, "TRIPLE_BLOCK", 700)
    import twin.analysis.contingency as contingency_module

    monkeypatch.setattr(contingency_module, "TRIPLE_BLOCK", 700)

    class ThreeShards(InProcess):
        @property
        def workers(self) -> int:
            return 3

    twin = Twin(build_stack("pangyo-2022"))
    one = contingency(twin, order=3, samples=5_000, seed=2).to_json()
    three = contingency(
        twin, order=3, samples=5_000, seed=2, scheduler=ThreeShards(parse_scheduler("local"))
    ).to_json()
    assert one == three
    assert one["triples"]["triples_sampled"] == 5_000
    # a block is the same whatever the total around it
    pool = np.arange(40)
    assert np.array_equal(
        sample_triples(pool, 1_400, 9, 1), sample_triples(pool, 2_000, 9, 1)[:700]
    )
    assert not np.array_equal(sample_triples(pool, 700, 9, 0), sample_triples(pool, 700, 10, 0))


def test_samples_are_triples_of_distinct_members():
    pool = np.array([3, 5, 8, 13])
    triples = sample_triples(pool, TRIPLE_BLOCK, 0, 0)
    assert triples.shape == (TRIPLE_BLOCK, 3)
    assert (triples[:, 0] < triples[:, 1]).all() and (triples[:, 1] < triples[:, 2]).all()
    assert set(triples.ravel().tolist()) == {3, 5, 8, 13}
    # uniform over the 4 triples: each near a quarter
    counts = np.unique(triples, axis=0, return_counts=True)[1]
    assert len(counts) == 4 and (abs(counts / TRIPLE_BLOCK - 0.25) < 0.02).all()


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    # closed-form Wilson 95 % intervals (z = 1.959964), computed by hand
    [
        (0, 100_000, 0.0, 3.8413e-05),
        (5, 100_000, 2.1357e-05, 1.17052e-04),
        (50, 100, 0.40383, 0.59617),
    ],
)
def test_wilson_interval(k, n, low, high):
    p, lo, hi = wilson(k, n)
    assert p == k / n
    assert lo == pytest.approx(low, rel=1e-3, abs=1e-9)
    assert hi == pytest.approx(high, rel=1e-3)


def test_the_command_line_samples_triples(tmp_path, capsys):
    out = tmp_path / "n3.json"
    argv = ["contingency", "--stack", "lab", "--order", "3", "--samples", "500", "--seed", "4"]
    assert main([*argv, "--format", "json", "--out", str(out)]) == 0
    triples = json.loads(out.read_text())["contingency"]["triples"]
    assert triples["triples_sampled"] == 500 and triples["seed"] == 4
    assert main(argv) == 0
    assert "500 of" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--order", "2", "--samples", "10"], "--samples draws the triples of --order 3"),
        (["--seed", "1"], "--seed draws the triples of --order 3"),
        (["--all"], "--all widens the pairs of --order 2 or 3"),
    ],
)
def test_triple_options_without_order_3_are_usage_errors(argv, says, capsys):
    assert main(["contingency", "--stack", "lab", *argv]) == 2
    assert says in capsys.readouterr().err
