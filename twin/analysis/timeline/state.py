"""The physical state a timeline tracks between steady states.

What the compiled graph cannot know by itself: which components failed and why,
which generators stand by, start, run or failed, how much fuel and battery energy
is left, which thermal stores discharge, which UPSs run on battery, the demand
level, and which active-standby services have failed over.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from twin.analysis.timeline.records import Cause
from twin.analysis.twin import Twin
from twin.model import Battery, Generator, ThermalStorage, Ups

__all__ = ["ENERGY_EPS_KWH", "Failure", "PlantState"]

ENERGY_EPS_KWH = 1e-9


@dataclass(frozen=True)
class Failure:
    """Why a component failed outright, and the id of the event that failed it."""

    reason: Cause
    trigger: int | None


class PlantState:
    """Mutable state of one simulation; subsystems read and change it."""

    def __init__(self, twin: Twin) -> None:
        self.generators = twin.all(Generator)
        self.upss = twin.all(Ups)
        self.batteries = twin.all(Battery)
        self.storages = twin.all(ThermalStorage)
        self.failed: dict[str, Failure] = {}
        self.gen_state: dict[str, str] = {name: "standby" for name in self.generators}
        self.fail_to_start: set[str] = set()
        self.fuel_h: dict[str, float] = {n: g.fuel_hours for n, g in self.generators.items()}
        self.gen_load: dict[str, float] = {}
        self.storage_state: dict[str, str] = {name: "idle" for name in self.storages}
        self.battery_kwh: dict[str, float] = {n: b.energy_kwh for n, b in self.batteries.items()}
        self.on_battery: dict[str, float] = {}  # UPS → load kW while on battery
        self.surge_name: str | None = None
        self.promoted: set[str] = set()
        self.rebuilt: set[str] = set()
        self.restarting: set[str] = set()  # rows powered again, servers still booting
        self.listeners: list[Callable[[str, Failure], None]] = []

    def fail(self, name: str, reason: Cause, trigger: int | None) -> None:
        """Fail ``name`` outright (the first cause is kept)."""
        if name in self.failed:
            return
        failure = Failure(reason, trigger)
        self.failed[name] = failure
        if name in self.gen_state:
            self.gen_state[name] = "failed"
        if name in self.storage_state:
            self.storage_state[name] = "failed"
        if name in self.battery_kwh:
            self.battery_kwh[name] = 0.0
        for listener in self.listeners:
            listener(name, failure)

    def restore(self, name: str) -> bool:
        """Undo an outright failure (repaired, replaced, re-energised); True if it was one.

        A generator returns to standby, a thermal store to idle, a battery full."""
        if self.failed.pop(name, None) is None:
            return False
        if name in self.gen_state:
            self.gen_state[name] = "standby"
            self.fuel_h[name] = self.generators[name].fuel_hours
        if name in self.storage_state:
            self.storage_state[name] = "idle"
        if name in self.battery_kwh:
            self.battery_kwh[name] = self.batteries[name].energy_kwh
        return True

    def excluded(self, assume_running: set[str] | frozenset[str] = frozenset()) -> set[str]:
        """Failed components, rows still restarting, and generators not (assumed) running."""
        out = set(self.failed) | self.restarting
        out.update(
            g for g, st in self.gen_state.items() if st != "running" and g not in assume_running
        )
        return out

    def live_batteries(self, ups: Ups) -> list[str]:
        return [b for b in ups.batteries if self.battery_kwh.get(b, 0.0) > ENERGY_EPS_KWH]

    def usable_kwh(self, ups: Ups) -> float:
        """Energy the UPS's live batteries deliver at its output (both efficiencies)."""
        return sum(
            self.battery_kwh[b] * self.batteries[b].efficiency * ups.efficiency
            for b in self.live_batteries(ups)
        )

    def has_energy(self, ups: Ups) -> bool:
        """``usable_kwh(ups) > 0`` without the sum (its terms are never negative): some
        live battery delivers energy. Asked for every UPS at every settle."""
        kwh, batteries = self.battery_kwh, self.batteries
        return any(
            kwh.get(b, 0.0) > ENERGY_EPS_KWH
            and kwh[b] * batteries[b].efficiency * ups.efficiency > 0
            for b in ups.batteries
        )

    def held(self) -> list[str]:
        """UPSs that a live battery can carry through the loss of their input."""
        return [
            name
            for name, ups in self.upss.items()
            if name not in self.failed and self.has_energy(ups)
        ]
