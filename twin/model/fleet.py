"""Sites, services and the fleet: the root of the model.

Building a :class:`Fleet` runs every cross-reference check in
:mod:`twin.model.checks`, so a fleet that exists is a valid fleet. Models are frozen:
a fleet cannot be changed after validation (derive a new one with
``model_copy(update=...)`` and validate it again), so a twin compiled from it can
never go stale.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from twin.model.checks import check_fleet
from twin.model.components import AnyComponent, Component
from twin.model.recovery import Recovery
from twin.model.reliability import ReliabilityOverrides
from twin.model.scenarios import ScenarioSpec
from twin.model.types import Name, Seconds, StrictModel
from twin.model.zones import Zone

__all__ = ["Fleet", "Region", "Replica", "Service", "Site"]


class Region(StrictModel):
    name: Name
    description: str = Field(default="", max_length=2000)


class Site(StrictModel):
    """A datacenter campus: zones (compartments) and the components placed in them."""

    name: Name
    region: Name = Field(description="Region the site is in.")
    description: str = Field(default="", max_length=2000)
    zones: list[Zone] = Field(min_length=1)
    components: list[Component] = Field(default_factory=list)
    restart_servers_per_h: float | None = Field(
        default=None,
        gt=0,
        description="Servers brought back per hour here once their rows have power again; "
        "none: the fleet's recovery.restart_servers_per_h.",
    )

    def zone_named(self, name: str) -> Zone:
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(name)

    def zone_closure(self, name: str) -> set[str]:
        """The zone and every zone nested inside it, at any depth."""
        inside = {name}
        grew = True
        while grew:
            grew = False
            for zone in self.zones:
                if zone.parent in inside and zone.name not in inside:
                    inside.add(zone.name)
                    grew = True
        return inside

    def components_in(self, zone_name: str) -> list[AnyComponent]:
        """Components in the zone or in any zone nested inside it (declaration order)."""
        inside = self.zone_closure(zone_name)
        return [c for c in self.components if c.zone in inside]

    def zone_ancestors(self, name: str) -> list[str]:
        """The zone and its enclosing zones, innermost first."""
        by_name = {z.name: z for z in self.zones}
        chain: list[str] = []
        current: str | None = name
        while current is not None and current not in chain:
            chain.append(current)
            current = by_name[current].parent if current in by_name else None
        return chain


class Replica(StrictModel):
    """A service replica on rack rows at one site; capacity is spread evenly over its rows."""

    site: Name
    rows: list[Name] = Field(min_length=1, description="Rack rows the replica runs on.")
    capacity_rps: float = Field(gt=0, description="Requests/s the replica serves at full health.")
    role: Literal["active", "standby", "rebuild"] = Field(
        default="active",
        description="active serves; standby serves once the service fails over; rebuild is "
        "spare capacity elsewhere that serves once the service has been rebuilt there.",
    )
    stores_data: bool = Field(default=False, description="True when it holds a data copy.")


class Service(StrictModel):
    """A service: demand, surge multipliers, replicas and dependencies.

    Served fraction is min(1, live capacity / (demand × surge)), capped by the
    served fraction of every dependency (so zero when a dependency is down).
    Active-standby services move to standby replicas after ``failover_time_s`` only
    while their ``failover_controller`` service is up (and, with ``needs_network``,
    reaches a standby replica's site), otherwise after ``manual_recovery_s``. With
    ``needs_network`` a replica serves only while its site reaches users and, with a
    ``data_quorum``, while its site is on the side of a backbone partition that holds
    the quorum.
    """

    name: Name
    description: str = Field(default="", max_length=2000)
    demand_rps: float = Field(gt=0, description="Baseline demand, requests/s.")
    surges: dict[Name, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="Named demand multipliers (new_year: 3)."
    )
    mode: Literal["active_active", "active_standby"] = "active_active"
    replicas: list[Replica] = Field(min_length=1)
    failover_time_s: Seconds = Field(default=0.0, description="Automated failover time.")
    failover_controller: Name | None = Field(
        default=None, description="Service that performs the failover; none means manual."
    )
    manual_recovery_s: Seconds = Field(
        default=4 * 3600.0, description="Time to recover by hand when automation is absent."
    )
    replication: Literal["synchronous", "asynchronous", "single_copy"] = Field(
        default="synchronous",
        description="How its data is copied between data-holding replicas: the data-loss "
        "window (RPO) when a data holder is lost is 0, the lag, or everything since the "
        "last backup.",
    )
    replication_lag_s: Seconds = Field(
        default=0.0, description="Asynchronous replication lag (the RPO on failover)."
    )
    backup_interval_s: Seconds = Field(
        default=24 * 3600.0,
        description="Seconds between backups (the RPO when the only copy is lost); "
        "assumption: daily.",
    )
    rebuild_after_s: Seconds | None = Field(
        default=None,
        description="Seconds after it goes down until its rebuild replicas (role rebuild, at "
        "another site) serve; none: it waits for its own replicas.",
    )
    slo: Annotated[float, Field(gt=0, le=1)] = Field(
        default=1.0,
        description="Served fraction below which the service counts as degraded (its SLO); "
        "0 is down, at or above the SLO is within objective.",
    )
    data_quorum: int | None = Field(
        default=None,
        ge=1,
        description=(
            "Data-holding replicas that must be live (with needs_network: on sites that "
            "reach each other) to serve."
        ),
    )
    depends_on: list[Name] = Field(
        default_factory=list, description="Services this one cannot serve without."
    )
    needs_network: bool = Field(
        default=True,
        description=(
            "Whether the network limits the service: a replica serves only while its site "
            "reaches users (a carrier link up), a data quorum must be held by replicas whose "
            "sites reach each other over the backbone (the side holding it keeps serving), "
            "and automated failover needs the controller to reach a standby. False ignores "
            "carriers and the backbone for this service."
        ),
    )


class Fleet(StrictModel):
    """The root: a named fleet of regions, sites and services.

    Building a Fleet runs every cross-reference check in :mod:`twin.checks`; an
    invalid fleet raises :class:`twin.errors.DefinitionError` listing each problem
    with its location.
    """

    schema_version: Literal["1"] = "1"
    name: Name
    description: str = Field(default="", max_length=4000)
    regions: list[Region] = Field(min_length=1)
    sites: list[Site] = Field(min_length=1)
    services: list[Service] = Field(default_factory=list)
    scenarios: list[ScenarioSpec] = Field(
        default_factory=list, description="Stack-specific named scenarios (beside the catalog)."
    )
    recovery: Recovery = Field(
        default_factory=Recovery, description="How failed parts come back (timelines)."
    )
    reliability: ReliabilityOverrides | None = Field(
        default=None,
        description="Failure and restore figures over the reference data, per kind or per "
        "component (availability analysis).",
    )

    @model_validator(mode="after")
    def _cross_checks(self) -> Fleet:
        check_fleet(self)
        return self

    # Convenience accessors used by analyses and renderers.
    def components(self) -> list[tuple[Site, AnyComponent]]:
        """Every (site, component) pair in declaration order."""
        return [(site, comp) for site in self.sites for comp in site.components]

    def component_index(self) -> dict[str, tuple[Site, AnyComponent]]:
        """Component name → (its site, the component)."""
        return {comp.name: (site, comp) for site, comp in self.components()}
