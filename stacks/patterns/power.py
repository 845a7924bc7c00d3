"""Power patterns: utility feeds, generators, switchgear, UPS with batteries, A/B PDUs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from stacks.patterns.base import (
    MECH,
    SUPPORT,
    Path,
    PowerLoad,
    Redundancy,
    SiteBuilder,
    redundancy_layout,
    round_up,
    units,
)
from twin.model import (
    AtsSwitch,
    Battery,
    Generator,
    Pdu,
    RackRow,
    Requirement,
    Switchgear,
    Transformer,
    Ups,
    UtilityFeed,
)

__all__ = [
    "PowerHandles",
    "power_train",
]


@dataclass
class PowerHandles:
    """What :func:`power_train` built."""

    feeds: list[str]
    generators: list[str]
    generator_buses: list[str]
    ups: dict[tuple[str, str], list[str]]
    """(block, path) → UPS modules."""
    ups_buses: dict[tuple[str, str], str]
    pdus: dict[str, dict[str, list[str]]]
    """hall → path → PDUs (index k of A pairs with index k of B)."""
    batteries: list[str]
    site_load_kw: float
    block_load_kw: dict[str, float] = field(default_factory=dict)


def power_train(
    b: SiteBuilder,
    *,
    redundancy: Redundancy,
    feeds: Sequence[tuple[str, str]],
    electrical_rooms: Mapping[Path, str],
    generator_zone: str,
    ups_room: Callable[[str, str], str],
    battery_room: Callable[[str, str], str],
    feed_kw: float | None = None,
    generators: int | None = None,
    generator_kw: float = 3000.0,
    generator_start_delay_s: float = 10.0,
    generator_fail_to_start_prob: float = 0.008,
    generator_fuel_hours: float = 24.0,
    module_kw: float = 1250.0,
    ups_efficiency: float = 0.96,
    ride_through_min: float = 7.0,
    strings_per_module: int = 2,
    battery_efficiency: float = 0.92,
    chemistry: Literal["li_ion", "vrla", "nicd"] = "li_ion",
    fire_unit: bool = False,
    rows_per_pdu: int = 5,
    ups_cooling: Sequence[str] = (),
) -> PowerHandles:
    """Utility feeds, generators, ATS, transformers, UPS blocks with batteries, PDUs.

    Call it after every consumer has registered its load. ``feeds`` lists
    ``(substation, zone)``; ``electrical_rooms`` maps each path (``"A"``/``"B"``)
    to the room of its MV switchgear, ATS, transformer and mechanical board;
    ``ups_room(block, path)`` / ``battery_room(block, path)`` give the zones of a
    UPS block side and its battery strings (a block is a data-hall zone or
    :data:`SUPPORT`).

    Per path: MV switchgear (gate: whole site load over the feeds) and generator
    paralleling bus (gate: whole site load over every generator) → ATS (any of the
    two) → transformer and mechanical board. Per block and
    path: UPS modules (ceil(load / ``module_kw``) + spares; each needs the path's
    transformer, and any of ``ups_cooling``) → UPS output bus (gate: the *full*
    block load over that side's modules — in 2N each side carries it alone) → PDUs
    (halls only; one per ``rows_per_pdu`` rows; racks declared one by one are grouped by
    their row, :attr:`PowerLoad.row`). Rows and leaves need one of their
    A/B PDU pair; support loads one of the support buses; mechanical loads one of the
    mechanical boards (dual-fed through their own transfer switch — assumption).
    Generator bus gate: whole site load = Σ UPS block load / efficiency + mechanical.
    Battery strings are sized for ``ride_through_min`` at full module load
    (energy = kW × t / efficiency) and do not gate the UPS in steady state.
    """
    paths, spares = redundancy_layout(redundancy)
    halls = [
        blk for blk in dict.fromkeys(load.block for load in b.loads) if blk not in (SUPPORT, MECH)
    ]
    blocks = [*halls, SUPPORT]
    block_kw = {blk: sum(load.kw for load in b.block_loads(blk)) for blk in blocks}
    mech_kw = sum(load.kw for load in b.block_loads(MECH))
    site_load = round_up(sum(block_kw.values()) / ups_efficiency + mech_kw, 10.0)

    feed_capacity = feed_kw if feed_kw is not None else round_up(site_load, 1000.0)
    feed_names = [
        b.add(
            UtilityFeed(
                name=b.n("utility", i),
                zone=zone,
                substation=substation,
                capacity_kw=feed_capacity,
            )
        )
        for i, (substation, zone) in enumerate(feeds, start=1)
    ]
    n_gen = generators if generators is not None else units(site_load, generator_kw, max(spares, 1))
    if n_gen * generator_kw < site_load:
        raise ValueError(f"{b.name}: {n_gen} × {generator_kw} kW generators < {site_load} kW")
    gen_names = [
        b.add(
            Generator(
                name=b.n("gen", f"{i:02d}"),
                zone=generator_zone,
                capacity_kw=generator_kw,
                start_delay_s=generator_start_delay_s,
                fail_to_start_prob=generator_fail_to_start_prob,
                fuel_hours=generator_fuel_hours,
            )
        )
        for i in range(1, n_gen + 1)
    ]
    # One paralleling bus per path, each able to take every generator (dual-bus
    # paralleling switchgear — assumption), so either bus can be maintained.
    gen_buses = {
        path: b.add(
            Switchgear(
                name=b.n("gen-bus", path.lower()),
                zone=electrical_rooms[path],
                capacity_kw=n_gen * generator_kw,
                description="Generator paralleling bus; gates the whole site load.",
                requires=[Requirement(resource="power", suppliers=gen_names, capacity=site_load)],
            )
        )
        for path in paths
    }

    transformers: dict[str, str] = {}
    mech_boards: list[str] = []
    for path in paths:
        p = path.lower()
        room = electrical_rooms[path]
        mv = b.add(
            Switchgear(
                name=b.n("mv-swgr", p),
                zone=room,
                capacity_kw=feed_capacity,
                requires=[Requirement(resource="power", suppliers=feed_names, capacity=site_load)],
            )
        )
        ats = b.add(
            AtsSwitch(
                name=b.n("ats", p),
                zone=room,
                capacity_kw=feed_capacity,
                requires=[
                    Requirement(resource="power", suppliers=[mv, gen_buses[path]], at_least=1)
                ],
            )
        )
        ups_input = sum(block_kw.values()) / ups_efficiency
        transformers[path] = b.add(
            Transformer(
                name=b.n("tx", p),
                zone=room,
                capacity_kw=round_up(ups_input * 1.1, 500.0),
                requires=[Requirement(resource="power", suppliers=[ats], at_least=1)],
            )
        )
        mech_boards.append(
            b.add(
                Switchgear(
                    name=b.n("mech-board", p),
                    zone=room,
                    capacity_kw=round_up(mech_kw * 1.2 + 1, 500.0),
                    requires=[Requirement(resource="power", suppliers=[ats], at_least=1)],
                )
            )
        )

    ups: dict[tuple[str, str], list[str]] = {}
    buses: dict[tuple[str, str], str] = {}
    batteries: list[str] = []
    energy = module_kw * ride_through_min / 60 / battery_efficiency / strings_per_module
    for blk in blocks:
        tag = SUPPORT if blk == SUPPORT else blk.removeprefix(b.name + "-")
        load = block_kw[blk]
        n_mod = units(load, module_kw, spares)
        for path in paths:
            p = path.lower()
            modules = []
            for m in range(1, n_mod + 1):
                strings = [
                    b.add(
                        Battery(
                            name=b.n("batt", tag, f"{p}{m}", s),
                            zone=battery_room(blk, path),
                            energy_kwh=round(energy, 1),
                            efficiency=battery_efficiency,
                            chemistry=chemistry,
                            fire_unit=fire_unit,
                        )
                    )
                    for s in range(1, strings_per_module + 1)
                ]
                batteries.extend(strings)
                reqs = [Requirement(resource="power", suppliers=[transformers[path]], at_least=1)]
                if ups_cooling:
                    reqs.append(
                        Requirement(resource="cooling", suppliers=list(ups_cooling), at_least=1)
                    )
                modules.append(
                    b.add(
                        Ups(
                            name=b.n("ups", tag, f"{p}{m}"),
                            zone=ups_room(blk, path),
                            capacity_kw=module_kw,
                            efficiency=ups_efficiency,
                            batteries=strings,
                            requires=reqs,
                        )
                    )
                )
            ups[(blk, path)] = modules
            buses[(blk, path)] = b.add(
                Switchgear(
                    name=b.n("ups-bus", tag, p),
                    zone=ups_room(blk, path),
                    capacity_kw=n_mod * module_kw,
                    description=f"UPS output bus, side {path}; gates the full block load.",
                    requires=[
                        Requirement(
                            resource="power", suppliers=modules, capacity=round_up(load, 1.0)
                        )
                    ],
                )
            )

    pdus: dict[str, dict[str, list[str]]] = {}
    for hall in halls:
        tag = hall.removeprefix(b.name + "-")
        # Group the hall's loads by row (a row component is its own row; racks declared
        # one by one and their ToRs name theirs), rows_per_pdu rows to a PDU pair; other
        # loads (leaves) join the first pair.
        by_row: dict[str, list[PowerLoad]] = {}
        others = []
        for ld in b.block_loads(hall):
            row = ld.row or (ld.component if isinstance(b.get(ld.component), RackRow) else None)
            if row is None:
                others.append(ld)
            else:
                by_row.setdefault(row, []).append(ld)
        row_loads = list(by_row.values())
        groups = [
            [ld for lds in row_loads[k : k + rows_per_pdu] for ld in lds]
            for k in range(0, len(row_loads), rows_per_pdu)
        ] or [[]]
        groups[0] = [*groups[0], *others]
        pdus[hall] = {path: [] for path in paths}
        for k, group in enumerate(groups, start=1):
            pair = []
            for path in paths:
                pdu = b.add(
                    Pdu(
                        name=b.n(tag, f"pdu{k:02d}{path.lower()}"),
                        zone=hall,
                        capacity_kw=round_up(sum(ld.kw for ld in group) * 1.25),
                        path=path,
                        requires=[
                            Requirement(
                                resource="power", suppliers=[buses[(hall, path)]], at_least=1
                            )
                        ],
                    )
                )
                pdus[hall][path].append(pdu)
                pair.append(pdu)
            for ld in group:
                b.require(ld.component, Requirement(resource="power", suppliers=pair, at_least=1))
    support_buses = [buses[(SUPPORT, path)] for path in paths]
    for ld in b.block_loads(SUPPORT):
        b.require(ld.component, Requirement(resource="power", suppliers=support_buses, at_least=1))
    for ld in b.block_loads(MECH):
        b.require(ld.component, Requirement(resource="power", suppliers=mech_boards, at_least=1))
    return PowerHandles(
        feed_names,
        gen_names,
        list(gen_buses.values()),
        ups,
        buses,
        pdus,
        batteries,
        site_load,
        block_kw,
    )
