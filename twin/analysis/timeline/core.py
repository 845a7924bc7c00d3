"""The event core: one queue of typed events, a clock, a log.

In the manner of SimPy's ``core.py``: the queue holds ``(time, priority, sequence,
event)`` so same-time events have a fixed order (the injected scenario first, then
fire, power, depletion and services, each in the order they were scheduled), and
every scheduled event is an object that knows what it does (:meth:`Scheduled.apply`).
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from twin.analysis.timeline.records import Cause, EventKind, TimelineEvent

if TYPE_CHECKING:
    from twin.analysis.timeline.simulation import Simulation

__all__ = [
    "P_DEPLETION",
    "P_FIRE",
    "P_POWER",
    "P_SCENARIO",
    "P_SERVICE",
    "EventLog",
    "EventQueue",
    "Scheduled",
]

# Priorities order same-time events: injected events first, then physical
# consequences, then completions of what was started earlier.
P_SCENARIO, P_FIRE, P_POWER, P_DEPLETION, P_SERVICE = range(5)


@dataclass
class Scheduled:
    """Something that is going to happen at a moment of the timeline.

    A scheduled event *may happen* once it is in the queue, *is happening* while
    :meth:`apply` runs, and *has happened* after. ``initiator`` is the id of the
    scenario event whose consequences it carries on (None for the injection itself).
    Subclasses override :meth:`apply` only.
    """

    initiator: int | None = field(default=None, kw_only=True)

    def apply(self, sim: Simulation) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(order=True)
class _Entry:
    time: float
    priority: int
    sequence: int
    event: Scheduled = field(compare=False)


class EventQueue:
    """Scheduled events by ``(time, priority, sequence)``."""

    def __init__(self) -> None:
        self._heap: list[_Entry] = []
        self._sequence = itertools.count()

    def schedule(self, time: float, priority: int, event: Scheduled) -> None:
        heapq.heappush(self._heap, _Entry(time, priority, next(self._sequence), event))

    def next_time(self) -> float | None:
        """When the next event happens (None when nothing is scheduled)."""
        return self._heap[0].time if self._heap else None

    def pop_due(self, now: float) -> Scheduled | None:
        """The next event due at or before ``now``, removed from the queue."""
        if self._heap and self._heap[0].time <= now:
            return heapq.heappop(self._heap).event
        return None


class EventLog:
    """The timeline's record: events in order, numbered."""

    def __init__(self) -> None:
        self.events: list[TimelineEvent] = []

    def add(
        self,
        time_s: float,
        kind: EventKind,
        subject: str,
        reason: Cause,
        *,
        trigger: int | None = None,
        initiator: int | None = None,
        site: str | None = None,
        zone: str | None = None,
    ) -> int:
        """Record an event; return its id."""
        event_id = len(self.events)
        self.events.append(
            TimelineEvent(time_s, kind, subject, reason, event_id, trigger, initiator, site, zone)
        )
        return event_id
