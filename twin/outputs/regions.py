"""The region map's layout: regions, their sites side by side, each site's service
replicas below it, and one arc per pair of sites joined by backbone links (pure Python).

A backbone link is a component at one end of a fibre or at each end (the ``backbone``
pattern declares both ends); the engine joins two sites while any of them is up.
Drawing each component gave two arcs per pair with colliding labels, so here every
pair of sites is one :class:`twin.outputs.layout.LinkBundle`: one arc, one label
naming the pair, how many links join it and the shared-risk groups they run in.

Arcs are drawn as bridges: up from each site (the legs), along at a level of their
own (the run, where the label sits), down to the other site. Levels are given
shortest span first: an arc runs above every arc it spans (so arcs nest), a label
never shares a level with a label or a run it would overlap, and no leg rises
through a label where a level can avoid it. Levels are further apart than a label
is tall, so no two labels overlap; runs are level, so a run passes no label below.
Label widths come from the caller (the drawing measures its own text), which keeps
matplotlib out of here.

Coordinates are in inches, y growing downwards, as in :mod:`twin.outputs.layout`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from twin.model import Fleet
from twin.outputs.layout import (
    MARGIN,
    ZONE_HEADER,
    ZONE_PAD,
    DiagramEdge,
    DiagramLayout,
    DiagramNode,
    LinkBundle,
    ZoneBox,
    clip_text,
    element_id,
    fmt_count,
)

__all__ = [
    "LABEL_GAP",
    "LEVEL_STEP",
    "assign_levels",
    "bundle_label",
    "estimate_label_width",
    "link_bundles",
    "regions_layout",
    "srlg_sharing",
]

SITE_W = 2.9
SITE_H = 0.62
REPLICA_H = 0.4
REGION_GAP = 0.5
SITE_GAP = 0.6

LEVEL_BASE = 0.55
"""Height of the lowest arcs' run above the sites' top edge."""
LEVEL_STEP = 0.3
"""Height between arc levels: more than a label is tall (6.5 pt text and its padding)."""
LABEL_GAP = 0.2
"""Horizontal room kept between two labels on one level (a viewer's font may be wider)."""


def srlg_sharing(fleet: Fleet) -> dict[str, list[tuple[str, str]]]:
    """SRLG → the distinct site pairs whose backbone links run in it (shared if > 1)."""
    pairs: dict[str, list[tuple[str, str]]] = {}
    for site, comp in fleet.components():
        if comp.kind != "backbone_link":
            continue
        low, high = sorted((site.name, comp.remote_site))
        pair = (low, high)
        for g in comp.srlg:
            if pair not in pairs.setdefault(g, []):
                pairs[g].append(pair)
    return pairs


def bundle_label(bundle: LinkBundle, shared: Collection[str], down: int = 0) -> str:
    """``ansan – seoul · 2 links · ⚠ duct-gyeonggi-trunk, route-capital-west``.

    Shared-risk groups that links between other pairs of sites also run in are marked
    ⚠; ``down`` (on a failure overlay) says how many of the links are down.
    """
    n = len(bundle.links)
    count = f"{n} links" if n > 1 else "1 link"
    if down:
        count += ", down" if down == n == 1 else (", all down" if down == n else f", {down} down")
    groups = ", ".join(("⚠ " + g) if g in shared else g for g in bundle.srlg) or "no SRLG"
    return f"{bundle.sites[0]} – {bundle.sites[1]} · {count} · {groups}"


def estimate_label_width(text: str) -> float:
    """A label's width in inches at 6.5 pt, when the caller cannot measure it."""
    return 0.062 * len(text) + 0.1


def link_bundles(fleet: Fleet, x_of: dict[str, float]) -> list[LinkBundle]:
    """One bundle per pair of sites joined by backbone links, left site first.

    ``x_of`` gives each drawn site's position; links to a site not drawn are left out.
    Bundles come in the order their first link is declared.
    """
    found: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for site, comp in fleet.components():
        if comp.kind != "backbone_link" or comp.remote_site not in x_of:
            continue
        if site.name not in x_of or site.name == comp.remote_site:
            continue
        a, b = sorted((site.name, comp.remote_site), key=lambda s: (x_of[s], s))
        links, groups = found.setdefault((a, b), ([], []))
        links.append(comp.name)
        groups += [g for g in comp.srlg if g not in groups]
    return [
        LinkBundle(
            id=element_id("link", f"{a}--{b}"),
            sites=(a, b),
            links=tuple(links),
            srlg=tuple(groups),
        )
        for (a, b), (links, groups) in found.items()
    ]


def _label_range(span: tuple[float, float, float, float]) -> tuple[float, float]:
    _, _, centre, width = span
    return centre - width / 2, centre + width / 2


def _overlap(a: tuple[float, float], b: tuple[float, float], gap: float = 0.0) -> bool:
    return a[0] - gap < b[1] and b[0] < a[1] + gap


def _legs_in(span: tuple[float, float, float, float], label: tuple[float, float]) -> bool:
    """Whether either leg of an arc rises through a label's x range (with ``LABEL_GAP``)."""
    lo, hi = label[0] - LABEL_GAP, label[1] + LABEL_GAP
    return lo < span[0] < hi or lo < span[1] < hi


def _spans(
    outer: tuple[float, float, float, float], inner: tuple[float, float, float, float]
) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _clashes(
    spans: Sequence[tuple[float, float, float, float]],
    levels: dict[int, int],
    i: int,
    j: int,
    level: int,
) -> bool:
    """Whether arc ``i`` at ``level`` clashes with arc ``j`` (placed at ``levels[j]``)."""
    label, other = _label_range(spans[i]), _label_range(spans[j])
    if levels[j] == level:  # labels and runs on one level keep apart
        return (
            _overlap(label, other, LABEL_GAP)
            or _overlap(label, (spans[j][0], spans[j][1]), LABEL_GAP)
            or _overlap((spans[i][0], spans[i][1]), other, LABEL_GAP)
        )
    return levels[j] > level and _legs_in(spans[j], label)  # j's legs rise past the label


def assign_levels(spans: Sequence[tuple[float, float, float, float]]) -> list[int]:
    """A level per arc, given ``(x0, x1, label centre, label width)`` per arc.

    An arc rises from its ends (its legs) to a horizontal run at its level, where its
    label sits. Shortest span first, each arc takes the lowest level that is

    * above every arc it spans (arcs nest),
    * where its label and its run clear every label and run already on that level,
    * where its label is clear of the legs of arcs already placed higher up;

    all with ``LABEL_GAP`` between them. Then, once, an arc whose label a longer arc's
    leg rises through is lifted above that arc, where that is possible without
    breaking the nesting or putting its own legs through the other's label. Arcs that
    cross each other still cross, and in a dense mesh a leg may still pass a label.
    """
    n = len(spans)
    order = sorted(range(n), key=lambda i: (spans[i][1] - spans[i][0], spans[i][0], i))
    levels: dict[int, int] = {}

    def place(i: int, level: int) -> int:
        while any(_clashes(spans, levels, i, j, level) for j in levels if j != i):
            level += 1
        return level

    for i in order:
        nested = [levels[j] for j in levels if _spans(spans[i], spans[j])]
        levels[i] = place(i, 1 + max(nested, default=-1))
    for j in order:
        label = _label_range(spans[j])
        above = [
            i for i in levels if levels[i] > levels[j] and i != j and _legs_in(spans[i], label)
        ]
        if not above or any(_legs_in(spans[j], _label_range(spans[i])) for i in above):
            continue
        target = 1 + max(levels[i] for i in above)
        outer = [levels[k] for k in levels if k != j and _spans(spans[k], spans[j])]
        if any(level <= target for level in outer):
            continue  # lifting j would put it above an arc that spans it
        level = place(j, target)
        if all(level < o for o in outer):
            levels[j] = level
    return [levels[i] for i in range(n)]


def _ports(bundles: list[LinkBundle], nodes: dict[str, DiagramNode]) -> None:
    """Where each arc leaves its sites' top edges, so that arcs nest instead of cross.

    At a site, arcs to sites on the left leave left of those to the right; among
    arcs going one way, the one to the nearer site leaves nearer that side.
    """
    x_of = {n.site: n.x for n in nodes.values()}
    at: dict[str, list[tuple[tuple[int, float], LinkBundle, int]]] = {}
    for bundle in bundles:
        a, b = bundle.sites
        # left end a: arcs to farther sites leave further left (key: -far x)
        at.setdefault(a, []).append(((1, -x_of[b]), bundle, 0))
        # right end b: arcs to nearer sites leave further left (key: -far x)
        at.setdefault(b, []).append(((0, -x_of[a]), bundle, 1))
    for site, ends in at.items():
        node = nodes[element_id("site", site)]
        ends.sort(key=lambda e: (e[0], e[1].id))
        for k, (_, bundle, end) in enumerate(ends):
            x = node.x + node.w * (0.12 + 0.76 * (k + 0.5) / len(ends))
            if end == 0:
                bundle.x0 = x
            else:
                bundle.x1 = x


def _place_bundles(bundles: list[LinkBundle], nodes: dict[str, DiagramNode], width: float) -> int:
    """Ports, label positions and levels of every (labelled) bundle; the levels used."""
    _ports(bundles, nodes)
    for bundle in bundles:
        centre = (bundle.x0 + bundle.x1) / 2
        half = bundle.label_w / 2
        bundle.label_x = min(max(centre, MARGIN + half), max(width - MARGIN - half, MARGIN + half))
    spans = [(b.x0, b.x1, b.label_x, b.label_w) for b in bundles]
    for bundle, level in zip(bundles, assign_levels(spans), strict=True):
        bundle.level = level
    return 1 + max((b.level for b in bundles), default=-1)


def regions_layout(
    fleet: Fleet,
    label_of: Callable[[LinkBundle], str] | None = None,
    measure: Callable[[str], float] = estimate_label_width,
) -> DiagramLayout:
    """Regions as boxes, their sites side by side, each site's service replicas below it.

    Backbone links become one :class:`LinkBundle` per pair of sites, labelled by
    ``label_of`` (default :func:`bundle_label`) and measured by ``measure`` (inches).
    """
    rows = {c.name: c for _, c in fleet.components() if c.kind == "rack_row"}
    nodes: dict[str, DiagramNode] = {}
    zones: list[ZoneBox] = []
    x = MARGIN
    # laid out from y = 0 at the sites' top edge; moved down below the arcs at the end
    bottom = 0.0
    for region in fleet.regions:
        sites = [s for s in fleet.sites if s.region == region.name]
        if not sites:
            continue
        x0 = x
        x += ZONE_PAD + 0.1
        for site in sites:
            site_rows = [c for c in site.components if c.kind == "rack_row"]
            racks = sum(c.racks for c in site_rows)
            servers = sum(c.servers for c in site_rows)
            sid = element_id("site", site.name)
            nodes[sid] = DiagramNode(
                id=sid,
                kind="site",
                members=tuple(c.name for c in site.components),
                site=site.name,
                zone=None,
                label=clip_text(site.name),
                sub=(
                    f"{len(site_rows)} rows / {fmt_count(racks)} racks / "
                    f"{fmt_count(servers)} servers"
                ),
                x=x,
                y=0.0,
                w=SITE_W,
                h=SITE_H,
            )
            y = SITE_H + 0.25
            for service in fleet.services:
                # one node per service and role at a site: replicas spread over halls
                # read as one deployment, with its total rows and capacity
                for role in ("active", "standby"):
                    reps = [r for r in service.replicas if r.site == site.name and r.role == role]
                    if not reps:
                        continue
                    rid = element_id("replica", f"{service.name}@{site.name}#{role}")
                    rep_rows = [row for r in reps for row in r.rows]
                    racks = sum(rows[r].racks for r in rep_rows if r in rows)
                    count = f"{len(reps)} replicas · " if len(reps) > 1 else ""
                    nodes[rid] = DiagramNode(
                        id=rid,
                        kind="replica",
                        members=tuple(rep_rows),
                        site=site.name,
                        zone=None,
                        label=clip_text(service.name),
                        sub=f"{role} · {count}{len(rep_rows)} rows / {fmt_count(racks)} racks · "
                        f"{fmt_count(sum(r.capacity_rps for r in reps))} rps",
                        x=x + 0.15,
                        y=y,
                        w=SITE_W - 0.15,
                        h=REPLICA_H,
                    )
                    y += REPLICA_H + 0.08
            bottom = max(bottom, y)
            x += SITE_W + SITE_GAP
        x1 = x - SITE_GAP + ZONE_PAD + 0.1
        zones.append(
            ZoneBox(
                id=element_id("region", region.name),
                site="",
                name=region.name,
                kind="region",
                fire_rated=False,
                depth=1,
                x0=x0,
                y0=-ZONE_HEADER - ZONE_PAD,
                x1=x1,
                y1=bottom + ZONE_PAD,
            )
        )
        x = x1 + REGION_GAP
    width = max(x - REGION_GAP + MARGIN, 6.0)
    site_nodes = {n.site: n for n in nodes.values() if n.kind == "site"}
    bundles = link_bundles(fleet, {s: n.x for s, n in site_nodes.items()})
    if label_of is None:
        shared = {g for g, pairs in srlg_sharing(fleet).items() if len(pairs) > 1}
        label_of = lambda b: bundle_label(b, shared)  # noqa: E731
    for bundle in bundles:
        bundle.label = label_of(bundle)
        bundle.label_w = measure(bundle.label)
    widest = max((b.label_w for b in bundles), default=0.0)
    width = max(width, widest + 2 * MARGIN)  # a long label widens the map, never leaves it
    levels = _place_bundles(bundles, nodes, width)
    # the highest label's top, then the margin, sit just below the legend
    arc_room = LEVEL_BASE + (levels - 1) * LEVEL_STEP + 0.1 if levels else 0.0
    top = MARGIN + max(arc_room, ZONE_HEADER + ZONE_PAD)  # region boxes start above the sites
    for node in nodes.values():
        node.y += top
    for zone in zones:
        zone.y0 += top
        zone.y1 += top
    for bundle in bundles:
        bundle.base = top
        bundle.apex = top - LEVEL_BASE - bundle.level * LEVEL_STEP
    member_node = {link: b.id for b in bundles for link in b.links}
    edges = [
        DiagramEdge(site_nodes[b.sites[0]].id, site_nodes[b.sites[1]].id, label=b.id)
        for b in bundles
    ]
    return DiagramLayout(
        view="regions",
        detail=0,
        nodes=nodes,
        edges=edges,
        zones=zones,
        width=width,
        height=top + bottom + ZONE_PAD + MARGIN,
        member_node=member_node,
        bundles=bundles,
    )
