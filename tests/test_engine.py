"""The fast engine against the naive reference, properties, and hand-built cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import fleets
from twin.analysis.engine import Evaluator
from twin.analysis.graph import compile_fleet
from twin.analysis.reference import reference_evaluate
from twin.model import Fleet

TOL = 1e-9


def _agree(fleet: Fleet, evaluation, failed, held_up=(), surge=1.0, promoted="auto") -> None:
    ref_up, ref_served = reference_evaluate(fleet, failed, held_up, surge, promoted)
    fast_up, fast_served = evaluation.as_dicts()
    context = f"failed={sorted(failed)} held={sorted(held_up)} surge={surge} promoted={promoted}"
    assert fast_up == ref_up, context
    assert fast_served.keys() == ref_served.keys()
    for name, value in ref_served.items():
        assert abs(fast_served[name] - value) <= TOL, f"{name}: {context}"


def _params(data: st.DataObject, comps: list[str], svcs: list[str]) -> dict[str, Any]:
    held = data.draw(st.lists(st.sampled_from(comps), max_size=3, unique=True), label="held")
    # a multiplier for every service, or a surge name (services without it stay at 1x)
    surge = data.draw(
        st.sampled_from([1.0, 0.5, 3.0, 10.0, "new_year", "world_cup"]) | st.floats(0.1, 20.0),
        label="surge",
    )
    promoted: Any = "auto"
    if svcs and data.draw(st.integers(0, 3), label="explicit") == 0:
        promoted = data.draw(st.lists(st.sampled_from(svcs), unique=True), label="promoted")
    return {"held_up": held, "surge": surge, "promoted": promoted}


# --------------------------------------------------------------------------- differential


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(), st.data())
def test_fast_matches_reference(fleet: Fleet, data: st.DataObject) -> None:
    evaluator = Evaluator(fleet)
    comps = list(evaluator.graph.component_names)
    svcs = list(evaluator.graph.service_names)

    # Nothing failed.
    _agree(fleet, evaluator.baseline, [])

    # Every single failure, under one drawn held-up set, surge and promotion.
    params = _params(data, comps, svcs)
    batch = evaluator.evaluate_many([[c] for c in comps], **params)
    for i, name in enumerate(comps):
        _agree(fleet, batch[i], [name], **params)

    # Every row of each service lost (controllers and dependencies going to zero).
    for service in fleet.services:
        failed = sorted({row for replica in service.replicas for row in replica.rows})
        _agree(fleet, evaluator.evaluate(failed), failed)

    # A few random failure sets, each with its own parameters.
    for _ in range(3):
        failed = data.draw(st.lists(st.sampled_from(comps), max_size=5, unique=True))
        params = _params(data, comps, svcs)
        _agree(fleet, evaluator.evaluate(failed, **params), failed, **params)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(max_components=15), st.data())
def test_batch_matches_single(fleet: Fleet, data: st.DataObject) -> None:
    """evaluate_many (which reuses prefixes) equals evaluate, scenario by scenario."""
    evaluator = Evaluator(fleet)
    n = evaluator.graph.n_components
    comps = list(evaluator.graph.component_names)
    params = _params(data, comps, list(evaluator.graph.service_names))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    extra = data.draw(st.lists(st.lists(st.integers(0, n - 1), max_size=4), max_size=5))
    scenarios = [*pairs, *extra, ()]
    batch = evaluator.evaluate_many(scenarios, **params)
    assert len(batch) == len(scenarios)
    up = batch.up_matrix()
    for i, scenario in enumerate(scenarios):
        single = evaluator.evaluate(scenario, **params)
        assert np.array_equal(up[i], single.up)
        assert np.array_equal(batch[i].up, single.up)
        assert np.allclose(batch.served[i], single.served, rtol=0, atol=TOL)
        assert np.array_equal(batch.promoted[i], single.promoted)
        cone = evaluator.downstream_cone(scenario, params["held_up"])
        assert np.array_equal(cone, single.down)


# --------------------------------------------------------------------------- monotonicity


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets(), st.data())
def test_failing_more_never_helps(fleet: Fleet, data: st.DataObject) -> None:
    evaluator = Evaluator(fleet)
    comps = list(evaluator.graph.component_names)
    params = _params(data, comps, list(evaluator.graph.service_names))
    small = data.draw(st.lists(st.sampled_from(comps), max_size=3, unique=True))
    more = data.draw(st.lists(st.sampled_from(comps), min_size=1, max_size=4, unique=True))
    large = sorted(set(small) | set(more))

    a = evaluator.evaluate(small, **params)
    b = evaluator.evaluate(large, **params)
    assert not (b.up & ~a.up).any()
    assert (b.served <= a.served + TOL).all()

    ref_a = reference_evaluate(fleet, small, **params)
    ref_b = reference_evaluate(fleet, large, **params)
    assert all(ref_a[0][c] or not ref_b[0][c] for c in comps)
    assert all(ref_b[1][s] <= ref_a[1][s] + TOL for s in ref_a[1])


# --------------------------------------------------------------------------- hand-built

_CAPACITY_FIELD = {
    "utility_feed": "capacity_kw",
    "ups": "capacity_kw",
    "switchgear": "capacity_kw",
    "pdu": "capacity_kw",
    "chiller": "cooling_kw",
    "crah": "cooling_kw",
    "spine": "capacity_gbps",
    "leaf": "capacity_gbps",
}


def _comp(name: str, kind: str, cap: float = 100.0, **requires: Any) -> dict[str, Any]:
    comp: dict[str, Any] = {"name": name, "kind": kind, "zone": "hall"}
    if kind == "utility_feed":
        comp["substation"] = "sub"
    if kind == "rack_row":
        comp.update(racks=10, servers=100, it_load_kw=cap)
    else:
        comp[_CAPACITY_FIELD[kind]] = cap
    comp["requires"] = list(requires.get("req", []))
    return comp


def _req(resource: str, suppliers: list[str], **gate: Any) -> dict[str, Any]:
    return {"resource": resource, "suppliers": suppliers, **gate}


def _fleet(components: list[dict], services: list[dict] | None = None) -> Fleet:
    return Fleet.model_validate(
        {
            "name": "hand",
            "regions": [{"name": "kr"}],
            "sites": [
                {
                    "name": "dc",
                    "region": "kr",
                    "zones": [{"name": "hall", "kind": "data_hall"}],
                    "components": components,
                }
            ],
            "services": services or [],
        }
    )


def _both(fleet: Fleet, failed=(), **kw: Any) -> tuple[dict[str, bool], dict[str, float]]:
    """Evaluate with both evaluators, check they agree, return the reference answer."""
    evaluation = Evaluator(fleet).evaluate(failed, **kw)
    _agree(fleet, evaluation, list(failed), **kw)
    return reference_evaluate(fleet, failed, **kw)


def _down(result: tuple[dict[str, bool], dict[str, float]]) -> set[str]:
    return {name for name, up in result[0].items() if not up}


def test_2n_survives_one_side_lost() -> None:
    fleet = _fleet(
        [
            _comp("feed-a", "utility_feed"),
            _comp("feed-b", "utility_feed"),
            _comp("ups-a", "ups", req=[_req("power", ["feed-a"])]),
            _comp("ups-b", "ups", req=[_req("power", ["feed-b"])]),
            _comp("row", "rack_row", req=[_req("power", ["ups-a", "ups-b"])]),
        ]
    )
    assert _down(_both(fleet)) == set()
    assert _down(_both(fleet, ["feed-a"])) == {"feed-a", "ups-a"}
    assert _down(_both(fleet, ["ups-b"])) == {"ups-b"}
    assert _down(_both(fleet, ["feed-a", "feed-b"])) == {
        "feed-a",
        "feed-b",
        "ups-a",
        "ups-b",
        "row",
    }


def test_n_plus_1_capacity_gate() -> None:
    modules = [f"ups-{i}" for i in range(4)]
    fleet = _fleet(
        [
            _comp("feed", "utility_feed", cap=1000),
            *(_comp(m, "ups", cap=50, req=[_req("power", ["feed"])]) for m in modules),
            # 150 kW from four 50 kW modules: N+1, and exactly at the threshold with one lost.
            _comp("row", "rack_row", cap=150, req=[_req("power", modules, capacity=150)]),
        ]
    )
    assert _down(_both(fleet, ["ups-1"])) == {"ups-1"}
    assert _down(_both(fleet, ["ups-1", "ups-3"])) == {"ups-1", "ups-3", "row"}
    assert _down(_both(fleet, ["feed"])) == {"feed", *modules, "row"}
    # A UPS on battery keeps the row up while the feed is lost, as long as enough modules hold.
    assert _down(_both(fleet, ["feed"], held_up=modules[:3])) == {"feed", "ups-3"}
    assert _down(_both(fleet, ["feed"], held_up=modules[:2])) == {"feed", "ups-2", "ups-3", "row"}


def test_chiller_power_cycle_stays_up_and_falls_together() -> None:
    fleet = _fleet(
        [
            _comp("feed", "utility_feed"),
            _comp(
                "switchgear",
                "switchgear",
                req=[_req("power", ["feed"]), _req("cooling", ["chiller"])],
            ),
            _comp("chiller", "chiller", req=[_req("power", ["switchgear"])]),
            _comp("row", "rack_row", req=[_req("power", ["switchgear"])]),
        ]
    )
    assert _down(_both(fleet)) == set()  # mutually supporting: greatest fixpoint
    assert _down(_both(fleet, ["feed"])) == {"feed", "switchgear", "chiller", "row"}
    assert _down(_both(fleet, ["chiller"])) == {"switchgear", "chiller", "row"}
    # Held up (thermal storage carrying the loop), the switchgear rides through a chiller loss.
    assert _down(_both(fleet, ["chiller"], held_up=["switchgear"])) == {"chiller"}
    # Failed overrides held up.
    assert _down(_both(fleet, ["switchgear"], held_up=["switchgear"])) == {
        "switchgear",
        "chiller",
        "row",
    }


def _row_services(services: list[dict[str, Any]], rows: int) -> Fleet:
    return _fleet(
        [
            _comp("feed", "utility_feed"),
            *(_comp(f"row-{i}", "rack_row", req=[_req("power", ["feed"])]) for i in range(rows)),
        ],
        services,
    )


def _replica(row: str, cap: float = 100.0, **kw: Any) -> dict[str, Any]:
    return {"site": "dc", "rows": [row], "capacity_rps": cap, **kw}


def test_k_of_n_quorum() -> None:
    spines = ["spine-1", "spine-2", "spine-3"]
    fleet = _fleet(
        [
            *(_comp(s, "spine") for s in spines),
            _comp("leaf", "leaf", req=[_req("network", spines, at_least=2)]),
        ]
    )
    assert _down(_both(fleet, ["spine-2"])) == {"spine-2"}
    assert _down(_both(fleet, ["spine-1", "spine-3"])) == {"spine-1", "spine-3", "leaf"}

    store = {
        "name": "store",
        "demand_rps": 100.0,
        "data_quorum": 2,
        "replicas": [_replica(f"row-{i}", stores_data=True) for i in range(3)],
    }
    fleet = _row_services([store], rows=3)
    assert _both(fleet, ["row-0"])[1] == {"store": 1.0}
    assert _both(fleet, ["row-0", "row-1"])[1] == {"store": 0.0}  # capacity 1.0, quorum lost
    assert _both(fleet, ["row-0", "row-1"], surge=1.0)[1]["store"] == 0.0


def test_active_standby_promotion() -> None:
    app = {
        "name": "app",
        "demand_rps": 100.0,
        "mode": "active_standby",
        "failover_controller": "ops",
        "replicas": [
            _replica("row-0", 100.0),
            _replica("row-1", 60.0, role="standby"),
        ],
    }
    ops = {"name": "ops", "demand_rps": 10.0, "replicas": [_replica("row-2", 10.0)]}
    fleet = _row_services([app, ops], rows=3)
    assert _both(fleet, ["row-0"])[1] == {"app": 0.6, "ops": 1.0}
    assert _both(fleet, ["row-0", "row-2"])[1] == {"app": 0.0, "ops": 0.0}
    assert _both(fleet, ["row-0"], promoted=[])[1]["app"] == 0.0
    assert _both(fleet, ["row-0", "row-2"], promoted=["app"])[1]["app"] == 0.6
    evaluation = Evaluator(fleet).evaluate(["row-0"])
    assert evaluation.promoted.tolist() == [True, False]
    # Healthy active 100 rps + promoted standby; losing only the controller demotes it.
    app["replicas"][0]["capacity_rps"] = 50.0
    fleet = _row_services([app, ops], rows=3)
    assert _both(fleet)[1] == {"app": 1.0, "ops": 1.0}
    assert _both(fleet, ["row-2"])[1] == {"app": 0.5, "ops": 0.0}
    assert Evaluator(fleet).evaluate(["row-0", "row-2"]).promoted.tolist() == [False, False]


def test_service_dependencies_zero_and_cycles() -> None:
    services = [
        {"name": "auth", "demand_rps": 10.0, "replicas": [_replica("row-0", 10.0)]},
        {
            "name": "msg",
            "demand_rps": 100.0,
            "depends_on": ["auth"],
            "replicas": [_replica("row-1", 50.0), _replica("row-2", 50.0)],
        },
        {"name": "a", "demand_rps": 1.0, "depends_on": ["b"], "replicas": [_replica("row-3")]},
        {"name": "b", "demand_rps": 1.0, "depends_on": ["a"], "replicas": [_replica("row-4")]},
    ]
    fleet = _row_services(services, rows=5)
    assert _both(fleet)[1] == {"auth": 1.0, "msg": 1.0, "a": 1.0, "b": 1.0}
    assert _both(fleet, ["row-1"])[1]["msg"] == 0.5
    assert _both(fleet, ["row-0"])[1]["msg"] == 0.0
    assert _both(fleet, ["row-3"])[1] == {"auth": 1.0, "msg": 1.0, "a": 0.0, "b": 0.0}
    # Surge: 100 rps of capacity against 100 × 4 rps of demand.
    assert _both(fleet, [], surge=4.0)[1]["msg"] == 0.25


def test_baseline_that_is_not_all_up() -> None:
    """A fleet changed behind the validator's back: the engine computes, not assumes, its
    baseline. (Models are frozen; ``object.__setattr__`` bypasses that on purpose.)"""
    fleet = _fleet(
        [
            _comp("feed", "utility_feed"),
            _comp("ups", "ups", cap=50, req=[_req("power", ["feed"])]),
            _comp("row", "rack_row", req=[_req("power", ["ups"], capacity=10)]),
        ]
    )
    object.__setattr__(fleet.sites[0].components[2].requires[0], "capacity", 80.0)  # unmeetable
    evaluator = Evaluator(fleet)
    assert evaluator.baseline.down_names() == ["row"]
    for failed in ([], ["feed"], ["ups"]):
        for held in ([], ["row"]):
            _agree(fleet, evaluator.evaluate(failed, held_up=held), failed, held)


def test_compiled_graph_shape() -> None:
    fleet = _fleet(
        [
            _comp("feed-a", "utility_feed", cap=300),
            _comp("feed-b", "utility_feed", cap=200),
            _comp("row", "rack_row", req=[_req("power", ["feed-a", "feed-b"], capacity=250)]),
        ]
    )
    graph = compile_fleet(fleet)
    assert graph.component_names == ("feed-a", "feed-b", "row")
    assert graph.n_gates == 1
    assert graph.suppliers_of_gate(0).tolist() == [0, 1]
    assert graph.weights_of_gate(0).tolist() == [300.0, 200.0]
    assert graph.gate_threshold.tolist() == [250.0]
    assert graph.gates_fed_by(1).tolist() == [0]
    assert graph.owner_gate_ptr.tolist() == [0, 0, 0, 1]
    assert graph.row_it_load_kw.tolist() == [0.0, 0.0, 100.0]
    assert graph.row_servers.tolist() == [0, 0, 100]
    with pytest.raises(ValueError):
        graph.node_weight[0] = 1.0  # read-only


def test_identical_gates_share_one_node() -> None:
    """Two rows listing the same suppliers with the same threshold read one node; a
    different threshold, or share_gates=False, gives a node of its own."""
    fleet = _fleet(
        [
            _comp("feed-a", "utility_feed", cap=300),
            _comp("feed-b", "utility_feed", cap=200),
            _comp("row-1", "rack_row", req=[_req("power", ["feed-a", "feed-b"], capacity=250)]),
            _comp("row-2", "rack_row", req=[_req("power", ["feed-a", "feed-b"], capacity=250)]),
            _comp("row-3", "rack_row", req=[_req("power", ["feed-a", "feed-b"], capacity=100)]),
        ]
    )
    graph = compile_fleet(fleet)
    assert graph.n_gates == 3
    assert graph.gate_node.tolist() == [0, 0, 1]
    assert graph.node_supplier.tolist() == [0, 1, 0, 1]
    assert graph.gates_fed_by(0).tolist() == [0, 1, 2]
    assert graph.weights_of_gate(1).tolist() == [300.0, 200.0]
    own = compile_fleet(fleet, share_gates=False)
    assert own.gate_node.tolist() == [0, 1, 2]
    assert own.gates_fed_by(0).tolist() == [0, 1, 2]
    # feed-a down: 200 kW left, below 250 for rows 1-2 (one node), above 100 for row 3
    for g in (graph, own):
        assert Evaluator(g).evaluate(["feed-a"]).down_names() == ["feed-a", "row-1", "row-2"]


def test_evaluator_api_and_state_restored() -> None:
    fleet = _fleet(
        [
            _comp("feed", "utility_feed"),
            _comp("ups", "ups", req=[_req("power", ["feed"])]),
            _comp("row", "rack_row", req=[_req("power", ["ups"])]),
        ]
    )
    evaluator = Evaluator(fleet)
    with pytest.raises(KeyError):
        evaluator.evaluate(["nope"])
    with pytest.raises(ValueError):
        evaluator.evaluate([], surge=0.0)
    with pytest.raises(ValueError):
        evaluator.evaluate([], promoted="manual")
    assert evaluator.downstream_cone(["ups"]).tolist() == [1, 2]
    assert evaluator.downstream_cone([0]).tolist() == [0, 1, 2]
    assert evaluator.evaluate([]).up.all()
    evaluation = evaluator.evaluate(["ups"])
    assert evaluation.down_names() == ["ups", "row"]
    assert evaluation.is_up("feed") and not evaluation.is_up(2)
    batch = evaluator.evaluate_many([["row"], [], ["feed", "ups"]])
    assert batch.down_counts().tolist() == [1, 0, 3]
    assert batch[-1].down.tolist() == [0, 1, 2]
    assert evaluator.evaluate([]).up.all()


def test_named_surge_applies_each_services_own_multiplier():
    fleet = _two_services_with_and_without_surge()
    for evaluate in (_fast_served, _reference_served):
        served = evaluate(fleet, "world_cup")
        assert served["msg"] == pytest.approx(0.2)  # 10x demand on 2x capacity
        assert served["ops"] == 1.0  # declares no world_cup surge: stays at 1x


def _two_services_with_and_without_surge() -> Fleet:
    from twin.model import RackRow, Region, Replica, Requirement, Service, Site, UtilityFeed, Zone

    site = Site(
        name="s",
        region="r",
        zones=[Zone(name="z", kind="building")],
        components=[
            UtilityFeed(name="feed", zone="z", substation="x", capacity_kw=10),
            RackRow(
                name="row",
                zone="z",
                racks=1,
                servers=1,
                it_load_kw=1,
                requires=[Requirement(resource="power", suppliers=["feed"])],
            ),
        ],
    )
    return Fleet(
        name="f",
        regions=[Region(name="r")],
        sites=[site],
        services=[
            Service(
                name="msg",
                demand_rps=10,
                surges={"world_cup": 10},
                replicas=[Replica(site="s", rows=["row"], capacity_rps=20)],
            ),
            Service(
                name="ops",
                demand_rps=10,
                replicas=[Replica(site="s", rows=["row"], capacity_rps=20)],
            ),
        ],
    )


def _fast_served(fleet: Fleet, surge: str) -> dict[str, float]:
    return Evaluator(fleet).evaluate((), surge=surge).as_dicts()[1]


def _reference_served(fleet: Fleet, surge: str) -> dict[str, float]:
    return reference_evaluate(fleet, (), surge=surge)[1]
