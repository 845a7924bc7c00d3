"""Surge headroom: each service at each demand level, healthy and after the worst site loss."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twin.analysis.twin import Twin, as_twin
from twin.model import Fleet

__all__ = ["HeadroomRow", "surge_headroom"]


@dataclass(frozen=True)
class HeadroomRow:
    """A service at one demand level: healthy, and after the worst single-site loss."""

    service: str
    level: str
    multiplier: float
    demand_rps: float
    capacity_rps: float
    served: float
    headroom: float  # capacity / demand − 1 with everything healthy
    worst_site: str | None
    served_after_worst_site_loss: float | None
    capped_by: str | None = None
    """A dependency holding the healthy served fraction below what capacity allows."""
    capped_after_worst_site_loss_by: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "level": self.level,
            "multiplier": self.multiplier,
            "demand_rps": round(self.demand_rps, 6),
            "capacity_rps": round(self.capacity_rps, 6),
            "served": round(self.served, 6),
            "headroom": round(self.headroom, 6),
            "worst_site": self.worst_site,
            "served_after_worst_site_loss": None
            if self.served_after_worst_site_loss is None
            else round(self.served_after_worst_site_loss, 6),
            "capped_by": self.capped_by,
            "capped_after_worst_site_loss_by": self.capped_after_worst_site_loss_by,
        }


def surge_headroom(source: Twin | Fleet) -> list[HeadroomRow]:
    """Per service and demand level: capacity, served fraction, and the worst site loss."""
    twin = as_twin(source)
    fleet = twin.fleet
    ev = twin.evaluator
    levels: dict[str, None] = {"baseline": None}
    for service in fleet.services:
        levels.update(dict.fromkeys(service.surges))
    site_sets = {s.name: [c.name for c in s.components] for s in fleet.sites}
    rows = []
    for level in levels:
        surge: float | str = 1.0 if level == "baseline" else level
        healthy = ev.evaluate((), surge=surge)
        losses = [(site, ev.evaluate(names, surge=surge)) for site, names in site_sets.items()]
        for service in fleet.services:
            m = 1.0 if level == "baseline" else float(service.surges.get(level, 1.0))
            capacity = sum(r.capacity_rps for r in service.replicas if r.role == "active")
            demand = service.demand_rps * m
            worst_site, worst, worst_cap = None, None, None
            if len(fleet.sites) > 1:
                worst_site, evaluation = min(
                    losses, key=lambda kv: kv[1].served_fraction(service.name)
                )
                worst = evaluation.served_fraction(service.name)
                worst_cap = evaluation.capped_by(service.name)
            rows.append(
                HeadroomRow(
                    service=service.name,
                    level=level,
                    multiplier=m,
                    demand_rps=demand,
                    capacity_rps=capacity,
                    served=healthy.served_fraction(service.name),
                    headroom=capacity / demand - 1.0,
                    worst_site=worst_site,
                    served_after_worst_site_loss=worst,
                    capped_by=healthy.capped_by(service.name),
                    capped_after_worst_site_loss_by=worst_cap,
                )
            )
    return rows
