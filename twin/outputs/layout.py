"""Layered layouts of the fleet model for the architecture diagrams (pure Python).

A view (``power``, ``cooling``, ``network``) is the graph of one resource's
requirements: an edge runs from each supplier to each consumer. Nodes are placed
in columns by the longest supplier path (sources are pulled to just before their
first consumer, so batteries sit beside their UPS and generators beside the
utility feeds), and within a column in the order that reduces crossings
(barycentre sweeps, keeping the ordering with the fewest crossings).

Zones (fire compartments) are drawn as boxes, so the layout keeps each zone's
nodes together: a zone is a rectangle packed among its siblings (skyline packing
near the barycentre of what it connects to), nested zones inside their parents.
Boxes therefore never overlap, and a compartment's contents are visible at a
glance.

Large sites are summarised: at ``detail=0`` components of one kind in one zone
with the same (grouped) suppliers become one node ("50 rows / 1,000 racks"); at
``detail=1`` only bulk kinds (rack rows, batteries, leaves) are grouped; at
``detail=2`` every component is its own node. Sites can be folded: a folded site is
not laid out, only given a one-line stub in its place (a failure overlay folds the
sites its scenario leaves alone, so the affected one is drawn at a readable size).

Coordinates are in inches, y growing downwards; :mod:`twin.outputs.diagrams` draws them.
Nothing here imports matplotlib.

Long on purpose: the layered layout's passes (view graph, layering, ordering sweeps,
block packing, placement) share private structures (``_Graph``, ``_Block``) that
exist only to carry one layout through them. The region map's layout
(:mod:`twin.outputs.regions`) reuses the node, edge and zone types defined here.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from twin.analysis.ordering import suppliers_first
from twin.model import KIND_LABELS, KIND_MODULES, Busway, Fleet, Pdu, Site

__all__ = [
    "DETAIL_LEVELS",
    "LAYERED_VIEWS",
    "VIEWS",
    "DiagramEdge",
    "DiagramLayout",
    "DiagramNode",
    "FoldedSite",
    "LinkBundle",
    "ZoneBox",
    "clip_text",
    "column_x",
    "component_sides",
    "element_id",
    "fmt_count",
    "layered_layout",
    "view_kinds",
]

VIEWS: tuple[str, ...] = ("power", "cooling", "network", "regions")
"""Every diagram view, in the order they are rendered."""

LAYERED_VIEWS: tuple[str, ...] = ("power", "cooling", "network")
"""Views drawn as layered supplier → consumer graphs (one per resource)."""

DETAIL_LEVELS: tuple[int, ...] = (0, 1, 2)
"""0: summary (groups of like components); 1: only bulk kinds grouped; 2: everything."""

_VIEW_KINDS: dict[str, frozenset[str]] = {
    view: frozenset(kind for kind, module in KIND_MODULES.items() if module == view) | {"rack_row"}
    for view in LAYERED_VIEWS
}
"""Kinds drawn in each layered view: the kinds of that module (the model says which), and
the rack rows every view ends at."""


def view_kinds(view: str) -> frozenset[str]:
    """The component kinds a layered view draws."""
    if view not in _VIEW_KINDS:
        raise ValueError(f"unknown layered view {view!r} (known: {', '.join(LAYERED_VIEWS)})")
    return _VIEW_KINDS[view]


_BULK_KINDS = frozenset({"rack_row", "battery", "leaf"})
"""Kinds still grouped at ``detail=1``: there are many of them and they are alike."""


# Geometry, inches.
NODE_W = 2.15
NODE_H = 0.46
NODE_GAP = 0.12
COL_GAP = 1.25
ZONE_PAD = 0.07
ZONE_HEADER = 0.2
SITE_GAP = 0.45
MARGIN = 0.3
STUB_H = 0.3  # a folded site's one-line stub
STUB_GAP = 0.15  # below a stub: stubs in a row read as one list
LEFT = 0.75  # room for the outermost zone boxes left of the first column

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def element_id(prefix: str, name: str) -> str:
    """A stable, XML-safe element id for ``name``: ``prefix-`` + sanitised name.

    Characters outside ``[A-Za-z0-9_.-]`` become ``_``; when anything was replaced
    a short hash of the original name is appended, so two names that sanitise alike
    still get distinct ids.

    >>> element_id("c", "ansan-ups-hall1-a1")
    'c-ansan-ups-hall1-a1'
    >>> element_id("c", "ups|a b")
    'c-ups_a_b-fceeca56'
    """
    safe = _SAFE.sub("_", name)
    if safe != name:
        safe += "-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]
    return f"{prefix}-{safe}"


@dataclass
class DiagramNode:
    """One box: a component, or a group of like components summarised as one."""

    id: str
    kind: str
    members: tuple[str, ...]
    site: str
    zone: str | None
    label: str
    sub: str
    side: str = ""
    layer: int = 0
    order: int = 0
    x: float = 0.0
    y: float = 0.0
    w: float = NODE_W
    h: float = NODE_H

    @property
    def is_group(self) -> bool:
        return len(self.members) > 1


@dataclass(frozen=True)
class DiagramEdge:
    """Supplier → consumer between two drawn nodes; ``side`` is "A", "B" or ""."""

    src: str
    dst: str
    side: str = ""
    label: str = ""


@dataclass
class ZoneBox:
    """A zone (fire compartment) drawn as a box around its nodes and nested zones."""

    id: str
    site: str
    name: str
    kind: str
    fire_rated: bool
    depth: int
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0


@dataclass
class FoldedSite:
    """A site not laid out: one line in its place, saying what it holds in the view."""

    id: str
    site: str
    members: tuple[str, ...]
    kinds: dict[str, str]
    zones: int
    rows: int
    racks: int
    x0: float = 0.0
    y0: float = 0.0
    x1: float = 0.0
    y1: float = 0.0


@dataclass
class LinkBundle:
    """Every backbone link between one pair of sites, drawn as one arc with one label.

    ``sites`` are left, right as drawn; ``links`` the backbone-link components joining
    them (either end), ``srlg`` the shared-risk groups any of them runs in. The arc
    rises from ``x0`` and ``x1`` on the sites' top edge (``base``) to ``apex``, where
    its label (``label_w`` wide) is centred at ``label_x``.
    """

    id: str
    sites: tuple[str, str]
    links: tuple[str, ...]
    srlg: tuple[str, ...]
    label: str = ""
    level: int = 0
    x0: float = 0.0
    x1: float = 0.0
    base: float = 0.0
    apex: float = 0.0
    label_x: float = 0.0
    label_w: float = 0.0


@dataclass
class DiagramLayout:
    """Positioned nodes, edges and zone boxes of one view, ready to draw."""

    view: str
    detail: int
    nodes: dict[str, DiagramNode]
    edges: list[DiagramEdge]
    zones: list[ZoneBox]
    width: float
    height: float
    columns: list[str] = field(default_factory=list)
    member_node: dict[str, str] = field(default_factory=dict)
    crossings: int = 0
    folded: list[FoldedSite] = field(default_factory=list)
    bundles: list[LinkBundle] = field(default_factory=list)


# --------------------------------------------------------------------------- sides


def component_sides(fleet: Fleet) -> dict[str, str]:
    """A or B distribution path per component ("" when shared or unknown).

    Only declared paths count (``Pdu.path``, ``Busway.path``); they are propagated
    up the power supply chain (a component whose power consumers are all on path A
    is on A) and then down it (a component fed only from A is on A). Names are not
    guessed from.
    """
    comps = {c.name: c for _, c in fleet.components()}
    suppliers: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = defaultdict(list)
    for name, comp in comps.items():
        sup = [s for r in comp.requires if r.resource == "power" for s in r.suppliers]
        sup += list(getattr(comp, "batteries", []) or [])
        suppliers[name] = sup
        for s in sup:
            consumers[s].append(name)
    declared: dict[str, str] = {
        n: c.path for n, c in comps.items() if isinstance(c, Pdu | Busway) and c.path is not None
    }
    below: dict[str, frozenset[str]] = {}

    def paths_below(name: str, seen: frozenset[str] = frozenset()) -> frozenset[str]:
        if name in below:
            return below[name]
        if name in seen:
            return frozenset()
        if name in declared:
            out = frozenset({declared[name]})
        else:
            out = frozenset()
            for c in consumers.get(name, []):
                out |= paths_below(c, seen | {name})
        below[name] = out
        return out

    side: dict[str, str] = {}
    for name in comps:
        found = paths_below(name)
        if len(found) == 1:
            side[name] = next(iter(found))
    # Down the chain: fed only from one side → that side; a source (battery) takes
    # the side of what it feeds. Undecided neighbours do not count; iterate.
    changed = True
    while changed:
        changed = False
        for name in comps:
            if name in side or paths_below(name):
                continue
            near = suppliers.get(name) or consumers.get(name, [])
            found_sides = {side[s] for s in near if s in side}
            if len(found_sides) == 1:
                side[name] = found_sides.pop()
                changed = True
    return {n: side[n] if side.get(n) in ("A", "B") else "" for n in comps}


# --------------------------------------------------------------------------- labels


def _short(name: str, site: str) -> str:
    """The name without its site prefix (the site is drawn around it)."""
    prefix = f"{site}-"
    return name[len(prefix) :] if name.startswith(prefix) and len(name) > len(prefix) else name


def clip_text(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _group_name(names: list[str]) -> str:
    """``ups-hall1-a1…a5`` for a run of names sharing a prefix."""
    if len(names) == 1:
        return names[0]
    first, last = names[0], names[-1]
    cut = len(first)
    for other in names[1:]:
        k = 0
        while k < min(cut, len(other)) and first[k] == other[k]:
            k += 1
        cut = k
    while cut > 0 and first[cut - 1] not in "-_.":
        cut -= 1
    if cut:
        listed = first + ", " + ", ".join(n[cut:] for n in names[1:])
        if len(listed) <= 34:
            return listed
    i = 0
    while i < min(len(first), len(last)) and first[i] == last[i]:
        i += 1
    # back up to a separator so "row01…row50" reads as such
    j = i
    while j > 0 and first[j - 1] not in "-_.":
        j -= 1
    if j == 0:
        j = i
    return f"{first}…{last[j:]}"


def fmt_count(value: float) -> str:
    return f"{value:,.0f}"


def _node_text(comps: list[Any], site: str) -> tuple[str, str]:
    """First and second label lines for a component or a group of like components."""
    kind = comps[0].kind
    names = [_short(c.name, site) for c in comps]
    label = clip_text(_group_name(names))
    n = len(comps)
    human = KIND_LABELS.get(kind, kind)
    if kind == "rack_row":
        racks = sum(c.racks for c in comps)
        kw = sum(c.it_load_kw for c in comps)
        rows = f"{n} rows" if n > 1 else "1 row"
        return label, f"{rows} / {fmt_count(racks)} racks · {fmt_count(kw)} kW"
    if kind == "battery":
        kwh = sum(c.energy_kwh for c in comps)
        strings = f"{n} strings" if n > 1 else "battery"
        return label, f"{strings} · {fmt_count(kwh)} kWh"
    if kind == "backbone_link":
        return label, f"→ {comps[0].remote_site} · {fmt_count(comps[0].capacity_gbps)} Gbit/s"
    capacity = comps[0].capacity_for(comps[0].provides) if comps[0].provides else None
    unit = "Gbit/s" if comps[0].module == "network" else "kW"
    if kind == "pdu" or kind == "busway":
        path = getattr(comps[0], "path", None)
        human = f"{human} path {path}" if path else human
    if n > 1:
        sub = f"{n} × {human}"
        if capacity is not None:
            sub += f" · {fmt_count(capacity)} {unit} each"
        return label, sub
    if capacity is not None:
        return label, f"{human} · {fmt_count(capacity)} {unit}"
    return label, human


# --------------------------------------------------------------------------- graph


@dataclass
class _Graph:
    nodes: dict[str, DiagramNode]
    edges: list[DiagramEdge]
    member_node: dict[str, str]
    index: dict[str, int]


def _view_graph(
    fleet: Fleet, view: str, detail: int, sides: dict[str, str], fold: Collection[str]
) -> _Graph:
    """The grouped supplier → consumer graph of one resource (folded sites left out)."""
    kinds = _VIEW_KINDS[view]
    comps: dict[str, tuple[Site, Any]] = {}
    for site, comp in fleet.components():
        if comp.kind in kinds and site.name not in fold:
            comps[comp.name] = (site, comp)
    index = {name: i for i, name in enumerate(comps)}
    sup: dict[str, list[str]] = {}
    for name, (_, comp) in comps.items():
        found = [
            s
            for r in comp.requires
            if r.resource == view
            for s in r.suppliers
            if s in comps and s != name
        ]
        if view == "power":
            found += [b for b in getattr(comp, "batteries", []) or [] if b in comps]
        sup[name] = list(dict.fromkeys(found))
    cons: dict[str, list[str]] = defaultdict(list)
    for name, found in sup.items():
        for s in found:
            cons[s].append(name)

    order = suppliers_first(list(comps), sup)

    def groupable(kind: str) -> bool:
        return detail == 0 or (detail == 1 and kind in _BULK_KINDS)

    group_of: dict[str, Any] = {}
    keys: dict[Any, list[str]] = {}
    # Pass 1: consumers, by kind, zone, side and the groups of their suppliers.
    for name in order:
        site, comp = comps[name]
        if not sup[name]:
            continue
        if not groupable(comp.kind):
            key: Any = ("one", name)
        else:
            sig = frozenset(
                group_of[s] if sup[s] else ("src", comps[s][1].zone, comps[s][1].kind)
                for s in sup[name]
            )
            far = getattr(comp, "remote_site", None)
            key = (site.name, comp.kind, comp.zone, sides.get(name, ""), far, sig)
        group_of[name] = key
        keys.setdefault(key, []).append(name)
    # Pass 2: sources, by kind, zone, side and the groups they feed.
    for name in comps:
        site, comp = comps[name]
        if sup[name]:
            continue
        if not groupable(comp.kind):
            key = ("one", name)
        else:
            feeds = frozenset(group_of[c] for c in cons.get(name, []))
            key = ("src", site.name, comp.kind, comp.zone, sides.get(name, ""), feeds)
        group_of[name] = key
        keys.setdefault(key, []).append(name)

    nodes: dict[str, DiagramNode] = {}
    member_node: dict[str, str] = {}
    groups = sorted(keys.values(), key=lambda ms: min(index[m] for m in ms))
    for members in groups:
        members = sorted(members, key=lambda m: index[m])
        site, first = comps[members[0]]
        node_id = element_id("c", members[0]) if len(members) == 1 else element_id("g", members[0])
        label, sub = _node_text([comps[m][1] for m in members], site.name)
        member_sides = {sides.get(m, "") for m in members}
        nodes[node_id] = DiagramNode(
            id=node_id,
            kind=first.kind,
            members=tuple(members),
            site=site.name,
            zone=first.zone,
            label=label,
            sub=sub,
            side=member_sides.pop() if len(member_sides) == 1 else "",
        )
        for m in members:
            member_node[m] = node_id
    edges: dict[tuple[str, str], DiagramEdge] = {}
    for name in comps:
        for s in sup[name]:
            a, b = member_node[s], member_node[name]
            if a == b or (a, b) in edges:
                continue
            side = nodes[a].side or nodes[b].side
            edges[(a, b)] = DiagramEdge(a, b, side)
    return _Graph(nodes, list(edges.values()), member_node, index)


def _assign_layers(graph: _Graph) -> None:
    """Longest supplier path; sources pulled to just before their first consumer."""
    preds: dict[str, list[str]] = defaultdict(list)
    succs: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        preds[e.dst].append(e.src)
        succs[e.src].append(e.dst)
    order = suppliers_first(list(graph.nodes), {n: preds[n] for n in graph.nodes})
    pos = {n: i for i, n in enumerate(order)}
    layer: dict[str, int] = {}
    for n in order:
        ps = [p for p in preds[n] if pos[p] < pos[n]]  # ignore back edges of cycles
        layer[n] = 1 + max((layer[p] for p in ps), default=-1)
    for n in order:
        if not preds[n] and succs[n]:
            layer[n] = max(0, min(layer[s] for s in succs[n]) - 1)
    low = min(layer.values(), default=0)
    for n, node in graph.nodes.items():
        node.layer = layer[n] - low


# --------------------------------------------------------------------------- packing


@dataclass
class _Block:
    """A zone (or a site) being packed: its nodes, nested blocks and local frame."""

    key: str
    zone: Any | None
    depth: int
    nodes: list[DiagramNode] = field(default_factory=list)
    children: list[_Block] = field(default_factory=list)
    cmin: int = 0
    cmax: int = 0
    height: float = 0.0
    top: float = 0.0  # absolute, from the previous pass
    local: dict[str, float] = field(default_factory=dict)  # item key → top in parent frame


def _site_block(site: Site, nodes: list[DiagramNode]) -> _Block | None:
    by_name = {z.name: z for z in site.zones}
    blocks: dict[str, _Block] = {}
    root = _Block(key=f"site:{site.name}", zone=None, depth=0)

    def block_for(zone_name: str | None) -> _Block:
        if zone_name is None or zone_name not in by_name:
            return root
        if zone_name in blocks:
            return blocks[zone_name]
        zone = by_name[zone_name]
        parent = block_for(zone.parent if zone.parent != zone_name else None)
        blk = _Block(key=f"zone:{zone_name}", zone=zone, depth=parent.depth + 1)
        blocks[zone_name] = blk
        parent.children.append(blk)
        return blk

    for node in nodes:
        block_for(node.zone).nodes.append(node)
    if not nodes:
        return None
    # children in zone declaration order (stable start for the sweeps)
    zone_pos = {z.name: i for i, z in enumerate(site.zones)}

    def sort_children(blk: _Block) -> None:
        blk.children.sort(key=lambda b: zone_pos.get(b.zone.name, 0) if b.zone else 0)
        for c in blk.children:
            sort_children(c)

    sort_children(root)
    return root


def column_x(col: int) -> float:
    return LEFT + col * (NODE_W + COL_GAP)


def _pack(blk: _Block, target: dict[str, float]) -> None:
    """Pack a block's nodes and nested blocks (skyline, nearest to their targets)."""
    for child in blk.children:
        _pack(child, target)
    items: list[tuple[float, int, str, int, int, float, Any]] = []
    for i, node in enumerate(blk.nodes):
        t = target.get(node.id, 0.0) - NODE_H / 2 - blk.top
        items.append((t, i, node.id, node.layer, node.layer, NODE_H, node))
    for i, child in enumerate(blk.children):
        t = _block_target(child, target) - child.height / 2 - blk.top
        items.append(
            (t, len(blk.nodes) + i, child.key, child.cmin, child.cmax, child.height, child)
        )
    items.sort(key=lambda it: (it[0], it[1]))
    # Compress the targets into the height the items need when packed tightly, so
    # alignment never stretches a block (and the sweeps cannot inflate it).
    need: dict[int, float] = defaultdict(float)
    for it in items:
        for c in range(it[3], it[4] + 1):
            need[c] += it[5] + NODE_GAP
    room = max(need.values()) - min(it[5] for it in items)
    low = items[0][0]
    span = max(it[0] for it in items) - low
    scale = room / span if span > room > 0 else 1.0
    items = [((it[0] - low) * scale, *it[1:]) for it in items]
    header = ZONE_HEADER if blk.zone is not None else 0.0
    skyline: dict[int, float] = defaultdict(lambda: -1e9)
    placed: list[tuple[Any, float]] = []
    for t, _, _key, c0, c1, h, obj in items:
        floor = max(skyline[c] for c in range(c0, c1 + 1))
        y = max(t, floor)
        placed.append((obj, y))
        for c in range(c0, c1 + 1):
            skyline[c] = y + h + NODE_GAP
    shift = header + ZONE_PAD - min(y for _, y in placed)
    blk.local = {}
    bottom = 0.0
    cols: list[int] = []
    for obj, y in placed:
        y += shift
        if isinstance(obj, DiagramNode):
            blk.local[obj.id] = y
            bottom = max(bottom, y + NODE_H)
            cols.append(obj.layer)
        else:
            blk.local[obj.key] = y
            bottom = max(bottom, y + obj.height)
            cols += [obj.cmin, obj.cmax]
    blk.height = bottom + ZONE_PAD
    blk.cmin, blk.cmax = min(cols), max(cols)


def _block_target(blk: _Block, target: dict[str, float]) -> float:
    values = [target[n.id] for n in _block_nodes(blk) if n.id in target]
    return sum(values) / len(values) if values else blk.top + blk.height / 2


def _block_nodes(blk: _Block) -> list[DiagramNode]:
    out = list(blk.nodes)
    for c in blk.children:
        out += _block_nodes(c)
    return out


def _place(blk: _Block, top: float, zones: list[ZoneBox] | None, site: str) -> None:
    """Turn local tops into absolute positions (and zone boxes when asked)."""
    blk.top = top
    for node in blk.nodes:
        node.x = column_x(node.layer)
        node.y = top + blk.local[node.id]
    for child in blk.children:
        _place(child, top + blk.local[child.key], zones, site)
    if zones is not None and blk.zone is not None:
        inset = ZONE_PAD * (blk.depth - 1)
        reach = 0.5 * COL_GAP - 0.12 - inset
        zone = blk.zone
        zones.append(
            ZoneBox(
                id=element_id("z", f"{site}--{zone.name}"),
                site=site,
                name=zone.name,
                kind=zone.kind,
                fire_rated=zone.fire_rated_walls,
                depth=blk.depth,
                x0=column_x(blk.cmin) - reach,
                y0=top,
                x1=column_x(blk.cmax) + NODE_W + reach,
                y1=top + blk.height,
            )
        )


def _crossings(graph: _Graph) -> int:
    """Crossings between straight edges spanning the same columns (inversions)."""
    by_span: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for e in graph.edges:
        a, b = graph.nodes[e.src], graph.nodes[e.dst]
        by_span[(a.layer, b.layer)].append((a.y, b.y))
    total = 0
    for pairs in by_span.values():
        if len(pairs) < 2:
            continue
        arr = np.asarray(pairs)
        ds = arr[:, 0][:, None] - arr[:, 0][None, :]
        dt = arr[:, 1][:, None] - arr[:, 1][None, :]
        total += int(np.count_nonzero(ds * dt < 0)) // 2
    return total


def _folded_site(site: Site, kinds: frozenset[str]) -> FoldedSite | None:
    """The stub of a folded site: what it holds in the view (None: nothing)."""
    comps = [c for c in site.components if c.kind in kinds]
    if not comps:
        return None
    rows = [c for c in comps if c.kind == "rack_row"]
    return FoldedSite(
        id=element_id("fold", site.name),
        site=site.name,
        members=tuple(c.name for c in comps),
        kinds={c.name: c.kind for c in comps},
        zones=len({c.zone for c in comps}),
        rows=len(rows),
        racks=sum(c.racks for c in rows),
    )


def layered_layout(
    fleet: Fleet,
    view: str,
    detail: int = 0,
    sweeps: int = 8,
    fold: Collection[str] = (),
) -> DiagramLayout:
    """Lay out the ``power``, ``cooling`` or ``network`` view of ``fleet``.

    Sites are stacked top to bottom; columns are shared, so the same stage of every
    site lines up. ``sweeps`` barycentre passes are tried after the declaration
    order and the one with the fewest crossings is kept (ties: the earliest). The
    sites named in ``fold`` get a one-line stub in their place instead of a layout.
    """
    kinds = view_kinds(view)
    if detail not in DETAIL_LEVELS:
        raise ValueError(f"detail must be one of {DETAIL_LEVELS}, not {detail!r}")
    sides = component_sides(fleet) if view == "power" else {}
    graph = _view_graph(fleet, view, detail, sides, frozenset(fold))
    _assign_layers(graph)
    neighbours: dict[str, list[str]] = defaultdict(list)
    for e in graph.edges:
        neighbours[e.src].append(e.dst)
        neighbours[e.dst].append(e.src)
    by_site: dict[str, list[DiagramNode]] = defaultdict(list)
    for node in graph.nodes.values():
        by_site[node.site].append(node)
    blocks: list[tuple[str, _Block | FoldedSite]] = []
    for site in fleet.sites:
        item = (
            _folded_site(site, kinds)
            if site.name in fold
            else _site_block(site, by_site.get(site.name, []))
        )
        if item is not None:
            blocks.append((site.name, item))

    # Pass 0: declaration order within each column.
    target: dict[str, float] = {}
    seen: dict[tuple[str, int], int] = defaultdict(int)
    for node in graph.nodes.values():
        k = (node.site, node.layer)
        target[node.id] = seen[k] * (NODE_H + NODE_GAP)
        seen[k] += 1

    def stack_sites(relative: bool) -> None:
        top = MARGIN
        for _, blk in blocks:
            if isinstance(blk, FoldedSite):
                blk.y0, blk.y1 = top, top + STUB_H
                top += STUB_H + STUB_GAP
                continue
            blk.top = top  # the frame the targets are read in
            shifted = {n.id: target[n.id] + top for n in _block_nodes(blk)} if relative else target
            _pack(blk, shifted)
            _place(blk, top, None, "")
            top += blk.height + SITE_GAP

    best: tuple[int, int, dict[str, float]] | None = None
    for sweep in range(sweeps + 1):
        if sweep:
            new: dict[str, float] = {}
            for node in graph.nodes.values():
                ys = [graph.nodes[n].y + NODE_H / 2 for n in neighbours[node.id]]
                own = node.y + NODE_H / 2
                new[node.id] = (sum(ys) + own) / (len(ys) + 1) if ys else own
            target = new
        stack_sites(relative=sweep == 0)
        score = _crossings(graph)
        if best is None or score < best[0]:
            best = (score, sweep, dict(target))
    assert best is not None
    target = best[2]
    stack_sites(relative=best[1] == 0)
    zones: list[ZoneBox] = []
    bottom = MARGIN
    for name, blk in blocks:
        if isinstance(blk, FoldedSite):
            bottom = blk.y1
            continue
        _place(blk, blk.top, zones, name)
        bottom = blk.top + blk.height
    zones.sort(key=lambda z: (z.depth, z.y0, z.x0))
    ncols = 1 + max((n.layer for n in graph.nodes.values()), default=0)
    columns = []
    for col in range(ncols):
        column_kinds = [n.kind for n in graph.nodes.values() if n.layer == col]
        ranked = sorted(dict.fromkeys(column_kinds), key=lambda k: -column_kinds.count(k))
        names = [KIND_LABELS.get(k, k) for k in ranked]
        columns.append(" / ".join(names[:2]) + (" …" if len(names) > 2 else ""))
    width = column_x(ncols - 1) + NODE_W + MARGIN + 0.5 * COL_GAP
    folded = [blk for _, blk in blocks if isinstance(blk, FoldedSite)]
    for stub in folded:  # as wide as the outermost zone boxes of the sites drawn
        stub.x0, stub.x1 = column_x(0) - 0.5 * COL_GAP + 0.12, width - MARGIN - 0.12
    return DiagramLayout(
        view=view,
        detail=detail,
        nodes=graph.nodes,
        edges=graph.edges,
        zones=zones,
        width=width,
        height=bottom + MARGIN,
        columns=columns,
        member_node=graph.member_node,
        crossings=best[0],
        folded=folded,
    )
