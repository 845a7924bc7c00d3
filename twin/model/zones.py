"""Zones: physical compartments, each a common-cause failure group (a fire fails it whole)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from twin.model.recovery import ReenergizePhase
from twin.model.types import Name, Seconds, StrictModel

__all__ = ["SharedSpace", "Suppression", "Zone", "ZoneKind"]


ZoneKind = Literal[
    "campus",
    "building",
    "floor",
    "battery_room",
    "ups_room",
    "electrical_room",
    "generator_yard",
    "chiller_plant",
    "data_hall",
    "meet_me_room",
    "substation",
    "roof",
    "duct",
]


class Suppression(StrictModel):
    """What happens after fire is detected in a zone.

    ``deenergize="building"`` with water suppression is the Pangyo sequence: the
    fire service cuts power to the enclosing building ``after_s`` after ignition.
    ``contains_spread`` marks suppression that stops the fire at its source (per-rack
    battery fire units at Ansan), so shared ceiling / cable space does not carry it.
    """

    agent: Literal["none", "gas", "water", "aerosol", "rack_unit"] = Field(
        description="Suppression agent used in the zone."
    )
    after_s: Seconds = Field(
        default=0.0, description="Seconds from ignition until suppression (and any cut) acts."
    )
    deenergize: Literal["none", "zone", "building"] = Field(
        default="none",
        description="What is de-energised when suppression acts: nothing, the zone, or the "
        "enclosing building.",
    )
    contains_spread: bool = Field(
        default=False,
        description="True when suppression stops the fire before it reaches shared spaces.",
    )
    extinguished_after_s: Seconds | None = Field(
        default=None,
        description="Seconds from ignition until the fire is out; none: the fleet's "
        "recovery.fire_burn_s.",
    )
    reenergize: list[ReenergizePhase] = Field(
        default_factory=list,
        description="How a zone this suppression de-energised comes back once the fire is "
        "out: phases with a delay and the cumulative share re-energised; none: all at once.",
    )


class SharedSpace(StrictModel):
    """A ceiling, raised floor or cable tray shared with a neighbouring zone."""

    zone: Name = Field(description="The neighbouring zone sharing the space.")
    medium: Literal["ceiling", "cable_tray", "raised_floor", "duct"] = Field(
        default="ceiling", description="What is shared."
    )
    spread_delay_s: Seconds = Field(
        default=600.0, description="Seconds for heat or fire to reach the neighbour."
    )


class Zone(StrictModel):
    """A physical compartment and a common-cause failure group."""

    name: Name
    kind: ZoneKind = Field(description="What the compartment is.")
    parent: Name | None = Field(
        default=None, description="Enclosing zone in the same site (room in building)."
    )
    fire_rated_walls: bool = Field(
        default=False, description="True when the zone's walls are a rated fire barrier."
    )
    suppression: Suppression | None = Field(default=None, description="Fire suppression.")
    shares_space_with: list[SharedSpace] = Field(
        default_factory=list, description="Spaces shared with neighbours that let heat spread."
    )
