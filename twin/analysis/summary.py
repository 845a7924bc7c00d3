"""Headline numbers of a fleet: counts per kind, IT load, servers, racks, zones, services."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from twin.model import SCHEMA_VERSION, Fleet

__all__ = ["FleetSummary", "SiteSummary", "summarize"]


@dataclass(frozen=True)
class SiteSummary:
    name: str
    region: str
    zones: int
    components: int
    kinds: dict[str, int]
    rows: int
    racks: int
    servers: int
    it_load_kw: float
    utility_kw: float
    generator_kw: float


@dataclass(frozen=True)
class FleetSummary:
    name: str
    regions: int
    sites: list[SiteSummary]
    services: list[str]
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def components(self) -> int:
        return sum(s.components for s in self.sites)

    @property
    def zones(self) -> int:
        return sum(s.zones for s in self.sites)

    @property
    def racks(self) -> int:
        return sum(s.racks for s in self.sites)

    @property
    def servers(self) -> int:
        return sum(s.servers for s in self.sites)

    @property
    def it_load_kw(self) -> float:
        return sum(s.it_load_kw for s in self.sites)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready dict with a stable key order (documented in the README)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "fleet": self.name,
            "regions": self.regions,
            "sites": [asdict(site) for site in self.sites],
            "services": list(self.services),
            "totals": {
                "components": self.components,
                "zones": self.zones,
                "racks": self.racks,
                "servers": self.servers,
                "it_load_kw": self.it_load_kw,
                "kinds": dict(self.kinds),
            },
        }


def summarize(fleet: Fleet) -> FleetSummary:
    """Count what ``fleet`` declares, per site and in total."""
    sites = []
    total: Counter[str] = Counter()
    for site in fleet.sites:
        kinds = Counter(c.kind for c in site.components)
        total.update(kinds)
        rows = [c for c in site.components if c.kind == "rack_row"]
        sites.append(
            SiteSummary(
                name=site.name,
                region=site.region,
                zones=len(site.zones),
                components=len(site.components),
                kinds=dict(sorted(kinds.items())),
                rows=len(rows),
                racks=sum(r.racks for r in rows),
                servers=sum(r.servers for r in rows),
                it_load_kw=sum(r.it_load_kw for r in rows),
                utility_kw=sum(c.capacity_kw for c in site.components if c.kind == "utility_feed"),
                generator_kw=sum(c.capacity_kw for c in site.components if c.kind == "generator"),
            )
        )
    return FleetSummary(
        name=fleet.name,
        regions=len(fleet.regions),
        sites=sites,
        services=[s.name for s in fleet.services],
        kinds=dict(sorted(total.items())),
    )
