"""The Pulumi program under the SDK's public mocks API, in update mode.

Update mode (``preview=False``) on purpose: in preview mode unresolved outputs are
unknown and an assertion inside ``apply`` is silently skipped. Only the SDK's public
testing API is used: ``pulumi.runtime.set_mocks`` with a :class:`pulumi.runtime.Mocks`
that records every registration (type token, name, inputs), a stack transformation
(``pulumi.runtime.register_stack_transformation``) that sees each resource's options
(its parent, ``protect``, ``aliases``), ``pulumi.runtime.test`` to await every output,
and ``pulumi.runtime.reset_options`` between runs. Each resource's URN is read from its
``urn`` output. A failed assertion is an ordinary Python assertion failure.

Each program run is done once per module and per stack (``program_runs``) and
kept as plain data; the Pulumi runtime state (root stack, config, mocks) is reset
before every run and after the module, so no test depends on another's order.
Run with ``-s`` to see the resources and wall time per stack.
"""

from __future__ import annotations

import json
import re
import runpy
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pulumi
import pulumi.runtime
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from tests.strategies import fleets
from twin.iac.declare import DeclaredFleet, declare_fleet, zone_resource_name
from twin.iac.spec import SPEC_KEY, spec_inputs, spec_props
from twin.model import Fleet
from twin.model.documents import dump_fleet
from twin.model.naming import DERIVED_KEY, camel, fleet_resources, resource_key
from twin.sources import apply_overrides, build_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent
MAIN = PROJECT_DIR / "__main__.py"
REFERENCE_STACKS = ("ansan", "pangyo-2022", "fleet", "lab")
"""The reference stacks, each with a ``Pulumi.<stack>.yaml`` in the project."""
HAND = "hand"
"""The small hand-built fleet below, declared through ``dctwin:model``."""
ALL_STACKS = (HAND, *REFERENCE_STACKS)
FAKE_ID = "mock-id"
MOCKS_SEEN: list[pulumi.runtime.MockResourceArgs] = []
"""Every registration the mocks saw in this module (for the transforms each carried)."""


# --------------------------------------------------------------------------- mocks


class Registration(NamedTuple):
    """One resource registration as the mock engine saw it.

    ``props`` are the properties as registered (one JSON text, ``spec``); ``inputs`` are
    the resource's inputs decoded from them (:func:`twin.iac.spec.spec_inputs`), as the
    policy pack reads them.
    """

    type: str
    name: str
    urn: str
    parent: str
    inputs: dict[str, Any]
    props: dict[str, Any]
    opts: pulumi.ResourceOptions | None = None


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Echo every resource's inputs back as its state, with a fixed id; record it."""

    created: list[pulumi.runtime.MockResourceArgs] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append(args)
        MOCKS_SEEN.append(args)
        return FAKE_ID, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@dataclass
class OptionsSpy:
    """A stack transformation that records each resource's options, changing nothing."""

    seen: list[tuple[pulumi.Resource, str, str, pulumi.ResourceOptions]] = field(
        default_factory=list
    )

    def __call__(
        self, args: pulumi.ResourceTransformationArgs
    ) -> pulumi.ResourceTransformationResult | None:
        self.seen.append((args.resource, args.type_, args.name, args.opts))
        return None


def reset_pulumi_runtime() -> None:
    """Forget the root stack, the mock monitor and the config of any earlier run."""
    pulumi.runtime.reset_options()  # also clears the root stack resource
    pulumi.runtime.set_all_config({}, [])


@dataclass(frozen=True)
class ProgramRun:
    """What one program run under mocks produced, as plain data."""

    stack: str
    registrations: list[Registration]
    outputs: dict[str, Any]
    namespace: dict[str, Any]
    seconds: float

    def by_urn(self) -> dict[str, Registration]:
        return {r.urn: r for r in self.registrations}

    def by_type_and_name(self) -> dict[tuple[str, str], Registration]:
        return {(r.type, r.name): r for r in self.registrations}


def start_mocks(stack: str, config: dict[str, str] | None = None) -> RecordingMocks:
    """A fresh runtime with recording mocks (update mode) and ``config``."""
    reset_pulumi_runtime()
    pulumi.runtime.set_all_config(config or {}, [])
    mocks = RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="dctwin", stack=stack, preview=False)
    return mocks


def _keep_urn(resource: pulumi.Resource, urns: dict[int, str]) -> pulumi.Output[None]:
    key = id(resource)
    return resource.urn.apply(lambda urn: urns.__setitem__(key, urn))


def run_under_mocks(
    program: Callable[[], dict[str, Any] | None], stack: str, config: dict[str, str]
) -> ProgramRun:
    """Run ``program`` as a Pulumi program under fresh mocks (update mode) and ``config``.

    Every outstanding RPC and output is awaited (``pulumi.runtime.test`` does that) and
    any exception the program or an ``apply`` raised is re-raised here.
    """
    mocks = start_mocks(stack, config)
    spy = OptionsSpy()
    namespace: dict[str, Any] = {}
    urns: dict[int, str] = {}

    def body() -> pulumi.Output[Any]:
        pulumi.runtime.register_stack_transformation(spy)
        namespace.update(program() or {})
        return pulumi.Output.all(*[_keep_urn(resource, urns) for resource, *_ in spy.seen])

    start = time.perf_counter()
    pulumi.runtime.test(body)()
    seconds = time.perf_counter() - start
    props = {(a.typ, a.name): a.inputs for a in mocks.created}
    registrations = [
        Registration(
            type_,
            name,
            urns[id(resource)],
            urns.get(id(opts.parent), "") if opts.parent is not None else "",
            spec_inputs(props[type_, name]),
            props[type_, name],
            opts,
        )
        for resource, type_, name, opts in spy.seen
    ]
    root = pulumi.runtime.get_root_resource()
    outputs = dict(root.outputs) if root is not None else {}
    return ProgramRun(stack, registrations, outputs, namespace, seconds)


def run_main(stack: str, config: dict[str, str]) -> ProgramRun:
    """Run the project's ``__main__.py`` itself, as ``pulumi up --stack <stack>`` would."""
    return run_under_mocks(
        lambda: runpy.run_path(str(MAIN), run_name="__main__"), stack=stack, config=config
    )


def stack_config(stack: str) -> dict[str, str]:
    """``Pulumi.<stack>.yaml``'s config as the CLI hands it to the program (objects as JSON)."""
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text()) or {}
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in (document.get("config") or {}).items()
    }


# --------------------------------------------------------------------------- a small fleet


def small_fleet() -> Fleet:
    """Two regions, two sites with the same zone names, nested zones, every gate shape."""

    def site(name: str, region: str, remote: str) -> dict[str, Any]:
        p = name  # component names are unique fleet-wide: prefix them with the site
        return {
            "name": name,
            "region": region,
            "zones": [
                {"name": "building", "kind": "building"},
                {"name": "yard", "kind": "generator_yard"},
                {"name": "ups-room", "kind": "ups_room", "parent": "building"},
                {
                    "name": "battery-room",
                    "kind": "battery_room",
                    "parent": "building",
                    "suppression": {"agent": "water", "after_s": 1800, "deenergize": "building"},
                    "shares_space_with": [{"zone": "ups-room", "medium": "ceiling"}],
                },
                {"name": "floor-1", "kind": "floor", "parent": "building"},
                {"name": "hall-1", "kind": "data_hall", "parent": "floor-1"},
            ],
            "components": [
                {"kind": "utility_feed", "name": f"{p}-utility", "zone": "yard",
                 "substation": f"{p}-substation", "capacity_kw": 2000},
                {"kind": "generator", "name": f"{p}-gen-1", "zone": "yard", "capacity_kw": 1500},
                {"kind": "ats", "name": f"{p}-ats", "zone": "ups-room", "capacity_kw": 2000,
                 "requires": [{"resource": "power",
                               "suppliers": [f"{p}-utility", f"{p}-gen-1"]}]},
                {"kind": "battery", "name": f"{p}-battery", "zone": "battery-room",
                 "energy_kwh": 300},
                {"kind": "ups", "name": f"{p}-ups-a", "zone": "ups-room", "capacity_kw": 800,
                 "batteries": [f"{p}-battery"],
                 "requires": [{"resource": "power", "suppliers": [f"{p}-ats"]}]},
                {"kind": "ups", "name": f"{p}-ups-b", "zone": "ups-room", "capacity_kw": 800,
                 "requires": [{"resource": "power", "suppliers": [f"{p}-ats"]}]},
                {"kind": "pdu", "name": f"{p}-pdu-a", "zone": "hall-1", "capacity_kw": 600,
                 "path": "A", "requires": [{"resource": "power", "suppliers": [f"{p}-ups-a"]}]},
                {"kind": "pdu", "name": f"{p}-pdu-b", "zone": "hall-1", "capacity_kw": 600,
                 "path": "B", "requires": [{"resource": "power", "suppliers": [f"{p}-ups-b"]}]},
                {"kind": "chiller", "name": f"{p}-chiller", "zone": "yard", "cooling_kw": 900,
                 "requires": [{"resource": "power", "suppliers": [f"{p}-ats"]}]},
                {"kind": "crah", "name": f"{p}-crah-1", "zone": "hall-1", "cooling_kw": 300,
                 "requires": [{"resource": "cooling", "suppliers": [f"{p}-chiller"]},
                              {"resource": "power", "suppliers": [f"{p}-pdu-a", f"{p}-pdu-b"]}]},
                {"kind": "crah", "name": f"{p}-crah-2", "zone": "hall-1", "cooling_kw": 300,
                 "requires": [{"resource": "cooling", "suppliers": [f"{p}-chiller"]}]},
                {"kind": "spine", "name": f"{p}-spine", "zone": "hall-1", "capacity_gbps": 400},
                {"kind": "leaf", "name": f"{p}-leaf", "zone": "hall-1", "capacity_gbps": 100,
                 "requires": [{"resource": "network", "suppliers": [f"{p}-spine"]}]},
                {"kind": "backbone_link", "name": f"{p}-to-{remote}", "zone": "yard",
                 "capacity_gbps": 100, "remote_site": remote, "srlg": [f"{p}-duct"]},
                *(
                    {"kind": "rack_row", "name": f"{p}-row-{i}", "zone": "hall-1", "racks": 10,
                     "servers": 200 + i, "it_load_kw": 80.0 + i,
                     "requires": [
                         {"resource": "power", "suppliers": [f"{p}-pdu-a", f"{p}-pdu-b"]},
                         {"resource": "cooling", "suppliers": [f"{p}-crah-1", f"{p}-crah-2"],
                          "capacity": 150},
                         {"resource": "network", "suppliers": [f"{p}-leaf"], "at_least": 1},
                     ]}
                    for i in range(1, 4)
                ),
            ],
        }  # fmt: skip

    return Fleet.model_validate(
        {
            "name": "hand-fleet",
            "regions": [{"name": "capital"}, {"name": "south"}],
            "sites": [site("alpha", "capital", "beta"), site("beta", "south", "alpha")],
            "services": [
                {
                    "name": "auth",
                    "demand_rps": 1000,
                    "surges": {"new_year": 3},
                    "replicas": [
                        {"site": "alpha", "rows": ["alpha-row-1"], "capacity_rps": 800},
                        {"site": "beta", "rows": ["beta-row-1"], "capacity_rps": 800},
                    ],
                },
                {
                    "name": "talk",
                    "demand_rps": 45000,
                    "surges": {"new_year": 3, "world_cup": 10},
                    "mode": "active_standby",
                    "failover_time_s": 60,
                    "failover_controller": "auth",
                    "depends_on": ["auth"],
                    "replicas": [
                        {"site": "alpha", "rows": ["alpha-row-2", "alpha-row-3"],
                         "capacity_rps": 60000, "stores_data": True},
                        {"site": "beta", "rows": ["beta-row-2"], "capacity_rps": 60000,
                         "role": "standby", "stores_data": True},
                    ],
                },
            ],
        }
    )  # fmt: skip


# --------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class StackCase:
    """A stack to run: its config, and the fleet the program should declare for it."""

    name: str
    config: dict[str, str]
    expected: Fleet


def _case(name: str, tmp_dir: Path) -> StackCase:
    if name == HAND:
        document = tmp_dir / "hand.json"
        document.write_text(dump_fleet(small_fleet()), encoding="utf-8")
        return StackCase(name, {"dctwin:model": str(document)}, small_fleet())
    config = stack_config(name)
    overrides: dict[str, Any] = {}
    if "dctwin:surges" in config:
        overrides["surges"] = json.loads(config["dctwin:surges"])
    if "dctwin:demandScale" in config:
        overrides["demandScale"] = float(config["dctwin:demandScale"])
    definition = config.get("dctwin:definition", name)
    return StackCase(name, config, apply_overrides(build_stack(definition), overrides))


@pytest.fixture(scope="module")
def program_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[str], tuple[StackCase, ProgramRun]]]:
    """Run ``__main__.py`` once per stack (on first use) and keep the result."""
    tmp_dir = tmp_path_factory.mktemp("pulumi-program")
    done: dict[str, tuple[StackCase, ProgramRun]] = {}

    def get(name: str) -> tuple[StackCase, ProgramRun]:
        if name not in done:
            case = _case(name, tmp_dir)
            run = run_main(name, case.config)
            print(
                f"\n[pulumi mocks] stack {name}: {len(run.registrations)} resources "
                f"in {run.seconds:.2f} s"
            )
            done[name] = (case, run)
        return done[name]

    yield get
    reset_pulumi_runtime()


@pytest.fixture
def pulumi_runtime() -> Iterator[None]:
    """A clean Pulumi runtime for a test that runs its own program."""
    reset_pulumi_runtime()
    yield
    reset_pulumi_runtime()


def _token(component: Any) -> str:
    return f"dctwin:{component.module}:{component.type_name}"


def expected_registrations(fleet: Fleet) -> Counter[tuple[str, str]]:
    """(type token, name) of every resource the fleet should declare, counted."""
    expected: Counter[tuple[str, str]] = Counter()
    expected["dctwin:fleet:Fleet", fleet.name] += 1
    for region in fleet.regions:
        expected["dctwin:site:Region", region.name] += 1
    for site in fleet.sites:
        expected["dctwin:site:Site", site.name] += 1
        for zone in site.zones:
            expected["dctwin:site:Zone", zone_resource_name(site.name, zone.name)] += 1
        for component in site.components:
            expected[_token(component), component.name] += 1
    for service in fleet.services:
        expected["dctwin:app:Service", service.name] += 1
    return expected


def assert_registered_exactly_once(fleet: Fleet, run: ProgramRun) -> None:
    """Each region, site, zone, component and service: one registration, nothing else."""
    registered = Counter((r.type, r.name) for r in run.registrations)
    duplicates = {key: n for key, n in registered.items() if n > 1}
    assert not duplicates, f"registered more than once: {duplicates}"
    assert registered == expected_registrations(fleet)
    urns = Counter(r.urn for r in run.registrations)
    assert max(urns.values()) == 1, "two resources share a URN"


def assert_parents_mirror_containment(fleet: Fleet, run: ProgramRun) -> None:
    """Walk the parent URNs: component → zones (innermost first) → site → region → fleet."""
    by_urn = run.by_urn()
    by_key = run.by_type_and_name()
    root = by_key["dctwin:fleet:Fleet", fleet.name]
    assert root.parent not in by_urn, "the fleet is the root: its parent is the stack"

    def chain(registration: Registration) -> list[tuple[str, str]]:
        names = []
        while registration.parent in by_urn:
            registration = by_urn[registration.parent]
            names.append((registration.type, registration.name))
        return names

    for site in fleet.sites:
        for zone in site.zones:
            zone_chain = chain(by_key["dctwin:site:Zone", zone_resource_name(site.name, zone.name)])
            assert zone_chain[-3:] == [
                ("dctwin:site:Site", site.name),
                ("dctwin:site:Region", site.region),
                ("dctwin:fleet:Fleet", fleet.name),
            ], f"zone {site.name}/{zone.name}: parents {zone_chain}"
        for component in site.components:
            ancestors = chain(by_key[_token(component), component.name])
            zones = [
                ("dctwin:site:Zone", zone_resource_name(site.name, z))
                for z in site.zone_ancestors(component.zone)
            ]
            assert ancestors == [
                *zones,
                ("dctwin:site:Site", site.name),
                ("dctwin:site:Region", site.region),
                ("dctwin:fleet:Fleet", fleet.name),
            ], f"{component.name}: parents {ancestors}"
    for service in fleet.services:
        assert by_key["dctwin:app:Service", service.name].parent == root.urn, service.name


def assert_inputs_carry_attributes_and_supplier_names(fleet: Fleet, run: ProgramRun) -> int:
    """Each component's inputs: kind, zone, declared attributes, requirement groups by
    supplier name. Returns the number of consumers (components with requirements) checked."""
    by_key = run.by_type_and_name()
    consumers = 0
    for _, component in fleet.components():
        inputs = by_key[_token(component), component.name].inputs
        assert inputs["kind"] == component.kind
        assert inputs["zone"] == component.zone
        declared = component.model_dump(mode="json", exclude={"name", "requires"})
        for key, value in declared.items():
            if value is not None:
                assert inputs[camel(key)] == value, f"{component.name}.{key}"
        groups = inputs["requires"]
        assert [g["suppliers"] for g in groups] == [r.suppliers for r in component.requires]
        for group, requirement in zip(groups, component.requires, strict=True):
            assert group["resource"] == requirement.resource, component.name
            if requirement.capacity is not None:
                assert group["capacity"] == requirement.capacity, component.name
            else:
                assert group["atLeast"] == requirement.threshold, component.name
        consumers += bool(component.requires)
    return consumers


# --------------------------------------------------------------------------- one test per promise


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_model_object_is_registered_exactly_once(stack: str, program_runs) -> None:
    case, run = program_runs(stack)
    assert_registered_exactly_once(case.expected, run)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_type_token_per_kind(stack: str, program_runs) -> None:
    case, run = program_runs(stack)
    registered = run.by_type_and_name()
    tokens = {"ups": "dctwin:power:Ups", "chiller": "dctwin:cooling:Chiller",
              "spine": "dctwin:network:Spine", "rack_row": "dctwin:power:RackRow",
              "ats": "dctwin:power:Ats", "sts": "dctwin:power:Sts",
              "crah": "dctwin:cooling:Crah", "leaf": "dctwin:network:Leaf"}  # fmt: skip
    for _, component in case.expected.components():
        token = _token(component)
        assert token == tokens.get(component.kind, token)
        assert (token, component.name) in registered, f"{component.name}: not a {token}"
    tokens_seen = {r.type for r in run.registrations}
    assert {"dctwin:fleet:Fleet", "dctwin:site:Region", "dctwin:site:Site"} <= tokens_seen
    assert all(r.type.startswith("dctwin:") and r.type.count(":") == 2 for r in run.registrations)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_parent_chain_is_region_site_zone_component(stack: str, program_runs) -> None:
    case, run = program_runs(stack)
    assert_parents_mirror_containment(case.expected, run)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_consumer_inputs_name_their_suppliers(stack: str, program_runs) -> None:
    case, run = program_runs(stack)
    consumers = assert_inputs_carry_attributes_and_supplier_names(case.expected, run)
    assert consumers > 0, "no component with suppliers: the test checked nothing"


@pytest.mark.parametrize("stack", [HAND, "lab", "ansan"])
def test_each_resource_has_one_json_input_spec_with_the_model_inputs(
    stack: str, program_runs
) -> None:
    """One input per resource, ``spec``: JSON text of exactly the inputs the resilience
    diff and the policy tests build (:func:`twin.model.naming.fleet_resources`), plus what
    the twin derived, under ``twin``, on rack rows and battery strings only."""
    case, run = program_runs(stack)
    specs = fleet_resources(case.expected)
    assert len(specs) == len(run.registrations)
    derived_on = set()
    for r in run.registrations:
        assert set(r.props) == {SPEC_KEY} and isinstance(r.props[SPEC_KEY], str), r.name
        assert json.loads(r.props[SPEC_KEY]) == r.inputs, r.name
        model_inputs = {k: v for k, v in r.inputs.items() if k != DERIVED_KEY}
        assert model_inputs == specs[resource_key(r.type, r.name)].inputs, r.name
        if DERIVED_KEY in r.inputs:
            derived_on.add(r.type)
    assert derived_on <= {"dctwin:power:RackRow", "dctwin:power:Battery"}
    assert "dctwin:power:RackRow" in derived_on


def test_each_resource_registers_its_spec_as_its_outputs(
    pulumi_runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack policy reads outputs: every resource registers its ``spec`` among them,
    once, after its children; the root adds the headline, a site its totals."""
    registered: list[tuple[pulumi.ComponentResource, dict[str, Any]]] = []
    original = pulumi.ComponentResource.register_outputs

    def spy(self: pulumi.ComponentResource, outputs: Any) -> None:
        registered.append((self, dict(outputs)))
        original(self, outputs)

    monkeypatch.setattr(pulumi.ComponentResource, "register_outputs", spy)
    run = run_under_mocks(lambda: {"declared": declare_fleet(small_fleet())}, "hand", {})
    declared: DeclaredFleet = run.namespace["declared"]
    ours = {id(resource) for resource in declared.resources()}
    registered = [(resource, outputs) for resource, outputs in registered if id(resource) in ours]
    by_resource = {id(resource): outputs for resource, outputs in registered}
    assert len(by_resource) == len(registered) == len(declared)
    registered_specs = sorted(r.props[SPEC_KEY] for r in run.registrations)
    assert sorted(o[SPEC_KEY] for o in by_resource.values()) == registered_specs
    for resource in declared.resources():
        assert by_resource[id(resource)][SPEC_KEY] == spec_props(resource.inputs)[SPEC_KEY]
    root = by_resource[id(declared.root)]
    assert root["fleet"] == "hand-fleet" and "singlePointsOfFailure" in root
    assert by_resource[id(declared.sites["alpha"])]["servers"] == 201 + 202 + 203
    order = [id(resource) for resource, _ in registered]
    for component in declared.components.values():  # a zone finishes after its contents
        zone = declared.zones[
            zone_resource_name(component.inputs["site"], component.inputs["zone"])
        ]
        assert order.index(id(zone)) > order.index(id(component))
    assert order.index(id(declared.root)) == len(order) - 1


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleet=fleets())
def test_any_valid_fleet_is_declared_once_under_its_containers(fleet: Fleet) -> None:
    try:
        run = run_under_mocks(lambda: {"declared": declare_fleet(fleet)}, "random", {})
    finally:
        reset_pulumi_runtime()
    assert_registered_exactly_once(fleet, run)
    assert_parents_mirror_containment(fleet, run)
    assert_inputs_carry_attributes_and_supplier_names(fleet, run)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_stack_outputs_equal_the_model(stack: str, program_runs) -> None:
    case, run = program_runs(stack)
    fleet = case.expected
    rows = [c for s in fleet.sites for c in s.components if c.kind == "rack_row"]
    kinds = Counter(c.kind for s in fleet.sites for c in s.components)
    zones = sum(len(s.zones) for s in fleet.sites)
    outputs = run.outputs
    assert outputs["fleet"] == fleet.name
    assert outputs["regions"] == len(fleet.regions)
    assert outputs["sites"] == len(fleet.sites)
    assert outputs["zones"] == zones
    assert outputs["services"] == len(fleet.services)
    assert outputs["components"] == sum(kinds.values())
    assert outputs["componentCounts"] == dict(kinds)
    assert outputs["rackRows"] == len(rows)
    assert outputs["racks"] == sum(r.racks for r in rows)
    assert outputs["servers"] == sum(r.servers for r in rows)
    assert outputs["itLoadKw"] == pytest.approx(sum(r.it_load_kw for r in rows))
    for site in fleet.sites:
        site_load = sum(c.it_load_kw for c in site.components if c.kind == "rack_row")
        assert outputs["itLoadKwBySite"][site.name] == pytest.approx(site_load)

    def total(kind: str, attribute: str) -> float:
        return sum(
            getattr(c, attribute) for s in fleet.sites for c in s.components if c.kind == kind
        )

    assert outputs["utilityCapacityKw"] == pytest.approx(total("utility_feed", "capacity_kw"))
    assert outputs["generatorCapacityKw"] == pytest.approx(total("generator", "capacity_kw"))
    assert outputs["upsCapacityKw"] == pytest.approx(total("ups", "capacity_kw"))
    assert outputs["chillerCapacityKw"] == pytest.approx(total("chiller", "cooling_kw"))
    assert outputs["resources"] == len(run.registrations)
    # Plain values only: no Output in a stack output, and all of it serialises.
    json.dumps(outputs)


@pytest.mark.parametrize("stack", REFERENCE_STACKS)
def test_reference_stack_stays_in_the_low_thousands_of_resources(stack: str, program_runs) -> None:
    _, run = program_runs(stack)
    print(f"\n[pulumi mocks] {stack}: {len(run.registrations)} resources, {run.seconds:.2f} s")
    assert 0 < len(run.registrations) < 5000


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_services_carry_replicas_and_config_surges(stack: str, program_runs) -> None:
    case, run = program_runs(stack)
    by_key = run.by_type_and_name()
    for service in case.expected.services:
        inputs = by_key["dctwin:app:Service", service.name].inputs
        assert inputs["surges"] == service.surges
        assert inputs["demandRps"] == pytest.approx(service.demand_rps)
        assert [r["site"] for r in inputs["replicas"]] == [r.site for r in service.replicas]
        assert [r["rows"] for r in inputs["replicas"]] == [r.rows for r in service.replicas]


def test_reference_stacks_are_the_registry_stacks() -> None:
    import stacks

    assert tuple(stacks.STACK_NAMES) == REFERENCE_STACKS
    for name in REFERENCE_STACKS:
        assert (PROJECT_DIR / f"Pulumi.{name}.yaml").is_file()


def test_config_overrides_change_the_declared_surges(pulumi_runtime, tmp_path: Path) -> None:
    document = tmp_path / "hand.json"
    document.write_text(dump_fleet(small_fleet()), encoding="utf-8")
    config = {
        "dctwin:model": str(document),
        "dctwin:surges": json.dumps({"world_cup": 12, "election": 2}),
        "dctwin:demandScale": "2",
    }
    run = run_main("hand", config)
    services = {r.name: r.inputs for r in run.registrations if r.type == "dctwin:app:Service"}
    assert services["talk"]["surges"] == {"new_year": 3, "world_cup": 12, "election": 2}
    assert services["auth"]["surges"] == {"new_year": 3, "world_cup": 12, "election": 2}
    assert services["talk"]["demandRps"] == pytest.approx(90000)
    baseline = run_main("hand", {"dctwin:model": str(document)})
    base = {r.name: r.inputs for r in baseline.registrations if r.type == "dctwin:app:Service"}
    assert base["talk"]["surges"] == {"new_year": 3, "world_cup": 10}


def test_the_stack_name_selects_the_definition_by_default(pulumi_runtime) -> None:
    run = run_main("lab", {})
    assert run.outputs["fleet"] == build_stack("lab").name


def test_a_bad_definition_stops_the_program_without_a_traceback(
    pulumi_runtime, tmp_path: Path
) -> None:
    with pytest.raises(pulumi.RunError, match="unknown stack 'atlantis'"):
        run_main("atlantis", {})
    document = tmp_path / "hand.json"
    document.write_text(dump_fleet(small_fleet()), encoding="utf-8")
    with pytest.raises(pulumi.RunError, match=r"config\.demandScale: must be a positive number"):
        run_main("hand", {"dctwin:model": str(document), "dctwin:demandScale": "-1"})


def test_nested_zone_is_parented_to_its_enclosing_zone(pulumi_runtime) -> None:
    run = run_under_mocks(lambda: {"declared": declare_fleet(small_fleet())}, "hand", {})
    by_key = run.by_type_and_name()
    hall = by_key["dctwin:site:Zone", zone_resource_name("alpha", "hall-1")]
    floor = by_key["dctwin:site:Zone", "alpha/floor-1"]
    building = by_key["dctwin:site:Zone", "alpha/building"]
    site = by_key["dctwin:site:Site", "alpha"]
    assert (hall.parent, floor.parent, building.parent) == (floor.urn, building.urn, site.urn)
    assert hall.inputs["kind"] == "data_hall"
    assert hall.inputs["parent"] == "floor-1"
    battery_room = by_key["dctwin:site:Zone", "beta/battery-room"].inputs
    assert battery_room["suppression"]["deenergize"] == "building"
    declared: DeclaredFleet = run.namespace["declared"]
    assert len(declared) == len(run.registrations) == len(list(declared.resources()))
    assert set(declared.zones) == {
        f"{s.name}/{z.name}" for s in small_fleet().sites for z in s.zones
    }


def test_resource_outputs_resolve_to_supplier_names(pulumi_runtime) -> None:
    """The pulumi/examples idiom: assert inside ``Output.all(urn, prop).apply``; the
    resource's ``spec`` output is its inputs as JSON text."""
    checked: list[str] = []

    def program() -> pulumi.Output[Any]:
        declared = declare_fleet(small_fleet())
        row = declared.components["alpha-row-1"]
        power = row.inputs["requires"][0]  # known at declaration, no Output needed
        assert power["suppliers"] == ["alpha-pdu-a", "alpha-pdu-b"]

        def check(args: list[Any]) -> None:
            urn, spec = args
            suppliers = [group["suppliers"] for group in json.loads(spec)["requires"]]
            assert suppliers == [["alpha-pdu-a", "alpha-pdu-b"], ["alpha-crah-1", "alpha-crah-2"],
                                 ["alpha-leaf"]], f"{urn}: suppliers {suppliers}"  # fmt: skip
            checked.append(urn)

        return pulumi.Output.all(row.urn, row.spec).apply(check)

    start_mocks("hand")
    pulumi.runtime.test(program)()
    assert len(checked) == 1 and checked[0].endswith("dctwin:power:RackRow::alpha-row-1")


def test_a_failing_assertion_inside_apply_fails_the_test(pulumi_runtime) -> None:
    """Guard against the preview-mode trap: a false assertion in ``apply`` must raise."""

    def program() -> pulumi.Output[Any]:
        declared = declare_fleet(small_fleet())
        ups = declared.components["alpha-ups-a"]

        def check(spec: str) -> None:
            assert json.loads(spec)["capacityKw"] == 1.0, "deliberately false"

        return ups.spec.apply(check)

    start_mocks("hand")
    with pytest.raises(AssertionError, match="deliberately false"):
        pulumi.runtime.test(program)()


@pytest.mark.parametrize("stack", ["ansan", "pangyo-2022"])
def test_stack_outputs_carry_the_twin_headline(stack: str, program_runs) -> None:
    """Tier, single points of failure and surge headroom are stack outputs, and they
    are what the twin's own analyses say of the same model."""
    from twin.analysis.contingency import contingency
    from twin.analysis.tier import tier_verdict

    case, run = program_runs(stack)
    fleet = case.expected
    outputs = run.outputs
    assert outputs["tier"] == {t.site: t.roman for t in tier_verdict(fleet).sites}
    spofs = contingency(fleet).single_points_of_failure
    assert outputs["singlePointsOfFailure"] == [i.label for i in spofs]
    for service in fleet.services:
        capacity = sum(r.capacity_rps for r in service.replicas if r.role == "active")
        assert outputs["surgeHeadroom"][service.name]["baseline"] == pytest.approx(
            capacity / service.demand_rps - 1
        )


# --------------------------------------------------------------------------- Pulumi conventions


def _alias_urns(registration: Registration) -> set[str]:
    """The URNs the aliases of a registration stand for: each alias is a whole URN, of
    this resource's type and name."""
    out = set()
    assert registration.opts is not None
    for alias in registration.opts.aliases or []:
        assert isinstance(alias, str) and alias.startswith("urn:pulumi:"), alias
        assert alias.endswith(f"${registration.type}::{registration.name}"), alias
        out.add(alias)
    return out


def test_component_resources_take_name_args_opts_and_pass_opts_through(pulumi_runtime) -> None:
    """``(name, args, opts)``: protect, aliases and transforms reach the engine."""
    from twin.iac.declare import EquipmentArgs, EquipmentResource

    fleet = small_fleet()
    site = fleet.sites[0]
    ups = next(c for c in site.components if c.name == "alpha-ups-a")

    def transform(args: pulumi.ResourceTransformArgs) -> None:
        return None

    def program() -> None:
        EquipmentResource(
            "ups-moved",
            EquipmentArgs(site, ups),
            pulumi.ResourceOptions(
                protect=True, aliases=[pulumi.Alias(name="alpha-ups-a")], transforms=[transform]
            ),
        )

    run = run_under_mocks(program, "hand", {})
    (registration,) = run.registrations
    assert registration.type == "dctwin:power:Ups" and registration.name == "ups-moved"
    assert registration.opts is not None and registration.opts.protect is True
    assert [a.name for a in registration.opts.aliases or []] == ["alpha-ups-a"]
    created = [args for args in MOCKS_SEEN if args.name == "ups-moved"]
    assert len(created[-1].transforms) == 1, "the transform did not reach the engine"


def test_declare_fleet_passes_its_options_to_the_root(pulumi_runtime) -> None:
    seen: list[tuple[str, str]] = []

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        seen.append((args.type_, args.name))
        return None

    def program() -> None:
        declare_fleet(small_fleet(), pulumi.ResourceOptions(protect=True, transformations=[record]))

    run = run_under_mocks(program, "hand", {})
    root = run.by_type_and_name()["dctwin:fleet:Fleet", "hand-fleet"]
    assert root.opts is not None and root.opts.protect is True
    # a parent's transformations apply to every child: they all went through the root's opts
    assert sorted(seen) == sorted((r.type, r.name) for r in run.registrations)


def engine_urn(run: ProgramRun, registration: Registration) -> str:
    """The URN the engine gives a registration: the *types* of all its parents, then its own.

    The mock monitor keeps only the immediate parent's type in the URNs it makes; the
    engine (and ``pulumi.create_urn``) keep the whole chain, which is why a move between
    zones of different depth changes a URN.
    """
    by_urn = run.by_urn()
    chain = [registration.type]
    current = registration
    while current.parent in by_urn:
        current = by_urn[current.parent]
        chain.append(current.type)
    return f"urn:pulumi:{run.stack}::dctwin::{'$'.join(reversed(chain))}::{registration.name}"


def test_a_move_between_zones_of_different_depth_keeps_the_urn_by_alias(pulumi_runtime) -> None:
    """Moving a row from a hall three zones deep to the yard (one deep) changes its URN;
    the new registration's aliases name the old URN, so preview shows an update."""
    before = run_under_mocks(lambda: {"d": declare_fleet(small_fleet())}, "hand", {})
    data = small_fleet().model_dump(mode="json")
    row = next(c for c in data["sites"][0]["components"] if c["name"] == "alpha-row-1")
    row["zone"] = "yard"
    moved = Fleet.model_validate(data)
    after = run_under_mocks(lambda: {"d": declare_fleet(moved)}, "hand", {})
    old = before.by_type_and_name()["dctwin:power:RackRow", "alpha-row-1"]
    new = after.by_type_and_name()["dctwin:power:RackRow", "alpha-row-1"]
    old_urn, new_urn = engine_urn(before, old), engine_urn(after, new)
    assert old_urn != new_urn
    assert old_urn in _alias_urns(new), f"{old_urn} not among {sorted(_alias_urns(new))}"
    assert new_urn in _alias_urns(old)
    zone = before.by_type_and_name()["dctwin:site:Zone", "alpha/hall-1"]
    assert zone.opts is not None and len(zone.opts.aliases or []) >= 3


def test_inputs_and_outputs_share_one_naming_style(program_runs) -> None:
    """camelCase everywhere: stack outputs and every resource input key (names from the
    model, such as surge names, are data and stay as written)."""
    _, run = program_runs("lab")
    camel_case = re.compile(r"^[a-z][a-zA-Z0-9]*$")

    def keys(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, dict):
            for key, item in value.items():
                if path.endswith(".surges"):
                    continue
                yield key, f"{path}.{key}"
                yield from keys(item, f"{path}.{key}")
        elif isinstance(value, list):
            for k, item in enumerate(value):
                yield from keys(item, f"{path}[{k}]")

    bad = [where for r in run.registrations for key, where in keys(r.inputs, r.name)
           if not camel_case.match(key)]  # fmt: skip
    assert not bad, f"snake_case inputs: {bad[:5]}"
    assert all(camel_case.match(key) for key in run.outputs), sorted(run.outputs)


PULUMI_CONFIG_TYPES = {"string", "integer", "boolean", "array"}
"""The types Pulumi's project file accepts for a config declaration."""


def _project_config() -> dict[str, Any]:
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    config: dict[str, Any] = project["config"]
    return config


def test_project_config_block_declares_every_key_the_program_reads() -> None:
    from twin.iac.declare import OVERRIDE_KEYS

    config = _project_config()
    assert set(config) == {"definition", "model", *OVERRIDE_KEYS}
    for key, declaration in config.items():
        assert declaration["type"] in PULUMI_CONFIG_TYPES, key
        assert len(declaration["description"]) > 20, key
        assert set(declaration) <= {"type", "description", "default", "secret", "items"}, key


@pytest.mark.parametrize("stack", REFERENCE_STACKS)
def test_stack_config_files_match_the_declared_types(stack: str) -> None:
    config = _project_config()
    document = yaml.safe_load((PROJECT_DIR / f"Pulumi.{stack}.yaml").read_text())
    python_type = {"string": str, "integer": int, "boolean": bool, "array": list}
    for key, value in document["config"].items():
        namespace, name = key.split(":", 1)
        assert namespace == "dctwin" and name in config, key
        assert isinstance(value, python_type[config[name]["type"]]), f"{key}: {value!r}"
    assert "encryptionsalt" not in document, "a stack's salt is not committed"


def test_config_values_that_do_not_parse_are_named(pulumi_runtime) -> None:
    with pytest.raises(pulumi.RunError, match=r"config\.surges: must be a JSON object"):
        run_main("lab", {"dctwin:surges": "world_cup=12"})
    with pytest.raises(pulumi.RunError, match=r"config\.demandScale: must be a positive"):
        run_main("lab", {"dctwin:demandScale": "lots"})
