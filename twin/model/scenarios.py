"""Scenario definitions: named lists of timed events to inject into the twin.

A scenario is data, like the rest of the model: a stack may declare its own in
``Fleet.scenarios`` and model documents carry them. The catalog
(:mod:`twin.model.catalog`) generates the standard ones for any fleet.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from twin.model.types import NAME_PATTERN

__all__ = [
    "ComponentFailure",
    "CoolingPlantLoss",
    "Event",
    "GeneratorFailToStart",
    "ScenarioSpec",
    "SiteLoss",
    "SrlgCut",
    "Surge",
    "UtilityLoss",
    "ZoneFire",
]

_Name = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=NAME_PATTERN)]
_At = Annotated[float, Field(ge=0, description="Seconds after the scenario starts.")]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)

    at_s: _At = 0.0


class ZoneFire(_Event):
    """Fire in a zone: everything inside fails; it spreads through shared spaces and
    triggers the zone's suppression action (which may de-energise the building)."""

    kind: Literal["fire"] = "fire"
    site: _Name
    zone: _Name


class UtilityLoss(_Event):
    """Loss of utility feeds at a site: the named ones, or every feed when ``feeds`` is empty."""

    kind: Literal["utility_loss"] = "utility_loss"
    site: _Name
    feeds: list[_Name] = Field(default_factory=list)
    duration_s: float | None = Field(
        default=None, gt=0, description="Seconds until the grid is back; none: not within the run."
    )


class GeneratorFailToStart(_Event):
    """The named generators fail to start the next time they are asked to."""

    kind: Literal["generator_fail_to_start"] = "generator_fail_to_start"
    generators: list[_Name] = Field(min_length=1)


class ComponentFailure(_Event):
    """The named components fail (a chiller, a spine, a carrier link ...)."""

    kind: Literal["fail"] = "fail"
    components: list[_Name] = Field(min_length=1)


class CoolingPlantLoss(_Event):
    """Every chiller and cooling tower at the site fails."""

    kind: Literal["cooling_plant_loss"] = "cooling_plant_loss"
    site: _Name


class SrlgCut(_Event):
    """A shared-risk link group is cut: every link that runs in it fails together."""

    kind: Literal["srlg_cut"] = "srlg_cut"
    srlg: _Name


class SiteLoss(_Event):
    """The whole site goes dark."""

    kind: Literal["site_loss"] = "site_loss"
    site: _Name
    duration_s: float | None = Field(
        default=None, gt=0, description="Seconds until the site is back; none: not within the run."
    )


class Surge(_Event):
    """Demand jumps by each service's named multiplier (services without it stay at 1×)."""

    kind: Literal["surge"] = "surge"
    surge: _Name


Event = Annotated[
    ZoneFire
    | UtilityLoss
    | GeneratorFailToStart
    | ComponentFailure
    | CoolingPlantLoss
    | SrlgCut
    | SiteLoss
    | Surge,
    Field(discriminator="kind"),
]


class ScenarioSpec(BaseModel):
    """A named scenario: what happens, and when."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True, frozen=True)

    name: _Name
    description: str = Field(default="", max_length=2000)
    events: list[Event] = Field(min_length=1)
    horizon_s: float | None = Field(
        default=None, gt=0, description="How long to simulate; default: 72 h."
    )
