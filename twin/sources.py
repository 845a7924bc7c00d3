"""Where a fleet comes from: a named stack in ``stacks/`` or a model document.

Every command that takes ``--stack S`` also takes ``--model FILE``; both end here.
Overrides (from Pulumi stack config or the command line) are applied to the built
model and the result is validated again, so an override cannot produce an invalid
fleet.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from twin.errors import DefinitionError, Problem, UsageError, from_validation_error, shown
from twin.model import Fleet
from twin.model.documents import load_fleet, validate_data

__all__ = ["apply_overrides", "build_stack", "file_stem", "load_source", "stack_names"]


def _registry() -> Any:
    return importlib.import_module("stacks")


def stack_names() -> list[str]:
    """Names of the reference stacks, in the order the registry lists them."""
    return list(_registry().STACK_NAMES)


def build_stack(name: str) -> Fleet:
    """Build the named stack from its Python definition in ``stacks/``.

    ``name`` is a reference stack or a generated stack's spec string
    (``kakao:sites=3,racks=4000,per=rack``); a bad spec raises :class:`UsageError`
    naming the parameter.
    """
    registry = _registry()
    if name not in registry.STACK_NAMES and not registry.is_generated(name):
        known = ", ".join(registry.STACK_NAMES)
        generated = ", ".join(f"{g}:KEY=VALUE,..." for g in registry.GENERATORS)
        raise UsageError(
            f"unknown stack {shown(name)} (known stacks: {known}; generated: {generated})"
        )
    try:
        return registry.build_stack(name)
    except ValidationError as error:
        raise from_validation_error(error, None, f"stacks/{name}") from None
    except DefinitionError as error:
        raise DefinitionError(error.problems, f"stack {name}") from None


def file_stem(stack: str) -> str:
    """A file name stem for a stack: its name, or a generated spec made file-safe.

    >>> file_stem("ansan"), file_stem("kakao:sites=2,racks=80,per=rack")
    ('ansan', 'kakao-sites2-racks80-perrack')
    """
    return stack.replace("=", "").replace(":", "-").replace(",", "-").replace("/", "-")


def load_source(stack: str | None = None, model: str | None = None) -> Fleet:
    """The fleet named by exactly one of ``stack`` and ``model`` (a path, or ``-``)."""
    if (stack is None) == (model is None):
        raise UsageError("give exactly one of --stack NAME or --model FILE")
    if stack is not None:
        return build_stack(stack)
    assert model is not None
    return load_fleet(model)


def apply_overrides(fleet: Fleet, overrides: Mapping[str, Any] | None) -> Fleet:
    """Return ``fleet`` with overrides applied and re-validated.

    Recognised keys:

    ``surges``
        mapping of surge name to multiplier; sets that multiplier on every service
        (adding the surge where a service lacks it).
    ``demandScale``
        multiplies every service's baseline demand.
    """
    if not overrides:
        return fleet
    unknown = sorted(set(overrides) - {"surges", "demandScale"})
    if unknown:
        raise DefinitionError(
            [
                Problem(f"config.{key}", "unknown override (known: surges, demandScale)")
                for key in unknown
            ]
        )
    data = fleet.model_dump(mode="json")
    surges = overrides.get("surges") or {}
    if not isinstance(surges, Mapping):
        raise DefinitionError([Problem("config.surges", "must be a mapping of name to multiplier")])
    scale = overrides.get("demandScale", 1)
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        raise DefinitionError([Problem("config.demandScale", "must be a positive number")])
    for service in data["services"]:
        service["demand_rps"] = service["demand_rps"] * scale
        for surge, multiplier in surges.items():
            service["surges"][surge] = multiplier
    return validate_data(data, "overrides")
