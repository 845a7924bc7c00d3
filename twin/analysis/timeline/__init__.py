"""Scenario timelines: inject timed events and follow what fails, when, and why.

A small discrete-event core in the manner of SimPy (:mod:`.core`: one queue of typed
events ordered by ``(time, priority, sequence)``, a log), with subsystems that react
to the steady state the engine computes after every step:

==============  ================================================================
module          what it models
==============  ================================================================
``core``        the queue, scheduled events, the log
``records``     typed events with structured causes; losses; service outcomes
``state``       the physical state between steady states (failures, fuel, energy)
``fire``        fire in a zone, spread through shared space, suppression's cuts
``power``       generators and fuel, UPS batteries, load flow
``cooling``     thermal storage
``services``    re-routing, failover, served fraction at every demand level
``simulation``  the run loop: inject, step, settle
``outcomes``    the :class:`Timeline` assembled from the steady states
==============  ================================================================

Whether a component runs, and what a service serves, is always the engine's answer
(:class:`twin.analysis.engine.Evaluator`); nothing here re-implements a gate.
"""

from twin.analysis.timeline.power import ride_through_s
from twin.analysis.timeline.records import (
    Cause,
    CauseKind,
    EventKind,
    LossPoint,
    ServiceOutcome,
    Timeline,
    TimelineEvent,
    describe,
)
from twin.analysis.timeline.simulation import DEFAULT_HORIZON_S, Simulation, simulate

__all__ = [
    "DEFAULT_HORIZON_S",
    "Cause",
    "CauseKind",
    "EventKind",
    "LossPoint",
    "ServiceOutcome",
    "Simulation",
    "Timeline",
    "TimelineEvent",
    "describe",
    "ride_through_s",
    "simulate",
]
