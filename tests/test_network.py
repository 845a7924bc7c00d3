"""Reachability: carriers to users, the backbone between sites, partitions and quorums.

The contract (users, backbone groups, replicas, quorum sides, failover controller,
``needs_network``) is stated in :mod:`twin.analysis.engine` and
:mod:`twin.analysis.reference`; these tests run the fast engine against the naive
oracle on generated fleets with a network layer, and check hand-built partitions
against closed-form answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks.fleet import SHARED_DUCT
from tests.strategies import networked_fleets
from tests.test_engine import TOL, _agree, _params
from twin.analysis.engine import Evaluation, Evaluator
from twin.analysis.reference import reference_evaluate, reference_reachability
from twin.analysis.timeline import simulate
from twin.model import Fleet
from twin.model.catalog import find_scenario
from twin.model.scenarios import ComponentFailure, ScenarioSpec
from twin.sources import build_stack


def _srlg_members(fleet: Fleet) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for _, comp in fleet.components():
        for group in getattr(comp, "srlg", ()):
            groups.setdefault(group, []).append(comp.name)
    return groups


def _agree_network(fleet: Fleet, evaluation: Evaluation) -> None:
    """The engine's reachability facts equal the oracle's for the same component states."""
    up = dict(zip(evaluation.graph.component_names, evaluation.up.tolist(), strict=True))
    users, connected = reference_reachability(fleet, up)
    names = evaluation.graph.site_names
    assert evaluation.site_users is not None and evaluation.site_group is not None
    assert dict(zip(names, evaluation.site_users.tolist(), strict=True)) == users
    labels = evaluation.site_group.tolist()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            assert (labels[i] == labels[j]) == (b in connected[a]), (a, b)


# --------------------------------------------------------------------------- differential


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networked_fleets(), st.data())
def test_fast_matches_reference_on_networked_fleets(fleet: Fleet, data: st.DataObject) -> None:
    evaluator = Evaluator(fleet)
    comps = list(evaluator.graph.component_names)
    svcs = list(evaluator.graph.service_names)
    srlgs = _srlg_members(fleet)

    _agree(fleet, evaluator.baseline, [])
    _agree_network(fleet, evaluator.baseline)

    # Every single failure and every shared-risk cut, in one batch.
    params = _params(data, comps, svcs)
    scenarios = [[c] for c in comps] + [members for _, members in sorted(srlgs.items())]
    batch = evaluator.evaluate_many(scenarios, **params)
    for i, failed in enumerate(scenarios):
        _agree(fleet, batch[i], failed, **params)

    # Each replica's rows lost alone (a controller losing the replica that reached a standby).
    for service in fleet.services:
        for replica in service.replicas:
            _agree(fleet, evaluator.evaluate(replica.rows), replica.rows)

    # Links and rows: partitions, sites without users, controllers losing replicas.
    links = [
        c
        for c, kind in zip(comps, evaluator.graph.component_kind, strict=True)
        if kind in ("carrier_link", "backbone_link")
    ]
    rows = [c for c, row in zip(comps, evaluator.graph.is_row.tolist(), strict=True) if row]
    for _ in range(4):
        failed = set(data.draw(st.lists(st.sampled_from(links), unique=True))) if links else set()
        failed.update(
            data.draw(st.lists(st.sampled_from(rows), max_size=3, unique=True)) if rows else []
        )
        params = _params(data, comps, svcs)
        evaluation = evaluator.evaluate(sorted(failed), **params)
        _agree(fleet, evaluation, sorted(failed), **params)
        _agree_network(fleet, evaluation)

    # Shared-risk cuts on top of random failures, each with its own parameters.
    for _ in range(4):
        failed = set(data.draw(st.lists(st.sampled_from(comps), max_size=4, unique=True)))
        if srlgs:
            failed.update(srlgs[data.draw(st.sampled_from(sorted(srlgs)))])
        params = _params(data, comps, svcs)
        evaluation = evaluator.evaluate(sorted(failed), **params)
        _agree(fleet, evaluation, sorted(failed), **params)
        _agree_network(fleet, evaluation)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networked_fleets(max_components=12), st.data())
def test_batch_matches_single_on_networked_fleets(fleet: Fleet, data: st.DataObject) -> None:
    """evaluate_many (prefix sharing over links and rows) equals evaluate, scenario by scenario."""
    evaluator = Evaluator(fleet)
    n = evaluator.graph.n_components
    comps = list(evaluator.graph.component_names)
    params = _params(data, comps, list(evaluator.graph.service_names))
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    cuts = [evaluator.graph.components_of(m) for m in _srlg_members(fleet).values()]
    extra = data.draw(st.lists(st.lists(st.integers(0, n - 1), max_size=5), max_size=5))
    scenarios = [*pairs, *cuts, *extra, ()]
    batch = evaluator.evaluate_many(scenarios, **params)
    for i, scenario in enumerate(scenarios):
        single = evaluator.evaluate(scenario, **params)
        assert np.array_equal(batch[i].up, single.up)
        assert np.allclose(batch.served[i], single.served, rtol=0, atol=TOL)
        assert np.array_equal(batch.promoted[i], single.promoted)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networked_fleets(), st.data())
def test_cutting_more_never_helps(fleet: Fleet, data: st.DataObject) -> None:
    """Failing more removes users, edges and rows: never a higher served fraction."""
    evaluator = Evaluator(fleet)
    comps = list(evaluator.graph.component_names)
    params = _params(data, comps, list(evaluator.graph.service_names))
    small = data.draw(st.lists(st.sampled_from(comps), max_size=3, unique=True))
    more = data.draw(st.lists(st.sampled_from(comps), min_size=1, max_size=4, unique=True))
    srlgs = _srlg_members(fleet)
    if srlgs:
        more += srlgs[data.draw(st.sampled_from(sorted(srlgs)))]
    a = evaluator.evaluate(small, **params)
    b = evaluator.evaluate(sorted(set(small) | set(more)), **params)
    assert (b.served <= a.served + TOL).all()


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networked_fleets(), st.data())
def test_ignoring_the_network_restores_the_old_answer(fleet: Fleet, data: st.DataObject) -> None:
    """With every service at ``needs_network=False`` and every link removed from the
    services' view, answers equal those of the same fleet without carriers or backbone:
    the network cannot lower a service that ignores it, and never raises one that needs it."""
    blind = fleet.model_copy(
        update={"services": [s.model_copy(update={"needs_network": False}) for s in fleet.services]}
    )
    comps = [c.name for _, c in fleet.components()]
    failed = data.draw(st.lists(st.sampled_from(comps), max_size=5, unique=True))
    srlgs = _srlg_members(fleet)
    if srlgs:
        failed = sorted(set(failed) | set(srlgs[data.draw(st.sampled_from(sorted(srlgs)))]))
    aware = Evaluator(fleet).evaluate(failed).served
    ignoring = Evaluator(Fleet.model_validate(blind.model_dump())).evaluate(failed).served
    assert (aware <= ignoring + TOL).all()
    # The blind fleet is exactly the old contract: quorum counted fleet-wide, no network.
    links = {c.name for _, c in fleet.components() if c.kind in ("carrier_link", "backbone_link")}
    old = _without_network_rules(blind, failed)
    for name, value in reference_evaluate(blind, failed)[1].items():
        assert abs(old[name] - value) <= TOL, (name, sorted(links & set(failed)))


def _without_network_rules(fleet: Fleet, failed: list[str]) -> dict[str, float]:
    """The pre-network rules, written out once more for the test above: own = 0 below the
    quorum of data replicas with an up row (anywhere), else live capacity / demand."""
    up, _ = reference_evaluate(fleet, failed)
    services = {s.name: s for s in fleet.services}
    promoted = {
        s.name for s in fleet.services if s.mode == "active_standby" and s.failover_controller
    }
    while True:
        served = {name: 1.0 for name in services}
        again = True
        while again:
            again = False
            for name, s in services.items():
                live = [sum(up[r] for r in rep.rows) / len(rep.rows) for rep in s.replicas]
                holders = sum(
                    1 for rep, v in zip(s.replicas, live, strict=True) if rep.stores_data and v
                )
                value = min(
                    1.0,
                    sum(
                        rep.capacity_rps * v
                        for rep, v in zip(s.replicas, live, strict=True)
                        if rep.role == "active" or name in promoted
                    )
                    / s.demand_rps,
                )
                if s.data_quorum is not None and holders < s.data_quorum:
                    value = 0.0
                for d in s.depends_on:
                    value = min(value, served[d])
                if value < served[name]:
                    served[name] = value
                    again = True
        keep = {n for n in promoted if served[services[n].failover_controller or ""] > 0}
        if keep == promoted:
            return served
        promoted = keep


# --------------------------------------------------------------------------- hand-built

_SITES = ("a", "b", "c")


def _site(name: str, carriers: int = 1, links: tuple[tuple[str, str, list[str]], ...] = ()):
    """A site with ``carriers`` carrier links, a router needing any of them, two rows
    needing the router, and backbone links ``(name, remote, srlg)`` needing the router."""
    components: list[dict[str, Any]] = [
        {
            "name": f"{name}-carrier-{i}",
            "kind": "carrier_link",
            "zone": f"{name}-mmr",
            "carrier": "telco",
            "capacity_gbps": 100.0,
            "srlg": [f"{name}-duct-{i}"],
        }
        for i in range(1, carriers + 1)
    ]
    components.append(
        {
            "name": f"{name}-feed",
            "kind": "utility_feed",
            "zone": f"{name}-mmr",
            "substation": "s",
            "capacity_kw": 1000.0,
        }
    )
    for i in (1, 2):
        components.append(
            {
                "name": f"{name}-row-{i}",
                "kind": "rack_row",
                "zone": f"{name}-mmr",
                "racks": 10,
                "servers": 100,
                "it_load_kw": 50.0,
                "requires": [{"resource": "power", "suppliers": [f"{name}-feed"]}],
            }
        )
    for link, remote, srlg in links:
        components.append(
            {
                "name": link,
                "kind": "backbone_link",
                "zone": f"{name}-mmr",
                "capacity_gbps": 100.0,
                "remote_site": remote,
                "srlg": srlg,
                "requires": [{"resource": "power", "suppliers": [f"{name}-feed"]}],
            }
        )
    return {
        "name": name,
        "region": "kr",
        "zones": [{"name": f"{name}-mmr", "kind": "meet_me_room"}],
        "components": components,
    }


def _net_fleet(sites: list[dict[str, Any]], services: list[dict[str, Any]]) -> Fleet:
    return Fleet.model_validate(
        {"name": "net", "regions": [{"name": "kr"}], "sites": sites, "services": services}
    )


def _on(site: str, cap: float = 50.0, **kw: Any) -> dict[str, Any]:
    return {"site": site, "rows": [f"{site}-row-1"], "capacity_rps": cap, **kw}


def _triangle(services: list[dict[str, Any]], duct: bool = False) -> Fleet:
    """Sites a, b, c joined a–b, a–c, b–c by one link each (at the first site); with
    ``duct``, the a–b and a–c links share ``duct-ab-ac``."""
    shared = ["duct-ab-ac"] if duct else []
    return _net_fleet(
        [
            _site("a", links=(("a-to-b", "b", [*shared, "route-ab"]), ("a-to-c", "c", [*shared]))),
            _site("b", links=(("b-to-c", "c", ["route-bc"]),)),
            _site("c"),
        ],
        services,
    )


def _served(fleet: Fleet, failed: Sequence[str] = (), **kw: Any) -> dict[str, float]:
    """Both evaluators, checked equal; the answer."""
    evaluation = Evaluator(fleet).evaluate(failed, **kw)
    _agree(fleet, evaluation, list(failed), **kw)
    _agree_network(fleet, evaluation)
    return evaluation.as_dicts()[1]


def _quorum_store(needs_network: bool = True) -> dict[str, Any]:
    return {
        "name": "store",
        "demand_rps": 90.0,
        "data_quorum": 2,
        "needs_network": needs_network,
        "replicas": [_on(s, 45.0, stores_data=True) for s in _SITES],
    }


def test_quorum_majority_keeps_serving_and_the_isolated_site_stops() -> None:
    fleet = _triangle([_quorum_store()])
    assert _served(fleet) == {"store": 1.0}
    # Site c isolated (both of its links cut): a and b hold 2 of 3, c's replica stops.
    evaluation = Evaluator(fleet).evaluate(["a-to-c", "b-to-c"])
    assert evaluation.partition() == [["a", "b"], ["c"]]
    assert _served(fleet, ["a-to-c", "b-to-c"], surge=2.0) == {"store": pytest.approx(90 / 180)}
    # The majority's capacity over demand: 2 × 45 of 2 × 90 (c's 45 would have made it 3/4).
    assert evaluation.replica_reachable is not None
    assert evaluation.replica_reachable.tolist() == [True, True, False]
    # Every site isolated: no side holds 2 of 3, the service stops.
    assert _served(fleet, ["a-to-b", "a-to-c", "b-to-c"]) == {"store": 0.0}
    # Without the network rules it is the old answer: all three count.
    blind = _triangle([_quorum_store(needs_network=False)])
    assert _served(blind, ["a-to-c", "b-to-c"], surge=2.0) == {"store": 0.75}
    assert _served(blind, ["a-to-b", "a-to-c", "b-to-c"]) == {"store": 1.0}


def test_connectivity_is_transitive() -> None:
    fleet = _triangle([_quorum_store()])
    # a–b cut, but a reaches b over c: nothing changes.
    assert Evaluator(fleet).evaluate(["a-to-b"]).partition() == [["a", "b", "c"]]
    assert _served(fleet, ["a-to-b"], surge=2.0) == {"store": 0.75}


def test_active_active_reroutes_to_reachable_capacity() -> None:
    web = {"name": "web", "demand_rps": 100.0, "replicas": [_on(s, 40.0) for s in _SITES]}
    fleet = _triangle([web])
    assert _served(fleet) == {"web": 1.0}
    # No quorum: a partition alone changes nothing for a stateless service...
    assert _served(fleet, ["a-to-c", "b-to-c"]) == {"web": 1.0}
    # ... but a site without users does: c's only carrier is cut, 80 of 100 rps remain.
    assert _served(fleet, ["c-carrier-1"]) == {"web": pytest.approx(0.8)}
    assert _served(fleet, ["c-carrier-1", "b-carrier-1"]) == {"web": pytest.approx(0.4)}


def test_one_duct_cut_partitions_two_sites() -> None:
    """Two links between the same two sites, in one duct: the duct cut partitions them."""
    sites = [
        _site("a", links=(("a-to-b-1", "b", ["duct-ab"]), ("a-to-b-2", "b", ["duct-ab", "r2"]))),
        _site("b"),
    ]
    store = {
        "name": "store",
        "demand_rps": 100.0,
        "data_quorum": 2,
        "replicas": [_on("a", 100.0, stores_data=True), _on("b", 100.0, stores_data=True)],
    }
    fleet = _net_fleet(sites, [store])
    assert _served(fleet, ["a-to-b-1"]) == {"store": 1.0}  # the other fibre still joins them
    cut = ["a-to-b-1", "a-to-b-2"]
    assert Evaluator(fleet).evaluate(cut).partition() == [["a"], ["b"]]
    assert _served(fleet, cut) == {"store": 0.0}  # 1 + 1 of quorum 2: neither side holds it


def test_a_site_whose_carriers_are_all_down_stops_serving_users() -> None:
    web = {"name": "web", "demand_rps": 100.0, "replicas": [_on("a", 100.0), _on("b", 50.0)]}
    fleet = _net_fleet([_site("a", carriers=2), _site("b", carriers=0)], [web])
    assert _served(fleet, ["a-carrier-1"]) == {"web": 1.0}  # the other carrier still up
    evaluation = Evaluator(fleet).evaluate(["a-carrier-1", "a-carrier-2"])
    assert evaluation.site_users is not None
    assert evaluation.site_users.tolist() == [False, True]  # b declares no carrier: unmodelled
    assert _served(fleet, ["a-carrier-1", "a-carrier-2"]) == {"web": 0.5}
    assert evaluation.is_up("a-row-1")  # the rows are up; only users cannot reach them


def _failover_fleet(needs_network: bool = True) -> Fleet:
    """app: active at a, standby at c; its controller ops runs at b only."""
    app = {
        "name": "app",
        "demand_rps": 100.0,
        "mode": "active_standby",
        "failover_controller": "ops",
        "needs_network": needs_network,
        "replicas": [_on("a", 100.0), _on("c", 100.0, role="standby")],
    }
    ops = {"name": "ops", "demand_rps": 10.0, "replicas": [_on("b", 10.0)]}
    return _triangle([app, ops])


def test_standby_does_not_promote_when_its_controller_is_partitioned_from_it() -> None:
    fleet = _failover_fleet()
    # a's rows lost: ops at b reaches c, the standby takes over.
    assert _served(fleet, ["a-row-1"]) == {"app": 1.0, "ops": 1.0}
    assert Evaluator(fleet).evaluate(["a-row-1"]).promoted.tolist() == [True, False]
    # c cut off from b (and a): the controller cannot reach the standby.
    cut = ["a-row-1", "a-to-c", "b-to-c"]
    evaluation = Evaluator(fleet).evaluate(cut)
    assert evaluation.promoted.tolist() == [False, False]
    assert evaluation.failover_reachable is not None
    assert evaluation.failover_reachable.tolist() == [False, False]
    assert _served(fleet, cut) == {"app": 0.0, "ops": 1.0}
    # Only c–b cut: b reaches c through a, failover proceeds.
    assert _served(fleet, ["a-row-1", "b-to-c"]) == {"app": 1.0, "ops": 1.0}
    # Promoted by hand, the standby serves if its site reaches users...
    assert _served(fleet, cut, promoted=["app"]) == {"app": 1.0, "ops": 1.0}
    # ... and not if it does not.
    assert _served(fleet, [*cut, "c-carrier-1"], promoted=["app"]) == {"app": 0.0, "ops": 1.0}


def test_controller_losing_the_replica_that_reached_the_standby_demotes_it() -> None:
    """c has no backbone link (isolated even when all is up); ops runs at b and c, so
    only its c replica reaches app's standby. Losing that replica leaves ops serving
    from b, which cannot reach c: app is demoted, though nothing in it failed."""
    app = {
        "name": "app",
        "demand_rps": 100.0,
        "mode": "active_standby",
        "failover_controller": "ops",
        "replicas": [_on("a", 50.0), _on("c", 50.0, role="standby")],
    }
    ops = {
        "name": "ops",
        "demand_rps": 10.0,
        "replicas": [_on("b", 5.0), {"site": "c", "rows": ["c-row-2"], "capacity_rps": 5.0}],
    }
    fleet = _net_fleet(
        [_site("a", links=(("a-to-b", "b", []),)), _site("b"), _site("c")], [app, ops]
    )
    assert Evaluator(fleet).baseline.partition() == [["a", "b"], ["c"]]
    assert _served(fleet) == {"app": 1.0, "ops": 1.0}
    assert _served(fleet, ["c-row-2"]) == {"app": 0.5, "ops": 0.5}


def test_needs_network_false_restores_the_old_answer() -> None:
    fleet = _failover_fleet(needs_network=False)
    cut = ["a-row-1", "a-to-c", "b-to-c"]
    assert _served(fleet, cut) == {"app": 1.0, "ops": 1.0}  # promoted as before
    assert _served(fleet, [*cut, "c-carrier-1"]) == {"app": 1.0, "ops": 1.0}
    web = {
        "name": "web",
        "demand_rps": 100.0,
        "needs_network": False,
        "replicas": [_on(s, 40.0) for s in _SITES],
    }
    assert _served(_triangle([web]), ["c-carrier-1"]) == {"web": 1.0}


def test_a_fleet_without_carriers_or_backbone_keeps_todays_answers() -> None:
    sites = [_site("a", carriers=0), _site("b", carriers=0)]
    store = {
        "name": "store",
        "demand_rps": 100.0,
        "data_quorum": 2,
        "replicas": [_on("a", 100.0, stores_data=True), _on("b", 100.0, stores_data=True)],
    }
    fleet = _net_fleet(sites, [store])
    evaluation = Evaluator(fleet).evaluate([])
    assert evaluation.partition() == [["a", "b"]]
    assert _served(fleet) == {"store": 1.0}
    assert _served(fleet, ["a-row-1"]) == {"store": 0.0}  # one data replica left of 2


# --------------------------------------------------------------------------- timelines


def _timeline(fleet: Fleet, *events: Any) -> Any:
    # shorter than any repair (8 h for a carrier link): the state the failure leaves
    spec = ScenarioSpec(name="net", events=list(events), horizon_s=20_000)
    return simulate(fleet, spec)


def test_a_partitioned_controller_leaves_failover_to_hand() -> None:
    """The timeline asks the engine whether the controller reaches a standby."""
    app = _failover_fleet().services[0]
    # Reachable: automated failover after failover_time_s (0 here).
    timeline = _timeline(_failover_fleet(), ComponentFailure(components=["a-row-1"]))
    started = timeline.first("failover_started", "app")
    assert started is not None and started.cause_kind == "failover_automated"
    # c cut off first, then the active replica lost: ops serves but cannot reach c.
    timeline = _timeline(
        _failover_fleet(),
        ComponentFailure(components=["a-to-c", "b-to-c"]),
        ComponentFailure(at_s=10.0, components=["a-row-1"]),
    )
    started = timeline.first("failover_started", "app")
    assert started is not None and started.cause_kind == "failover_manual"
    assert started.cause == "manual recovery (failover controller ops cannot reach a standby site)"
    done = timeline.first("failover_complete", "app")
    assert done is not None and done.time_s == pytest.approx(10.0 + app.manual_recovery_s)
    # Promoted by hand, the standby at c serves: c still reaches its users.
    assert timeline.service("app").final_served["baseline"] == 1.0
    assert timeline.service("app").downtime_s == pytest.approx(app.manual_recovery_s)


def test_a_site_losing_its_users_is_rerouted_like_a_lost_replica() -> None:
    web = {
        "name": "web",
        "demand_rps": 100.0,
        "failover_time_s": 60.0,
        "replicas": [_on(s, 50.0) for s in _SITES],
    }
    timeline = _timeline(_triangle([web]), ComponentFailure(components=["c-carrier-1"]))
    outcome = timeline.service("web")
    # c's third of the traffic is lost until re-routed; a and b then carry it all.
    assert outcome.min_served["baseline"] == pytest.approx(2 / 3)
    assert outcome.degraded_s == pytest.approx(60.0)
    assert outcome.final_served["baseline"] == 1.0
    assert outcome.final_headroom["baseline"] == pytest.approx(0.0)


def test_the_fleets_duct_cut_fences_ansans_quorum_replicas() -> None:
    """Ansan cut off from Seoul and Busan: messaging and object-storage stop there; for
    the minute global load balancing takes, a third of their traffic is lost."""
    fleet = build_stack("fleet")
    # before the fibres are repaired (12 h by default): the state the cut leaves
    timeline = simulate(fleet, find_scenario(fleet, f"srlg-cut:{SHARED_DUCT}"), horizon_s=6 * 3600)
    for name in ("messaging", "object-storage"):
        outcome = timeline.service(name)
        assert outcome.min_served["baseline"] == pytest.approx(2 / 3, abs=1e-6)
        assert outcome.degraded_s == 60.0
        assert outcome.final_served == {
            "baseline": 1.0,
            "new_year": pytest.approx(1 / 3, abs=1e-6),
            "world_cup": pytest.approx(0.1, abs=1e-6),
        }
    for name in ("auth", "cache", "ops-tooling", "failover-controller"):
        assert timeline.service(name).degraded_s == 0.0, name
