"""Recovery inputs: how long repairs take, when fires go out, how power and servers return.

A timeline runs on past the worst moment through recovery, driven only by these
declared inputs (each stack cites its sources or marks its assumptions):

* a failed component is repaired or replaced after its kind's repair time
  (its mean time to restore in the reliability data, :mod:`twin.model.reliability`,
  overridable per kind in :class:`Recovery` and per component with ``repair_s``); a
  component a fire burnt is replaced once the fire is out;
* a fire burns for its zone's ``Suppression.extinguished_after_s`` (or the fleet's
  ``fire_burn_s``);
* a zone the fire service de-energised comes back in ``Suppression.reenergize``
  phases after the fire is out (each phase: a delay and the cumulative share of the
  zone's components re-energised, suppliers first);
* servers come back at the site's restart rate once their row has power again;
* generators are refuelled when a fuel contract says so.
"""

from __future__ import annotations

from pydantic import Field

from twin.model.types import Fraction, Seconds, StrictModel

__all__ = ["FuelContract", "Recovery", "ReenergizePhase"]


class ReenergizePhase(StrictModel):
    """One step of bringing a de-energised zone back after the fire is out."""

    after_s: Seconds = Field(description="Seconds after the fire is out (safety checks first).")
    fraction: Fraction = Field(
        description="Cumulative share of the zone's components re-energised by then "
        "(suppliers first, rack rows last)."
    )


class FuelContract(StrictModel):
    """Fuel deliveries to a site's generators once they run."""

    first_delivery_s: Seconds = Field(
        description="Seconds from the first generator start to the first delivery."
    )
    interval_s: float = Field(gt=0, description="Seconds between deliveries after that.")


class Recovery(StrictModel):
    """Fleet-wide recovery inputs (zones, components and sites may override them)."""

    fire_burn_s: Seconds = Field(
        default=8 * 3600.0,
        description="Seconds a fire burns before it is out, where its zone does not say "
        "(assumption: the Pangyo fire burnt about eight hours).",
    )
    repair_s: dict[str, Seconds] = Field(
        default_factory=dict,
        description="Repair or replacement time per component kind, overriding the defaults.",
    )
    restart_servers_per_h: float | None = Field(
        default=None,
        gt=0,
        description="Servers brought back per hour once their rows have power again; "
        "none: at once.",
    )
    fuel_contract: FuelContract | None = Field(
        default=None, description="Fuel deliveries to running generators; none: no refuelling."
    )
