"""Diagrams and the Mermaid blast radius: structure (not pixels), determinism, staleness."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path

import pytest

from stacks import build_stack
from twin.analysis.timeline import Timeline, simulate
from twin.model import (
    Battery,
    Fleet,
    Pdu,
    RackRow,
    Region,
    Requirement,
    Site,
    Ups,
    UtilityFeed,
    Zone,
)
from twin.model.catalog import find_scenario
from twin.outputs.diagrams import (
    VIEWS,
    diagram_stem,
    render_view_png,
    render_view_svg,
    render_views,
)
from twin.outputs.layout import element_id, layered_layout
from twin.outputs.mermaid import blast_radius_mermaid
from twin.outputs.overlay import overlay_states
from twin.regenerate import REGENERATE_COMMAND, reference_jobs, regenerate

DIAGRAMS = Path(__file__).resolve().parent.parent / "diagrams"
PANGYO_FIRE = "pangyo:fire:pangyo-b3-battery-room"
HOSTILE = '<img onerror=x>"|end'
MERMAID_RESERVED = {"end", "graph", "subgraph", "click", "style", "class", "classdef", "flowchart"}


@cache
def fleet_of(stack: str) -> Fleet:
    return build_stack(stack)


@cache
def timeline_of(stack: str, scenario: str) -> Timeline:
    fleet = fleet_of(stack)
    return simulate(fleet, find_scenario(fleet, scenario))


def hostile_fleet() -> Fleet:
    """Names with every character that could break SVG, XML ids or Mermaid."""
    zone = "<hall> & 'room' \"1\""
    power = "power"
    return Fleet(
        name=f"evil {HOSTILE}",
        regions=[Region(name="r$1$")],
        sites=[
            Site(
                name="s|1",
                region="r$1$",
                zones=[Zone(name=zone, kind="data_hall", fire_rated_walls=True)],
                components=[
                    UtilityFeed(name="feed end", zone=zone, substation="x", capacity_kw=500),
                    Battery(name="batt <1>", zone=zone, energy_kwh=10),
                    Ups(
                        name=HOSTILE,
                        zone=zone,
                        capacity_kw=400,
                        batteries=["batt <1>"],
                        requires=[Requirement(resource=power, suppliers=["feed end"])],
                    ),
                    Pdu(
                        name="pdu $\\frac{a}{b}$",
                        zone=zone,
                        capacity_kw=300,
                        path="A",
                        requires=[Requirement(resource=power, suppliers=[HOSTILE])],
                    ),
                    RackRow(
                        name="row `x` -->",
                        zone=zone,
                        racks=2,
                        servers=20,
                        it_load_kw=40,
                        requires=[Requirement(resource=power, suppliers=["pdu $\\frac{a}{b}$"])],
                    ),
                ],
            )
        ],
    )


def svg_classes(svg: str) -> dict[str, str]:
    """Element id → class attribute, for every element that has both."""
    root = ET.fromstring(svg)
    return {e.get("id", ""): e.get("class", "") for e in root.iter() if e.get("class")}


# --------------------------------------------------------------------------- structure


def test_every_component_of_the_view_has_an_element_with_kind_and_state_classes() -> None:
    fleet = fleet_of("lab")
    svg = render_view_svg(fleet, "power")
    classes = svg_classes(svg)
    layout = layered_layout(fleet, "power")
    for name in layout.member_node:
        cid = element_id("c", name)
        assert cid in classes, f"no element for {name}"
        kind = dict(fleet.component_index())[name][1].kind
        assert f"kind-{kind}" in classes[cid] and "state-ok" in classes[cid]


def test_pangyo_fire_overlay_marks_the_ups_units_failed() -> None:
    fleet = fleet_of("pangyo-2022")
    svg = render_view_svg(fleet, "power", timeline=timeline_of("pangyo-2022", PANGYO_FIRE))
    classes = svg_classes(svg)
    ups = [c.name for c in fleet.sites[0].components if c.kind == "ups"]
    for name in ups:
        assert "state-failed" in classes[element_id("c", name)], name
    assert any("initiating-event" in c for c in classes.values())
    assert PANGYO_FIRE in svg  # scenario named in the subtitle
    # dc2 and dc3 are untouched
    assert "state-ok" in classes[element_id("c", "dc2-ups-hall1-a1")]


def test_degraded_means_up_with_a_supplier_down() -> None:
    fleet = fleet_of("ansan")
    overlay = overlay_states(fleet, timeline_of("ansan", "ansan:fire:ansan-battery-room-hall1-a"))
    assert overlay.states["ansan-batt-hall1-a1-1"] == "failed"
    assert overlay.states["ansan-ups-hall1-a1"] == "degraded"  # its batteries burned
    assert overlay.states["ansan-ups-hall1-b1"] == "ok"


def test_hostile_names_give_valid_svg_with_safe_unique_ids() -> None:
    fleet = hostile_fleet()
    timeline = simulate(fleet, find_scenario(fleet, "s|1:site-loss"))
    for view in VIEWS:
        svg = render_view_svg(fleet, view, timeline=timeline, revision="<rev>")
        root = ET.fromstring(svg)  # well-formed despite <, &, quotes, $…$
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert len(ids) == len(set(ids)), f"duplicate ids in {view}"
        assert all(re.fullmatch(r"[A-Za-z0-9_.-]+", i) for i in ids), view
    assert element_id("c", HOSTILE) in svg_classes(render_view_svg(fleet, "power"))


def test_regions_view_marks_links_sharing_an_srlg() -> None:
    svg = render_view_svg(fleet_of("fleet"), "regions")
    classes = svg_classes(svg)
    shared = [i for i, c in classes.items() if "srlg-shared" in c]
    assert element_id("c", "ansan-backbone-seoul-1") in shared
    assert element_id("c", "seoul-backbone-busan-1") not in shared
    assert "duct-gyeonggi-trunk" in svg


@pytest.mark.parametrize("detail", [1, 2])
def test_detail_levels_expand_groups(detail: int) -> None:
    fleet = fleet_of("lab")
    summary = layered_layout(fleet, "power", 0)
    expanded = layered_layout(fleet, "power", detail)
    assert len(expanded.nodes) > len(summary.nodes)
    if detail == 2:
        assert all(len(n.members) == 1 for n in expanded.nodes.values())


# --------------------------------------------------------------------------- determinism


def test_rendering_twice_gives_identical_bytes() -> None:
    fleet = fleet_of("lab")
    timeline = timeline_of("lab", "lab:utility-loss:all+generator-fails-to-start")
    for view in ("power", "regions"):
        kw = {"timeline": timeline, "revision": "r"}
        assert render_view_svg(fleet, view, **kw) == render_view_svg(fleet, view, **kw)
        assert render_view_png(fleet, view, **kw) == render_view_png(fleet, view, **kw)
    svg = render_view_svg(fleet, "power")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg


def test_render_views_writes_named_files(tmp_path: Path) -> None:
    fleet = fleet_of("lab")
    timeline = timeline_of("lab", "lab:utility-loss:all+generator-fails-to-start")
    paths = render_views(fleet, tmp_path, ["network"], timeline=timeline, stem="x")
    assert [p.name for p in paths] == [
        "x-network-lab-utility-loss-all-generator-fails-to-start.svg",
        "x-network-lab-utility-loss-all-generator-fails-to-start.png",
    ]
    assert diagram_stem("x", "power") == "x-power"


def test_committed_diagrams_are_up_to_date(tmp_path: Path) -> None:
    """diagrams/ is what the code draws now (SVG for every stack; PNG for the cheap lab)."""
    expected = {f"{diagram_stem(s, v, None)}" for s, sc, v in reference_jobs() if sc is None}
    assert expected, "no reference jobs"
    written = regenerate(tmp_path, formats=("svg",))
    written += regenerate(tmp_path, stacks=["lab"], formats=("png",))
    stale = [
        p.name
        for p in written
        if not (DIAGRAMS / p.name).exists() or (DIAGRAMS / p.name).read_bytes() != p.read_bytes()
    ]
    committed = {p.name for p in DIAGRAMS.glob("*.svg")}
    extra = committed - {p.name for p in written if p.suffix == ".svg"}
    assert not stale and not extra, (
        f"diagrams/ is stale ({', '.join(stale) or 'none'} differ; "
        f"{', '.join(sorted(extra)) or 'none'} no longer drawn). Regenerate with: "
        f"{REGENERATE_COMMAND}"
    )


# --------------------------------------------------------------------------- mermaid


def mermaid_edges(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s+(n\d+) --> (n\d+)$", text, flags=re.M)


def mermaid_nodes(text: str) -> list[str]:
    return re.findall(r"^\s+(n\d+)[\[{]", text, flags=re.M)


@pytest.mark.parametrize(
    ("stack", "scenario"),
    [("pangyo-2022", PANGYO_FIRE), ("fleet", "ansan:site-loss"), ("ansan", "ansan:site-loss")],
)
def test_mermaid_stays_within_500_edges_with_unique_safe_ids(stack: str, scenario: str) -> None:
    text = blast_radius_mermaid(fleet_of(stack), timeline_of(stack, scenario))
    assert text.startswith("graph LR\n")
    edges = mermaid_edges(text)
    nodes = mermaid_nodes(text)
    assert 0 < len(edges) <= 500
    assert len(nodes) == len(set(nodes))
    assert not {n.lower() for n in nodes} & MERMAID_RESERVED
    assert {a for e in edges for a in e} <= set(nodes)
    if stack == "pangyo-2022":
        assert "%% more than 500 edges: collapsed" in text


def test_mermaid_respects_a_small_edge_limit() -> None:
    text = blast_radius_mermaid(
        fleet_of("fleet"), timeline_of("fleet", "ansan:site-loss"), max_edges=20
    )
    assert len(mermaid_edges(text)) <= 20
    assert "%%" in text


def test_mermaid_escapes_hostile_names() -> None:
    fleet = hostile_fleet()
    text = blast_radius_mermaid(fleet, simulate(fleet, find_scenario(fleet, "s|1:site-loss")))
    labels = re.findall(r'^\s+n\d+[\[{]+"(.*)"[\]}]+$', text, flags=re.M)
    assert labels and len(labels) == len(mermaid_nodes(text))
    for label in labels:
        assert not set(label) & set('"<>|`[]{}\n'), label
    assert "#60;img onerror=x#62;#34;#124;end" in text
    for line in text.splitlines():
        assert line.startswith(("graph LR", "%%", "  ")), line
