"""Redundancy facts a reviewer (or a policy) checks one resource at a time.

Two rules from the Pangyo post-mortem and Ansan's design, stated per component so a
resource policy can check them on a single resource's inputs:

* :func:`row_feeds` — each rack row's power cords: the supplier, its distribution path
  (A/B) and the UPS modules upstream of it (its *UPS system*). A row is dual-fed when
  either cord alone carries it, the cords are on paths A and B, and their UPS systems
  share no module.
* :func:`battery_separation` — each battery string and the UPS modules it carries: is
  the string fire-separated from each of them, i.e. does a fire in the string's room
  (with the spread its shared spaces allow and the power cut its suppression
  triggers, :func:`twin.analysis.fire.fire_reach`) leave the UPS standing?

Examples
--------
>>> from stacks import build_stack
>>> feeds = row_feeds(build_stack("lab"))["lab-hall1-row01"]
>>> [(f.supplier, f.path) for f in feeds]
[('lab-hall1-pdu01a', 'A'), ('lab-hall1-pdu01b', 'B')]
>>> separated = battery_separation(build_stack("pangyo-2022"))
>>> any(not s.separated for checks in separated.values() for s in checks)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twin.analysis.fire import fire_reach
from twin.model import Fleet, Site

__all__ = ["BatterySeparation", "RowFeed", "battery_separation", "row_feeds"]


@dataclass(frozen=True)
class RowFeed:
    """One power cord of a rack row: supplier, path, and the UPS modules upstream."""

    supplier: str
    path: str | None
    ups: tuple[str, ...]
    alone_carries: bool
    """Whether this cord alone meets the row's power requirement."""

    def to_inputs(self) -> dict[str, Any]:
        return {
            "supplier": self.supplier,
            "path": self.path,
            "ups": list(self.ups),
            "aloneCarries": self.alone_carries,
        }


@dataclass(frozen=True)
class BatterySeparation:
    """A battery string and one UPS module it carries: fire-separated or not, and why."""

    ups: str
    ups_zone: str
    separated: bool
    reason: str

    def to_inputs(self) -> dict[str, Any]:
        return {
            "ups": self.ups,
            "upsZone": self.ups_zone,
            "separated": self.separated,
            "reason": self.reason,
        }


def _upstream_ups(index: dict[str, Any], start: str) -> tuple[str, ...]:
    """The UPS modules reached first walking power suppliers up from ``start``."""
    found: list[str] = []
    seen: set[str] = set()
    queue = [start]
    while queue:
        name = queue.pop(0)
        if name in seen or name not in index:
            continue
        seen.add(name)
        component = index[name]
        if component.kind == "ups":
            found.append(name)
            continue
        queue += [s for r in component.requires if r.resource == "power" for s in r.suppliers]
    return tuple(sorted(found))


def row_feeds(fleet: Fleet) -> dict[str, list[RowFeed]]:
    """Every rack row's power cords, by row name."""
    index = {c.name: c for _, c in fleet.components()}
    out: dict[str, list[RowFeed]] = {}
    for _, row in fleet.components():
        if row.kind != "rack_row":
            continue
        feeds: list[RowFeed] = []
        for group in row.requires:
            if group.resource != "power":
                continue
            for supplier in group.suppliers:
                component = index.get(supplier)
                if group.capacity is not None:
                    rated = component.capacity_for("power") if component is not None else None
                    alone = rated is not None and rated >= group.capacity
                else:
                    alone = group.threshold <= 1
                feeds.append(
                    RowFeed(
                        supplier=supplier,
                        path=getattr(component, "path", None),
                        ups=_upstream_ups(index, supplier),
                        alone_carries=alone,
                    )
                )
        out[row.name] = feeds
    return out


def _separation(site: Site, battery_zone: str, ups: Any) -> BatterySeparation:
    if ups.zone == battery_zone:
        return BatterySeparation(ups.name, ups.zone, False, f"same room {battery_zone}")
    reach = fire_reach(site, battery_zone)
    if ups.name not in reach.components:
        return BatterySeparation(ups.name, ups.zone, True, "a fire in the string's room stops")
    how = []
    if len(reach.burnt) > 1:
        how.append(f"the fire spreads to {', '.join(reach.burnt[1:])}")
    if reach.cut:
        how.append(f"the fire service cuts {', '.join(reach.cut)}")
    reason = "; ".join(how) or f"{ups.zone} is inside {battery_zone}"
    return BatterySeparation(ups.name, ups.zone, False, reason)


def battery_separation(fleet: Fleet) -> dict[str, list[BatterySeparation]]:
    """Every battery string and, for each UPS module it carries, whether a fire in the
    string's room leaves that module standing."""
    out: dict[str, list[BatterySeparation]] = {}
    for site in fleet.sites:
        zones = {c.name: c.zone for c in site.components}
        carried: dict[str, list[Any]] = {}
        for component in site.components:
            for battery in getattr(component, "batteries", ()):
                carried.setdefault(battery, []).append(component)
        for component in site.components:
            if component.kind == "battery":
                out[component.name] = [
                    _separation(site, zones[component.name], ups)
                    for ups in carried.get(component.name, [])
                ]
    return out
