"""Contingency analysis checked against brute force with the naive reference evaluator."""

from __future__ import annotations

from itertools import combinations

import pytest

from tests.test_tier import mini
from twin.analysis.contingency import INFRASTRUCTURE_KINDS, common_cause_groups, contingency
from twin.analysis.reference import reference_evaluate
from twin.model import Fleet
from twin.sources import build_stack


def brute_force_harm(fleet: Fleet, failed: list[str]) -> tuple[set[str], set[str]]:
    """(rows lost, services below baseline) for ``failed``, thermal storage excluded."""
    storage = [c.name for _, c in fleet.components() if c.kind == "thermal_storage"]
    base_up, base_served = reference_evaluate(fleet, storage)
    up, served = reference_evaluate(fleet, [*storage, *failed])
    rows = {
        name
        for name, ok in up.items()
        if not ok
        and base_up[name]
        and name not in failed
        and fleet.component_index()[name][1].kind == "rack_row"
    }
    services = {s for s, v in served.items() if v < base_served[s] - 1e-9}
    return rows, services


@pytest.fixture(scope="module")
def lab() -> Fleet:
    return build_stack("lab")


@pytest.mark.parametrize("fleet_name", ["lab", "mini-tier-2", "mini-tier-1"])
def test_single_points_of_failure_match_brute_force(fleet_name, lab):
    fleet = {
        "lab": lab,
        "mini-tier-2": mini(spare=1, paths=1),
        "mini-tier-1": mini(spare=0, paths=1),
    }[fleet_name]
    report = contingency(fleet)
    expected = {}
    for _, comp in fleet.components():
        rows, services = brute_force_harm(fleet, [comp.name])
        if rows or services:
            expected[comp.name] = (len(rows), services)
    found = {i.label: (i.rows, set(i.services)) for i in report.single_points_of_failure}
    assert found == expected
    if fleet_name != "lab":
        assert found, "a single-path design has single points of failure"


def test_critical_pairs_match_brute_force():
    fleet = mini(spare=0, paths=2, separate_rooms=True, continuous_cooling=True)
    report = contingency(fleet, order=2, max_listed=10_000)
    spofs = {i.label for i in report.single_points_of_failure}
    infra = [
        c.name
        for _, c in fleet.components()
        if c.kind in INFRASTRUCTURE_KINDS and c.name not in spofs
    ]
    expected = set()
    for a, b in combinations(infra, 2):
        rows, services = brute_force_harm(fleet, [a, b])
        if rows or services:
            expected.add((a, b))
    found = {tuple(i.failed) for i in report.critical_pairs}
    assert found == expected
    assert report.pairs_evaluated == len(list(combinations(infra, 2)))
    assert ("ups-a0", "ups-b0") in found  # both UPS sides of a 2N design


def test_common_cause_groups_cover_zones_srlgs_and_sites():
    fleet = build_stack("fleet")
    groups = common_cause_groups(fleet)
    kinds = {kind for kind, _, _ in groups}
    assert kinds == {"zone", "srlg", "site"}
    shared = next(
        m for kind, label, m in groups if kind == "srlg" and label == "duct-gyeonggi-trunk"
    )
    assert len(shared) >= 2
    report = contingency(fleet)
    by_label = {i.label: i for i in report.common_cause}
    # losing Ansan takes its rows but no service: the other two sites carry the baseline
    ansan = by_label["ansan"]
    assert ansan.rows == 200 and ansan.services == {}
    ansan_components = [c.name for c in fleet.sites[0].components]
    up, served = reference_evaluate(fleet, ansan_components)
    assert (
        sum(
            1
            for name in ansan_components
            if name.startswith("ansan-hall") and "-row" in name and not up[name]
        )
        == 200
    )
    assert all(v == pytest.approx(1.0) for v in served.values())


def test_harm_is_measured_against_the_baseline():
    """A service already short of capacity at baseline is not blamed on every failure."""
    fleet = mini(spare=1, paths=1)
    data = fleet.model_dump()
    data["services"] = [
        {
            "name": "overbooked",
            "demand_rps": 100,
            "replicas": [{"site": "dc", "rows": ["row-1"], "capacity_rps": 50}],
        }
    ]
    report = contingency(Fleet.model_validate(data))
    labels = {i.label for i in report.single_points_of_failure}
    assert "gen-0" not in labels  # N+1 generators: losing one changes nothing
    assert "pdu-a" in labels  # single path: losing it loses the row (and the service)
