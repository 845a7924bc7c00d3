"""Availability: exact enumeration, cut sets and Monte Carlo against closed forms.

Tiny fleets where only the components under test fail (every other figure is set to
zero through the fleet's reliability overrides) have textbook answers: one component
λr/(1+λr), series, 1-of-2 and 2-of-3 redundancy, a generator backing a grid feed
with a fail-to-start probability, UPS batteries riding through short grid outages.
The exact method must match them to 1e-12 and Monte Carlo must hold them inside its
95 % interval (fixed seeds: the runs are reproducible). Then reproducibility and
sharding, the pruning of the cut-set enumeration against brute force, and the
reference stacks' messaging availability with the ranking that explains it.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from tests.strategies import fleets
from twin.analysis.availability import Estimate, availability, nines
from twin.analysis.availability.cutsets import cut_sets
from twin.analysis.availability.exact import exact_unavailability
from twin.analysis.availability.model import ReliabilityModel
from twin.analysis.availability.montecarlo import run_blocks
from twin.analysis.twin import Twin
from twin.cli import main
from twin.errors import DefinitionError
from twin.model import (
    Battery,
    Fleet,
    Generator,
    Pdu,
    RackRow,
    Region,
    Requirement,
    Site,
    Ups,
    UtilityFeed,
    Zone,
)
from twin.model.components import COMPONENT_TYPES
from twin.model.reliability import (
    CommonCauseRates,
    KindReliability,
    ReliabilityOverrides,
    UtilityReliability,
    reference_reliability,
)
from twin.sources import build_stack

YEAR_H = 8760.0


def _q(rate_per_year: float, mttr_h: float) -> float:
    lr = rate_per_year / YEAR_H * mttr_h
    return lr / (1.0 + lr)


def _overrides(
    components: dict[str, KindReliability],
    grid: tuple[float, float] | None = None,
) -> ReliabilityOverrides:
    """Nothing fails but ``components`` (and the grid, as (outages a year, mean h))."""
    outages, mean = grid if grid else (0.0, 1.0)
    return ReliabilityOverrides(
        kinds={k: KindReliability(failure_rate_per_year=0.0) for k in COMPONENT_TYPES},
        components=components,
        utility=UtilityReliability(outages_per_year=outages, mean_outage_h=mean),
        common_cause=CommonCauseRates(
            zone_fire_per_year={"data_hall": 0.0}, srlg_cut_per_year=0.0, site_loss_per_year=0.0
        ),
    )


def _fleet(
    pdus: int,
    need: int,
    figures: dict[str, KindReliability],
    *,
    grid: tuple[float, float] | None = None,
    generator: bool = False,
    battery_kwh: float | None = None,
) -> Fleet:
    """A feed (and optionally a generator and a UPS with a battery) feeding ``pdus``
    PDUs; one row needing ``need`` of them."""
    zone = "hall"
    comps: list = [UtilityFeed(name="feed", zone=zone, substation="s", capacity_kw=100)]
    sources = ["feed"]
    if generator:
        comps.append(Generator(name="gen", zone=zone, capacity_kw=100))
        sources.append("gen")
    upstream = sources
    if battery_kwh is not None:
        comps.append(Battery(name="batt", zone=zone, energy_kwh=battery_kwh, efficiency=1.0))
        comps.append(
            Ups(
                name="ups",
                zone=zone,
                capacity_kw=100,
                efficiency=1.0,
                batteries=["batt"],
                requires=[Requirement(resource="power", suppliers=sources)],
            )
        )
        upstream = ["ups"]
    names = [f"pdu{k}" for k in range(1, pdus + 1)]
    for name in names:
        comps.append(
            Pdu(
                name=name,
                zone=zone,
                capacity_kw=100,
                requires=[Requirement(resource="power", suppliers=upstream)],
            )
        )
    comps.append(
        RackRow(
            name="row",
            zone=zone,
            racks=1,
            servers=10,
            it_load_kw=10,
            requires=[Requirement(resource="power", suppliers=names, at_least=need)],
        )
    )
    return Fleet(
        name="avail",
        regions=[Region(name="r")],
        sites=[
            Site(
                name="s",
                region="r",
                zones=[Zone(name=zone, kind="data_hall")],
                components=comps,
            )
        ],
        reliability=_overrides(figures, grid),
    )


def _figure(rate: float, mttr: float) -> KindReliability:
    return KindReliability(failure_rate_per_year=rate, mttr_h=mttr)


def _exact(fleet: Fleet) -> float:
    model = ReliabilityModel(Twin(fleet))
    return float(exact_unavailability(model)[0])


def _monte_carlo(fleet: Fleet, years: int = 4000, seed: int = 2) -> Estimate:
    report = availability(fleet, method="monte-carlo", years=years, seed=seed)
    return report.criteria[0].unavailability


def _inside(estimate: Estimate, value: float) -> bool:
    assert estimate.low is not None and estimate.high is not None
    return estimate.low <= value <= estimate.high


# Failure figures large enough that a few thousand simulated years see many outages.
A = _figure(20.0, 60.0)
B = _figure(30.0, 40.0)
C = _figure(10.0, 90.0)
qa, qb, qc = _q(20, 60), _q(30, 40), _q(10, 90)


def test_one_component_is_mtbf_over_mtbf_plus_mttr():
    fleet = _fleet(1, 1, {"pdu1": A})
    mtbf = YEAR_H / 20.0
    closed = 1.0 - mtbf / (mtbf + 60.0)
    assert _exact(fleet) == pytest.approx(closed, abs=1e-12)
    assert _inside(_monte_carlo(fleet), closed)
    criterion = availability(fleet, method="exact").criteria[0]
    assert criterion.method == "exact"
    assert criterion.availability == pytest.approx(mtbf / (mtbf + 60.0), abs=1e-12)


def test_series_is_one_minus_the_product_of_availabilities():
    fleet = _fleet(2, 2, {"pdu1": A, "pdu2": B})
    closed = 1.0 - (1 - qa) * (1 - qb)
    assert _exact(fleet) == pytest.approx(closed, abs=1e-12)
    assert _inside(_monte_carlo(fleet), closed)
    # the rare-event sum over-counts the overlap, by exactly qa·qb here
    rare = availability(fleet, method="cut-sets").criteria[0].unavailability.value
    assert rare == pytest.approx(qa + qb, abs=1e-12)
    assert rare - closed == pytest.approx(qa * qb, abs=1e-12)


def test_one_of_two_is_the_product_of_unavailabilities():
    fleet = _fleet(2, 1, {"pdu1": A, "pdu2": B})
    closed = qa * qb
    assert _exact(fleet) == pytest.approx(closed, abs=1e-12)
    assert _inside(_monte_carlo(fleet, years=6000), closed)
    cut = availability(fleet, method="cut-sets").criteria[0]
    assert cut.unavailability.value == pytest.approx(closed, abs=1e-15)
    # outages begin when one fails while the other is down: qa qb (1/ra + 1/rb) per hour
    assert cut.outages_per_year.value == pytest.approx(closed * (1 / 60 + 1 / 40) * YEAR_H)


def test_two_of_three_matches_its_closed_form():
    fleet = _fleet(3, 2, {"pdu1": A, "pdu2": B, "pdu3": C})
    closed = qa * qb * (1 - qc) + qa * (1 - qb) * qc + (1 - qa) * qb * qc + qa * qb * qc
    assert _exact(fleet) == pytest.approx(closed, abs=1e-12)
    assert _inside(_monte_carlo(fleet, years=6000), closed)


@pytest.mark.parametrize("fts", [0.3, 0.0])
def test_a_generator_backing_the_grid_matches_its_closed_form(fts: float):
    run_rate = 0.02  # failures per running hour
    gen = KindReliability(
        failure_rate_per_year=5.0, mttr_h=50.0, fail_to_start_per_demand=fts,
        fail_to_run_per_hour=run_rate,
    )  # fmt: skip
    outages, mean = 25.0, 8.0
    fleet = _fleet(1, 1, {"gen": gen}, grid=(outages, mean), generator=True)
    q_grid, q_gen = _q(outages, mean), _q(5.0, 50.0)
    on_demand = fts + (1 - fts) * run_rate * mean / (1 + run_rate * mean)
    closed = q_grid * (q_gen + (1 - q_gen) * on_demand)
    assert _exact(fleet) == pytest.approx(closed, abs=1e-12)
    assert _inside(_monte_carlo(fleet, years=6000, seed=3), closed)


def test_batteries_ride_through_short_grid_outages():
    """No generator: the row is lost only when a grid outage outlasts the battery.
    With exponential outages of mean m, the share of outage time past a ride-through
    b is e^(−b/m)."""
    outages, mean = 40.0, 1.0
    fleet = _fleet(1, 1, {}, grid=(outages, mean), battery_kwh=10.0)  # 10 kWh at 10 kW: 1 h
    model = ReliabilityModel(Twin(fleet))
    ride = float(model.ride_through_h[0])
    assert ride == pytest.approx(1.0, rel=1e-6)
    closed = _q(outages, mean) * math.exp(-ride / mean)
    estimate = _monte_carlo(fleet, years=6000, seed=5)
    assert _inside(estimate, closed)
    # the steady-state methods do not credit the batteries: they see every outage
    assert _exact(fleet) == pytest.approx(_q(outages, mean), abs=1e-12)


def test_same_seed_gives_identical_json_and_shards_do_not_matter(tmp_path):
    outs = []
    for k, shards in enumerate([1, 1, 3, 5]):
        out = tmp_path / f"a{k}.json"
        args = ["availability", "--stack", "lab", "--years", "700", "--seed", "11"]
        assert main([*args, "--shards", str(shards), "--format", "json", "--out", str(out)]) == 0
        document = json.loads(out.read_text())
        document["availability"]["shards"] = None
        outs.append((out.read_bytes() if k < 2 else None, document))
    assert outs[0][0] == outs[1][0]  # byte-identical
    assert all(doc == outs[0][1] for _, doc in outs[1:])


def test_different_seeds_agree_within_their_intervals():
    """Each estimate inside the other's interval (which two independent estimates are
    about 83 % of the time; these seeds are), and every pair of five seeds' intervals
    overlapping (over 99 % of the time)."""
    fleet = _fleet(2, 1, {"pdu1": A, "pdu2": B})
    runs = [_monte_carlo(fleet, years=3000, seed=seed) for seed in range(22, 27)]
    one, two = runs[0], runs[1]
    assert one.value != two.value
    assert _inside(one, two.value) and _inside(two, one.value)
    for x in runs:
        for y in runs:
            assert x.low <= y.high and y.low <= x.high


def test_monte_carlo_blocks_are_independent_of_how_they_are_grouped():
    model = ReliabilityModel(Twin(build_stack("lab")))
    whole = run_blocks(model, 900, seed=4)
    parts = [run_blocks(model, 900, seed=4, blocks=range(b, b + 1)) for b in range(4)]
    assert np.array_equal(whole.downtime_h, np.concatenate([p.downtime_h for p in parts]))
    assert np.array_equal(whole.outages, np.concatenate([p.outages for p in parts]))


def _same_cut_sets(fleet: Fleet) -> None:
    model = ReliabilityModel(Twin(fleet))
    pruned = cut_sets(model, 2)
    brute = cut_sets(model, 2, prune=False)
    assert pruned.sets_judged <= brute.sets_judged
    key = [(c.labels, c.cuts.tolist()) for c in pruned.cut_sets]
    assert key == [(c.labels, c.cuts.tolist()) for c in brute.cut_sets]


@pytest.mark.parametrize("stack", ["lab", "pangyo-2022"])
def test_pruned_pairs_find_every_minimal_cut_set(stack):
    """Pairs that touch no common gate and not both the services' inputs are skipped;
    enumerating every pair finds exactly the same cut sets."""
    _same_cut_sets(build_stack(stack))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_pruned_pairs_find_every_minimal_cut_set_on_random_fleets(fleet):
    _same_cut_sets(fleet)


def test_exact_agrees_with_the_cut_sets_on_a_small_system_with_common_causes():
    """A fire in the hall (a common-cause event) and two redundant PDUs: exact
    enumeration of the three variables against the rare-event sum."""
    fleet = _fleet(2, 1, {"pdu1": A, "pdu2": B})
    over = fleet.reliability
    assert over is not None and over.common_cause is not None
    rates = over.common_cause.model_copy(update={"zone_fire_per_year": {"data_hall": 2.0}})
    over = over.model_copy(update={"common_cause": rates})
    fleet = fleet.model_copy(update={"reliability": over})
    model = ReliabilityModel(Twin(fleet))
    fire = next(p for p in model.processes if p.kind == "fire")
    closed = 1 - (1 - fire.q) * (1 - qa * qb)
    assert _exact(fleet) == pytest.approx(closed, abs=1e-12)
    cut = availability(fleet, method="cut-sets").criteria[0].unavailability.value
    assert cut == pytest.approx(fire.q + qa * qb, abs=1e-15)


# --------------------------------------------------------------------------- stacks


@pytest.fixture(scope="module")
def messaging() -> dict[str, object]:
    return {
        stack: availability(build_stack(stack), years=1500, seed=0).criterion("messaging")
        for stack in ("ansan", "pangyo-2022", "fleet")
    }


def test_reference_stacks_report_messaging_with_intervals(messaging):
    for criterion in messaging.values():
        assert criterion.method == "monte-carlo"
        u = criterion.unavailability
        assert u.low is not None and u.high is not None and u.low <= u.value
        assert criterion.cut_sets is not None


def test_the_ranking_explains_why_the_designs_differ(messaging):
    ansan, pangyo, fleet = messaging["ansan"], messaging["pangyo-2022"], messaging["fleet"]
    # by the cut sets (deterministic): the fleet ≪ Ansan ≪ Pangyo in downtime
    assert fleet.cut_sets[0] < ansan.cut_sets[0] / 10 < pangyo.cut_sets[0] / 10
    # Pangyo: a fire in the shared battery room, as in 2022
    assert pangyo.contributors[0].kind == "fire"
    assert "battery-room" in pangyo.contributors[0].name
    # Ansan: the single site itself, fires contained by its compartments
    assert ansan.contributors[0].name == "loss of site ansan"
    assert ansan.contributors[0].fussell_vesely > 0.5
    # the fleet: only double events remain (no single one takes messaging down)
    assert not any(c.fussell_vesely >= 1.0 - 1e-9 for c in fleet.contributors)
    assert "battery-room" in pangyo.explain() and "loss of site ansan" in ansan.explain()


def test_monte_carlo_agrees_with_the_cut_sets_on_ansan(messaging):
    ansan = messaging["ansan"]
    u = ansan.unavailability
    assert u.low <= ansan.cut_sets[0] <= u.high


# --------------------------------------------------------------------------- data


def test_every_reference_figure_names_its_source_or_says_it_is_assumed():
    data = reference_reliability()
    assert set(data.kinds) == set(COMPONENT_TYPES)
    for kind, figures in data.kinds.items():
        assert figures.failure_rate_per_year is not None, kind
        assert figures.mttr_h is not None, kind
        assert figures.source.strip(), kind
    gen = data.kinds["generator"]
    assert gen.fail_to_run_per_hour == pytest.approx(0.00157)  # NREL REopt default
    assert 0.0066 <= (gen.fail_to_start_per_demand or 0) <= 0.0094  # REopt range
    assert data.utility.source and data.common_cause.source


def test_a_stack_overrides_a_kind_and_a_component():
    fleet = _fleet(2, 1, {"pdu1": A})
    model = ReliabilityModel(Twin(fleet))
    index = model.twin.graph.component_index
    assert model.rate[index["pdu1"]] == pytest.approx(20.0 / YEAR_H)
    assert model.rate[index["pdu2"]] == 0.0
    assert model.figures.mttr_h["pdu1"].source == "pdu1 (fleet reliability)"


def test_timelines_repair_with_the_same_restore_times():
    fleet = build_stack("lab")
    twin = Twin(fleet)
    pdu = next(c for c in twin.of_kind("pdu"))
    assert twin.reliability.mttr_h[pdu.name].value == reference_reliability().kinds["pdu"].mttr_h


def test_unknown_kinds_components_and_zone_kinds_are_rejected():
    base = _fleet(1, 1, {})
    bad = ReliabilityOverrides(
        kinds={"warp_core": KindReliability(failure_rate_per_year=1.0)},
        components={"nope": KindReliability(failure_rate_per_year=1.0)},
        common_cause=CommonCauseRates(zone_fire_per_year={"volcano": 1.0}),
    )
    with pytest.raises(DefinitionError) as info:
        Fleet.model_validate({**base.model_dump(), "reliability": bad.model_dump()})
    text = str(info.value)
    assert "reliability.kinds.warp_core" in text
    assert "reliability.components" in text and "nope" in text
    assert "zone_fire_per_year.volcano" in text


def test_nines():
    assert nines(1e-3) == pytest.approx(3.0)
    assert nines(0.0) == math.inf


# --------------------------------------------------------------------------- CLI


def test_the_nines_gate_fails_pangyo_and_passes_a_low_bar(capsys):
    args = ["availability", "--stack", "pangyo-2022", "--method", "cut-sets"]
    assert main([*args, "--fail-on", "nines<4.5"]) == 1
    assert "battery-room" in capsys.readouterr().out
    assert main([*args, "--fail-on", "nines<3"]) == 0


def test_exact_on_a_large_system_is_a_usage_error(capsys):
    assert main(["availability", "--stack", "ansan", "--method", "exact"]) == 2
    assert "exact enumeration handles at most 20" in capsys.readouterr().err


def test_exact_from_the_command_line_on_a_model_document(tmp_path, capsys):
    fleet = _fleet(2, 1, {"pdu1": A, "pdu2": B})
    model = tmp_path / "tiny.json"
    model.write_text(fleet.model_dump_json())
    argv = ["availability", "--model", str(model), "--method", "exact", "--format", "json"]
    assert main(argv) == 0
    document = json.loads(capsys.readouterr().out)
    row = document["availability"]["criteria"][0]
    assert row["method"] == "exact"
    assert row["unavailability"]["value"] == pytest.approx(qa * qb, rel=1e-5)
