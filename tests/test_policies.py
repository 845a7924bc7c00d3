"""The CrossGuard policies, called as the engine would call them, on constructed arguments.

Each resource policy fires on a violating resource and stays quiet on a compliant one;
the stack policy rebuilds the fleet from the resources and names its single points of
failure. The arguments are built with pulumi_policy's own classes, from the inputs
:mod:`twin.iac.declare` registers (:func:`twin.model.naming.fleet_resources` plus
:func:`twin.iac.declare.derived_inputs`), in the shape it registers them: one JSON text,
``spec`` (:func:`twin.iac.spec.spec_props`).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from twin.iac.declare import derived_inputs
from twin.iac.policies import (
    DERIVED_KEY,
    POLICIES,
    validate_battery,
    validate_rack_row,
    validate_service,
    validate_stack,
)
from twin.iac.spec import SPEC_KEY, spec_inputs, spec_props
from twin.model import Fleet
from twin.model.naming import ResourceSpec, fleet_resources
from twin.sources import build_stack

ROOT = Path(__file__).resolve().parent.parent


def mini(**constants: Any) -> Fleet:
    """The diff tests' tiny 2N stack with some of its constants changed."""
    spec = importlib.util.spec_from_file_location("mini_stack", ROOT / "tests/data/mini_stack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, value in constants.items():
        setattr(module, name, value)
    fleet: Fleet = module.build()
    return fleet


def options() -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )


def props(fleet: Fleet, spec: ResourceSpec) -> dict[str, Any]:
    """The properties a policy is given for ``spec``: its inputs as ``spec`` JSON text."""
    derived = derived_inputs(fleet).get(spec.name)
    return spec_props({**spec.inputs, **({DERIVED_KEY: derived} if derived else {})})


def urn(spec: ResourceSpec) -> str:
    return f"urn:pulumi:test::dctwin::{spec.type}::{spec.name}"


def resource_args(
    fleet: Fleet, name: str, config: Mapping[str, Any] | None = None
) -> ResourceValidationArgs:
    spec = next(s for s in fleet_resources(fleet).values() if s.name == name)
    return ResourceValidationArgs(
        spec.type, props(fleet, spec), urn(spec), spec.name, options(), None, config
    )


def violations(validate: Any, args: Any) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    validate(args, lambda message, urn=None: found.append((message, urn)))
    return found


def stack_args(fleet: Fleet, config: Mapping[str, Any] | None = None) -> StackValidationArgs:
    resources = [
        PolicyResource(spec.type, props(fleet, spec), urn(spec), spec.name, options(), None,
                       None, [], {})
        for spec in fleet_resources(fleet).values()
    ]  # fmt: skip
    return StackValidationArgs(resources, config)


def test_the_pack_has_every_policy_with_a_unique_name() -> None:
    names = [p.name for p in POLICIES]
    assert names == [
        "rack-rows-dual-fed",
        "batteries-fire-separated",
        "services-span-sites",
        "no-single-point-of-failure",
    ]
    config = json.loads((ROOT / "policy/config.example.json").read_text())
    assert set(config) == set(names)
    assert (ROOT / "policy/PulumiPolicy.yaml").is_file()
    main = (ROOT / "policy/__main__.py").read_text()
    assert "from twin.iac.policies import" in main


# --------------------------------------------------------------------------- rack rows


def test_rack_row_policy_is_quiet_on_a_dual_fed_row() -> None:
    assert violations(validate_rack_row, resource_args(mini(), "mini-row-1")) == []
    assert violations(validate_rack_row, resource_args(build_stack("lab"), "lab-hall1-row01")) == []


def test_rack_row_policy_fires_when_both_cords_share_a_ups_system() -> None:
    found = violations(validate_rack_row, resource_args(mini(UPS_SYSTEMS={"ab": 2}), "mini-row-1"))
    assert len(found) == 1 and "same UPS system" in found[0][0]
    assert "mini-ups-ab-1" in found[0][0]


def test_rack_row_policy_fires_on_a_single_corded_row() -> None:
    lab = build_stack("lab")
    data = lab.model_dump(mode="json")
    row = next(c for c in data["sites"][0]["components"] if c["name"] == "lab-hall1-row01")
    power = next(g for g in row["requires"] if g["resource"] == "power")
    power["suppliers"] = power["suppliers"][:1]
    found = violations(
        validate_rack_row, resource_args(Fleet.model_validate(data), "lab-hall1-row01")
    )
    assert len(found) == 1 and "not fed by both an A and a B cord" in found[0][0]


def test_rack_row_policy_ignores_other_resources() -> None:
    assert violations(validate_rack_row, resource_args(mini(), "mini-pdu-a")) == []


# --------------------------------------------------------------------------- batteries


def test_battery_policy_is_quiet_on_a_separate_battery_room() -> None:
    assert violations(validate_battery, resource_args(mini(), "mini-ups-a-1-battery")) == []
    ansan = build_stack("ansan")
    battery = next(c.name for _, c in ansan.components() if c.kind == "battery")
    assert violations(validate_battery, resource_args(ansan, battery)) == []


def test_battery_policy_fires_in_a_room_shared_with_the_ups() -> None:
    found = violations(
        validate_battery, resource_args(mini(MERGED_ROOMS=True), "mini-ups-a-1-battery")
    )
    assert len(found) == 1 and "not fire-separated from UPS mini-ups-a-1" in found[0][0]


def test_battery_policy_fires_at_pangyo_where_the_fire_spreads() -> None:
    found = violations(validate_battery, resource_args(build_stack("pangyo-2022"),
                                                       "pangyo-batt-hall1-a1-1"))  # fmt: skip
    assert found and "the fire spreads to pangyo-ups-room" in found[0][0]


# --------------------------------------------------------------------------- services


def test_service_policy_is_quiet_on_a_service_at_three_sites() -> None:
    fleet = build_stack("fleet")
    assert violations(validate_service, resource_args(fleet, "messaging", {"minSites": 3})) == []


def test_service_policy_fires_on_a_single_site_service() -> None:
    found = violations(validate_service, resource_args(mini(), "web", {"minSites": 2}))
    assert len(found) == 1 and "runs at 1 site(s) (mini)" in found[0][0]


def test_service_policy_takes_its_minimum_from_config() -> None:
    fleet = build_stack("fleet")
    assert violations(validate_service, resource_args(fleet, "messaging", {"minSites": 4}))


# --------------------------------------------------------------------------- the stack


def test_stack_policy_names_the_single_point_of_failure_of_a_broken_stack() -> None:
    found = violations(validate_stack, stack_args(mini(SUBSTATIONS=["substation-1"])))
    assert len(found) == 1
    message, where = found[0]
    assert message.startswith("single point of failure: mini-utility-1 →")
    assert where == "urn:pulumi:test::dctwin::dctwin:power:UtilityFeed::mini-utility-1"


def test_stack_policy_is_quiet_on_a_stack_without_one() -> None:
    assert violations(validate_stack, stack_args(mini())) == []
    assert violations(validate_stack, stack_args(build_stack("ansan"))) == []


def test_stack_policy_reports_single_events_when_configured() -> None:
    found = violations(validate_stack, stack_args(mini(MERGED_ROOMS=True), {"singleEvents": True}))
    assert any("single-event failure: fire in mini/ups-battery-room" in m for m, _ in found)


def test_stack_policy_reports_resources_that_are_not_a_fleet() -> None:
    args = stack_args(mini())
    for resource in args.resources:
        if resource.resource_type == "dctwin:power:RackRow":
            resource.props = spec_props({**spec_inputs(resource.props), "racks": -1})
    found = violations(validate_stack, args)
    assert len(found) == 1 and "do not make a valid fleet" in found[0][0]


def test_policies_read_decoded_inputs_too() -> None:
    """Properties without a ``spec`` text (decoded already, or recorded by an older
    program) are read as they are: the same violations are found."""
    fleet = mini(UPS_SYSTEMS={"ab": 2})
    args = resource_args(fleet, "mini-row-1")
    flat = ResourceValidationArgs(
        args.resource_type, spec_inputs(args.props), args.urn, args.name, options(), None, None
    )
    assert violations(validate_rack_row, flat) == violations(validate_rack_row, args) != []
    broken = stack_args(mini(SUBSTATIONS=["substation-1"]))
    for resource in broken.resources:
        resource.props = spec_inputs(resource.props)
    assert [m for m, _ in violations(validate_stack, broken)] == [
        m for m, _ in violations(validate_stack, stack_args(mini(SUBSTATIONS=["substation-1"])))
    ]


def test_stack_policy_is_not_applicable_while_specs_are_unknown() -> None:
    """In a preview an output may be unknown: no ``spec`` text, so no verdict yet."""
    args = stack_args(mini())
    for resource in args.resources:
        resource.props = {SPEC_KEY: None}
    skipped: list[str] = []
    args.not_applicable = skipped.append  # type: ignore[method-assign]
    assert violations(validate_stack, args) == [] and len(skipped) == 1


@pytest.mark.parametrize("stack", ["lab", "pangyo-2022"])
def test_stack_policy_agrees_with_the_twin(stack: str) -> None:
    from twin.analysis.contingency import contingency

    fleet = build_stack(stack)
    found = violations(validate_stack, stack_args(fleet))
    assert len(found) == len(contingency(fleet).single_points_of_failure)
