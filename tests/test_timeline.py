"""Scenario timelines: ride-through, fire spread, suppression, generators, failover.

Small hand-built fleets whose answers are known in closed form, then the reference
stacks' headline scenarios (Pangyo's battery-room fire, Ansan's, a lost site).
"""

from __future__ import annotations

import pytest

from twin.analysis.timeline import DEFAULT_HORIZON_S, ride_through_s, simulate
from twin.model import (
    Battery,
    Fleet,
    Generator,
    RackRow,
    Region,
    Replica,
    Requirement,
    Service,
    SharedSpace,
    Site,
    Suppression,
    Switchgear,
    Ups,
    UtilityFeed,
    Zone,
)
from twin.model.catalog import catalog, find_scenario
from twin.model.scenarios import GeneratorFailToStart, ScenarioSpec, UtilityLoss, ZoneFire
from twin.sources import build_stack


def power(*suppliers: str, capacity: float | None = None) -> Requirement:
    return Requirement(resource="power", suppliers=list(suppliers), capacity=capacity)


def one_ups_site(
    *,
    battery_kwh: float = 100.0,
    load_kw: float = 1000.0,
    generators: int = 0,
    start_delay_s: float = 30.0,
    shared_space: bool = False,
    suppression: Suppression | None = None,
    standby: bool = False,
) -> Fleet:
    """Feed → (generators) → bus → UPS (+battery) → one row; a web service on the row."""
    zones = [
        Zone(name="bldg", kind="building"),
        Zone(
            name="batt",
            kind="battery_room",
            parent="bldg",
            suppression=suppression,
            shares_space_with=[SharedSpace(zone="upsr", spread_delay_s=300)]
            if shared_space
            else [],
        ),
        Zone(name="upsr", kind="ups_room", parent="bldg"),
        Zone(name="hall", kind="data_hall", parent="bldg"),
        Zone(name="yard", kind="generator_yard"),
    ]
    gens = [f"gen-{i}" for i in range(generators)]
    comps: list = [UtilityFeed(name="feed", zone="bldg", substation="s", capacity_kw=2 * load_kw)]
    comps += [
        Generator(name=g, zone="yard", capacity_kw=load_kw, start_delay_s=start_delay_s)
        for g in gens
    ]
    comps += [
        Switchgear(
            name="bus",
            zone="bldg",
            capacity_kw=2 * load_kw,
            requires=[power("feed", *gens, capacity=load_kw)],
        ),
        Battery(name="bat", zone="batt", energy_kwh=battery_kwh, efficiency=0.90),
        Ups(
            name="ups",
            zone="upsr",
            capacity_kw=load_kw,
            efficiency=0.95,
            batteries=["bat"],
            requires=[power("bus")],
        ),
        RackRow(
            name="row",
            zone="hall",
            racks=10,
            servers=300,
            it_load_kw=load_kw,
            requires=[power("ups")],
        ),
    ]
    site = Site(name="dc", region="kr", zones=zones, components=comps)
    sites = [site]
    services = [
        Service(
            name="ctl", demand_rps=1, replicas=[Replica(site="dc", rows=["row"], capacity_rps=2)]
        )
    ]
    if standby:
        other = Site(
            name="dr",
            region="kr",
            zones=[Zone(name="b", kind="building")],
            components=[
                UtilityFeed(name="dr-feed", zone="b", substation="t", capacity_kw=100),
                RackRow(
                    name="dr-row",
                    zone="b",
                    racks=1,
                    servers=10,
                    it_load_kw=10,
                    requires=[power("dr-feed")],
                ),
            ],
        )
        sites.append(other)
        services.append(
            Service(
                name="web",
                demand_rps=100,
                mode="active_standby",
                failover_time_s=60,
                failover_controller="ctl",
                manual_recovery_s=7200,
                replicas=[
                    Replica(site="dc", rows=["row"], capacity_rps=200),
                    Replica(site="dr", rows=["dr-row"], capacity_rps=100, role="standby"),
                ],
            )
        )
    return Fleet(name="t", regions=[Region(name="kr")], sites=sites, services=services)


def events(timeline, *kinds: str) -> list[tuple[str, str, float]]:
    return [(e.kind, e.subject, e.time_s) for e in timeline.events if e.kind in kinds]


def test_ride_through_closed_form():
    # 100 kWh at 1 MW with 0.90 battery and 0.95 distribution efficiency
    assert ride_through_s(100, 0.90, 0.95, 1000) == pytest.approx(307.8, abs=0.1)


def test_ride_through_in_a_timeline_matches_closed_form():
    fleet = one_ups_site(battery_kwh=100, load_kw=1000)
    timeline = simulate(fleet, ScenarioSpec(name="u", events=[UtilityLoss(site="dc")]))
    down = timeline.first("component_down", "row")
    assert down is not None
    assert down.time_s == pytest.approx(307.8, abs=0.1)
    assert timeline.first("on_battery", "ups").time_s == 0.0
    assert timeline.first("battery_depleted", "ups").time_s == pytest.approx(307.8, abs=0.1)
    assert timeline.service("ctl").first_down_s == pytest.approx(307.8, abs=0.1)


def test_generators_carry_the_load_after_their_start_delay():
    fleet = one_ups_site(generators=2, start_delay_s=30)
    timeline = simulate(
        fleet, ScenarioSpec(name="u", events=[UtilityLoss(site="dc")], horizon_s=24 * 3600)
    )
    assert events(timeline, "generator_running") == [
        ("generator_running", "gen-0", 30.0),
        ("generator_running", "gen-1", 30.0),
    ]
    assert timeline.first("component_down", "row") is None
    assert timeline.first("off_battery", "ups").time_s == 30.0
    assert timeline.max_loss.rows == 0


def test_generator_fail_to_start_leaves_battery_to_run_out():
    fleet = one_ups_site(generators=1, start_delay_s=30, battery_kwh=100, load_kw=1000)
    spec = ScenarioSpec(
        name="u", events=[GeneratorFailToStart(generators=["gen-0"]), UtilityLoss(site="dc")]
    )
    timeline = simulate(fleet, spec)
    assert timeline.first("generator_failed_to_start", "gen-0").time_s == 30.0
    assert timeline.first("component_down", "row").time_s == pytest.approx(307.8, abs=0.1)


def test_fire_spreads_through_shared_space_after_its_delay():
    fleet = one_ups_site(shared_space=True)
    timeline = simulate(fleet, ScenarioSpec(name="f", events=[ZoneFire(site="dc", zone="batt")]))
    assert timeline.first("component_down", "bat").time_s == 0.0
    spread = timeline.first("fire_spread")
    assert (spread.subject, spread.time_s) == ("dc/upsr", 300.0)
    assert timeline.first("component_down", "ups").time_s == 300.0
    assert timeline.first("component_down", "row").time_s == 300.0


def test_suppression_that_contains_the_fire_stops_the_spread():
    rack_units = Suppression(agent="rack_unit", after_s=240, contains_spread=True)
    fleet = one_ups_site(shared_space=True, suppression=rack_units)
    timeline = simulate(fleet, ScenarioSpec(name="f", events=[ZoneFire(site="dc", zone="batt")]))
    assert timeline.first("fire_spread") is None
    assert timeline.first("component_down", "row") is None


def test_water_suppression_deenergises_the_building():
    water = Suppression(agent="water", after_s=5580, deenergize="building")
    fleet = one_ups_site(suppression=water)
    timeline = simulate(fleet, ScenarioSpec(name="f", events=[ZoneFire(site="dc", zone="batt")]))
    cut = timeline.first("deenergized")
    assert (cut.subject, cut.time_s) == ("dc/bldg", 5580.0)
    assert timeline.first("component_down", "row").time_s == 5580.0
    # the yard is outside the building: generators are not cut
    assert "gen-0" not in {e.subject for e in timeline.events_of("component_down")}


def test_failover_is_automated_while_the_controller_lives():
    fleet = one_ups_site(generators=0, standby=True, battery_kwh=1e6)
    # lose only the active replica's row: the controller (on the same row) dies with it,
    # so recovery is manual
    spec = ScenarioSpec(name="u", events=[UtilityLoss(site="dc")], horizon_s=20_000)
    timeline = simulate(fleet, spec)
    assert timeline.first("component_down", "row") is None  # a huge battery carries it
    fleet = one_ups_site(generators=0, standby=True, battery_kwh=1)
    timeline = simulate(
        fleet, ScenarioSpec(name="u", events=[UtilityLoss(site="dc")], horizon_s=20_000)
    )
    started = timeline.first("failover_started", "web")
    assert "manual recovery" in started.cause
    done = timeline.first("failover_complete", "web")
    assert done.time_s == pytest.approx(started.time_s + 7200)
    web = timeline.service("web")
    assert web.downtime_s == pytest.approx(7200, abs=1)
    assert web.final_served["baseline"] == pytest.approx(1.0)


# --------------------------------------------------------------------------- reference stacks


@pytest.fixture(scope="module")
def pangyo() -> Fleet:
    return build_stack("pangyo-2022")


@pytest.fixture(scope="module")
def ansan() -> Fleet:
    return build_stack("ansan")


def test_pangyo_battery_room_fire_reproduces_the_outage(pangyo):
    spec = find_scenario(pangyo, "pangyo:fire:pangyo-b3-battery-room")
    timeline = simulate(pangyo, spec)
    ups_fire = [
        e for e in timeline.events_of("component_down") if e.cause == "fire in pangyo-ups-room"
    ]
    assert ups_fire, "the UPS units sharing the battery room's space must fail"
    assert all(e.time_s > 0 for e in ups_fire)
    assert timeline.first("fire_spread").subject == "pangyo/pangyo-ups-room"
    cut = timeline.first("deenergized")
    assert cut is not None and cut.subject == "pangyo/pangyo-building"
    started = timeline.first("failover_started", "messaging")
    assert "failover-controller is down" in started.cause
    messaging = timeline.service("messaging")
    assert messaging.downtime_s >= 3 * 3600  # hours, not seconds
    assert timeline.max_loss.servers >= 30_000


@pytest.mark.parametrize("zone_kind", ["battery_room", "ups_room"])
def test_ansan_room_fires_lose_no_row_and_degrade_no_service(ansan, zone_kind):
    site = ansan.sites[0]
    rooms = [z.name for z in site.zones if z.kind == zone_kind]
    assert rooms
    for room in rooms:
        timeline = simulate(ansan, find_scenario(ansan, f"ansan:fire:{room}"))
        assert timeline.max_loss.rows == 0, room
        for outcome in timeline.services:
            assert outcome.downtime_s == 0 and outcome.degraded_s == 0, (room, outcome)
            assert outcome.min_served["baseline"] == 1.0


def test_fleet_serves_messaging_at_baseline_after_failover_when_ansan_is_lost():
    fleet = build_stack("fleet")
    timeline = simulate(fleet, find_scenario(fleet, "ansan:site-loss"))
    messaging = timeline.service("messaging")
    service = next(s for s in fleet.services if s.name == "messaging")
    assert messaging.final_served["baseline"] == 1.0
    assert messaging.downtime_s == 0
    assert messaging.degraded_s <= service.failover_time_s
    # world_cup headroom is reported, whatever it is, and consistent with served
    headroom = messaging.final_headroom["world_cup"]
    assert messaging.final_served["world_cup"] == pytest.approx(min(1.0, 1.0 + headroom))


def test_every_catalog_scenario_runs_on_lab():
    lab = build_stack("lab")
    for spec in catalog(lab):
        timeline = simulate(lab, spec)
        times = [e.time_s for e in timeline.events]
        assert times == sorted(times), spec.name


def test_generator_fuel_lasts_longer_at_part_load():
    # two 1 MW generators share 1 MW: 24 h of fuel at rated load lasts 48 h
    fleet = one_ups_site(generators=2, start_delay_s=30)
    timeline = simulate(fleet, ScenarioSpec(name="u", events=[UtilityLoss(site="dc")]))
    out = timeline.first("generator_out_of_fuel")
    assert out.time_s == pytest.approx(30 + 48 * 3600)
    # the battery spent 30 s carrying the load while the generators started and is
    # not recharged, so it has 307.8 − 30 s left when the fuel runs out
    assert timeline.first("component_down", "row").time_s == pytest.approx(
        30 + 48 * 3600 + 307.8 - 30, abs=0.1
    )


def test_down_at_replays_the_event_log():
    fleet = one_ups_site(battery_kwh=100, load_kw=1000)
    timeline = simulate(fleet, ScenarioSpec(name="u", events=[UtilityLoss(site="dc")]))
    assert timeline.down_at(0.0) == {"feed", "bus"}
    assert timeline.down_at(400.0) == {"feed", "bus", "ups", "row"}
    assert timeline.down_at() == set(timeline.down_at_end) == {"feed", "bus", "ups", "row"}


def test_ansan_survives_its_declared_pangyo_replay(ansan):
    """The stack's own scenario: battery fire, then grid loss with a generator failing."""
    spec = find_scenario(ansan, "ansan:pangyo-replay")
    timeline = simulate(ansan, spec)
    assert timeline.first("generator_failed_to_start", "ansan-gen-01") is not None
    # the burnt A-side strings leave their UPS modules nothing to ride through on...
    assert timeline.first("component_down", "ansan-ups-hall1-a1").time_s == 1800.0
    # ...but the B side carries the hall until the generators run
    assert timeline.max_loss.rows == 0
    assert all(o.downtime_s == 0 for o in timeline.services)


def test_mechanical_draw_shortens_ride_through():
    """A pump on the UPS adds its electrical draw to the IT load the battery carries."""
    from twin.model import Pump

    fleet = one_ups_site(battery_kwh=100, load_kw=1000)
    data = fleet.model_dump()
    data["sites"][0]["components"].append(
        Pump(
            name="pump", zone="hall", cooling_kw=500, electrical_kw=250, requires=[power("ups")]
        ).model_dump()
    )
    fleet = Fleet.model_validate(data)
    timeline = simulate(fleet, ScenarioSpec(name="u", events=[UtilityLoss(site="dc")]))
    assert timeline.first("on_battery", "ups").cause == "input lost; carrying 1,250 kW on battery"
    expected = ride_through_s(100, 0.90, 0.95, 1250)
    assert timeline.first("component_down", "row").time_s == pytest.approx(expected, abs=0.1)


def test_a_rack_row_states_its_draw_as_it_load():
    with pytest.raises(ValueError, match="it_load_kw"):
        RackRow(name="r", zone="z", racks=1, servers=1, it_load_kw=10, electrical_kw=5)


# --------------------------------------------------------------------------- structured events


def _pangyo_fire():
    from twin.model.catalog import find_scenario as find

    pangyo = build_stack("pangyo-2022")
    return pangyo, simulate(pangyo, find(pangyo, "pangyo:fire:pangyo-b3-battery-room"))


def test_events_carry_cause_kind_trigger_and_initiator():
    from twin.analysis.timeline import CauseKind, EventKind

    pangyo, timeline = _pangyo_fire()
    fire = timeline.events[0]
    assert (fire.kind, fire.cause_kind, fire.zone) == (
        EventKind.SCENARIO,
        CauseKind.FIRE_BREAKS_OUT,
        "pangyo-b3-battery-room",
    )
    site = pangyo.sites[0]
    in_room = {c.name for c in site.components_in("pangyo-b3-battery-room")}
    downs = [e for e in timeline.events if e.kind == EventKind.COMPONENT_DOWN]
    assert {e.subject for e in downs if e.trigger == fire.id} == in_room
    for event in downs:
        assert event.initiator == fire.id  # one scenario event set off everything
        if event.trigger is None:
            assert event.cause_kind == CauseKind.SUPPLY_LOST
        else:
            trigger = timeline.event(event.trigger)
            assert trigger is not None and trigger.time_s <= event.time_s
    cut = timeline.first(EventKind.DEENERGIZED)
    assert cut is not None and cut.initiator == fire.id
    assert {e.subject for e in downs if e.trigger == cut.id}  # the building cut fails components


def test_pictures_read_structure_not_wording(monkeypatch):
    """Rewording every cause changes no overlay state, mark or Mermaid edge."""
    from twin.analysis.timeline import records
    from twin.outputs.mermaid import blast_radius_mermaid
    from twin.outputs.overlay import overlay_states

    def structure(fleet, timeline):
        overlay = overlay_states(fleet, timeline)
        chart = blast_radius_mermaid(fleet, timeline)
        edges = [line for line in chart.splitlines() if "-->" in line]
        return (
            overlay.states,
            [(s, z) for s, z, _ in overlay.zone_marks],
            [n for n, _ in overlay.component_marks],
            [s for s, _ in overlay.site_marks],
            edges,
        )

    pangyo, timeline = _pangyo_fire()
    before = structure(pangyo, timeline)
    reworded = {kind: f"reworded {kind.value}" for kind in records.CauseKind}
    monkeypatch.setattr(records, "_TEXTS", reworded)
    assert timeline.events[0].cause == "reworded fire_breaks_out"
    assert structure(pangyo, timeline) == before


# --------------------------------------------------------------------------- SLO, caps, horizon


def _two_row_fleet(slo: float):
    from twin.model import (
        Fleet,
        RackRow,
        Region,
        Replica,
        Requirement,
        Service,
        Site,
        UtilityFeed,
        Zone,
    )

    rows = [
        RackRow(
            name=f"row-{i}",
            zone="hall",
            racks=1,
            servers=10,
            it_load_kw=10,
            requires=[Requirement(resource="power", suppliers=["feed"])],
        )
        for i in (1, 2)
    ]
    site = Site(
        name="dc",
        region="r",
        zones=[Zone(name="hall", kind="data_hall")],
        components=[UtilityFeed(name="feed", zone="hall", substation="s", capacity_kw=100), *rows],
    )
    services = [
        Service(
            name="store",
            demand_rps=1000,
            slo=slo,
            replicas=[Replica(site="dc", rows=[r.name], capacity_rps=500) for r in rows],
        ),
        Service(
            name="api",
            demand_rps=10,
            depends_on=["store"],
            replicas=[Replica(site="dc", rows=["row-2"], capacity_rps=100)],
        ),
    ]
    return Fleet(name="slo", regions=[Region(name="r")], sites=[site], services=services)


@pytest.mark.parametrize(("slo", "below_slo"), [(0.4, False), (0.6, True)])
def test_below_slo_is_degraded_and_a_dependency_cap_is_named(slo, below_slo):
    from twin.model.scenarios import ComponentFailure

    fleet = _two_row_fleet(slo)
    spec = ScenarioSpec(name="x", events=[ComponentFailure(components=["row-1"])], horizon_s=3600)
    timeline = simulate(fleet, spec)
    store, api = timeline.service("store"), timeline.service("api")
    assert store.min_served["baseline"] == pytest.approx(0.5)
    assert store.worst_state["baseline"] == ("below_slo" if below_slo else "reduced")
    assert store.degraded_s == (3600 if below_slo else 0)
    assert store.downtime_s == 0 and not store.down_at_horizon
    # api's own replica is whole; store holds it at 50 %
    assert api.min_served["baseline"] == pytest.approx(0.5)
    assert api.capped_by == "store" and store.capped_by is None


def test_a_downtime_that_reaches_the_horizon_says_so(capsys):
    from twin.cli import main

    assert (
        main(["simulate", "--stack", "lab", "--scenario", "lab:site-loss", "--horizon", "7200"])
        == 0
    )
    out = capsys.readouterr().out
    assert "≥ 2 h" in out
    assert (
        main(["simulate", "--stack", "lab", "--scenario", "lab:site-loss", "--format", "markdown"])
        == 0
    )
    assert f"(≥ {DEFAULT_HORIZON_S / 3600:.0f} h)" in capsys.readouterr().out


def test_headroom_names_a_dependency_cap():
    from twin.analysis.headroom import surge_headroom

    fleet = _two_row_fleet(1.0)
    # half of store's capacity: it serves 100 % at baseline (2 × 500 ≥ 1000); at a surge,
    # give api a surge it can carry itself while store cannot
    data = fleet.model_dump(mode="json")
    data["services"][0]["surges"] = {"peak": 2.0}
    data["services"][1]["surges"] = {"peak": 2.0}
    rows = surge_headroom(type(fleet).model_validate(data))
    api_peak = next(r for r in rows if r.service == "api" and r.level == "peak")
    assert api_peak.served == pytest.approx(0.5) and api_peak.headroom > 0
    assert api_peak.capped_by == "store"
