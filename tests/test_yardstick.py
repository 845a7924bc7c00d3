"""The benchmarks' networkx worklist yardstick agrees with the engine (and so is a fair
yardstick: same gate semantics, same answers)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings

from benchmarks.nx_worklist import NxWorklist
from tests.strategies import fleets
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
