"""The CrossGuard policies of the pack in ``policy/``: redundancy rules at preview time.

The pack's ``policy/__main__.py`` only builds a :class:`pulumi_policy.PolicyPack` from
:data:`POLICIES`; everything else is here, importable without starting the pack (a
``PolicyPack`` starts its gRPC server when it is constructed), so each validate
function is unit-tested with constructed arguments.

Resource policies read one resource's inputs, the stack policy every resource's outputs;
both carry the resource's inputs as one JSON text, ``spec`` (:mod:`twin.iac.spec`), which
:func:`inputs_of` decodes. A rack row and a battery string carry, under ``twin`` in it, what
the twin derived for them at declaration (:mod:`twin.analysis.redundancy`): the row's
power cords with their paths and UPS systems, the string's fire separation from each UPS
module it carries.

=============================  =========  ==================================================
policy                         default    rule
=============================  =========  ==================================================
``rack-rows-dual-fed``         mandatory  every rack row is fed by an A and a B cord, either
                                          alone carrying it, from UPS systems that share no
                                          module
``batteries-fire-separated``   mandatory  a fire in a battery string's room (spread and power
                                          cut included) leaves every UPS module it carries up
``services-span-sites``        advisory   every service's active and standby replicas span at
                                          least ``minSites`` sites (default 2)
``no-single-point-of-failure`` mandatory  the model rebuilt from the stack's resources has no
                                          single point of failure (N-1,
                                          :func:`twin.analysis.contingency.contingency`)
=============================  =========  ==================================================

Enforcement levels are CrossGuard's own: ``pulumi preview --policy-pack policy
--policy-pack-config policy/config.example.json`` sets any policy to ``advisory``,
``mandatory`` or ``disabled`` and ``minSites``/``singleEvents`` with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from twin.analysis.contingency import contingency
from twin.errors import DefinitionError
from twin.iac.spec import spec_inputs
from twin.model.naming import (
    DERIVED_KEY,
    FLEET_TYPE,
    SERVICE_TYPE,
    SITE_TYPE,
    fleet_from_resources,
)

__all__ = [
    "DERIVED_KEY",
    "PACK_NAME",
    "POLICIES",
    "batteries_fire_separated",
    "inputs_of",
    "no_single_point_of_failure",
    "rack_rows_dual_fed",
    "services_span_sites",
    "validate_battery",
    "validate_rack_row",
    "validate_service",
    "validate_stack",
]

PACK_NAME = "dctwin-redundancy"

_ROW_TYPE = "dctwin:power:RackRow"
_BATTERY_TYPE = "dctwin:power:Battery"


def inputs_of(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's inputs from the properties a policy is given (its ``spec`` decoded)."""
    return spec_inputs(properties)


def _derived(inputs: Mapping[str, Any], key: str) -> Any:
    derived = inputs.get(DERIVED_KEY)
    return derived.get(key) if isinstance(derived, Mapping) else None


def validate_rack_row(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A rack row: an A and a B cord, either alone enough, from UPS systems sharing nothing."""
    if args.resource_type != _ROW_TYPE:
        return
    feeds = _derived(inputs_of(args.props), "powerFeeds")
    if not isinstance(feeds, list):
        report_violation(
            f"{args.name}: no power cords recorded; declare it with twin.iac.declare", None
        )
        return
    carrying = [f for f in feeds if f.get("aloneCarries")]
    paths = {f.get("path") for f in carrying}
    if not {"A", "B"} <= paths:
        have = ", ".join(f"{f.get('supplier')} (path {f.get('path') or '?'})" for f in feeds)
        report_violation(
            f"{args.name} is not fed by both an A and a B cord that each carry it alone "
            f"({have or 'no power supplier'}): one distribution failure takes the row down",
            None,
        )
        return
    for i, first in enumerate(carrying):
        for second in carrying[i + 1 :]:
            if first.get("path") == second.get("path"):
                continue
            shared = sorted(set(first.get("ups") or []) & set(second.get("ups") or []))
            if shared:
                report_violation(
                    f"{args.name}: its {first.get('path')} cord ({first.get('supplier')}) and "
                    f"{second.get('path')} cord ({second.get('supplier')}) come from the same "
                    f"UPS system ({', '.join(shared[:3])}): a UPS failure takes both",
                    None,
                )
                return


def validate_battery(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A battery string: a fire in its room must leave every UPS module it carries up."""
    if args.resource_type != _BATTERY_TYPE:
        return
    inputs = inputs_of(args.props)
    checks = _derived(inputs, "upsSeparation") or []
    for check in checks:
        if not check.get("separated"):
            report_violation(
                f"{args.name} (in {inputs.get('zone')}) is not fire-separated from UPS "
                f"{check.get('ups')} (in {check.get('upsZone')}): {check.get('reason')}; a "
                "battery fire takes the UPS with it (Pangyo, 15 Oct 2022)",
                None,
            )


def validate_service(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    """A service: replicas (active or standby) on at least ``minSites`` sites."""
    if args.resource_type != SERVICE_TYPE:
        return
    minimum = int(args.get_config().get("minSites", 2))
    replicas = inputs_of(args.props).get("replicas") or []
    sites = sorted({r.get("site") for r in replicas if r.get("role", "active") != "rebuild"})
    if len(sites) < minimum:
        report_violation(
            f"service {args.name} runs at {len(sites)} site(s) ({', '.join(map(str, sites))}); "
            f"at least {minimum} are required so that losing one site leaves it serving",
            None,
        )


def validate_stack(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    """Rebuild the model from the stack's resources and run the single-failure check."""
    fleets = [r for r in args.resources if r.resource_type == FLEET_TYPE]
    if not fleets:
        return
    resources = [(r.resource_type, r.name, inputs_of(r.props)) for r in args.resources]
    if any("region" not in inputs for type_, _, inputs in resources if type_ == SITE_TYPE):
        args.not_applicable("the resources' properties are not known yet (preview)")
        return
    try:
        fleet = fleet_from_resources(resources)
    except DefinitionError as error:
        report_violation(f"the registered resources do not make a valid fleet: {error}", None)
        return
    urns = {r.name: r.urn for r in args.resources}
    report = contingency(fleet)
    for impact in report.single_points_of_failure:
        report_violation(f"single point of failure: {impact.chain()}", urns.get(impact.label))
    if args.get_config().get("singleEvents", False):
        for event in report.single_events:
            report_violation(f"single-event failure: {event.label}: {event.describe()}", None)


rack_rows_dual_fed = ResourceValidationPolicy(
    name="rack-rows-dual-fed",
    description="Every rack row is fed by an A and a B cord from distinct UPS systems.",
    validate=validate_rack_row,
    enforcement_level=EnforcementLevel.MANDATORY,
)

batteries_fire_separated = ResourceValidationPolicy(
    name="batteries-fire-separated",
    description="A battery string's fire leaves the UPS modules it carries standing.",
    validate=validate_battery,
    enforcement_level=EnforcementLevel.MANDATORY,
)

services_span_sites = ResourceValidationPolicy(
    name="services-span-sites",
    description="Every service is replicated across at least minSites sites.",
    validate=validate_service,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={"minSites": {"type": "integer", "minimum": 1, "default": 2}}
    ),
)

no_single_point_of_failure = StackValidationPolicy(
    name="no-single-point-of-failure",
    description="The fleet rebuilt from the stack has no single point of failure (N-1).",
    validate=validate_stack,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={"singleEvents": {"type": "boolean", "default": False}}
    ),
)

POLICIES = [
    rack_rows_dual_fed,
    batteries_fire_separated,
    services_span_sites,
    no_single_point_of_failure,
]
