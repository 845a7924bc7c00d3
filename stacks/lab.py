"""A small lab stack (about fifty components) for experiments and fast tests.

It exercises every pattern at toy scale: 2N power with batteries in a battery room
apart from its UPS room, N+1 cooling with thermal storage, a leaf-spine network with
two carriers in different ducts, a dependency cycle (UPS modules need chilled water,
whose pumps need the UPS-backed support bus), two services with a dependency, and an
active-standby service with a failover controller. All values are assumptions.
"""

from __future__ import annotations

from stacks.patterns import CampusSpec, build_campus, replicate
from twin.model import Fleet, Region, Suppression

__all__ = ["LAB_SPEC", "build"]

LAB_SPEC = CampusSpec(
    name="lab",
    region="lab",
    description="Toy site for experiments (all values are assumptions).",
    halls=1,
    rows_per_hall=4,
    racks_per_row=2,
    servers_per_rack=20,
    rack_kw=5.0,
    power_redundancy="2N",
    cooling_redundancy="N+1",
    substations=("substation-1", "substation-2"),
    generator_kw=100.0,
    module_kw=60.0,
    ride_through_min=8.0,
    strings_per_module=1,
    battery_suppression=Suppression(agent="gas", after_s=30.0, deenergize="zone"),
    ups_layout="separate",
    rows_per_pdu=4,
    rows_per_leaf_pair=4,
    carriers=(("carrier-1", ("duct-1",)), ("carrier-2", ("duct-2",))),
    spines=2,
    chiller_kw=100.0,
    tower_kw=130.0,
    pump_kw=100.0,
    crah_kw=60.0,
    storage_minutes=15.0,
)


def build() -> Fleet:
    """The ``lab`` stack: one site, four rows, four services."""
    lab = build_campus(LAB_SPEC)
    r1, r2, r3, r4 = lab.all_rows
    services = [
        replicate(
            "db",
            placements=[("lab", [r1]), ("lab", [r3])],
            demand_rps=1000.0,
            stores_data=True,
            data_quorum=1,
        ),
        replicate(
            "web",
            placements=[("lab", [r2]), ("lab", [r4])],
            demand_rps=2000.0,
            surges={"peak": 2.0},
            depends_on=["db"],
        ),
        replicate("controller", placements=[("lab", [r2]), ("lab", [r4])], demand_rps=10.0),
        replicate(
            "queue",
            mode="active_standby",
            placements=[("lab", [r1]), ("lab", [r3])],
            roles=["active", "standby"],
            demand_rps=500.0,
            capacity_rps=500.0,
            failover_controller="controller",
            failover_time_s=60.0,
            manual_recovery_s=3600.0,
        ),
    ]
    return Fleet(
        name="lab",
        description="Small stack exercising every pattern.",
        regions=[Region(name="lab")],
        sites=[lab.site()],
        services=services,
    )
