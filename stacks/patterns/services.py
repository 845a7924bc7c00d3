"""Service patterns: a service replicated over sites and rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from twin.model import (
    Replica,
    Service,
)

Role = Literal["active", "standby", "rebuild"]
"""A replica's role (see :class:`~twin.model.Replica`)."""

__all__ = [
    "replicate",
]


def replicate(
    name: str,
    *,
    placements: Sequence[tuple[str, Sequence[str]]],
    demand_rps: float,
    capacity_rps: float | Sequence[float] | None = None,
    tolerate: int = 1,
    roles: Sequence[Role] | None = None,
    stores_data: bool = False,
    data_quorum: int | None = None,
    surges: Mapping[str, float] | None = None,
    mode: Literal["active_active", "active_standby"] = "active_active",
    depends_on: Sequence[str] = (),
    failover_controller: str | None = None,
    failover_time_s: float = 0.0,
    manual_recovery_s: float = 4 * 3600.0,
    description: str = "",
    **service: Any,
) -> Service:
    """A :class:`Service` with one replica per ``(site, rows)`` placement.

    Without ``capacity_rps`` each replica gets ``demand / (replicas − tolerate)``, so
    losing any ``tolerate`` replicas still serves the baseline demand. Further keyword
    arguments are :class:`~twin.model.Service` fields (``replication``,
    ``rebuild_after_s``, ``slo``, ...).
    """
    n = len(placements)
    if capacity_rps is None:
        each = demand_rps / max(1, n - tolerate)
        capacities = [each] * n
    elif isinstance(capacity_rps, int | float):
        capacities = [float(capacity_rps)] * n
    else:
        capacities = list(capacity_rps)
    role_list: list[Role] = list(roles) if roles is not None else ["active"] * n
    return Service(
        name=name,
        description=description,
        demand_rps=demand_rps,
        surges=dict(surges or {}),
        mode=mode,
        replicas=[
            Replica(
                site=site,
                rows=list(rows),
                capacity_rps=cap,
                role=role,
                stores_data=stores_data,
            )
            for (site, rows), cap, role in zip(placements, capacities, role_list, strict=True)
        ],
        failover_time_s=failover_time_s,
        failover_controller=failover_controller,
        manual_recovery_s=manual_recovery_s,
        data_quorum=data_quorum,
        depends_on=list(depends_on),
        **service,
    )
