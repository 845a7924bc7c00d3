"""Reliability inputs: how often components fail, how long they take to restore.

The reference figures ship with dctwin as ``twin/model/data/reliability.yaml``: a
failure rate (per year) and a mean time to restore (hours) per component kind,
generator fail-to-start per demand and fail-to-run per hour, grid outage frequency and
duration, and the frequency of common-cause events (a fire per zone kind, a shared-risk
cut, a site loss), each with its source or marked as an assumption. A fleet may
override any figure per kind or per component (``Fleet.reliability``); a generator's
own ``fail_to_start_prob`` is used as its per-demand figure.

:func:`resolve` turns the reference data and a fleet's overrides into plain numbers
per component, zone, link group and site, each with the source it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml
from pydantic import Field

from twin.model.components import COMPONENT_TYPES, Component
from twin.model.types import Name, StrictModel

if TYPE_CHECKING:
    from twin.model.fleet import Fleet

__all__ = [
    "CommonCauseRates",
    "Figure",
    "KindReliability",
    "ReliabilityData",
    "ReliabilityOverrides",
    "Resolved",
    "UtilityReliability",
    "reference_reliability",
    "resolve",
]

_Rate = float
_HOURS_PER_YEAR = 8760.0


class KindReliability(StrictModel):
    """Failure and restore figures of one component kind (or one component)."""

    failure_rate_per_year: float | None = Field(default=None, ge=0, description="λ, per year.")
    mttr_h: float | None = Field(default=None, gt=0, description="Mean time to restore, h.")
    fail_to_start_per_demand: float | None = Field(
        default=None, ge=0, le=1, description="Generators: probability of failing a start."
    )
    fail_to_run_per_hour: float | None = Field(
        default=None, ge=0, description="Generators: failure rate while running, per hour."
    )
    source: str = Field(default="", max_length=4000, description="Where the figures come from.")


class UtilityReliability(StrictModel):
    outages_per_year: float | None = Field(default=None, ge=0)
    mean_outage_h: float | None = Field(default=None, gt=0)
    source: str = Field(default="", max_length=4000)


class CommonCauseRates(StrictModel):
    zone_fire_per_year: dict[str, float] = Field(
        default_factory=dict, description="Fires per zone-year, per zone kind."
    )
    srlg_cut_per_year: float | None = Field(default=None, ge=0)
    site_loss_per_year: float | None = Field(default=None, ge=0)
    source: str = Field(default="", max_length=4000)


class ReliabilityData(StrictModel):
    """The reference data file."""

    schema_version: str
    description: str = ""
    sources: dict[str, dict[str, object]] = Field(default_factory=dict)
    kinds: dict[str, KindReliability]
    utility: UtilityReliability
    common_cause: CommonCauseRates


class ReliabilityOverrides(StrictModel):
    """A fleet's own figures, over the reference data: per kind, per component, for the
    grid and for common-cause events. Unset fields keep the reference figure."""

    kinds: dict[str, KindReliability] = Field(default_factory=dict)
    components: dict[Name, KindReliability] = Field(default_factory=dict)
    utility: UtilityReliability | None = None
    common_cause: CommonCauseRates | None = None


@cache
def reference_reliability() -> ReliabilityData:
    """The reliability data shipped with dctwin (``twin/model/data/reliability.yaml``)."""
    text = resources.files("twin.model").joinpath("data/reliability.yaml").read_text("utf-8")
    data = ReliabilityData.model_validate(yaml.safe_load(text))
    missing = sorted(set(COMPONENT_TYPES) - set(data.kinds))
    if missing:
        raise ValueError(f"reliability data lacks kinds: {', '.join(missing)}")
    return data


@dataclass(frozen=True)
class Figure:
    """A resolved number and where it came from."""

    value: float
    source: str


@dataclass(frozen=True)
class Resolved:
    """Per component: failure rate per hour, mean restore time in hours, and for
    generators the per-demand and per-running-hour failure figures; per site the grid;
    per zone kind the fire rate; the link-group and site-loss rates (all per hour)."""

    rate_per_h: dict[str, Figure]
    mttr_h: dict[str, Figure]
    fail_to_start: dict[str, Figure]
    fail_to_run_per_h: dict[str, Figure]
    utility_rate_per_h: Figure
    utility_mean_h: Figure
    zone_fire_per_h: dict[str, Figure]
    srlg_cut_per_h: Figure
    site_loss_per_h: Figure

    def unavailability(self, name: str) -> float:
        """Steady-state unavailability of an alternating up/down component: λr/(1+λr)."""
        lam = self.rate_per_h[name].value
        r = self.mttr_h[name].value
        return lam * r / (1.0 + lam * r)


def _pick(field: str, *layers: tuple[KindReliability | None, str]) -> Figure:
    for layer, where in layers:
        if layer is not None and getattr(layer, field) is not None:
            return Figure(float(getattr(layer, field)), layer.source or where)
    raise ValueError(f"no {field} for {layers[-1][1]}")


def _repair_h(
    fleet: Fleet, comp: Component, layers: tuple[tuple[KindReliability | None, str], ...]
) -> Figure:
    """Mean time to restore: the component's ``repair_s``, the fleet's
    ``recovery.repair_s`` for its kind, then the reliability layers."""
    if comp.repair_s is not None:
        return Figure(comp.repair_s / 3600.0, f"{comp.name}.repair_s")
    if comp.kind in fleet.recovery.repair_s:
        return Figure(fleet.recovery.repair_s[comp.kind] / 3600.0, f"recovery.repair_s.{comp.kind}")
    return _pick("mttr_h", *layers)


def resolve(fleet: Fleet, data: ReliabilityData | None = None) -> Resolved:
    """Resolve the figures of every component of ``fleet``: per component, then per kind
    (the fleet's ``reliability`` overrides), then the reference data. Restore times come
    first from the recovery model (a component's ``repair_s``, ``recovery.repair_s``), so
    timelines and availability repair alike; a generator's own ``fail_to_start_prob`` is
    its per-demand figure."""
    data = data or reference_reliability()
    over = fleet.reliability or ReliabilityOverrides()
    rate: dict[str, Figure] = {}
    mttr: dict[str, Figure] = {}
    fts: dict[str, Figure] = {}
    ftr: dict[str, Figure] = {}
    for _, comp in fleet.components():
        name, kind = comp.name, comp.kind
        layers = (
            (over.components.get(name), f"{name} (fleet reliability)"),
            (over.kinds.get(kind), f"{kind} (fleet reliability)"),
            (data.kinds[kind], f"{kind} (reference data)"),
        )
        per_year = _pick("failure_rate_per_year", *layers)
        rate[name] = Figure(per_year.value / _HOURS_PER_YEAR, per_year.source)
        mttr[name] = _repair_h(fleet, comp, layers)
        if kind == "generator":
            own_fts = getattr(comp, "fail_to_start_prob", None)
            own = over.components.get(name)
            if own_fts is not None and (own is None or own.fail_to_start_per_demand is None):
                fts[name] = Figure(own_fts, f"{name}.fail_to_start_prob")
            else:
                fts[name] = _pick("fail_to_start_per_demand", *layers)
            ftr[name] = _pick("fail_to_run_per_hour", *layers)
    utility = over.utility or UtilityReliability()
    cc = over.common_cause or CommonCauseRates()
    ref_u, ref_cc = data.utility, data.common_cause

    def either(mine: float | None, ref: float | None, source: str, ref_source: str) -> Figure:
        if mine is not None:
            return Figure(mine, source or "fleet reliability")
        assert ref is not None
        return Figure(ref, ref_source)

    def hourly(figure: Figure) -> Figure:
        return Figure(figure.value / _HOURS_PER_YEAR, figure.source)

    u_src, cc_src = utility.source, cc.source
    fires = dict(ref_cc.zone_fire_per_year)
    fires.update(cc.zone_fire_per_year)
    return Resolved(
        rate_per_h=rate,
        mttr_h=mttr,
        fail_to_start=fts,
        fail_to_run_per_h=ftr,
        utility_rate_per_h=hourly(
            either(utility.outages_per_year, ref_u.outages_per_year, u_src, ref_u.source)
        ),
        utility_mean_h=either(utility.mean_outage_h, ref_u.mean_outage_h, u_src, ref_u.source),
        zone_fire_per_h={
            kind: Figure(value / _HOURS_PER_YEAR, cc_src or ref_cc.source)
            for kind, value in fires.items()
        },
        srlg_cut_per_h=hourly(
            either(cc.srlg_cut_per_year, ref_cc.srlg_cut_per_year, cc_src, ref_cc.source)
        ),
        site_loss_per_h=hourly(
            either(cc.site_loss_per_year, ref_cc.site_loss_per_year, cc_src, ref_cc.source)
        ),
    )
