"""Cooling patterns: chillers, towers, pumps, chilled-water loops, thermal storage, CRAHs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stacks.patterns.base import (
    MECH,
    SUPPORT,
    Redundancy,
    SiteBuilder,
    redundancy_layout,
    round_up,
    units,
)
from twin.model import (
    ChilledWaterLoop,
    Chiller,
    CoolingTower,
    Crah,
    Pump,
    Requirement,
    ThermalStorage,
)

__all__ = [
    "CoolingHandles",
    "cooling_plant",
]


@dataclass
class CoolingHandles:
    """What :func:`cooling_plant` built."""

    loops: list[str]
    chillers: list[str]
    towers: list[str]
    storage: list[str]
    crahs: dict[str, list[str]]
    heat_kw: float
    hall_heat_kw: dict[str, float]


def cooling_plant(
    b: SiteBuilder,
    *,
    redundancy: Redundancy,
    halls: Sequence[str],
    plant_zones: Sequence[str],
    tower_zone: str | Sequence[str],
    storage_zone: str | None,
    extra_consumers: Sequence[str] = (),
    loops: int = 2,
    chiller_kw: float = 3500.0,
    tower_kw: float = 4500.0,
    pump_kw: float = 6500.0,
    crah_kw: float = 500.0,
    storage_minutes: float = 20.0,
    cop: float = 5.5,
    overhead: float = 0.06,
) -> CoolingHandles:
    """Chillers, towers, duplicated chilled-water loops, thermal storage, hall CRAHs.

    Heat of a hall = the registered power loads in it (rows, leaves); plant heat =
    Σ hall heat × (1 + ``overhead``) for UPS losses, fans and lighting (assumption).
    ``redundancy`` sets the spares of chillers, towers, pumps and CRAHs (N+1 → one
    spare of each); ``loops`` chilled-water paths each carry the whole plant heat and
    loop *i* with its pumps sits in ``plant_zones[i]``.

    With one plant path (``N``, ``N+1``) the chillers alternate over the plant zones
    and share one condenser-water system with every tower. With two (``2N``,
    ``2(N+1)``: duplicated paths) each path has its own chillers, sized for the whole
    plant heat, in its own plant zone, and its own towers in its own tower zone
    (``tower_zone`` then names one zone per path): a fire in one plant room or one roof
    area leaves the other path whole.

    Gates: every chiller needs the whole plant's heat plus compressor work from the
    towers (one shared condenser-water system); each loop needs the plant heat from
    chillers + storage and the plant heat from its own pumps. Thermal
    storage is a requirement-free supplier in the chiller gate, sized for the whole
    plant heat: steady-state analyses never count on it (they fail it), and a
    timeline discharges it for ``storage_minutes`` when the chillers trip (generator
    start gap, chiller restart).
    CRAHs need any loop; every consumer in a hall (rows, leaves) needs the *whole
    hall's heat* from the hall's CRAHs (one air volume). ``extra_consumers``
    (UPS modules, core network) need any loop (room fan-coils, not modelled).

    Power: chillers and towers are generator-backed :data:`MECH` loads (chiller
    electrical = heat / ``cop``; towers 1.5 % of heat); pumps (1.5 %) and CRAH fans
    (3 %) are UPS-backed :data:`SUPPORT` loads, so cooling continues through the
    generator start gap. All fractions are assumptions.
    """
    paths, spares = redundancy_layout(redundancy)
    tower_zones = [tower_zone] if isinstance(tower_zone, str) else list(tower_zone)
    hall_heat = {hall: sum(load.kw for load in b.block_loads(hall)) for hall in halls}
    heat = round_up(sum(hall_heat.values()) * (1 + overhead))
    rejection = heat * (1 + 1 / cop)

    chillers: list[str] = []
    towers: list[str] = []
    n_chillers = units(heat, chiller_kw, spares)
    n_towers = units(rejection, tower_kw, spares)
    plants = len(paths)  # one condenser-water system per path
    for p in range(plants):
        tag = "" if plants == 1 else "ab"[p]
        plant_chillers = []
        for i in range(1, n_chillers + 1):
            zone = plant_zones[(i - 1) % len(plant_zones)] if plants == 1 else plant_zones[p]
            name = b.add(
                Chiller(
                    name=b.n("chiller", f"{tag}{i}"),
                    zone=zone,
                    cooling_kw=chiller_kw,
                    electrical_kw=round(chiller_kw / cop, 1),
                )
            )
            # every path carries the plant; half the heat each in normal operation
            b.add_load(name, heat / cop / (n_chillers * plants), MECH)
            plant_chillers.append(name)
        plant_towers = []
        for i in range(1, n_towers + 1):
            name = b.add(
                CoolingTower(
                    name=b.n("tower", f"{tag}{i}"),
                    zone=tower_zones[p % len(tower_zones)],
                    cooling_kw=tower_kw,
                )
            )
            b.add_load(name, 0.015 * heat / (n_towers * plants), MECH)
            plant_towers.append(name)
        # The chillers of a path share its condenser-water system: each runs while the
        # path's live towers can reject its own heat at full output. (Requiring the whole
        # plant's rejection per chiller, as before, made one tower down stop every chiller
        # of its path: a chiller in one path and a tower in the other then cut a 2N plant
        # that really keeps two partial paths running.)
        share = chiller_kw * (1 + 1 / cop)
        for chiller in plant_chillers:
            b.require(
                chiller, Requirement(resource="cooling", suppliers=plant_towers, capacity=share)
            )
        chillers += plant_chillers
        towers += plant_towers
    storage = []
    if storage_zone is not None:
        storage.append(
            b.add(
                ThermalStorage(
                    name=b.n("thermal-storage"),
                    zone=storage_zone,
                    cooling_kw=heat,
                    minutes=storage_minutes,
                    description="Reserve chilled water: a transient source, never counted "
                    "on in steady state.",
                )
            )
        )
    loop_names = []
    n_pumps = units(heat, pump_kw, spares)
    for k in range(loops):
        path = "ab"[k] if loops <= 2 else str(k + 1)
        zone = plant_zones[k % len(plant_zones)]
        pumps = []
        for i in range(1, n_pumps + 1):
            pump = b.add(Pump(name=b.n("chw-pump", f"{path}{i}"), zone=zone, cooling_kw=pump_kw))
            b.add_load(pump, 0.015 * heat / (n_pumps * loops), SUPPORT)
            pumps.append(pump)
        loop_names.append(
            b.add(
                ChilledWaterLoop(
                    name=b.n("chw-loop", path),
                    zone=zone,
                    cooling_kw=heat,
                    requires=[
                        Requirement(
                            resource="cooling", suppliers=[*chillers, *storage], capacity=heat
                        ),
                        Requirement(resource="cooling", suppliers=pumps, capacity=heat),
                    ],
                )
            )
        )
    crahs: dict[str, list[str]] = {}
    for hall in halls:
        hall_tag = hall.removeprefix(b.name + "-")
        crahs[hall] = []
        # in-hall units: at least one spare even where the plant is duplicated (2N)
        n_crah = units(hall_heat[hall], crah_kw, max(spares, len(paths) - 1))
        for i in range(1, n_crah + 1):
            crah = b.add(
                Crah(
                    name=b.n(hall_tag, f"crah{i:02d}"),
                    zone=hall,
                    cooling_kw=crah_kw,
                    requires=[Requirement(resource="cooling", suppliers=loop_names, at_least=1)],
                )
            )
            b.add_load(crah, 0.03 * hall_heat[hall] / n_crah, SUPPORT)
            crahs[hall].append(crah)
        for load in b.block_loads(hall):
            b.require(
                load.component,
                Requirement(resource="cooling", suppliers=crahs[hall], capacity=hall_heat[hall]),
            )
    for consumer in extra_consumers:
        b.require(consumer, Requirement(resource="cooling", suppliers=loop_names, at_least=1))
    return CoolingHandles(loop_names, chillers, towers, storage, crahs, heat, hall_heat)
