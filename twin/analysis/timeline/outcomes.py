"""From the steady states a simulation went through to a :class:`Timeline`: IT lost over
time, and per service its downtime, degraded time and lowest / final served fraction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from twin.analysis.engine import Evaluation
from twin.analysis.graph import EPSILON
from twin.analysis.timeline.records import (
    CauseKind,
    EventKind,
    LossPoint,
    ServiceOutcome,
    Timeline,
)
from twin.model import RackRow, Service
from twin.model.scenarios import Surge

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = ["Segment", "assemble"]


@dataclass(frozen=True)
class Segment:
    """The steady state from ``start_s`` until the next segment (or the horizon), and the
    inputs the engine evaluated it from (so an oracle can check it)."""

    start_s: float
    evaluation: Evaluation
    served: dict[str, dict[str, float]]
    excluded: frozenset[str] = frozenset()
    held: tuple[str, ...] = ()
    promoted: frozenset[str] = frozenset()
    rebuilt: frozenset[str] = frozenset()


def assemble(sim: Simulation, segments: list[Segment], levels: list[str]) -> Timeline:
    """The :class:`Timeline` of a finished simulation."""
    end = sim.horizon
    twin = sim.twin
    services = twin.fleet.services
    rows = [(twin.graph.component_index[n], row) for n, row in twin.all(RackRow).items()]
    losses: list[LossPoint] = []
    outcomes = {s.name: ServiceOutcome(s.name, slo=s.slo) for s in services}
    lowest: dict[str, float] = {s.name: 1.0 for s in services}
    history: dict[str, list[tuple[float, float]]] = {s.name: [] for s in services}
    surges = [(e.at_s, e.surge) for e in sim.spec.events if isinstance(e, Surge)]
    for k, segment in enumerate(segments):
        start, up, served = segment.start_s, segment.evaluation.up, segment.served
        stop = segments[k + 1].start_s if k + 1 < len(segments) else end
        span = max(0.0, min(stop, end) - start)
        lost = [row for i, row in rows if not up[i]]
        point = LossPoint(
            start,
            len(lost),
            sum(r.racks for r in lost),
            sum(r.servers for r in lost),
            sum(r.it_load_kw for r in lost),
        )
        if not losses or (losses[-1].rows, losses[-1].servers) != (point.rows, point.servers):
            losses.append(point)
        scenario_level = "baseline"  # the scenario's demand level: surge events switch it
        for at_s, surge in surges:
            if at_s <= start:
                scenario_level = surge
        for service in services:
            out = outcomes[service.name]
            value = served[scenario_level][service.name] if scenario_level in served else 1.0
            history[service.name].append((start, value))
            if value <= EPSILON:
                out.downtime_s += span
                if out.first_down_s is None:
                    out.first_down_s = start
            elif value < service.slo - EPSILON:
                out.degraded_s += span
            if value < lowest[service.name] - EPSILON:
                lowest[service.name] = value
                out.capped_by = segment.evaluation.capped_by(service.name)
            if out.first_down_s is not None and value > EPSILON and out.restored_s is None:
                out.restored_s = start
            for level in levels:
                if level in served:
                    now = served[level][service.name]
                    prev = out.min_served.get(level, 1.0)
                    out.min_served[level] = min(prev, now)
                    series = out.served_over_time.setdefault(level, [])
                    if not series or abs(series[-1][1] - now) > EPSILON:
                        series.append((start, now))
    names = twin.graph.component_names
    states: list[tuple[float, list[str]]] = []
    for segment in segments:
        down = [names[i] for i in np.flatnonzero(~segment.evaluation.up)]
        if not states or states[-1][1] != down:
            states.append((segment.start_s, down))
    final = segments[-1]
    for level in levels:
        last = final.served.get(level) or sim.services.served_at(level)
        for service in services:
            outcomes[service.name].final_served[level] = last[service.name]
            outcomes[service.name].min_served.setdefault(level, last[service.name])
    scenario_now = final.served.get(levels[0]) or {}
    for service in services:
        out = outcomes[service.name]
        out.final_headroom.update(_headroom(sim, final.evaluation, service, levels))
        out.down_at_horizon = scenario_now.get(service.name, 1.0) <= EPSILON
        out.capped_by = final.evaluation.capped_by(service.name) or out.capped_by
        out.rto = _rto(history[service.name], service.slo)
        out.rpo_s, out.rpo_basis = _rpo(sim, segments, service, history[service.name])
    assert sim.initial is not None
    before = sim.initial.up  # standby generators are dark by design
    whole = [
        bool((segment.evaluation.up >= before).all())
        and all(v >= 1 - EPSILON for v in (segment.served.get(levels[0]) or {}).values())
        for segment in segments
    ]
    restored_s = None
    if whole[-1] and not all(whole):
        last_broken = max(k for k, ok in enumerate(whole) if not ok)
        restored_s = segments[last_broken + 1].start_s
    return Timeline(
        restored_s=restored_s,
        fleet=twin.fleet.name,
        scenario=sim.spec.name,
        description=sim.spec.description,
        horizon_s=end,
        surge=sim.state.surge_name,
        events=sim.events.events,
        losses=losses,
        services=list(outcomes.values()),
        down_at_end=sorted(names[i] for i in np.flatnonzero(~final.evaluation.up)),
        demand_levels=levels,
        states=states,
    )


def _headroom(
    sim: Simulation, evaluation: Evaluation, service: Service, levels: list[str]
) -> dict[str, float]:
    """Live capacity over demand − 1 per level at the end (negative: short)."""
    live = sim.services.live(evaluation, service.name)
    promoted = service.name in sim.state.promoted
    rebuilt = service.name in sim.state.rebuilt
    capacity = sum(
        r.capacity_rps * v
        for r, v in zip(service.replicas, live, strict=True)
        if r.role == "active"
        or (r.role == "standby" and promoted)
        or (r.role == "rebuild" and rebuilt)
    )
    out: dict[str, float] = {}
    for level in levels:
        multiplier = 1.0 if level == "baseline" else float(service.surges.get(level, 1.0))
        out[level] = capacity / (service.demand_rps * multiplier) - 1.0
    return out


def _rto(history: list[tuple[float, float]], slo: float) -> dict[str, float | None]:
    """When (from the scenario start) the service is back to partial service, to its SLO
    and to full service after first falling below each; None where it never fell below,
    ``inf`` where it had not recovered by the end of the run."""

    def back(below: float, restored: float) -> float | None:
        fell = next((k for k, (_, v) in enumerate(history) if v < below - EPSILON), None)
        if fell is None:
            return None
        return next((t for t, v in history[fell + 1 :] if v >= restored - EPSILON), float("inf"))

    return {
        "partial_s": back(EPSILON * 2, EPSILON * 2),
        "slo_s": back(slo, slo),
        "full_s": back(1.0, 1.0),
    }


def _rpo(
    sim: Simulation,
    segments: list[Segment],
    service: Service,
    history: list[tuple[float, float]],
) -> tuple[float | None, str]:
    """The data-loss window of a scenario, from the service's replication mode."""
    holders = [
        (k, r) for k, r in enumerate(service.replicas) if r.stores_data and r.role != "rebuild"
    ]
    if not holders:
        return None, "stateless: no replica stores data"
    live = [sim.services.live(s.evaluation, service.name) for s in segments]
    lost = {k for k, _ in holders if any(v[k] <= EPSILON for v in live)}
    if not lost:
        return 0.0, "no data copy was lost"
    burnt = {
        e.subject
        for e in sim.events.events
        if e.kind == EventKind.COMPONENT_DOWN and e.cause_kind == CauseKind.FIRE
    }
    destroyed = any(any(row in burnt for row in service.replicas[k].rows) for k in lost)
    served_without = any(
        value > EPSILON and any(live[i][k] <= EPSILON for k in lost)
        for i, (_, value) in enumerate(history)
    )
    if service.replication == "synchronous":
        return 0.0, "synchronous replication: every write was on a surviving copy"
    if service.replication == "asynchronous":
        if destroyed or served_without:
            return service.replication_lag_s, "asynchronous replication: the lag was lost"
        return 0.0, "the lost copy came back intact before anyone wrote elsewhere"
    if destroyed:
        return service.backup_interval_s, "single copy destroyed: back to the last backup"
    return 0.0, "single copy unavailable but intact"
