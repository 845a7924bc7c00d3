"""Racks as components and the generated Kakao-size fleet (``kakao:key=value,...``).

Small specs only: the full ``kakao:sites=3,racks=4000,per=rack`` (~25k components) is
built and timed by ``benchmarks/bench_kakao.py``, not here.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pytest

from stacks import STACK_NAMES, build_stack
from stacks.kakao_scale import build, layout, parse_spec
from tests.test_pulumi_program import reset_pulumi_runtime, run_under_mocks
from twin.analysis.contingency import contingency
from twin.analysis.tier import tier_verdict
from twin.analysis.twin import Twin
from twin.cli import main
from twin.errors import UsageError
from twin.iac.declare import DeclaredFleet, declare_fleet
from twin.model import Fleet
from twin.model.naming import fleet_from_resources, fleet_resources
from twin.sources import build_stack as source_stack

REFERENCE_DIGESTS = {
    "ansan": "827f2c7bc33b2034814312a894bb0022c6a132a5f085c5f73b5a0a2ba19e389f",
    "pangyo-2022": "0fe80c0625b06875d33dbe43964daaa69b27896e0e01bf26f5863887412e3d8f",
    "fleet": "ca4c007e64b0d11bee451df58df5b41702f2fdad4c3da0212b020858460b4b59",
    "lab": "6f8d1ae76ddadde3e9a8a330036444bc0ba896fed8b5101f5adcac2a69af261e",
}
"""sha256 of ``json.dumps(build_stack(s).model_dump(mode="json"), sort_keys=True)`` at
04acc94, before racks could be components. A change to a reference stack's design
changes these on purpose: update them in the same commit, saying why."""

SMALL = (1, 200)  # one site of 4 halls × 5 rows × 10 racks


def _totals(fleet: Fleet) -> tuple[int, int, float, int]:
    rows = [c for _, c in fleet.components() if c.kind == "rack_row"]
    racks = sum(getattr(r, "racks", 0) for r in rows)
    servers = sum(getattr(r, "servers", 0) for r in rows)
    return racks, servers, sum(getattr(r, "it_load_kw", 0.0) for r in rows), len(rows)


@pytest.fixture(scope="module")
def pair() -> dict[str, Fleet]:
    """The same small site per row, per rack with one ToR, per rack with two."""
    return {
        "row": build(*SMALL, per="row"),
        "rack": build(*SMALL, per="rack"),
        "rack2": build(*SMALL, per="rack", tors=2),
    }


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_reference_stacks_are_unchanged(stack: str) -> None:
    dump = json.dumps(build_stack(stack).model_dump(mode="json"), sort_keys=True)
    assert hashlib.sha256(dump.encode()).hexdigest() == REFERENCE_DIGESTS[stack]


def test_generated_stacks_are_not_reference_stacks() -> None:
    assert not any(name.startswith("kakao") for name in STACK_NAMES)


def test_layout_gives_exactly_the_racks() -> None:
    assert layout(4000) == (4, 50, 20)  # Ansan's split
    for racks in (20, 40, 80, 200, 1000, 4000, 6060):
        halls, rows, per_row = layout(racks)
        assert halls * rows * per_row == racks and halls >= 2


def test_per_rack_and_per_row_have_the_same_totals(pair: dict[str, Fleet]) -> None:
    racks, servers, kw, units = _totals(pair["row"])
    assert (racks, servers, kw) == (200, 6000, 1200.0) and units == 20
    for per in ("rack", "rack2"):
        assert _totals(pair[per]) == (racks, servers, kw, racks)

    # power and cooling are sized alike: same UPS, PDUs, CRAHs, chillers, generators
    def plant(fleet: Fleet) -> Counter[str]:
        return Counter(c.kind for _, c in fleet.components() if c.kind not in ("rack_row", "leaf"))

    assert plant(pair["row"]) == plant(pair["rack"]) == plant(pair["rack2"])


def test_a_rack_is_wired_like_its_row(pair: dict[str, Fleet]) -> None:
    by_name = {c.name: c for _, c in pair["rack"].components()}
    assert "ansan-hall2-row03" not in by_name  # the row is a grouping, not a component
    rack = by_name["ansan-hall2-row03-rack07"]
    tor = by_name["ansan-hall2-row03-rack07-tor"]
    groups = {g.resource: g for g in rack.requires}
    per_row = {c.name: c for _, c in pair["row"].components()}["ansan-hall2-row03"]
    expected = {g.resource: g for g in per_row.requires}
    assert groups["power"] == expected["power"]  # the same A/B PDU pair
    assert groups["cooling"] == expected["cooling"]  # the hall-wide CRAH capacity gate
    assert groups["network"].suppliers == [tor.name]
    assert tor.kind == "leaf" and tor.zone == rack.zone
    tor_groups = {g.resource: g for g in tor.requires}
    assert tor_groups["network"] == expected["network"]  # the row group's leaf pair
    assert tor_groups["power"] == expected["power"]
    assert getattr(rack, "racks", 0) == 1


def test_per_rack_and_per_row_site_verdicts_agree(pair: dict[str, Fleet]) -> None:
    reports = {per: contingency(fleet) for per, fleet in pair.items()}
    tiers = {
        per: [
            (site.site, site.tier, [(m.requirement, m.broken_by) for m in site.misses])
            for site in tier_verdict(fleet).sites
        ]
        for per, fleet in pair.items()
    }
    assert tiers["row"] == tiers["rack2"]
    assert [t[:2] for t in tiers["row"]] == [t[:2] for t in tiers["rack"]]  # same tier

    def common_cause(per: str) -> list[tuple[str, int, int, float, dict[str, float]]]:
        return [
            (i.label, i.racks, i.servers, i.it_load_kw, i.services)
            for i in reports[per].harmful_common_cause
        ]

    assert common_cause("row") == common_cause("rack") == common_cause("rack2")
    assert reports["row"].single_points_of_failure == []
    assert reports["rack2"].single_points_of_failure == []
    # one ToR per rack: each ToR is a single point of failure of its own rack, no more
    spofs = reports["rack"].single_points_of_failure
    assert len(spofs) == 200
    assert all(i.failed[0].endswith("-tor") and i.racks == 1 and not i.services for i in spofs)


def _racks_down(fleet: Fleet, failed: list[str]) -> int:
    twin = Twin(fleet)
    up = twin.evaluator.evaluate(failed).up
    names = twin.graph.component_names
    by_name = {c.name: c for _, c in fleet.components()}
    return sum(
        getattr(by_name[n], "racks", 0)
        for k, n in enumerate(names)
        if not up[k] and by_name[n].kind == "rack_row"
    )


@pytest.mark.parametrize("crahs", [1, 2])
def test_a_hall_crah_loss_is_the_same_per_rack_and_per_row(
    pair: dict[str, Fleet], crahs: int
) -> None:
    names = [f"ansan-hall1-crah{k:02d}" for k in range(1, crahs + 1)]
    lost = {per: _racks_down(fleet, names) for per, fleet in pair.items()}
    # one CRAH is the hall's spare; two take the whole hall (50 racks) down
    assert lost["row"] == lost["rack"] == lost["rack2"] == (0 if crahs == 1 else 50)


def test_pdu_and_leaf_groups_count_rows_not_racks(pair: dict[str, Fleet]) -> None:
    kinds = Counter(c.kind for _, c in pair["rack"].components())
    row_kinds = Counter(c.kind for _, c in pair["row"].components())
    assert kinds["pdu"] == row_kinds["pdu"]
    assert kinds["leaf"] == row_kinds["leaf"] + 200  # the row leaf pairs, plus one ToR a rack


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ("sites=0", "sites"),
        ("sites=10", "sites"),
        ("sites=two", "sites"),
        ("racks=4001", "racks"),
        ("racks=0", "racks"),
        ("per=server", "per"),
        ("tors=3", "tors"),
        ("halls=4", "halls"),
        ("sites=1,sites=2", "sites"),
        ("sites", "sites"),
    ],
)
def test_bad_specs_name_the_key(spec: str, key: str, capsys: Any) -> None:
    with pytest.raises(UsageError, match=rf"kakao: '?{key}'?:"):
        parse_spec(spec)
    with pytest.raises(UsageError, match=rf"kakao: '?{key}'?:"):
        source_stack(f"kakao:{spec}")
    assert main(["summary", "--stack", f"kakao:{spec}"]) == 2
    assert key in capsys.readouterr().err


def test_spec_defaults_and_keys() -> None:
    assert parse_spec("") == parse_spec("sites=3,racks=4000,per=rack,tors=1")
    spec = parse_spec(" racks = 80 , per=row")
    assert (spec.sites, spec.racks, spec.per) == (3, 80, "row")
    fleet = source_stack("kakao:sites=2,racks=80")
    assert [s.name for s in fleet.sites] == ["ansan", "kakao-2"]
    assert {s.region for s in fleet.sites} == {"capital"}
    assert [s.region for s in build(3, 40, "row").sites] == ["capital", "capital", "south"]
    assert all(len(s.replicas) == 2 for s in fleet.services)


def test_three_sites_are_joined_by_a_backbone_ring() -> None:
    fleet = build(3, 40, "row")
    links = [c for _, c in fleet.components() if c.kind == "backbone_link"]
    assert len(links) == 6  # three links, one end at each site
    assert sorted(Counter(getattr(c, "remote_site", "") for c in links).values()) == [2, 2, 2]


# --------------------------------------------------------------------------- Pulumi


def test_racks_are_declared_per_row_and_round_trip() -> None:
    per_rack, per_row = build(1, 40, "rack"), build(1, 40, "row")
    rack_specs, row_specs = fleet_resources(per_rack), fleet_resources(per_row)
    assert len(rack_specs) == len(row_specs)
    assert {k for k in rack_specs if "RackRow" in k} == {k for k in row_specs if "RackRow" in k}
    row = rack_specs["dctwin:power:RackRow::ansan-hall1-row01"].inputs
    expected = row_specs["dctwin:power:RackRow::ansan-hall1-row01"].inputs
    assert (row["racks"], row["servers"], row["itLoadKw"]) == (
        expected["racks"],
        expected["servers"],
        expected["itLoadKw"],
    )
    assert len(row["members"]) == 20  # ten racks and their ToRs
    rebuilt = fleet_from_resources((s.type, s.name, s.inputs) for s in rack_specs.values())
    assert fleet_resources(rebuilt) == rack_specs
    assert Counter(c.name for _, c in rebuilt.components()) == Counter(
        c.name for _, c in per_rack.components()
    )


def test_pulumi_program_declares_as_many_resources_per_rack_as_per_row() -> None:
    counts: dict[str, int] = {}
    outputs: dict[str, dict[str, Any]] = {}
    try:
        for per in ("rack", "row"):
            fleet = build(1, 40, per)  # type: ignore[arg-type]
            run = run_under_mocks(
                lambda fleet=fleet: {"declared": declare_fleet(fleet)}, f"kakao-{per}", {}
            )
            declared: DeclaredFleet = run.namespace["declared"]
            assert len(declared) == len(run.registrations)
            counts[per] = len(run.registrations)
            outputs[per] = {
                r.name: r.inputs for r in run.registrations if r.type == "dctwin:power:RackRow"
            }
            if per == "rack":
                feeds = [inputs["twin"]["powerFeeds"] for inputs in outputs[per].values()]
                assert all(len(f) == 2 for f in feeds)  # the A and B cords every rack has
    finally:
        reset_pulumi_runtime()
    assert counts["rack"] == counts["row"]
    assert set(outputs["rack"]) == set(outputs["row"])
    for name, inputs in outputs["row"].items():
        mine = outputs["rack"][name]
        assert (mine["racks"], mine["servers"], mine["itLoadKw"]) == (
            inputs["racks"],
            inputs["servers"],
            inputs["itLoadKw"],
        )
