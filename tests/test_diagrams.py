"""Diagrams and the Mermaid blast radius: structure (not pixels), determinism, staleness."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.text import Text

from stacks import build_stack
from twin.analysis.timeline import Timeline, simulate
from twin.model import (
    BackboneLink,
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
    DPI,
    VIEWS,
    diagram_stem,
    render_view_figure,
    render_view_png,
    render_view_svg,
    render_views,
)
from twin.outputs.layout import element_id, layered_layout
from twin.outputs.mermaid import blast_radius_mermaid
from twin.outputs.overlay import overlay_states
from twin.outputs.regions import LABEL_GAP, assign_levels
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


def svg_height_pt(svg: str) -> float:
    return float(ET.fromstring(svg).get("height", "0").removesuffix("pt"))


def test_pangyo_fire_overlay_is_folded_to_pangyo() -> None:
    """The B3 fire hurts only Pangyo: dc2 and dc3 fold to a line each (their components
    still listed, all up), so Pangyo gets the picture; --all-sites draws them all."""
    fleet = fleet_of("pangyo-2022")
    timeline = timeline_of("pangyo-2022", PANGYO_FIRE)
    folded = render_view_svg(fleet, "power", timeline=timeline)
    whole = render_view_svg(fleet, "power", timeline=timeline, fold_unaffected=False)
    assert svg_height_pt(folded) < 0.4 * svg_height_pt(whole)
    classes = svg_classes(folded)
    assert classes[element_id("fold", "dc2")] == "folded-site state-ok"
    assert classes[element_id("fold", "dc3")] == "folded-site state-ok"
    assert element_id("fold", "pangyo") not in classes
    assert "state-ok folded" in classes[element_id("c", "dc2-ups-hall1-a1")]
    drawn_sites = {
        e.get("id") for e in ET.fromstring(folded).iter() if "node" in e.get("class", "").split()
    }
    assert element_id("c", "dc2-ups-hall1-a1") not in drawn_sites
    assert "unaffected, folded to one line: dc2, dc3" in folded
    assert "folded" not in " ".join(svg_classes(whole).values())
    # the plain view and the regions overlay keep every site
    assert "folded" not in " ".join(svg_classes(render_view_svg(fleet, "power")).values())
    regions = svg_classes(render_view_svg(fleet, "regions", timeline=timeline))
    assert {element_id("site", s.name) for s in fleet.sites} <= set(regions)


def test_an_overlay_hurting_every_site_folds_none() -> None:
    fleet = fleet_of("fleet")
    svg = render_view_svg(fleet, "power", timeline=timeline_of("fleet", "ansan:site-loss"))
    folded = [i for i, c in svg_classes(svg).items() if c.startswith("folded-site")]
    assert sorted(folded) == [element_id("fold", "busan"), element_id("fold", "seoul")]
    lab = fleet_of("lab")  # one site: nothing to fold
    timeline = timeline_of("lab", "lab:utility-loss:all+generator-fails-to-start")
    assert "folded-site" not in render_view_svg(lab, "power", timeline=timeline)


def stress_fleet() -> Fleet:
    """Five sites in two regions, every pair linked, some pairs by several links with
    different shared-risk groups, one group running between many pairs."""
    names = ("alpha", "bravo", "charlie", "delta", "echo")
    links: dict[str, list[dict[str, object]]] = {n: [] for n in names}
    for k, (a, b) in enumerate((a, b) for i, a in enumerate(names) for b in names[i + 1 :]):
        srlg = [f"duct-{a}-{b}", "route-shared-corridor" if k % 2 else f"route-{k}"]
        links[a].append({"name": f"{a}-to-{b}", "remote_site": b, "srlg": srlg})
        if k % 3 == 0:
            links[b].append({"name": f"{b}-to-{a}-2", "remote_site": a, "srlg": [f"d2-{k}"]})
    sites = []
    for i, name in enumerate(names):
        zone = f"{name}-mmr"
        components: list[dict[str, object]] = [
            {"name": f"{name}-feed", "kind": "utility_feed", "zone": zone, "substation": "s",
             "capacity_kw": 100.0},
            {"name": f"{name}-row", "kind": "rack_row", "zone": zone, "racks": 2, "servers": 20,
             "it_load_kw": 10.0,
             "requires": [{"resource": "power", "suppliers": [f"{name}-feed"]}]},
        ]  # fmt: skip
        components += [
            {"kind": "backbone_link", "zone": zone, "capacity_gbps": 100.0, **link}
            for link in links[name]
        ]
        sites.append(
            {"name": name, "region": "kr" if i < 3 else "jp", "components": components,
             "zones": [{"name": zone, "kind": "meet_me_room"}]}
        )  # fmt: skip
    return Fleet.model_validate(
        {"name": "stress", "regions": [{"name": "kr"}, {"name": "jp"}], "sites": sites}
    )


def link_arcs(svg: str) -> dict[str, list[str]]:
    """Arc element id → the backbone-link components it lists (its nested c-… elements)."""
    root = ET.fromstring(svg)
    return {
        e.get("id", ""): [m.get("id", "") for m in e if m.tag.endswith("g")]
        for e in root.iter()
        if e.get("class", "").startswith("link kind-backbone_link")
    }


@pytest.mark.parametrize("stack", ["fleet", "stress"])
def test_regions_view_draws_each_backbone_link_once(stack: str) -> None:
    fleet = stress_fleet() if stack == "stress" else fleet_of(stack)
    links = [c.name for _, c in fleet.components() if c.kind == "backbone_link"]
    pairs = {
        frozenset((s.name, c.remote_site))
        for s, c in fleet.components()
        if isinstance(c, BackboneLink)
    }
    svg = render_view_svg(fleet, "regions")
    arcs = link_arcs(svg)
    assert len(arcs) == len(pairs)  # one arc per pair of sites, not per link or direction
    listed = [m for members in arcs.values() for m in members]
    assert sorted(listed) == sorted(element_id("c", n) for n in links)  # each exactly once
    for arc_id in arcs:  # and each arc is one path
        group = next(e for e in ET.fromstring(svg).iter() if e.get("id") == arc_id)
        assert len([e for e in group.iter() if e.tag.endswith("path")]) == 1
    if stack == "fleet":
        assert arcs[element_id("link", "ansan--seoul")] == [
            element_id("c", "ansan-backbone-seoul-1"),
            element_id("c", "seoul-backbone-ansan-1"),
        ]
        assert "ansan – seoul · 2 links · ⚠ duct-gyeonggi-trunk, route-capital-west" in svg


def text_boxes(fig: Figure) -> list[tuple[str, str, Any]]:
    """(gid, text, window extent incl. its box) of every visible text, after drawing."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    out = []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text():
            patch = t.get_bbox_patch()
            box = (patch or t).get_window_extent(renderer)
            out.append((t.get_gid() or "", t.get_text(), box))
    return out


@pytest.mark.parametrize(
    ("stack", "scenario"),
    [("fleet", None), ("fleet", "ansan:site-loss"), ("fleet", "srlg-cut:duct-gyeonggi-trunk"),
     ("stress", None)],
)  # fmt: skip
def test_regions_link_labels_overlap_no_text(stack: str, scenario: str | None) -> None:
    """Measured as drawn (matplotlib's renderer): no link label touches another text."""
    fleet = stress_fleet() if stack == "stress" else fleet_of(stack)
    timeline = timeline_of(stack, scenario) if scenario else None
    figure = render_view_figure(fleet, "regions", timeline=timeline)
    boxes = text_boxes(figure)
    labels = [b for b in boxes if b[0].endswith("-label")]
    assert len(labels) == len(link_arcs(render_view_svg(fleet, "regions", timeline=timeline)))
    width = render_view_figure(fleet, "regions").get_size_inches()[0] * DPI
    for gid, text, box in labels:
        assert box.x0 >= 0 and box.x1 <= width, f"{text} leaves the figure"
        for other_gid, other, other_box in boxes:
            if other_gid != gid:
                assert not box.overlaps(other_box), f"{text!r} overlaps {other!r}"
    if stack == "stress":
        return  # in a full mesh crossing arcs are unavoidable; a leg may pass a label
    arcs = [p for p in figure.findobj(PathPatch) if (p.get_gid() or "").startswith("link-")]
    assert arcs
    for gid, text, box in labels:
        for arc in arcs:  # nor does another arc run through it (its own arc ends at it)
            if f"{arc.get_gid()}-label" != gid:
                drawn = arc.get_path().transformed(arc.get_transform())
                assert not drawn.intersects_bbox(box, filled=False), f"{arc.get_gid()} {text!r}"


def test_arc_levels_nest_arcs_and_separate_labels() -> None:
    # (x0, x1, label centre, label width): three short arcs side by side, one long over all
    spans = [(0.0, 2.0, 1.0, 1.5), (2.5, 4.5, 3.5, 3.4), (5.0, 7.0, 6.0, 1.0), (0.0, 7.0, 3.5, 2)]
    levels = assign_levels(spans)
    assert levels[3] > max(levels[:3])  # the long arc passes over the ones it spans
    for i, (_, _, ci, wi) in enumerate(spans):
        for j, (_, _, cj, wj) in enumerate(spans[:i]):
            if levels[i] == levels[j]:
                assert abs(ci - cj) >= (wi + wj) / 2 + LABEL_GAP
    assert levels[1] != levels[0]  # the wide middle label cannot share the first's level


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
    fleet = fleet_of("fleet")  # folded sites and link arcs
    lost = timeline_of("fleet", "ansan:site-loss")
    for view in ("power", "regions"):
        assert render_view_svg(fleet, view, timeline=lost) == render_view_svg(
            fleet, view, timeline=lost
        )
    svg = render_view_svg(fleet, "power")
    assert "<dc:date>" not in svg and "Matplotlib v" not in svg


def test_png_is_the_picture_matplotlib_draws_without_an_alpha_channel() -> None:
    """The PNG holds exactly the pixels matplotlib's own PNG writer gives, as RGB: a
    view is opaque, so an alpha channel would only cost space and time."""
    import io

    import numpy as np
    import PIL.Image

    fleet = fleet_of("lab")
    timeline = timeline_of("lab", "lab:utility-loss:all+generator-fails-to-start")
    for view in ("power", "regions"):
        buf = io.BytesIO()
        figure = render_view_figure(fleet, view, timeline=timeline)
        figure.savefig(buf, format="png", dpi=DPI)
        reference = PIL.Image.open(buf)
        ours = PIL.Image.open(io.BytesIO(render_view_png(fleet, view, timeline=timeline)))
        assert (reference.mode, ours.mode) == ("RGBA", "RGB")
        assert ours.size == reference.size
        assert ours.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)
        assert set(ours.info) == {"dpi"}  # no software version or date
        pixels = np.asarray(reference)
        assert (pixels[..., 3] == 255).all()
        assert np.array_equal(np.asarray(ours), pixels[..., :3]), view


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
