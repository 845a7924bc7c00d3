"""The pair-interaction rule that prunes N-2 and the cut-set search, against full enumeration."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from tests.strategies import fleets, networked_fleets
from twin.analysis.contingency import contingency, transient_sources
from twin.analysis.interaction import every_pair, interactions
from twin.analysis.reference import reference_evaluate
from twin.analysis.twin import Twin
from twin.model import Fleet
from twin.sources import build_stack


def _claim_holds_for_every_pair(fleet: Fleet) -> int:
    """Check the rule's claim on every pair of components; returns pairs pruned."""
    twin = Twin(fleet)
    g, ev = twin.graph, twin.evaluator
    base = sorted(g.component_index[n] for n in transient_sources(fleet))
    n = g.n_components
    inter = interactions(twin, [(i,) for i in range(n)], base)
    interacting = {tuple(p) for chunk, _ in inter.pairs(chunk=7) for p in chunk.tolist()}
    singles = ev.evaluate_many([[*base, i] for i in range(n)])
    quiet = [p for p in combinations(range(n), 2) if p not in interacting]
    for start in range(0, len(quiet), 20_000):
        part = quiet[start : start + 20_000]
        pairs = ev.evaluate_many([[*base, a, b] for a, b in part])
        for k, (a, b) in enumerate(part):
            union = np.union1d(singles.down(a), singles.down(b))
            assert np.array_equal(pairs.down(k), union), (
                g.component_names[a],
                g.component_names[b],
            )
            served = pairs.served[k]
            assert np.array_equal(served, singles.served[a]) or np.array_equal(
                served, singles.served[b]
            ), (g.component_names[a], g.component_names[b])
    pruned = len(quiet)
    return pruned


@pytest.mark.parametrize("stack", ["lab", "pangyo-2022"])
def test_a_pair_that_does_not_interact_goes_down_as_the_union(stack):
    """The docstring's claim, on every pair: down set = union of the singles' down sets,
    services as for one of them."""
    assert _claim_holds_for_every_pair(build_stack(stack)) > 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=networked_fleets())
def test_the_claim_holds_on_random_networked_fleets(fleet):
    _claim_holds_for_every_pair(fleet)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=networked_fleets(max_components=12))
def test_the_claim_holds_against_the_naive_reference(fleet):
    """Independent of the engine: the naive oracle evaluates each pruned pair."""
    twin = Twin(fleet)
    g = twin.graph
    storage = transient_sources(fleet)
    base = sorted(g.component_index[n] for n in storage)
    inter = interactions(twin, [(i,) for i in range(g.n_components)], base)
    interacting = {tuple(p) for chunk, _ in inter.pairs() for p in chunk.tolist()}
    names = g.component_names
    for a, b in combinations(range(g.n_components), 2):
        if (a, b) in interacting:
            continue
        up_a, served_a = reference_evaluate(fleet, [*storage, names[a]])
        up_b, served_b = reference_evaluate(fleet, [*storage, names[b]])
        up, served = reference_evaluate(fleet, [*storage, names[a], names[b]])
        assert up == {n: up_a[n] and up_b[n] for n in up}
        assert served in (served_a, served_b)


def _critical(fleet: Fleet, prune: bool) -> tuple[set[tuple[str, ...]], int, int]:
    report = contingency(fleet, order=2, all_pairs=True, max_listed=None, prune=prune)
    return (
        {tuple(i.failed) for i in report.critical_pairs},
        report.pairs_evaluated,
        report.pairs_propagated,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_pruned_n2_finds_the_critical_pairs_of_full_enumeration(fleet):
    pruned, total, propagated = _critical(fleet, prune=True)
    every, total_all, propagated_all = _critical(fleet, prune=False)
    assert pruned == every
    assert total == total_all == propagated_all
    assert propagated <= total


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=networked_fleets())
def test_pruned_n2_matches_full_enumeration_on_networked_fleets(fleet):
    """Carriers, backbones, quorums, standbys and controllers at other sites: the
    per-service keys and the closed form still find exactly the critical pairs."""
    pruned, _, propagated = _critical(fleet, prune=True)
    every, total, _ = _critical(fleet, prune=False)
    assert pruned == every
    assert propagated <= total


def test_pruned_n2_of_pangyo_matches_every_pair_and_propagates_few():
    fleet = build_stack("pangyo-2022")
    pruned, total, propagated = _critical(fleet, prune=True)
    every, _, _ = _critical(fleet, prune=False)
    assert pruned == every
    assert propagated < total / 5


def test_pairs_stream_in_order_and_in_chunks():
    chunks = list(every_pair(6, among=np.array([1, 0, 1, 1, 1, 1], dtype=bool), chunk=3))
    pairs = [tuple(p) for c, _ in chunks for p in c.tolist()]
    assert pairs == list(combinations([0, 2, 3, 4, 5], 2))
    assert len(chunks) > 1


def _deltas_match(fleet: Fleet, scenarios: list[list[int]]) -> None:
    twin = Twin(fleet)
    g, ev = twin.graph, twin.evaluator
    base = sorted(g.component_index[n] for n in transient_sources(fleet))
    at_base = set(ev.evaluate(base).down.tolist())
    ptr, idx = ev.down_deltas(scenarios, base)
    batch = ev.evaluate_many([[*base, *sc] for sc in scenarios])
    for k in range(len(scenarios)):
        delta = idx[ptr[k] : ptr[k + 1]].tolist()
        assert delta == sorted(set(batch.down(k).tolist()) - at_base), scenarios[k]
    # services settled from the known components, without propagating them again
    served = ev.served_after(ptr, idx, np.arange(len(scenarios)), base)
    np.testing.assert_array_equal(served, batch.served)


@pytest.mark.parametrize("stack", ["lab", "ansan", "pangyo-2022", "fleet"])
def test_all_at_once_propagation_matches_the_engine(stack):
    """``down_deltas`` (level by level over every scenario in numpy) against the
    engine's worklist, on every single failure and a sample of pairs and triples."""
    fleet = build_stack(stack)
    n = Twin(fleet).graph.n_components
    rng = np.random.default_rng(3)
    scenarios = [[i] for i in range(n)]
    scenarios += [sorted(rng.choice(n, size=2, replace=False).tolist()) for _ in range(500)]
    scenarios += [rng.choice(n, size=3, replace=False).tolist() for _ in range(200)]
    _deltas_match(fleet, [[], *scenarios])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_all_at_once_propagation_matches_on_random_fleets(fleet):
    n = Twin(fleet).graph.n_components
    _deltas_match(fleet, [[i] for i in range(n)] + [[i, j] for i in range(n) for j in range(i)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=networked_fleets())
def test_all_at_once_propagation_matches_on_random_networked_fleets(fleet):
    """Carriers, backbone links, quorums and controllers: the services settled after the
    all-at-once propagation match the engine's on every single failure and pair."""
    n = Twin(fleet).graph.n_components
    _deltas_match(fleet, [[i] for i in range(n)] + [[i, j] for i in range(n) for j in range(i)])


def test_n2_does_not_depend_on_the_batch_size(monkeypatch):
    """Pairs streamed in chunks of 20,000 or of 37: the same pairs found and counted."""
    from twin.analysis import harm

    fleet = build_stack("pangyo-2022")
    expected = contingency(fleet, order=2, all_pairs=True, max_listed=300).to_json()
    monkeypatch.setattr(harm, "PAIR_CHUNK", 37)
    assert contingency(fleet, order=2, all_pairs=True, max_listed=300).to_json() == expected


@pytest.mark.parametrize(
    "stack", ["lab", "ansan", "pangyo-2022", "fleet", "kakao:sites=2,racks=80,per=rack"]
)
def test_gate_sharing_changes_no_answer(stack):
    """Identical gates compiled into shared nodes, or one node per gate: the same
    components down for every single failure and a sample of pairs, the same gate
    states, and the same N-2 (critical pairs, pairs propagated)."""
    fleet = build_stack(stack)
    shared, own = Twin(fleet), Twin(fleet, share_gates=False)
    assert shared.graph.n_gates == own.graph.n_gates
    assert own.graph.n_nodes == own.graph.n_gates
    assert shared.graph.n_nodes < own.graph.n_nodes  # the stacks repeat groups
    n = shared.graph.n_components
    rng = np.random.default_rng(5)
    scenarios = [[i] for i in range(n)]
    scenarios += [sorted(rng.choice(n, size=2, replace=False).tolist()) for _ in range(300)]
    for a, b in zip(
        shared.evaluator.down_deltas(scenarios), own.evaluator.down_deltas(scenarios), strict=True
    ):
        np.testing.assert_array_equal(a, b)
    for sc in scenarios[:: max(1, n // 40)]:
        x, y = shared.evaluator.evaluate(sc), own.evaluator.evaluate(sc)
        np.testing.assert_array_equal(x.up, y.up)
        np.testing.assert_array_equal(x.met, y.met)
        np.testing.assert_array_equal(x.served, y.served)
    if n <= 1500:
        assert contingency(shared, order=2).to_json() == contingency(own, order=2).to_json()
