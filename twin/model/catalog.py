"""The scenario catalog: the standard failures every fleet is tested against.

Generated from the model, so a new battery room or a new duct gets its scenarios
without anyone writing them: a fire per battery room and per UPS room, loss of one
utility feed and of all feeds, a generator failing to start during a utility loss,
chiller-plant loss, spine and carrier loss, every backbone shared-risk group cut,
whole-site loss, each named surge, and site loss during the largest surge. A
stack's own ``Fleet.scenarios`` come after them (and replace a generated scenario
of the same name).
"""

from __future__ import annotations

from twin.errors import UsageError, shown
from twin.model import Fleet
from twin.model.scenarios import (
    ComponentFailure,
    CoolingPlantLoss,
    GeneratorFailToStart,
    ScenarioSpec,
    SiteLoss,
    SrlgCut,
    Surge,
    UtilityLoss,
    ZoneFire,
)

__all__ = ["catalog", "find_scenario"]


def catalog(fleet: Fleet) -> list[ScenarioSpec]:
    """Every scenario for ``fleet``: the generated ones, then the stack's own."""
    out: dict[str, ScenarioSpec] = {}

    def add(spec: ScenarioSpec) -> None:
        out[spec.name] = spec

    surges = _surges_by_size(fleet)
    for site in fleet.sites:
        s = site.name
        for zone in site.zones:
            if zone.kind in ("battery_room", "ups_room"):
                room = zone.kind.replace("_", " ")
                add(
                    ScenarioSpec(
                        name=f"{s}:fire:{zone.name}",
                        description=f"Fire in {room} {zone.name} at {s}.",
                        events=[ZoneFire(site=s, zone=zone.name)],
                    )
                )
        feeds = [c.name for c in site.components if c.kind == "utility_feed"]
        generators = [c.name for c in site.components if c.kind == "generator"]
        if feeds:
            add(
                ScenarioSpec(
                    name=f"{s}:utility-loss:{feeds[0]}",
                    description=f"Utility feed {feeds[0]} lost at {s}.",
                    events=[UtilityLoss(site=s, feeds=[feeds[0]])],
                )
            )
            add(
                ScenarioSpec(
                    name=f"{s}:utility-loss:all",
                    description=f"Every utility feed lost at {s}: generators must carry the site.",
                    events=[UtilityLoss(site=s)],
                )
            )
            if generators:
                add(
                    ScenarioSpec(
                        name=f"{s}:utility-loss:all+generator-fails-to-start",
                        description=f"All utility lost at {s} and generator {generators[0]} fails "
                        "to start.",
                        events=[
                            GeneratorFailToStart(generators=[generators[0]]),
                            UtilityLoss(site=s),
                        ],
                    )
                )
        if any(c.kind in ("chiller", "cooling_tower") for c in site.components):
            add(
                ScenarioSpec(
                    name=f"{s}:cooling-plant-loss",
                    description=f"Every chiller and cooling tower at {s} fails.",
                    events=[CoolingPlantLoss(site=s)],
                )
            )
        spines = [c.name for c in site.components if c.kind == "spine"]
        if spines:
            add(
                ScenarioSpec(
                    name=f"{s}:spine-loss:{spines[0]}",
                    description=f"Spine {spines[0]} at {s} fails.",
                    events=[ComponentFailure(components=[spines[0]])],
                )
            )
        carriers = [c.name for c in site.components if c.kind == "carrier_link"]
        if carriers:
            add(
                ScenarioSpec(
                    name=f"{s}:carrier-loss:{carriers[0]}",
                    description=f"Carrier link {carriers[0]} at {s} fails.",
                    events=[ComponentFailure(components=[carriers[0]])],
                )
            )
        add(
            ScenarioSpec(
                name=f"{s}:site-loss",
                description=f"The whole {s} site goes dark.",
                events=[SiteLoss(site=s)],
            )
        )
        if surges:
            biggest = surges[-1]
            add(
                ScenarioSpec(
                    name=f"{s}:site-loss+{biggest}",
                    description=f"The whole {s} site goes dark during the {biggest} surge.",
                    events=[Surge(surge=biggest), SiteLoss(site=s)],
                )
            )
    for srlg in sorted({g for _, c in fleet.components() for g in getattr(c, "srlg", [])}):
        add(
            ScenarioSpec(
                name=f"srlg-cut:{srlg}",
                description=f"Shared-risk group {srlg} is cut: every link in it fails.",
                events=[SrlgCut(srlg=srlg)],
            )
        )
    for surge in surges:
        add(
            ScenarioSpec(
                name=f"surge:{surge}",
                description=f"Demand surge {surge}.",
                events=[Surge(surge=surge)],
            )
        )
    for spec in fleet.scenarios:
        add(spec)
    return list(out.values())


def find_scenario(fleet: Fleet, name: str) -> ScenarioSpec:
    """The catalog scenario called ``name``; a usage error lists near names otherwise."""
    specs = catalog(fleet)
    for spec in specs:
        if spec.name == name:
            return spec
    near = [s.name for s in specs if name.split(":")[-1] in s.name][:8]
    hint = f"; did you mean {', '.join(near)}" if near else ""
    raise UsageError(
        f"unknown scenario {shown(name)}{hint} (`dctwin scenarios` lists all {len(specs)})"
    )


def _surges_by_size(fleet: Fleet) -> list[str]:
    """Surge names, smallest peak multiplier first."""
    peak: dict[str, float] = {}
    for service in fleet.services:
        for name, multiplier in service.surges.items():
            peak[name] = max(peak.get(name, 0.0), multiplier)
    return sorted(peak, key=lambda n: (peak[n], n))
