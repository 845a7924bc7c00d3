"""Reusable builders for datacenter definitions: power trains, cooling plants, networks.

A stack is a handful of calls to these patterns instead of a thousand hand-written
components. Each pattern adds zones-placed components to a :class:`SiteBuilder` and
wires their requirements as threshold gates (see :mod:`twin.model`).

The modelling rule every pattern follows: a requirement is a gate evaluated per
consumer, so **capacity is checked at aggregation points**, never per leaf consumer:

* power — each UPS block side (a hall, or the UPS-backed "support" loads) has an
  output bus (a :class:`~twin.model.Switchgear`) whose capacity gate over its UPS
  modules is the full block load; PDUs need their bus (count gate); a rack row needs
  at least one of its A and B PDUs (A/B cords). The generator paralleling bus gates
  the whole site load (IT through the UPS plus mechanical) over the generators, and
  each path's medium-voltage switchgear gates the whole site load over the utility
  feeds, so one feed sized for 100 % suffices.
* cooling — each chilled-water loop (a duplicated path) gates the whole plant heat
  over the chillers (plus thermal storage) and over its own pumps; every chiller
  gates the whole plant's heat rejection over the cooling towers. A data hall is one
  air volume: every consumer in the hall gates the *whole hall's* heat over the
  hall's CRAHs, which is the hall-level aggregate without inventing a virtual single
  point of failure.
* network — count gates (bandwidth is not gated): carriers → border routers →
  spines → leaf pairs → rows.

Rows are the IT unit by default. A stack that wants racks as components
(``CampusSpec.racks_as_components``, :func:`racks_of_rows`) gets one-rack rows, each
with its own top-of-rack switch; the aggregation points stay where they are (A/B PDU
pair per group of rows, hall-wide CRAH capacity gate, leaf pair per group of rows).

Power consumers are registered with :meth:`SiteBuilder.add_load` as they are created
(rows, leaves, CRAH fans, pumps, chillers...) and :func:`power_train`, called last,
sizes UPS modules, generators and feeds from the registered loads and attaches every
consumer's power requirement. Call order within a site is therefore: rows →
:func:`leaf_spine` → :func:`cooling_plant` → :func:`power_train`.

Every sizing constant here is an engineering assumption unless a stack overrides it
with a sourced value.
"""

from stacks.patterns.base import (
    MECH,
    SUPPORT,
    Path,
    PowerLoad,
    Redundancy,
    SiteBuilder,
    rack_rows,
    racks_of_rows,
    redundancy_layout,
)
from stacks.patterns.campus import Campus, CampusSpec, build_campus
from stacks.patterns.cooling import CoolingHandles, cooling_plant
from stacks.patterns.network import NetworkHandles, backbone, leaf_spine
from stacks.patterns.power import PowerHandles, power_train
from stacks.patterns.services import replicate

__all__ = [
    "MECH",
    "SUPPORT",
    "Campus",
    "CampusSpec",
    "CoolingHandles",
    "NetworkHandles",
    "Path",
    "PowerHandles",
    "PowerLoad",
    "Redundancy",
    "SiteBuilder",
    "backbone",
    "build_campus",
    "cooling_plant",
    "leaf_spine",
    "power_train",
    "rack_rows",
    "racks_of_rows",
    "redundancy_layout",
    "replicate",
]
