"""The blast radius of a scenario as a Mermaid flowchart, for pull-request comments.

Nodes are what the scenario touched: every component that went down at any
moment, every component that stayed up with a supplier down (degraded), and the
events that started it (the injected scenario events, fire spreading, a building
de-energised, a generator failing to start). Edges run supplier → consumer among
them, and from an event to the components it failed directly.

Mermaid chokes on big graphs, so at most ``max_edges`` edges are drawn: when there
are more, components are collapsed into one node per (zone, kind), then per
(site, kind), and a ``%%`` comment line says so. Node ids are ``n0``, ``n1``, … in
a deterministic order (never a Mermaid keyword such as ``end``), and every label
is quoted with anything outside a small safe alphabet written as a Mermaid entity
code (``#34;``), so names containing quotes, ``<``, ``>``, ``|`` or backticks cannot
break the chart or the Markdown around it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping

from twin.analysis.timeline import EventKind, Timeline, TimelineEvent
from twin.model import Fleet

__all__ = ["blast_radius_mermaid", "mermaid_label"]

_SAFE_CHARS = re.compile(r"[A-Za-z0-9 _.,:/()+=-]")
_EVENT_KINDS = frozenset(
    {
        EventKind.SCENARIO,
        EventKind.FIRE_SPREAD,
        EventKind.DEENERGIZED,
        EventKind.GENERATOR_FAILED_TO_START,
        EventKind.GENERATOR_OUT_OF_FUEL,
        EventKind.THERMAL_STORAGE_EXHAUSTED,
    }
)


def mermaid_label(text: str, limit: int = 80) -> str:
    """``text`` as a quoted Mermaid label; unsafe characters become entity codes.

    >>> mermaid_label('a "b" <c> | end')
    '"a #34;b#34; #60;c#62; #124; end"'
    """
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    body = "".join(ch if _SAFE_CHARS.fullmatch(ch) else f"#{ord(ch)};" for ch in text)
    return f'"{body}"'


def blast_radius_mermaid(
    fleet: Fleet, timeline: Timeline, max_edges: int = 500, *, readable: bool = False
) -> str:
    """A ``graph LR`` Mermaid flowchart of what ``timeline``'s scenario took down.

    Failed components (down at any moment) are red, degraded ones amber, events
    orange. At most ``max_edges`` edges; larger blast radii are collapsed by zone and
    kind, then by site and kind (said in a comment line), then cut (also said).
    ``readable`` (for a pull-request comment) always collapses by zone and kind, labels
    groups as "52 battery strings · pangyo-b3-battery-room", and leaves out what only
    ran degraded: the chain of what went down.
    """
    index = {c.name: (site.name, c) for site, c in fleet.components()}
    order = {name: i for i, name in enumerate(index)}

    failed: dict[str, TimelineEvent] = {}
    events: list[tuple[str, str]] = []  # (event key, label)
    keys: dict[int, str] = {}  # event id → key, for the events drawn as nodes
    always: set[str] = set()  # drawn even without an edge: what started it
    for e in timeline.events:
        if e.kind == EventKind.COMPONENT_DOWN and e.subject in index and e.subject not in failed:
            failed[e.subject] = e
        elif e.kind in _EVENT_KINDS:
            label = f"{e.kind.replace('_', ' ')}: {e.subject} ({e.cause}) at t+{e.time_s:g} s"
            keys[e.id] = f"e{e.id}"
            events.append((keys[e.id], label))
            if e.kind in (EventKind.SCENARIO, EventKind.GENERATOR_FAILED_TO_START):
                always.add(keys[e.id])
    degraded: list[str] = []
    for name, (_, comp) in index.items():
        if name in failed or readable:
            continue
        sup = [s for r in comp.requires for s in r.suppliers]
        sup += list(getattr(comp, "batteries", []) or [])
        if any(s in failed for s in sup):
            degraded.append(name)
    touched = sorted([*failed, *degraded], key=lambda n: order[n])

    comp_edges: list[tuple[str, str]] = []
    for name in touched:
        comp = index[name][1]
        sup = [s for r in comp.requires for s in r.suppliers]
        sup += list(getattr(comp, "batteries", []) or [])
        for s in dict.fromkeys(sup):
            if s in failed:
                comp_edges.append((s, name))
    event_edges: list[tuple[str, str]] = []
    for name, event in sorted(failed.items(), key=lambda kv: order[kv[0]]):
        # the event that failed it directly; none when it lost a supply
        key = keys.get(event.trigger) if event.trigger is not None else None
        if key is not None:
            event_edges.append((key, name))

    def state(name: str) -> str:
        return "failed" if name in failed else "degraded"

    strategies: list[tuple[str, Callable[[str], str]]] = [
        ("", lambda n: n),
        (
            "collapsed by zone and kind",
            lambda n: f"{index[n][0]}|{index[n][1].zone}|{index[n][1].kind}|{state(n)}",
        ),
        ("collapsed by site and kind", lambda n: f"{index[n][0]}|{index[n][1].kind}|{state(n)}"),
    ]
    if readable:
        strategies = strategies[1:]
    for note, key_of in strategies:
        groups: dict[str, list[str]] = defaultdict(list)
        for name in touched:
            groups[key_of(name)].append(name)
        edges = list(
            dict.fromkeys(
                [(key_of(a), key_of(b)) for a, b in comp_edges if key_of(a) != key_of(b)]
                + [(ev, key_of(b)) for ev, b in event_edges]
            )
        )
        if len(edges) <= max_edges or note == strategies[-1][0]:
            break
    if readable:
        note = ""
    return _render(timeline, events, always, groups, edges, max_edges, note, state, index, readable)


def _render(
    timeline: Timeline,
    events: list[tuple[str, str]],
    always: set[str],
    groups: dict[str, list[str]],
    edges: list[tuple[str, str]],
    max_edges: int,
    note: str,
    state: Callable[[str], str],
    index: Mapping[str, tuple[str, object]],
    readable: bool = False,
) -> str:
    ids: dict[str, str] = {}
    lines = ["graph LR"]
    lines.append(f"%% blast radius of {_comment(timeline.scenario)} ({_comment(timeline.fleet)})")
    if note:
        lines.append(f"%% more than {max_edges} edges: {note}")
    if len(edges) > max_edges:
        lines.append(f"%% {len(edges) - max_edges} of {len(edges)} edges left out")
        edges = edges[:max_edges]
    used_events = {a for a, _ in edges} | {b for _, b in edges}
    for key, label in events:
        if key in used_events or key in always:
            ids[key] = f"n{len(ids)}"
            lines.append(f"  {ids[key]}{{{{{mermaid_label(label)}}}}}")
    for key, members in groups.items():
        ids[key] = f"n{len(ids)}"
        if readable:
            comp = index[members[0]][1]
            label = f"{_count_label(comp, len(members))} · {getattr(comp, 'zone', '')}"
        elif len(members) == 1:
            label = members[0]
        else:
            comp = index[members[0]][1]
            kind = getattr(comp, "kind", "component")
            label = f"{len(members)} × {kind} in {getattr(comp, 'zone', '')}: {members[0]} …"
        lines.append(f"  {ids[key]}[{mermaid_label(label)}]")
    for a, b in edges:
        if a in ids and b in ids:
            lines.append(f"  {ids[a]} --> {ids[b]}")
    classes: dict[str, list[str]] = defaultdict(list)
    for key, _label in events:
        if key in ids:
            classes["event"].append(ids[key])
    for key, members in groups.items():
        classes[state(members[0])].append(ids[key])
    lines.append("  classDef failed fill:#e57373,stroke:#b71c1c,color:#000")
    lines.append("  classDef degraded fill:#ffd54f,stroke:#8d6e00,color:#000")
    lines.append("  classDef event fill:#ff6f00,stroke:#b71c1c,color:#fff")
    for name in ("event", "failed", "degraded"):
        if classes[name]:
            lines.append(f"  class {','.join(classes[name])} {name}")
    return "\n".join(lines) + "\n"


def _count_label(comp: object, n: int) -> str:
    """``"52 battery strings"``, ``"1 UPS"``: the model's label for the kind."""
    label = getattr(type(comp), "label", "") or str(getattr(comp, "kind", "component"))
    label = label.replace("_", " ")
    if n == 1:
        return f"1 {label}"
    if label.endswith("f"):
        return f"{n} {label[:-1]}ves"
    return f"{n} {label}{'' if label.endswith(('s', 'gear')) else 's'}"


def _comment(text: str) -> str:
    """Text safe inside a ``%%`` comment line: no newlines, no fence breakers, and no
    ``%`` or braces, so a name cannot open a ``%%{init: …}%%`` directive."""
    return re.sub(r"[^\x20-\x7e]|[`%{}]", "?", text)[:120]
