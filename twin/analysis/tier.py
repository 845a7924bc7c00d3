"""Tier verdict per site, in the manner of the Uptime Institute's tiers.

Every requirement is checked, and every one that fails is reported with the component
or zone that breaks it and what that does. A site's tier is the highest level whose
requirements, and all lower ones, hold. "IT impact" means a rack row of the site goes
down.

=====  ====================================  ======================================
Tier   requirement                           how it is checked
=====  ====================================  ======================================
I      basic capacity (N)                    nothing failed: every row is up
II     redundant capacity components (N+1)   any one capacity component (generator,
                                             UPS, chiller, cooling tower, pump, CRAH)
                                             out: no IT impact
III    distribution paths                    every row draws power through at least
                                             two paths that share no distribution
                                             component (sources excepted)
III    concurrent maintainability            any one power or cooling component out
                                             (distribution included): no IT impact
IV     compartmentalisation                  a fire in any one room, with the spread
                                             its shared spaces allow and the power cut
                                             its suppression triggers, leaves every
                                             row outside the burning rooms up
IV     continuous cooling                    through a loss of every utility feed the
                                             cooling every row draws on never drops
                                             (timeline, generators starting)
=====  ====================================  ======================================

All static checks are steady state with every utility feed out: as in Uptime's tier
standard, on-site generation is the primary source and the utility an economic
alternative, so redundancy must hold without it. Thermal storage is not counted on in
steady state either. The sources of a site (utility feeds, generators and the
generator bus) are shared by both distribution paths by design and are checked by the
capacity and maintainability requirements instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from twin.analysis.fire import fire_origins, fire_reach, origin_rank
from twin.analysis.timeline import simulate
from twin.analysis.twin import Twin, as_twin
from twin.model import SCHEMA_VERSION, Fleet, Site
from twin.model.scenarios import ScenarioSpec, UtilityLoss

__all__ = [
    "CAPACITY_KINDS",
    "POWER_COOLING_KINDS",
    "REQUIREMENTS",
    "SiteTier",
    "TierMiss",
    "TierReport",
    "tier_verdict",
]

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
REQUIREMENTS: tuple[tuple[int, str], ...] = (
    (1, "basic capacity (N)"),
    (2, "redundant capacity components (N+1)"),
    (3, "distribution paths"),
    (3, "concurrent maintainability"),
    (4, "compartmentalisation"),
    (4, "continuous cooling"),
)
"""(tier, requirement), in the order they are checked and reported."""


@dataclass(frozen=True)
class TierMiss:
    """A requirement that fails: what breaks it first, what that does, how many do."""

    level: int
    requirement: str
    broken_by: str
    detail: str
    also_broken_by: tuple[str, ...] = ()
    """Every other component or zone that breaks the requirement, worst first."""

    @property
    def breakers(self) -> int:
        return 1 + len(self.also_broken_by)

    def describe(self) -> str:
        more = ""
        if self.also_broken_by:
            shown = ", ".join(self.also_broken_by[:5])
            extra = len(self.also_broken_by) - 5
            more = f" (also broken by {shown}{f' and {extra} more' if extra > 0 else ''})"
        return f"{self.requirement} fails — broken by {self.broken_by}: {self.detail}{more}"

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.level,
            "requirement": self.requirement,
            "broken_by": self.broken_by,
            "detail": self.detail,
            "also_broken_by": list(self.also_broken_by),
        }


@dataclass
class SiteTier:
    """The tier of one site: the highest level met, and every requirement missed."""

    site: str
    tier: int
    misses: list[TierMiss] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def roman(self) -> str:
        return _ROMAN[self.tier]

    @property
    def first_miss(self) -> TierMiss | None:
        return self.misses[0] if self.misses else None

    @property
    def failed_requirement(self) -> str | None:
        return self.misses[0].requirement if self.misses else None

    @property
    def broken_by(self) -> str | None:
        return self.misses[0].broken_by if self.misses else None

    @property
    def detail(self) -> str | None:
        return self.misses[0].detail if self.misses else None

    @property
    def verdict(self) -> str:
        if not self.misses:
            return f"Tier {self.roman}: every requirement holds"
        missed = "; ".join(m.describe() for m in self.misses)
        return f"Tier {self.roman}: {missed}"

    def to_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "tier": self.tier,
            "tier_roman": self.roman,
            "failed_requirement": self.failed_requirement,
            "broken_by": self.broken_by,
            "detail": self.detail,
            "verdict": self.verdict,
            "misses": [m.to_json() for m in self.misses],
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
        _SiteCheck(twin, site).verdict()
        for site in twin.fleet.sites
        if any(c.kind == "rack_row" for c in site.components)
    ]
    return TierReport(twin.fleet.name, out)


class _SiteCheck:
    """Every tier requirement of one site, checked with the utility out."""

    def __init__(self, twin: Twin, site: Site) -> None:
        self.twin = twin
        self.site = site
        index = twin.graph.component_index
        self.feeds = [c.name for c in site.components if c.kind == "utility_feed"]
        self.base = [index[n] for n in [*twin.transient_sources, *self.feeds]]
        self.rows = {index[c.name]: c.name for c in site.components if c.kind == "rack_row"}

    def verdict(self) -> SiteTier:
        checks = {
            "basic capacity (N)": self._basic,
            "redundant capacity components (N+1)": lambda: self._each_out(CAPACITY_KINDS),
            "distribution paths": self._paths,
            "concurrent maintainability": lambda: self._each_out(POWER_COOLING_KINDS),
            "compartmentalisation": self._compartments,
            "continuous cooling": self._cooling,
        }
        result = SiteTier(self.site.name, 0)
        failed_levels = []
        for level, requirement in REQUIREMENTS:
            breakers = checks[requirement]()
            result.checks[requirement] = not breakers
            if breakers:
                by, detail = breakers[0]
                others = tuple(b for b, _ in breakers[1:])
                result.misses.append(TierMiss(level, requirement, by, detail, others))
                failed_levels.append(level)
        result.tier = min(failed_levels, default=5) - 1
        return result

    # ------------------------------------------------------------------ helpers

    def _rows_down(self, failed: Iterable[int], exempt: Iterable[str] = ()) -> list[str]:
        batch = self.twin.evaluator.evaluate_many([[*self.base, *failed]], services=False)
        skip = set(exempt)
        return [
            self.rows[int(i)]
            for i in batch.down(0)
            if int(i) in self.rows and self.rows[int(i)] not in skip
        ]

    # ------------------------------------------------------------------ requirements

    def _basic(self) -> list[tuple[str, str]]:
        down = self._rows_down([])
        return [(down[0], f"{len(down)} rows down with nothing failed")] if down else []

    def _each_out(self, kinds: frozenset[str]) -> list[tuple[str, str]]:
        index = self.twin.graph.component_index
        candidates = [
            c for c in self.site.components if c.kind in kinds and c.name not in self.feeds
        ]
        batch = self.twin.evaluator.evaluate_many(
            [[*self.base, index[c.name]] for c in candidates], services=False
        )
        out = []
        for k, comp in enumerate(candidates):
            lost = [self.rows[int(i)] for i in batch.down(k) if int(i) in self.rows]
            if lost:
                detail = f"with {comp.kind} {comp.name} out, {len(lost)} rows go down"
                out.append((comp.name, f"{detail} (first: {lost[0]})"))
        return out

    def _paths(self) -> list[tuple[str, str]]:
        """Rows without two power paths that share no distribution component."""
        index = self.twin.index
        sources = {c.name for c in self.site.components if c.kind in ("utility_feed", "generator")}
        sources |= self.twin.generator_only

        def upstream(name: str) -> dict[str, None]:
            """The distribution components behind ``name``, nearest first."""
            seen: dict[str, None] = {}
            queue = [name]
            while queue:
                current = queue.pop(0)
                if current in seen or current in sources:
                    continue
                seen[current] = None
                comp = index[current][1]
                queue += [s for r in comp.requires if r.resource == "power" for s in r.suppliers]
                queue += list(getattr(comp, "batteries", ()))
            return seen

        out = []
        for row_name in self.rows.values():
            row = index[row_name][1]
            suppliers = [s for r in row.requires if r.resource == "power" for s in r.suppliers]
            paths = [upstream(s) for s in dict.fromkeys(suppliers)]
            if not any(a.keys().isdisjoint(b) for i, a in enumerate(paths) for b in paths[i + 1 :]):
                # the shared component nearest the row, as the first path meets it
                shared = [c for c in paths[0] if all(c in p for p in paths[1:])] if paths else []
                common = shared[0] if shared else "its only supplier"
                out.append((row_name, f"every power path of {row_name} runs through {common}"))
        return out

    def _compartments(self) -> list[tuple[str, str]]:
        """Rooms whose fire (with spread and suppression cut) takes rows outside it."""
        index = self.twin.graph.component_index
        found: list[tuple[int, int, str, str]] = []
        for origin in fire_origins(self.site):
            reach = fire_reach(self.site, origin)
            burnt = set().union(*(self.site.zone_closure(z) for z in reach.burnt))
            inside = {c.name for c in self.site.components if c.zone in burnt}
            lost = self._rows_down([index[n] for n in reach.components], exempt=inside)
            if lost:
                how = []
                if len(reach.burnt) > 1:
                    how.append(f"spreads to {', '.join(reach.burnt[1:])}")
                if reach.cut:
                    how.append(f"the fire service cuts {', '.join(reach.cut)}")
                kind = self.site.zone_named(origin).kind
                via = f" ({'; '.join(how)})" if how else ""
                detail = (
                    f"a fire in {kind.replace('_', ' ')} {origin}{via} takes down "
                    f"{len(lost)} rows outside it (first: {lost[0]})"
                )
                found.append((-len(lost), origin_rank(kind), f"zone {origin}", detail))
        return [(by, detail) for *_, by, detail in sorted(found)]

    def _cooling(self) -> list[tuple[str, str]]:
        if not self.feeds:
            return []
        cooled = {
            supplier
            for comp in self.site.components
            if comp.kind == "rack_row"
            for req in comp.requires
            if req.resource == "cooling"
            for supplier in req.suppliers
        }
        spec = ScenarioSpec(
            name=f"{self.site.name}:tier-utility-loss",
            events=[UtilityLoss(site=self.site.name)],
            horizon_s=3600.0,
        )
        timeline = simulate(self.twin, spec)
        rows = set(self.rows.values())
        for event in timeline.events:
            if event.kind == "component_down" and (
                event.subject in cooled or event.subject in rows
            ):
                return [
                    (
                        event.subject,
                        f"on loss of utility, {event.subject} drops at {event.time_s:g} s "
                        f"({event.cause})",
                    )
                ]
        return []
