"""Tier verdict per site, in the manner of the Uptime Institute's tiers.

Each tier adds one requirement to the one below; a site gets the highest tier
whose requirement and all lower ones hold, and the verdict names the first
requirement that fails and the component or zone that breaks it. "IT impact"
means a rack row of the site goes down.

=====  ================================  ==========================================
Tier   requirement                       how it is checked
=====  ================================  ==========================================
I      basic capacity (N)                nothing failed: every row at the site is up
II     redundant capacity components     any one capacity component (generator, UPS,
                                         chiller, cooling tower, pump, CRAH) out:
                                         no IT impact
III    concurrent maintainability        any one power or cooling component out
                                         (distribution paths included): no IT impact
IV     fault tolerance                   (a) compartmentalisation: every zone's
                                         contents lost together (a fire) leaves the
                                         rows outside that zone up; (b) continuous
                                         cooling: through a loss of every utility
                                         feed, the cooling every row draws on never
                                         drops (timeline, generators starting)
=====  ================================  ==========================================

All static checks are steady state with every utility feed out: as in Uptime's
tier standard, on-site generation is the primary source and the utility an
economic alternative, so redundancy must hold without it. Thermal storage is not
counted on in steady state either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twin.analysis.timeline import simulate
from twin.analysis.twin import Twin, as_twin
from twin.model import SCHEMA_VERSION, Fleet, Site
from twin.model.scenarios import ScenarioSpec, UtilityLoss

__all__ = ["CAPACITY_KINDS", "POWER_COOLING_KINDS", "SiteTier", "TierReport", "tier_verdict"]

CAPACITY_KINDS = frozenset({"generator", "ups", "chiller", "cooling_tower", "pump", "crah"})
POWER_COOLING_KINDS = CAPACITY_KINDS | {
    "utility_feed",
    "transformer",
    "switchgear",
    "ats",
    "sts",
    "battery",
    "pdu",
    "busway",
    "chw_loop",
    "thermal_storage",
}
_ROMAN = {0: "0", 1: "I", 2: "II", 3: "III", 4: "IV"}
REQUIREMENTS = {
    1: "basic capacity (N)",
    2: "redundant capacity components (N+1)",
    3: "concurrent maintainability",
    4: "fault tolerance",
}


@dataclass
class SiteTier:
    site: str
    tier: int
    failed_requirement: str | None = None
    broken_by: str | None = None
    detail: str | None = None
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def roman(self) -> str:
        return _ROMAN[self.tier]

    @property
    def verdict(self) -> str:
        if self.failed_requirement is None:
            return f"Tier {self.roman}: every requirement holds"
        return (
            f"Tier {self.roman}: {self.failed_requirement} fails — broken by "
            f"{self.broken_by}: {self.detail}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "tier": self.tier,
            "tier_roman": self.roman,
            "failed_requirement": self.failed_requirement,
            "broken_by": self.broken_by,
            "detail": self.detail,
            "verdict": self.verdict,
            "checks": dict(self.checks),
        }


@dataclass
class TierReport:
    fleet: str
    sites: list[SiteTier]

    def site(self, name: str) -> SiteTier:
        return next(s for s in self.sites if s.site == name)

    @property
    def lowest(self) -> int:
        return min((s.tier for s in self.sites), default=0)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "fleet": self.fleet,
            "sites": [s.to_json() for s in self.sites],
        }


def tier_verdict(source: Twin | Fleet) -> TierReport:
    """The tier of every site that has rack rows (``source``: a twin, or a fleet to compile)."""
    twin = as_twin(source)
    out = [
        _site_tier(twin, site)
        for site in twin.fleet.sites
        if any(c.kind == "rack_row" for c in site.components)
    ]
    return TierReport(twin.fleet.name, out)


def _site_tier(twin: Twin, site: Site) -> SiteTier:
    ev = twin.evaluator
    graph = twin.graph
    index = graph.component_index
    feeds = [c.name for c in site.components if c.kind == "utility_feed"]
    base = [index[n] for n in [*twin.transient_sources, *feeds]]
    row_names = {index[c.name]: c.name for c in site.components if c.kind == "rack_row"}
    result = SiteTier(site.name, 0)

    def rows_down(failed: list[int], exempt: frozenset[str] | set[str] = frozenset()) -> list[str]:
        down = ev.evaluate_many([[*base, *failed]], services=False).down(0)
        return [
            row_names[int(i)]
            for i in down
            if int(i) in row_names and row_names[int(i)] not in exempt
        ]

    def fail(level: int, by: str, detail: str) -> SiteTier:
        result.tier = level - 1
        result.failed_requirement = REQUIREMENTS[level]
        result.broken_by = by
        result.detail = detail
        result.checks[REQUIREMENTS[level]] = False
        return result

    down = rows_down([])
    if down:
        return fail(1, down[0], f"{len(down)} rows down with nothing failed")
    result.checks[REQUIREMENTS[1]] = True

    for level, kinds in ((2, CAPACITY_KINDS), (3, POWER_COOLING_KINDS)):
        candidates = [c.name for c in site.components if c.kind in kinds and c.name not in feeds]
        batch = ev.evaluate_many([[*base, index[n]] for n in candidates], services=False)
        for k, name in enumerate(candidates):
            lost = [row_names[int(i)] for i in batch.down(k) if int(i) in row_names]
            if lost:
                comp = next(c for c in site.components if c.name == name)
                return fail(
                    level,
                    name,
                    f"with {comp.kind} {name} out, {len(lost)} rows go down (first: {lost[0]})",
                )
        result.checks[REQUIREMENTS[level]] = True

    for zone in site.zones:
        members = [c for c in site.components_in(zone.name) if c.kind != "rack_row"]
        if not members:
            continue
        inside = {c.name for c in site.components_in(zone.name) if c.kind == "rack_row"}
        lost = rows_down([index[c.name] for c in members], exempt=inside)
        if lost:
            return fail(
                4,
                f"zone {zone.name}",
                f"compartmentalisation: a fire in {zone.kind.replace('_', ' ')} "
                f"{zone.name} takes down {len(lost)} rows outside it (first: {lost[0]})",
            )
    result.checks["compartmentalisation"] = True

    if feeds:
        cooled = _row_cooling_suppliers(site)
        spec = ScenarioSpec(
            name=f"{site.name}:tier-utility-loss",
            events=[UtilityLoss(site=site.name)],
            horizon_s=3600.0,
        )
        timeline = simulate(twin, spec)
        for event in timeline.events:
            if event.kind == "component_down" and (
                event.subject in cooled or event.subject in row_names.values()
            ):
                return fail(
                    4,
                    event.subject,
                    f"continuous cooling: on loss of utility, {event.subject} drops at "
                    f"{event.time_s:g} s ({event.cause})",
                )
    result.checks["continuous cooling"] = True
    result.checks[REQUIREMENTS[4]] = True
    result.tier = 4
    return result


def _row_cooling_suppliers(site: Site) -> set[str]:
    return {
        supplier
        for comp in site.components
        if comp.kind == "rack_row"
        for req in comp.requires
        if req.resource == "cooling"
        for supplier in req.suppliers
    }
