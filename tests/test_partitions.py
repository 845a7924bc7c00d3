"""srlg_consequences: what each shared-risk cut does to sites, users and services."""

from __future__ import annotations

import pytest

from stacks import build_stack
from stacks.fleet import SHARED_DUCT
from tests.test_network import _net_fleet, _on, _site, _triangle
from twin.analysis.partitions import SrlgConsequence, srlg_consequences
from twin.analysis.twin import Twin


@pytest.fixture(scope="module")
def fleet_twin() -> Twin:
    return Twin(build_stack("fleet"))


def _by_name(consequences: list[SrlgConsequence]) -> dict[str, SrlgConsequence]:
    return {c.srlg: c for c in consequences}


def test_the_fleets_shared_duct_isolates_ansan(fleet_twin: Twin) -> None:
    cut = _by_name(srlg_consequences(fleet_twin))[SHARED_DUCT]
    assert cut.links == (
        "ansan-backbone-seoul-1",
        "ansan-backbone-busan-1",
        "seoul-backbone-ansan-1",
        "busan-backbone-ansan-1",
    )
    assert cut.partition == (("ansan",), ("seoul", "busan"))
    assert cut.partitioned
    assert cut.sites_without_users == ()
    # Quorum 2 of 3: Seoul and Busan hold it; Ansan's data replicas stop.
    assert cut.stopped == {"messaging": ("ansan",), "object-storage": ("ansan",)}
    # Any two sites carry the baseline demand (tolerate=1): nothing served is lost.
    assert cut.services == {}
    assert not cut.harmful
    assert cut.reason is not None
    assert "ansan | seoul, busan" in cut.reason
    assert "messaging, object-storage stop at ansan" in cut.reason


def test_the_shared_duct_costs_surge_capacity(fleet_twin: Twin) -> None:
    """At New Year (3x) each replica carries 1/6 of the demand: two of them serve 1/3,
    where the intact fleet's three serve 1/2."""
    by_name = _by_name(srlg_consequences(fleet_twin, surge="new_year"))
    cut = by_name[SHARED_DUCT]
    assert cut.harmful and cut.reason is None
    assert cut.services == {
        "messaging": pytest.approx(1 / 3),
        "object-storage": pytest.approx(1 / 3),
    }
    assert not any(c.harmful for name, c in by_name.items() if name != SHARED_DUCT)


def test_every_other_fleet_srlg_is_harmless_and_says_why(fleet_twin: Twin) -> None:
    by_name = _by_name(srlg_consequences(fleet_twin))
    assert sorted(by_name) == sorted(
        {g for _, c in fleet_twin.fleet.components() for g in getattr(c, "srlg", ())}
    )
    for name, cut in by_name.items():
        assert not cut.harmful, name
        assert cut.reason, name
        if name != SHARED_DUCT:
            assert cut.partition == (("ansan", "seoul", "busan"),), name
            assert cut.stopped == {}, name
    assert by_name["ansan-duct-east"].reason == "ansan still reaches users over ansan-carrier-2"
    # The Seoul–Busan fibre's duct: the triangle's other two sides still join them.
    assert by_name["duct-seoul-south"].reason == (
        "seoul still reaches busan over ansan-backbone-seoul-1 and ansan-backbone-busan-1"
        " (through ansan)"
    )


def test_a_tiny_fleet() -> None:
    web = {"name": "web", "demand_rps": 100.0, "replicas": [_on(s, 50.0) for s in "abc"]}
    store = {
        "name": "store",
        "demand_rps": 90.0,
        "data_quorum": 2,
        "replicas": [_on(s, 45.0, stores_data=True) for s in "abc"],
    }
    by_name = _by_name(srlg_consequences(_triangle([web, store], duct=True)))
    assert sorted(by_name) == [
        "a-duct-1",
        "b-duct-1",
        "c-duct-1",
        "duct-ab-ac",
        "route-ab",
        "route-bc",
    ]

    duct = by_name["duct-ab-ac"]  # a–b and a–c in one duct: a is isolated
    assert duct.links == ("a-to-b", "a-to-c")
    assert duct.partition == (("a",), ("b", "c"))
    assert duct.stopped == {"store": ("a",)}
    assert duct.services == {}  # b and c: 90 of 90 rps
    assert duct.reason is not None and "store stop at a" in duct.reason

    assert by_name["route-ab"].reason == "a still reaches b over a-to-c and b-to-c (through c)"
    assert by_name["route-bc"].reason == "b still reaches c over a-to-b and a-to-c (through a)"

    carrier = by_name["c-duct-1"]  # c's only carrier: c loses its users
    assert carrier.harmful and carrier.reason is None
    assert carrier.sites_without_users == ("c",)
    assert carrier.partition == (("a", "b", "c"),)
    assert carrier.stopped == {"web": ("c",), "store": ("c",)}
    assert carrier.services == {}  # a and b carry both services

    # At twice the demand the lost replicas show: c's users (both services) and a's side.
    surge = _by_name(srlg_consequences(_triangle([web, store], duct=True), surge=2.0))
    assert surge["c-duct-1"].services == {"web": 0.5, "store": 0.5}
    assert surge["duct-ab-ac"].services == {"store": 0.5}  # web has no quorum: a still serves


def test_a_parallel_link_keeps_two_sites_together() -> None:
    sites = [
        _site("a", links=(("a-to-b-1", "b", ["duct-x"]), ("a-to-b-2", "b", ["duct-y"]))),
        _site("b"),
    ]
    web = {"name": "web", "demand_rps": 100.0, "replicas": [_on("a", 100.0), _on("b", 100.0)]}
    by_name = _by_name(srlg_consequences(_net_fleet(sites, [web])))
    assert by_name["duct-x"].reason == "a still reaches b over a-to-b-2"
    assert by_name["duct-y"].reason == "a still reaches b over a-to-b-1"
