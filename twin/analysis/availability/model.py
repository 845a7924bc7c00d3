"""The reliability model every availability method shares, and what "available" means.

Model (one for the exact, analytic and Monte Carlo methods)
------------------------------------------------------------
* Every component fails and is restored as an alternating renewal process with
  exponential times: failure rate λ and mean time to restore r from the resolved
  reliability figures (:func:`twin.model.reliability.resolve`); a utility feed uses the
  grid's outage rate and mean duration. Steady-state unavailability q = λr / (1 + λr).
* Generators also fail *on demand*: while every utility feed of their site is out, a
  generator that is not otherwise failed fails with probability
  p_d = p_fts + (1 − p_fts) · λ_run μ / (1 + λ_run μ) (fails to start, or fails to run
  before the grid returns, μ being the mean grid outage), until the grid is back.
* Common-cause events fail a group together: a fire in a room (with the spread and
  power cut its zone allows, :mod:`twin.analysis.fire`) at the zone kind's fire rate, a
  shared-risk link-group cut at the cut rate, a site loss at the site-loss rate. Each
  member is restored after its own mean time to restore (after the fire burns out, for
  a fire); a lost site after :data:`SITE_LOSS_H`.

What is judged (the *criteria*)
--------------------------------
* a site's IT load is available while every rack row that is up with nothing failed
  is up, save rows that failed themselves (a row's own fault is not its site's: as in
  the contingency analysis, harm is what a failure does beyond itself);
* a service is available while its served fraction at baseline demand is at least its
  SLO.

Both are steady-state verdicts of the engine (after automated failover), as in the
contingency analysis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from twin.analysis.engine import BatchEvaluation
from twin.analysis.fire import fire_origins, fire_reach
from twin.analysis.graph import EPSILON
from twin.analysis.interaction import service_inputs
from twin.analysis.timeline import simulate
from twin.analysis.timeline.records import EventKind
from twin.analysis.twin import Twin
from twin.model import scenarios as sc
from twin.model.reliability import Resolved

__all__ = [
    "SITE_LOSS_H",
    "CommonCause",
    "Criterion",
    "Process",
    "ReliabilityModel",
]

SITE_LOSS_H = 168.0
"""Hours a lost site takes to come back (assumption: a week)."""


@dataclass(frozen=True)
class Criterion:
    """One thing whose availability is reported: a site's IT load or a service."""

    kind: str  # "site" or "service"
    name: str

    @property
    def label(self) -> str:
        return f"{self.name} IT load" if self.kind == "site" else self.name


@dataclass(frozen=True)
class CommonCause:
    """A group of components that one event fails together, and how often it happens."""

    kind: str  # "fire", "srlg", "site"
    label: str
    members: tuple[int, ...]
    rate_per_h: float
    duration_h: float
    source: str


@dataclass(frozen=True)
class Process:
    """Something that fails and is restored as an alternating renewal process: one
    component, or a common-cause event failing its members together."""

    kind: str  # "component", "fire", "srlg", "site"
    label: str
    members: tuple[int, ...]
    rate_per_h: float
    mean_h: float

    @property
    def q(self) -> float:
        """Steady-state unavailability λr / (1 + λr)."""
        lr = self.rate_per_h * self.mean_h
        return lr / (1.0 + lr)


@dataclass
class ReliabilityModel:
    """The resolved figures of a compiled fleet, indexed like its compiled graph."""

    twin: Twin

    @property
    def figures(self) -> Resolved:
        return self.twin.reliability

    # ------------------------------------------------------------------ per component

    @cached_property
    def rate(self) -> np.ndarray:
        """Failure rate per hour of each component (compiled order)."""
        f = self.figures
        names = self.twin.graph.component_names
        kinds = self.twin.graph.component_kind
        return np.array(
            [
                f.utility_rate_per_h.value
                if kinds[i] == "utility_feed" and not self._own_feed_figure(n)
                else f.rate_per_h[n].value
                for i, n in enumerate(names)
            ]
        )

    @cached_property
    def mttr(self) -> np.ndarray:
        """Mean time to restore of each component, hours."""
        f = self.figures
        names = self.twin.graph.component_names
        kinds = self.twin.graph.component_kind
        return np.array(
            [
                f.utility_mean_h.value
                if kinds[i] == "utility_feed" and not self._own_feed_figure(n)
                else f.mttr_h[n].value
                for i, n in enumerate(names)
            ]
        )

    def _own_feed_figure(self, name: str) -> bool:
        over = self.twin.fleet.reliability
        return over is not None and name in over.components

    @cached_property
    def q(self) -> np.ndarray:
        """Steady-state unavailability of each component: λr / (1 + λr)."""
        lr = self.rate * self.mttr
        out: np.ndarray = lr / (1.0 + lr)
        return out

    @cached_property
    def grid_out_mean_h(self) -> np.ndarray:
        """Per site: the mean length of a spell with every utility feed out. With
        exponential restores the spell ends when the first feed returns, at the sum of
        their restore rates (memorylessness)."""
        out = np.full(self.twin.graph.n_sites, self.figures.utility_mean_h.value)
        for s, feeds in enumerate(self.site_feeds):
            if feeds:
                out[s] = 1.0 / float(np.sum(1.0 / self.mttr[feeds]))
        return out

    @cached_property
    def demand_failure(self) -> np.ndarray:
        """Per component: the share of a grid-out spell it spends failed on demand (0 for
        anything but a generator): p_fts + (1 − p_fts) · λ_run m / (1 + λ_run m), with m
        its site's mean grid-out spell. It fails to start, or fails while running and
        stays down until the grid returns: with exponential spells the expected failed
        share of a spell is exactly that."""
        out = np.zeros(self.twin.graph.n_components)
        index = self.twin.graph.component_index
        for name, fts in self.figures.fail_to_start.items():
            i = index[name]
            m = self.grid_out_mean_h[self.generator_site[i]]
            run = self.figures.fail_to_run_per_h[name].value * m
            out[i] = fts.value + (1.0 - fts.value) * run / (1.0 + run)
        return out

    @cached_property
    def ride_through_h(self) -> np.ndarray:
        """Per site: hours its UPS batteries carry the load when the grid goes and no
        generator starts, measured with the timeline (the first rack row lost in a
        utility loss with every generator failing to start); 0 without batteries.
        Only the Monte Carlo method uses it: a shorter grid-out spell costs nothing."""
        g = self.twin.graph
        out = np.zeros(g.n_sites)
        battery_sites = {
            int(g.component_site[i]) for i, k in enumerate(g.component_kind) if k == "battery"
        }
        for s in sorted(battery_sites):
            if self.site_feeds[s]:
                out[s] = _ride_through_h(self.twin, g.site_names[s])
        return out

    @cached_property
    def site_feeds(self) -> list[list[int]]:
        """Per site (compiled order): its utility feeds."""
        g = self.twin.graph
        feeds: list[list[int]] = [[] for _ in g.site_names]
        for i, kind in enumerate(g.component_kind):
            if kind == "utility_feed":
                feeds[int(g.component_site[i])].append(i)
        return feeds

    @cached_property
    def generator_site(self) -> dict[int, int]:
        g = self.twin.graph
        return {
            i: int(g.component_site[i])
            for i, kind in enumerate(g.component_kind)
            if kind == "generator"
        }

    # ------------------------------------------------------------------ common cause

    @cached_property
    def common_causes(self) -> list[CommonCause]:
        """Every common-cause event with a rate: room fires, link-group cuts, site losses."""
        twin, f = self.twin, self.figures
        index = twin.graph.component_index
        burn_h = twin.fleet.recovery.fire_burn_s / 3600.0
        out: list[CommonCause] = []
        for site in twin.fleet.sites:
            kinds = {z.name: z.kind for z in site.zones}
            for origin in fire_origins(site):
                rate = f.zone_fire_per_h.get(kinds[origin])
                reach = fire_reach(site, origin)
                if rate is None or rate.value <= 0 or not reach.components:
                    continue
                members = tuple(index[n] for n in reach.components)
                duration = burn_h + float(np.max(self.mttr[list(members)]))
                out.append(
                    CommonCause(
                        "fire",
                        f"fire in {site.name}/{origin}",
                        members,
                        rate.value,
                        duration,
                        rate.source,
                    )
                )
        groups: dict[str, list[int]] = {}
        for _, comp in twin.fleet.components():
            for group in getattr(comp, "srlg", ()):
                groups.setdefault(group, []).append(index[comp.name])
        for group in sorted(groups) if f.srlg_cut_per_h.value > 0 else ():
            members = tuple(groups[group])
            out.append(
                CommonCause(
                    "srlg",
                    f"cut of {group}",
                    members,
                    f.srlg_cut_per_h.value,
                    float(np.max(self.mttr[list(members)])),
                    f.srlg_cut_per_h.source,
                )
            )
        for site in twin.fleet.sites if f.site_loss_per_h.value > 0 else ():
            members = tuple(index[c.name] for c in site.components)
            out.append(
                CommonCause(
                    "site",
                    f"loss of site {site.name}",
                    members,
                    f.site_loss_per_h.value,
                    SITE_LOSS_H,
                    f.site_loss_per_h.source,
                )
            )
        return out

    @cached_property
    def base(self) -> list[int]:
        """Components never counted on in steady state (thermal storage): always failed."""
        index = self.twin.graph.component_index
        return sorted(index[name] for name in self.twin.transient_sources)

    @cached_property
    def processes(self) -> list[Process]:
        """Everything that fails at random: each component with a failure rate (thermal
        storage aside), then each common-cause event."""
        names = self.twin.graph.component_names
        base = set(self.base)
        own = [
            Process("component", names[i], (i,), float(self.rate[i]), float(self.mttr[i]))
            for i in range(len(names))
            if self.rate[i] > 0 and i not in base
        ]
        shared = [
            Process(cc.kind, cc.label, cc.members, cc.rate_per_h, cc.duration_h)
            for cc in self.common_causes
        ]
        return own + shared

    # ------------------------------------------------------------------ criteria

    @cached_property
    def criteria(self) -> list[Criterion]:
        g = self.twin.graph
        sites = [
            Criterion("site", name)
            for s, name in enumerate(g.site_names)
            if (self._baseline_rows & (g.component_site == s)).any()
        ]
        return [*sites, *(Criterion("service", name) for name in g.service_names)]

    @cached_property
    def _baseline_rows(self) -> np.ndarray:
        g = self.twin.graph
        up: np.ndarray = g.is_row & self.twin.evaluator.baseline.up
        return up

    @cached_property
    def _service_inputs(self) -> np.ndarray:
        return service_inputs(self.twin)

    @cached_property
    def _base_served(self) -> np.ndarray:
        return self.twin.evaluator.evaluate(list(self.base)).served

    @cached_property
    def _slo(self) -> np.ndarray:
        return np.array([s.slo for s in self.twin.fleet.services])

    @cached_property
    def _row_column(self) -> np.ndarray:
        """Per component: the criterion column of its site's IT load if it is a rack row
        up at baseline, else -1."""
        g = self.twin.graph
        column = {c.name: k for k, c in enumerate(self.criteria) if c.kind == "site"}
        out = np.full(g.n_components, -1, dtype=np.int64)
        for i in np.flatnonzero(self._baseline_rows):
            out[i] = column[g.site_names[int(g.component_site[i])]]
        return out

    def failing(self, batch: BatchEvaluation, excused: Sequence[Sequence[int]]) -> np.ndarray:
        """Per scenario of ``batch`` and criterion: does the criterion fail? The rack rows
        ``excused`` in a scenario (those that failed on their own) do not fail their site."""
        n = self.twin.graph.n_components
        out = np.zeros((len(batch), len(self.criteria)), dtype=bool)
        scenario = np.repeat(np.arange(len(batch)), batch.down_counts())
        column = self._row_column[batch.down_idx]
        hit = column >= 0
        sizes = [len(s) for s in excused]
        own = np.repeat(np.arange(len(excused)), sizes) * n + np.fromiter(
            (c for s in excused for c in s), dtype=np.int64, count=sum(sizes)
        )
        hit &= ~np.isin(scenario * n + batch.down_idx, own)
        out[scenario[hit], column[hit]] = True
        n_sites = len(self.criteria) - self.twin.graph.n_services
        if self.twin.graph.n_services:
            out[:, n_sites:] = batch.served < self._slo - EPSILON
        return out

    def judge(self, processes: Sequence[Process], failed: Sequence[Sequence[int]]) -> np.ndarray:
        """Per set of failed ``processes`` (indices) and criterion: does the criterion
        fail? A rack row failed by its own process is excused unless a common-cause event
        failed it too."""
        is_row = self.twin.graph.is_row
        sets: list[list[int]] = []
        excused: list[list[int]] = []
        for chosen in failed:
            members = {m for j in chosen for m in processes[j].members}
            shared = {
                m for j in chosen if processes[j].kind != "component" for m in processes[j].members
            }
            sets.append(sorted(members))
            excused.append(
                [
                    m
                    for j in chosen
                    if processes[j].kind == "component"
                    for m in processes[j].members
                    if is_row[m] and m not in shared
                ]
            )
        return self.failing_sets(sets, excused)

    def failing_sets(
        self, sets: Sequence[Sequence[int]], excused: Sequence[Sequence[int]] | None = None
    ) -> np.ndarray:
        """Per failure set (component indices; thermal storage is added) and criterion:
        does the criterion fail? ``excused``: per set, the rack rows that failed on their
        own (default: every row in the set)."""
        if not sets:
            return np.zeros((0, len(self.criteria)), dtype=bool)
        # components for every set at once; services settled only where a set takes down
        # something they read (elsewhere they are as at the baseline)
        ev = self.twin.evaluator
        g = self.twin.graph
        ptr, down = ev.down_deltas(sets, self.base)
        owner = np.repeat(np.arange(len(sets)), np.diff(ptr))
        reads = np.zeros(len(sets), dtype=bool)
        np.logical_or.at(reads, owner, self._service_inputs[down])
        served = np.repeat(self._base_served[None, :], len(sets), axis=0)
        settle = np.flatnonzero(reads)
        if settle.size and g.n_services:
            served[settle] = ev.served_after(ptr, down, settle, self.base)
        batch = BatchEvaluation(g, ptr, down, served, np.zeros(served.shape, dtype=bool))
        if excused is None:
            is_row = self.twin.graph.is_row
            excused = [[c for c in s if is_row[c]] for s in sets]
        return self.failing(batch, excused)


_RIDE_THROUGH_PROBE_H = 4.0
"""How long the ride-through probe runs; batteries that last longer count as this."""


def _ride_through_h(twin: Twin, site: str) -> float:
    generators = [c.name for c in twin.of_kind("generator") if twin.index[c.name][0].name == site]
    events: list[sc.Event] = [sc.UtilityLoss(site=site)]
    if generators:
        events.append(sc.GeneratorFailToStart(generators=generators))
    spec = sc.ScenarioSpec(name=f"ride-through-{site}", events=events)
    timeline = simulate(twin, spec, horizon_s=_RIDE_THROUGH_PROBE_H * 3600.0)
    rows = {c.name for c in twin.of_kind("rack_row")}
    lost = [
        e.time_s
        for e in timeline.events
        if e.kind == EventKind.COMPONENT_DOWN and e.subject in rows
    ]
    return min(lost, default=_RIDE_THROUGH_PROBE_H * 3600.0) / 3600.0
