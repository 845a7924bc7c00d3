"""The benchmarks' networkx worklist yardstick agrees with the engine (and so is a fair
yardstick: same gate semantics, same answers)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.nx_worklist import NxWorklist
from tests.strategies import fleets
from twin.analysis.reference import reference_evaluate
from twin.analysis.twin import Twin
from twin.model import Fleet
from twin.sources import build_stack


def _agree(fleet: Fleet, scenarios: list[list[str]]) -> None:
    twin = Twin(fleet)
    names = twin.graph.component_names
    yardstick = NxWorklist(fleet)
    batch = twin.evaluator.evaluate_many(scenarios, services=False)
    for k, failed in enumerate(scenarios):
        engine = {names[int(i)] for i in batch.down(k)}
        assert engine == set(yardstick.down(failed)), failed


@pytest.mark.parametrize("stack", ["lab", "ansan", "pangyo-2022", "fleet"])
def test_the_yardstick_agrees_with_the_engine_on_every_single_failure(stack):
    fleet = build_stack(stack)
    names = [c.name for _, c in fleet.components()]
    every = [[a, b] for a in names[::7] for b in names[3::11]]
    pairs = random.Random(7).sample(every, min(300, len(every)))
    _agree(fleet, [[], *([n] for n in names), *pairs])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_the_yardstick_agrees_on_random_fleets(fleet):
    names = [c.name for _, c in fleet.components()]
    _agree(fleet, [[], *([n] for n in names), *([a, b] for a in names for b in names[:3])])


PER_RACK = "kakao:sites=2,racks=80,per=rack"


def test_the_yardstick_and_the_reference_agree_with_the_engine_on_a_per_rack_fleet():
    """Racks as components (a generated per-rack fleet): every single failure against
    the networkx worklist, a seeded sample of single and double failures against the
    naive reference (components and services)."""
    fleet = build_stack(PER_RACK)
    names = [c.name for _, c in fleet.components()]
    _agree(fleet, [[n] for n in names])
    twin = Twin(fleet)
    rng = random.Random(11)
    sample = [[n] for n in rng.sample(names, 15)] + [rng.sample(names, 2) for _ in range(15)]
    for failed in sample:
        up, served = reference_evaluate(fleet, failed)
        fast_up, fast_served = twin.evaluator.evaluate(failed).as_dicts()
        assert fast_up == up, failed
        assert all(abs(fast_served[s] - v) <= 1e-9 for s, v in served.items()), failed


def test_the_engine_agrees_with_the_reference_on_the_full_per_rack_kakao_fleet():
    """The benchmark's fleet itself (3 sites × 4,000 racks as components, 25,281
    components): a seeded sample of a single failure, a pair and a triple, the engine
    (worklist and all-at-once propagation) against the naive reference, components and
    services. About 10 s, most of it the reference."""
    fleet = build_stack("kakao:sites=3,racks=4000,per=rack")
    names = [c.name for _, c in fleet.components()]
    twin = Twin(fleet)
    rng = random.Random(14)
    sample = [rng.sample(names, k) for k in (1, 2, 3)]
    index = twin.graph.component_index
    ptr, down = twin.evaluator.down_deltas([[index[n] for n in failed] for failed in sample])
    for k, failed in enumerate(sample):
        up, served = reference_evaluate(fleet, failed)
        fast = twin.evaluator.evaluate(failed)
        fast_up, fast_served = fast.as_dicts()
        assert fast_up == up, failed
        assert all(abs(fast_served[s] - v) <= 1e-9 for s, v in served.items()), failed
        assert sorted(np.flatnonzero(~fast.up).tolist()) == down[ptr[k] : ptr[k + 1]].tolist()
