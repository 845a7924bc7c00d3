"""Shared pieces of the patterns: redundancy levels, the site builder, rack rows."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from twin.model import (
    Component,
    RackRow,
    Requirement,
    SharedSpace,
    Site,
    Suppression,
    Zone,
    ZoneKind,
)

__all__ = [
    "MECH",
    "SUPPORT",
    "Path",
    "PowerLoad",
    "Redundancy",
    "SiteBuilder",
    "rack_rows",
    "racks_of_rows",
    "redundancy_layout",
    "round_up",
    "units",
]

Redundancy = Literal["N", "N+1", "2N", "2(N+1)"]
Path = Literal["A", "B"]

SUPPORT = "support"
"""Block name of UPS-backed support loads: CRAH fans, chilled-water pumps, core network."""
MECH = "mech"
"""Block name of generator-backed (not UPS-backed) mechanical loads: chillers, towers."""


def redundancy_layout(redundancy: Redundancy) -> tuple[tuple[Path, ...], int]:
    """Distribution paths and spare units per path for a redundancy level.

    ``N`` → one path, no spare; ``N+1`` → one path, one spare; ``2N`` → paths A and B,
    each able to carry the full load alone; ``2(N+1)`` → A and B, each with a spare.
    """
    layouts: dict[Redundancy, tuple[tuple[Path, ...], int]] = {
        "N": (("A",), 0),
        "N+1": (("A",), 1),
        "2N": (("A", "B"), 0),
        "2(N+1)": (("A", "B"), 1),
    }
    return layouts[redundancy]


def units(load: float, unit: float, spares: int) -> int:
    """Units of size ``unit`` needed to carry ``load``, plus ``spares``."""
    return max(1, math.ceil(load / unit - 1e-9)) + spares


def round_up(value: float, step: float = 50.0) -> float:
    return step * math.ceil(value / step - 1e-9)


@dataclass
class PowerLoad:
    """A component that draws power, registered for :func:`power_train` to feed.

    ``block`` is a data-hall zone name (UPS-backed, fed through that hall's PDUs),
    :data:`SUPPORT` (UPS-backed support bus) or :data:`MECH` (generator-backed board).
    ``row`` names the rack row a load belongs to when the row is not itself the
    component (racks declared one by one, and their top-of-rack switches): PDUs are
    grouped per row, so every load of a row shares the row's A/B PDU pair.
    """

    component: str
    kw: float
    block: str
    row: str | None = None


class SiteBuilder:
    """Accumulates the zones, components and power loads of one site.

    Names passed to :meth:`add_zone` and :meth:`n` are suffixes: the builder prefixes
    the site name, so component names are unique across a fleet of builders.
    """

    def __init__(self, name: str, region: str, description: str = "") -> None:
        self.name = name
        self.region = region
        self.description = description
        self.zones: dict[str, Zone] = {}
        self.components: dict[str, Component] = {}
        self.loads: list[PowerLoad] = []

    def n(self, *parts: object) -> str:
        """The fleet-unique kebab-case name ``<site>-<part>-<part>...``."""
        return "-".join([self.name, *(str(p) for p in parts)])

    def add_zone(
        self,
        suffix: str,
        kind: ZoneKind,
        parent: str | None = None,
        *,
        fire_rated_walls: bool = False,
        suppression: Suppression | None = None,
        shares_space_with: Sequence[SharedSpace] = (),
    ) -> str:
        """Add a zone named ``<site>-<suffix>``; ``parent`` is a full zone name."""
        name = self.n(suffix)
        if name in self.zones:
            raise ValueError(f"duplicate zone {name!r}")
        self.zones[name] = Zone(
            name=name,
            kind=kind,
            parent=parent,
            fire_rated_walls=fire_rated_walls,
            suppression=suppression,
            shares_space_with=list(shares_space_with),
        )
        return name

    def add(self, component: Component) -> str:
        """Add a component; returns its name."""
        if component.name in self.components:
            raise ValueError(f"duplicate component {component.name!r}")
        if component.zone not in self.zones:
            raise ValueError(f"{component.name!r}: unknown zone {component.zone!r}")
        self.components[component.name] = component
        return component.name

    def get(self, name: str) -> Component:
        return self.components[name]

    def require(self, name: str, requirement: Requirement) -> None:
        """Append a requirement group to an existing component."""
        component = self.components[name]
        self.components[name] = component.model_copy(
            update={"requires": [*component.requires, requirement]}
        )

    def add_load(self, component: str, kw: float, block: str, *, row: str | None = None) -> None:
        """Register ``component`` as drawing ``kw`` from ``block`` (see :class:`PowerLoad`).

        The draw is also recorded on the component itself (``electrical_kw``; rows
        carry theirs as ``it_load_kw``) so that timelines load UPSs and generators
        with it.
        """
        self.loads.append(PowerLoad(component, kw, block, row))
        target = self.components.get(component)
        if target is not None and target.kind != "rack_row":
            self.components[component] = target.model_copy(update={"electrical_kw": round(kw, 3)})

    def block_loads(self, block: str) -> list[PowerLoad]:
        return [load for load in self.loads if load.block == block]

    def site(self) -> Site:
        """The validated-per-field :class:`Site` (cross-checks run when the Fleet is built)."""
        return Site(
            name=self.name,
            region=self.region,
            description=self.description,
            zones=list(self.zones.values()),
            components=list(self.components.values()),
        )


def rack_rows(
    b: SiteBuilder,
    hall: str,
    tag: str,
    *,
    rows: int,
    racks_per_row: int,
    servers_per_rack: int,
    rack_kw: float,
) -> list[str]:
    """Add ``rows`` rack rows to data hall ``hall`` and register their IT load."""
    names = []
    for i in range(1, rows + 1):
        name = b.add(
            RackRow(
                name=b.n(tag, f"row{i:02d}"),
                zone=hall,
                racks=racks_per_row,
                servers=racks_per_row * servers_per_rack,
                it_load_kw=racks_per_row * rack_kw,
            )
        )
        b.add_load(name, racks_per_row * rack_kw, hall)
        names.append(name)
    return names


def racks_of_rows(
    b: SiteBuilder,
    hall: str,
    tag: str,
    *,
    rows: int,
    racks_per_row: int,
    servers_per_rack: int,
    rack_kw: float,
) -> dict[str, list[str]]:
    """Add ``rows`` rows of racks to ``hall``, each rack its own IT component.

    A rack is a :class:`RackRow` with ``racks=1`` named ``<row>-rackNN`` (the row
    itself, ``<site>-<tag>-rowNN``, is then a grouping, not a component); its load is
    registered with its row so that PDUs are still grouped per row. Returns row name →
    its racks. Totals (racks, servers, kW) equal :func:`rack_rows` with the same
    arguments.
    """
    out: dict[str, list[str]] = {}
    for i in range(1, rows + 1):
        row = b.n(tag, f"row{i:02d}")
        racks = []
        for r in range(1, racks_per_row + 1):
            name = b.add(
                RackRow(
                    name=f"{row}-rack{r:02d}",
                    zone=hall,
                    racks=1,
                    servers=servers_per_rack,
                    it_load_kw=rack_kw,
                )
            )
            b.add_load(name, rack_kw, hall, row=row)
            racks.append(name)
        out[row] = racks
    return out
