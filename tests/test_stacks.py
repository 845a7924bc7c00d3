"""The reference stacks build, validate, and encode the facts they claim.

Resilience invariants are checked with a tiny failure propagator written here from
the model alone (greatest fixpoint of the threshold gates, by removing failed
components and walking their dependants) — deliberately independent of any engine
in ``twin/``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pytest

from stacks import STACK_NAMES, build_stack
from twin.model import Fleet, Requirement, Site
from twin.model.checks import fleet_problems

ROOT = Path(__file__).resolve().parents[1]
KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@cache
def fleet(name: str) -> Fleet:
    return build_stack(name)


def kinds(f: Fleet, kind: str) -> list:
    return [c for _, c in f.components() if c.kind == kind]


# --------------------------------------------------------------------------- propagator


class Propagator:
    """Which components go down when a set fails (greatest fixpoint, from all-up)."""

    def __init__(self, f: Fleet) -> None:
        self.comps = {c.name: c for _, c in f.components()}
        self.dependants: dict[str, list[tuple[str, int]]] = defaultdict(list)
        self.base: dict[tuple[str, int], float] = {}
        self.transient = {c.name for c in self.comps.values() if c.kind == "thermal_storage"}
        for comp in self.comps.values():
            for gi, req in enumerate(comp.requires):
                self.base[(comp.name, gi)] = sum(self.weight(s, req) for s in req.suppliers)
                for supplier in req.suppliers:
                    self.dependants[supplier].append((comp.name, gi))

    def weight(self, supplier: str, req: Requirement) -> float:
        if req.capacity is None:
            return 1.0
        return self.comps[supplier].capacity_for(req.resource) or 0.0

    def unmet_at_baseline(self) -> list[str]:
        return [
            f"{owner}[{gi}]"
            for (owner, gi), total in self.base.items()
            if total < self.comps[owner].requires[gi].threshold - 1e-9
        ]

    def down(self, failed: Iterable[str]) -> set[str]:
        """Components down after ``failed`` fail, with thermal storage never counted on
        (it is a transient source: the steady state must hold without it)."""
        sums = dict(self.base)
        dead = set(failed) | self.transient
        queue = list(dead)
        while queue:
            gone = queue.pop()
            for owner, gi in self.dependants[gone]:
                if owner in dead:
                    continue
                req = self.comps[owner].requires[gi]
                sums[(owner, gi)] -= self.weight(gone, req)
                if sums[(owner, gi)] < req.threshold - 1e-9:
                    dead.add(owner)
                    queue.append(owner)
        return dead


def zone_members(site: Site, zone: str) -> list[str]:
    """Components in ``zone`` or any zone nested in it."""
    return [c.name for c in site.components if zone in site.zone_ancestors(c.zone)]


# --------------------------------------------------------------------------- registry


def test_importing_stacks_is_cheap() -> None:
    code = (
        "import stacks, sys; "
        "print(sorted(m for m in sys.modules if m.startswith(('stacks.', 'twin'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_unknown_stack_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="known"):
        build_stack("nowhere")


@pytest.mark.parametrize("name", STACK_NAMES)
def test_every_stack_builds_and_validates(name: str) -> None:
    f = fleet(name)
    assert fleet_problems(f) == []
    assert Fleet.model_validate(f.model_dump()).model_dump() == f.model_dump()


@pytest.mark.parametrize("name", STACK_NAMES)
def test_names_are_unique_kebab_case_and_site_prefixed(name: str) -> None:
    f = fleet(name)
    names = [c.name for _, c in f.components()]
    assert len(names) == len(set(names))
    for site, comp in f.components():
        assert KEBAB.match(comp.name), comp.name
        assert comp.name.startswith(site.name + "-"), comp.name
    for site in f.sites:
        for zone in site.zones:
            assert KEBAB.match(zone.name), zone.name


@pytest.mark.parametrize("name", STACK_NAMES)
def test_everything_is_up_with_nothing_failed(name: str) -> None:
    assert Propagator(fleet(name)).unmet_at_baseline() == []


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("ansan", 300, 1500), ("pangyo-2022", 100, 3000), ("fleet", 300, 3000), ("lab", 20, 60)],
)
def test_component_counts_stay_within_bounds(name: str, low: int, high: int) -> None:
    assert low <= len(fleet(name).components()) < high


# --------------------------------------------------------------------------- ansan


def test_ansan_has_4000_racks_and_120000_servers() -> None:
    rows = kinds(fleet("ansan"), "rack_row")
    assert sum(r.racks for r in rows) == 4000
    assert sum(r.servers for r in rows) == 120_000


def test_ansan_has_twelve_3mw_generators_with_one_spare() -> None:
    f = fleet("ansan")
    gens = kinds(f, "generator")
    assert len(gens) == 12
    assert all(g.capacity_kw == 3000 for g in gens)
    assert all(0.0066 <= g.fail_to_start_prob <= 0.0094 for g in gens)
    gen_names = {g.name for g in gens}
    buses = [c for c in kinds(f, "switchgear") if set(c.requires[0].suppliers) == gen_names]
    assert len(buses) == 2  # one paralleling bus per path, each taking every generator
    for bus in buses:
        site_load = bus.requires[0].capacity
        assert site_load > sum(r.it_load_kw for r in kinds(f, "rack_row"))  # IT + cooling
        assert (len(gens) - 1) * 3000 >= site_load


def test_ansan_has_two_utility_feeds_each_carrying_the_site_alone() -> None:
    f = fleet("ansan")
    feeds = kinds(f, "utility_feed")
    assert len(feeds) == 2
    assert len({feed.substation for feed in feeds}) == 2
    feed_names = {feed.name for feed in feeds}
    gates = [
        req for _, c in f.components() for req in c.requires if set(req.suppliers) == feed_names
    ]
    assert gates
    for gate in gates:
        assert gate.capacity is not None
        assert all(feed.capacity_kw >= gate.capacity for feed in feeds)


def test_every_ansan_row_is_fed_by_exactly_an_a_and_a_b_pdu() -> None:
    f = fleet("ansan")
    index = {c.name: c for _, c in f.components()}
    for row in kinds(f, "rack_row"):
        power = [req for req in row.requires if req.resource == "power"]
        assert len(power) == 1, row.name
        (req,) = power
        assert req.capacity is None and req.threshold == 1
        assert len(req.suppliers) == 2
        pdus = [index[s] for s in req.suppliers]
        assert all(p.kind == "pdu" for p in pdus)
        assert sorted(p.path for p in pdus) == ["A", "B"]


def test_ansan_battery_and_ups_rooms_are_separate_fire_compartments() -> None:
    (site,) = fleet("ansan").sites
    zones = {z.name: z for z in site.zones}
    battery_rooms = {z.name for z in site.zones if z.kind == "battery_room"}
    ups_rooms = {z.name for z in site.zones if z.kind == "ups_room"}
    assert battery_rooms and ups_rooms and not battery_rooms & ups_rooms
    for name in battery_rooms | ups_rooms:
        assert zones[name].fire_rated_walls
        shared = {s.zone for s in zones[name].shares_space_with}
        assert not shared & (battery_rooms | ups_rooms)
    for comp in site.components:
        if comp.kind == "battery":
            assert comp.zone in battery_rooms and comp.fire_unit
        if comp.kind == "ups":
            assert comp.zone in ups_rooms
            assert all(zones[comp.zone].kind == "ups_room" for _ in comp.batteries)
    for name in battery_rooms:
        sup = zones[name].suppression
        assert sup is not None and sup.agent == "rack_unit" and sup.after_s == 240
        assert sup.deenergize == "none" and sup.contains_spread


def test_ansan_ups_batteries_ride_through_5_to_10_minutes() -> None:
    f = fleet("ansan")
    index = {c.name: c for _, c in f.components()}
    for ups in kinds(f, "ups"):
        kwh = sum(index[b].energy_kwh * index[b].efficiency for b in ups.batteries)
        assert 5 <= kwh / ups.capacity_kw * 60 <= 10, ups.name


def test_ansan_services_are_active_active_across_halls() -> None:
    f = fleet("ansan")
    (site,) = f.sites
    hall_of = {c.name: c.zone for c in site.components}
    by_name = {s.name: s for s in f.services}
    assert set(by_name) == {
        "messaging",
        "auth",
        "cache",
        "object-storage",
        "ops-tooling",
        "failover-controller",
    }
    messaging = by_name["messaging"]
    assert messaging.demand_rps == 45_000
    assert messaging.surges == {"new_year": 3, "world_cup": 10}
    assert set(messaging.depends_on) == {"auth", "cache", "object-storage"}
    for service in f.services:
        assert service.mode == "active_active"
        halls = {hall_of[row] for rep in service.replicas for row in rep.rows}
        assert len(halls) >= 2, service.name
        # losing any one replica still serves the baseline
        total = sum(r.capacity_rps for r in service.replicas)
        assert all(total - r.capacity_rps >= service.demand_rps for r in service.replicas)


# --------------------------------------------------------------------------- invariants


def test_ansan_n_plus_1_gates_survive_losing_any_supplier() -> None:
    """Every capacity gate keeps its threshold without any one supplier (and without
    thermal storage), except the 2N UPS output buses and the 2N chiller plants' condenser
    water (each path's chillers on their own towers) and loop pumps, where instead
    each side alone carries the full load."""
    f = fleet("ansan")
    prop = Propagator(f)
    two_n_sides: dict[str, dict[str, tuple[float, float]]] = defaultdict(dict)
    for comp in prop.comps.values():
        for req in comp.requires:
            if req.capacity is None:
                continue
            weights = [prop.weight(s, req) for s in req.suppliers if s not in prop.transient]
            side = (sum(weights), req.capacity)
            if all(prop.comps[s].kind == "ups" for s in req.suppliers):
                two_n_sides[comp.name.rsplit("-", 1)[0]][comp.name] = side
                continue
            if all(prop.comps[s].kind == "cooling_tower" for s in req.suppliers):
                path = comp.name.removeprefix("ansan-chiller-")[0]
                two_n_sides["chiller plant"][path] = side
                continue
            if all(prop.comps[s].kind == "pump" for s in req.suppliers):
                two_n_sides["chilled-water pumps"][comp.name] = side
                continue
            assert sum(weights) - max(weights) >= req.capacity - 1e-9, comp.name
    assert two_n_sides
    for block, sides in two_n_sides.items():
        assert len(sides) == 2, block
        assert all(total >= need for total, need in sides.values()), block


def test_ansan_survives_any_single_component_failure() -> None:
    f = fleet("ansan")
    prop = Propagator(f)
    rows = {r.name for r in kinds(f, "rack_row")}
    for name in prop.comps:
        lost = (prop.down([name]) & rows) - {name}
        assert not lost, f"{name} takes down {sorted(lost)[:3]}"


def test_ansan_runs_on_generators_alone_with_one_generator_out() -> None:
    f = fleet("ansan")
    prop = Propagator(f)
    rows = {r.name for r in kinds(f, "rack_row")}
    feeds = [c.name for c in kinds(f, "utility_feed")]
    for gen in kinds(f, "generator"):
        assert not prop.down([*feeds, gen.name]) & rows, gen.name
    assert prop.down([*feeds, *(g.name for g in kinds(f, "generator")[:2])]) >= rows


def test_ansan_survives_any_battery_room_or_ups_room_fire() -> None:
    f = fleet("ansan")
    prop = Propagator(f)
    (site,) = f.sites
    rows = {r.name for r in kinds(f, "rack_row")}
    rooms = [z.name for z in site.zones if z.kind in ("battery_room", "ups_room")]
    assert len(rooms) == 20
    for room in rooms:
        members = zone_members(site, room)
        assert members, room
        assert not prop.down(members) & rows, room


def test_lab_survives_any_single_component_failure() -> None:
    f = fleet("lab")
    prop = Propagator(f)
    rows = {r.name for r in kinds(f, "rack_row")}
    for name in prop.comps:
        assert not (prop.down([name]) & rows) - {name}, name


def test_lab_has_a_dependency_cycle() -> None:
    f = fleet("lab")
    graph = {c.name: {s for req in c.requires for s in req.suppliers} for _, c in f.components()}
    state: dict[str, int] = {}

    def cyclic(node: str) -> bool:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1 or (nxt not in state and cyclic(nxt)):
                return True
        state[node] = 2
        return False

    assert any(cyclic(n) for n in graph if n not in state)


# --------------------------------------------------------------------------- pangyo


def test_pangyo_battery_room_shares_space_with_the_ups_room_and_water_cuts_the_building() -> None:
    f = fleet("pangyo-2022")
    site = next(s for s in f.sites if s.name == "pangyo")
    zones = {z.name: z for z in site.zones}
    (battery,) = [z for z in site.zones if z.kind == "battery_room"]
    (ups,) = [z for z in site.zones if z.kind == "ups_room"]
    assert "b3" in battery.name
    assert ups.name in {s.zone for s in battery.shares_space_with}
    sup = battery.suppression
    assert sup is not None and sup.agent == "water" and sup.deenergize == "building"
    assert sup.after_s == pytest.approx(93 * 60)
    assert not sup.contains_spread
    assert zones[battery.parent].kind == "building"
    batteries = [c for c in site.components if c.kind == "battery"]
    assert batteries and all(b.chemistry == "li_ion" and not b.fire_unit for b in batteries)


def test_pangyo_battery_fire_spreading_to_the_ups_room_takes_down_every_row() -> None:
    f = fleet("pangyo-2022")
    prop = Propagator(f)
    site = next(s for s in f.sites if s.name == "pangyo")
    battery = next(z for z in site.zones if z.kind == "battery_room")
    burnt = zone_members(site, battery.name)
    for shared in battery.shares_space_with:
        burnt += zone_members(site, shared.zone)
    rows = {c.name for c in site.components if c.kind == "rack_row"}
    assert sum(c.servers for c in site.components if c.kind == "rack_row") == 32_000
    assert rows <= prop.down(burnt)


def test_pangyo_control_plane_lives_only_at_pangyo() -> None:
    f = fleet("pangyo-2022")
    by_name = {s.name: s for s in f.services}
    for name in ("failover-controller", "ops-tooling", "auth", "cache", "object-storage"):
        running = [r for r in by_name[name].replicas if r.role != "rebuild"]
        assert {r.site for r in running} == {"pangyo"}, name
    for name in ("auth", "cache"):  # rebuilt elsewhere by hand, on little spare capacity
        spare = [r for r in by_name[name].replicas if r.role == "rebuild"]
        assert spare and "pangyo" not in {r.site for r in spare}
        assert sum(r.capacity_rps for r in spare) < by_name[name].demand_rps
    messaging = by_name["messaging"]
    assert messaging.mode == "active_standby"
    assert messaging.failover_controller == "failover-controller"
    assert messaging.manual_recovery_s >= 3600
    active = [r for r in messaging.replicas if r.role == "active"]
    standby = [r for r in messaging.replicas if r.role == "standby"]
    assert {r.site for r in active} == {"pangyo"}
    assert standby and "pangyo" not in {r.site for r in standby}
    assert sum(r.capacity_rps for r in standby) <= 0.3 * messaging.demand_rps
    assert len({r.site for r in messaging.replicas if r.stores_data}) >= 3


# --------------------------------------------------------------------------- fleet


def test_fleet_services_have_replicas_at_three_sites_and_survive_any_site_loss() -> None:
    f = fleet("fleet")
    assert len(f.sites) == 3
    assert "ansan" in {s.name for s in f.sites}
    for service in f.services:
        sites = [r.site for r in service.replicas]
        assert len(set(sites)) == 3, service.name
        for lost in set(sites):
            left = sum(r.capacity_rps for r in service.replicas if r.site != lost)
            assert left >= service.demand_rps - 1e-9, (service.name, lost)
    messaging = next(s for s in f.services if s.name == "messaging")
    assert messaging.mode == "active_active" and messaging.data_quorum == 2
    assert sum(r.stores_data for r in messaging.replicas) == 3


def test_fleet_backbone_links_carry_srlgs_with_a_shared_duct() -> None:
    f = fleet("fleet")
    links = [(site.name, c) for site, c in f.components() if c.kind == "backbone_link"]
    assert links
    spans: dict[str, set[frozenset[str]]] = defaultdict(set)
    for here, link in links:
        assert link.srlg, link.name
        assert link.remote_site != here
        for group in link.srlg:
            spans[group].add(frozenset((here, link.remote_site)))
    assert any(len(pairs) >= 2 for pairs in spans.values())
    pairs = {frozenset((here, link.remote_site)) for here, link in links}
    assert len(pairs) == 3  # three-center backbone triangle


def test_fleet_carrier_ducts_are_per_site() -> None:
    f = fleet("fleet")
    owner: dict[str, set[str]] = defaultdict(set)
    for site, comp in f.components():
        if comp.kind == "carrier_link":
            for group in comp.srlg:
                owner[group].add(site.name)
    assert owner and all(len(sites) == 1 for sites in owner.values())
