"""Services over time: re-routing, failover, served fraction at every demand level.

Active-standby services whose active replicas lose capacity fail over after
``failover_time_s`` if their failover controller is serving at that moment and
(for a service that needs the network) reaches a standby replica's site, else
after ``manual_recovery_s``. Active-active services lose the traffic routed to a
failed replica until it is re-routed ``failover_time_s`` later: meanwhile their own
served fraction is capped at the share routed to live replicas, and the engine
carries that cap through their dependants like any other shortfall. A replica the
network stops (its site lost its users, or it is on the minority side of a
partition) is lost like a failed one: its live fraction here is the engine's
:meth:`~twin.analysis.engine.Evaluation.replica_serving`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from twin.analysis.engine import Evaluation
from twin.analysis.graph import EPSILON
from twin.analysis.timeline.core import P_SERVICE, Scheduled
from twin.analysis.timeline.records import Cause, CauseKind, EventKind, cause

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = ["FailoverDone", "RebuildDone", "Rebuilds", "RerouteDone", "ServiceSystem"]

Served = dict[str, dict[str, float]]
"""Demand level → service → served fraction."""


@dataclass
class RerouteDone(Scheduled):
    """Traffic has been re-routed away from a lost replica."""

    def apply(self, sim: Simulation) -> None:
        """Nothing to do: the settle after every step lifts the expired cap."""


@dataclass
class RebuildDone(Scheduled):
    """A service is rebuilt on its spare capacity elsewhere (its rebuild replicas)."""

    service: str

    def apply(self, sim: Simulation) -> None:
        sim.rebuilds.done(self)


@dataclass
class FailoverDone(Scheduled):
    """An active-standby service's standby replicas take over."""

    service: str
    how: Cause

    def apply(self, sim: Simulation) -> None:
        sim.services.failover_done(self)


class ServiceSystem:
    """Failover, re-routing and the served fraction of every service over time."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state
        twin = sim.twin
        self.services = twin.fleet.services
        g = twin.graph
        self._replicas = {
            s.name: list(range(int(g.service_replica_ptr[i]), int(g.service_replica_ptr[i + 1])))
            for i, s in enumerate(self.services)
        }
        self.failover_pending: set[str] = set()
        self.reroute_until: dict[str, float] = {}
        self.prev_live: dict[str, list[float]] = {}
        self.prev_served: dict[str, float] = {s.name: 1.0 for s in self.services}

    def live(self, evaluation: Evaluation, service: str) -> list[float]:
        """Live fraction of each replica of ``service`` (0 where the network stops it)."""
        return [evaluation.replica_serving(r) for r in self._replicas[service]]

    def update(self, evaluation: Evaluation, levels: list[str]) -> Served:
        """Served fractions now at every level (capped while re-routing); start
        failovers; log what changed. Failovers are decided at the scenario's demand."""
        current = levels[0]
        self._note_lost_replicas(evaluation)
        steady = {
            level: self._by_name(evaluation) if level == "baseline" else self.served_at(level)
            for level in levels
        }
        caps = self._reroute_caps(evaluation)
        served = {level: self.served_at(level, caps) if caps else steady[level] for level in levels}
        self._log(served[current])
        self._start_failovers(steady[current], evaluation)
        self.sim.rebuilds.start(served[current])
        return served

    def _note_lost_replicas(self, evaluation: Evaluation) -> None:
        sim = self.sim
        for service in self.services:
            live = self.live(evaluation, service.name)
            before = self.prev_live.get(service.name, [1.0] * len(live))
            lost = any(
                now < prev - EPSILON and r.role == "active"
                for now, prev, r in zip(live, before, service.replicas, strict=True)
            )
            if lost and service.failover_time_s > 0 and service.mode == "active_active":
                self.reroute_until[service.name] = sim.now + service.failover_time_s
                sim.queue.schedule(
                    sim.now + service.failover_time_s,
                    P_SERVICE,
                    RerouteDone(initiator=sim.initiator),
                )
            self.prev_live[service.name] = live

    def served_at(
        self, level: str, caps: Mapping[str | int, float] | None = None
    ) -> dict[str, float]:
        """Steady served fractions at a demand level (each service at its own multiplier)."""
        surge: float | str = 1.0 if level == "baseline" else level
        return self._by_name(self.sim.evaluate(surge=surge, caps=caps))

    def _by_name(self, evaluation: Evaluation) -> dict[str, float]:
        return {s.name: evaluation.served_fraction(s.name) for s in self.services}

    def _reroute_caps(self, evaluation: Evaluation) -> dict[str | int, float]:
        """Services still re-routing: the share of their traffic routed to live replicas."""
        caps: dict[str | int, float] = {}
        for service in self.services:
            until = self.reroute_until.get(service.name)
            if until is None or until <= self.sim.now:
                continue
            live = self.live(evaluation, service.name)
            active = [
                (r, v) for r, v in zip(service.replicas, live, strict=True) if r.role == "active"
            ]
            total = sum(r.capacity_rps for r, _ in active)
            caps[service.name] = sum(r.capacity_rps / total * v for r, v in active)
        return caps

    def _log(self, served: dict[str, float]) -> None:
        sim = self.sim
        for service in self.services:
            before = self.prev_served[service.name]
            now = served[service.name]
            if abs(now - before) <= EPSILON:
                continue
            if now <= EPSILON:
                kind = EventKind.SERVICE_DOWN
            elif now >= 1 - EPSILON:
                kind = EventKind.SERVICE_RESTORED
            else:
                kind = EventKind.SERVICE_DEGRADED
            sim.log(
                kind,
                service.name,
                cause(CauseKind.SERVED_CHANGED, before=before, now=now),
                initiator=sim.initiator,
            )
            self.prev_served[service.name] = now

    def _start_failovers(self, steady: dict[str, float], evaluation: Evaluation) -> None:
        sim, state = self.sim, self.state
        reachable = evaluation.failover_reachable
        assert reachable is not None, "the timeline evaluates with Evaluator.evaluate"
        for service in self.services:
            if service.mode != "active_standby" or service.name in state.promoted:
                continue
            if service.name in self.failover_pending:
                continue
            live = self.prev_live[service.name]
            active_lost = any(
                v < 1.0 - EPSILON
                for v, r in zip(live, service.replicas, strict=True)
                if r.role == "active"
            )
            if not active_lost:
                continue
            controller = service.failover_controller
            index = self.sim.twin.graph.service_index[service.name]
            if controller is not None and steady[controller] > 0 and reachable[index]:
                delay, how = (
                    service.failover_time_s,
                    cause(CauseKind.FAILOVER_AUTOMATED, controller),
                )
            else:
                # A serving controller that cannot reach a standby site (partitioned).
                detail = {"unreachable": True} if controller and steady[controller] > 0 else {}
                delay, how = (
                    service.manual_recovery_s,
                    cause(CauseKind.FAILOVER_MANUAL, controller, **detail),
                )
            self.failover_pending.add(service.name)
            sim.log(EventKind.FAILOVER_STARTED, service.name, how, initiator=sim.initiator)
            sim.queue.schedule(
                sim.now + delay, P_SERVICE, FailoverDone(service.name, how, initiator=sim.initiator)
            )

    def failover_done(self, event: FailoverDone) -> None:
        if event.service in self.failover_pending:
            self.failover_pending.discard(event.service)
            self.state.promoted.add(event.service)
            self.sim.log(
                EventKind.FAILOVER_COMPLETE, event.service, event.how, initiator=event.initiator
            )


class Rebuilds:
    """Services rebuilt by hand on spare capacity elsewhere, ``rebuild_after_s`` after
    they went down (their ``rebuild`` replicas count from then on)."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.state = sim.state
        self.services = sim.twin.fleet.services
        self.pending: set[str] = set()

    def start(self, served: dict[str, float]) -> None:
        """A service down with a rebuild plan is rebuilt ``rebuild_after_s`` later."""
        sim = self.sim
        for service in self.services:
            name = service.name
            if service.rebuild_after_s is None or served[name] > EPSILON:
                continue
            if name in self.state.rebuilt or name in self.pending:
                continue
            self.pending.add(name)
            sim.queue.schedule(
                sim.now + service.rebuild_after_s,
                P_SERVICE,
                RebuildDone(name, initiator=sim.initiator),
            )

    def done(self, event: RebuildDone) -> None:
        self.pending.discard(event.service)
        service = next(s for s in self.services if s.name == event.service)
        if self.sim.services.prev_served[service.name] >= 1 - EPSILON:
            return  # back on its own before the rebuild was done
        self.state.rebuilt.add(service.name)
        sites = sorted({r.site for r in service.replicas if r.role == "rebuild"})
        self.sim.log(
            EventKind.SERVICE_REBUILT,
            service.name,
            cause(
                CauseKind.REBUILT,
                ", ".join(sites),
                seconds=service.rebuild_after_s,
                service=service.name,
            ),
            initiator=event.initiator,
        )
