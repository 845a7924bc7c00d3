"""A timeline's event log collapsed into the lines a person reads, and its severity.

A fire in a battery room logs an event per battery string it burns; Pangyo's logs 784
events. Reports show them grouped (the JSON keeps every event as it is):

- **One moment, one cause**: events at the same time, of the same kind, with the same
  cause once their own subject is taken out of it, are one group, summarised by the
  kind of what they happened to (``52 battery strings down — fire in
  pangyo-b3-battery-room``). A lost supply counts as one cause whatever the resource,
  and a served fraction changing as one kind of event whatever the service; each is
  told from its members (what went down upstream, each service's before and after).
- **Echoes fold in**: a component coming up or going down, or a service's served
  fraction changing, at the same moment as an event about the same subject (its servers
  booted, it was repaired, it was rebuilt) is part of that event's group.
- **A trigger tells the why**: when every member of a group was triggered by one event
  at that moment which stands alone on its line (the fire breaking out, spreading to the
  UPS room, the fire service cutting the building), that event becomes the group's
  cause instead of a line of its own.
- **Steps run on**: a group repeating at the following moments (rack rows booting one
  after another, services climbing back) continues as one stretch of time, until a
  moment brings something new while it does not repeat. A moment's groups are read in
  log order, causes before effects: once something new happens at a moment, what
  follows it there starts afresh.

Every event stays reachable: a group's :attr:`EventGroup.events` lists all it stands for
(the HTML report expands them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from twin.analysis.timeline import CauseKind, EventKind, LossPoint, Timeline, TimelineEvent
from twin.model import KIND_LABELS, Fleet
from twin.outputs.tables import duration, time_span

__all__ = [
    "EventGroup",
    "LossStep",
    "component_kinds",
    "group_events",
    "loss_steps",
    "plural",
    "severity",
]

_SERVICE_CHANGES = frozenset(
    {EventKind.SERVICE_DOWN, EventKind.SERVICE_DEGRADED, EventKind.SERVICE_RESTORED}
)
_ECHOES = frozenset({EventKind.COMPONENT_UP, EventKind.COMPONENT_DOWN, *_SERVICE_CHANGES})
"""State changes that restate, for a subject, what another event at that moment did."""
_SERVICE_EVENTS = _SERVICE_CHANGES | {
    EventKind.FAILOVER_STARTED,
    EventKind.FAILOVER_COMPLETE,
    EventKind.SERVICE_REBUILT,
}
_ZONE_EVENTS = frozenset(
    {EventKind.FIRE_SPREAD, EventKind.DEENERGIZED, EventKind.FIRE_OUT, EventKind.REENERGIZED}
)
_PER_MEMBER = frozenset(
    {"down", "group", "suppliers", "at_least", "capacity", "resource", "before", "now"}
    | {"servers", "load_kw"}
)
"""Cause figures that describe one member (its own suppliers, its own load), not the cause."""
_SUBJECT = "\x00subject"
_SHOWN = 3
"""Names listed before "(+N more)"."""

_WHAT: dict[EventKind, str] = {
    EventKind.SCENARIO: "scenario at {}",
    EventKind.FIRE_SPREAD: "fire spreads to {}",
    EventKind.DEENERGIZED: "{} de-energised",
    EventKind.GENERATOR_START: "{} starting",
    EventKind.GENERATOR_RUNNING: "{} running",
    EventKind.GENERATOR_FAILED_TO_START: "{} failed to start",
    EventKind.GENERATOR_OUT_OF_FUEL: "{} out of fuel",
    EventKind.THERMAL_STORAGE_DISCHARGING: "{} discharging",
    EventKind.THERMAL_STORAGE_EXHAUSTED: "{} exhausted",
    EventKind.ON_BATTERY: "{} on battery",
    EventKind.OFF_BATTERY: "{} off battery",
    EventKind.BATTERY_DEPLETED: "{}: battery depleted",
    EventKind.COMPONENT_DOWN: "{} down",
    EventKind.COMPONENT_UP: "{} up",
    EventKind.SERVICE_DOWN: "{} down",
    EventKind.SERVICE_DEGRADED: "{} degraded",
    EventKind.SERVICE_RESTORED: "{} restored",
    EventKind.FAILOVER_STARTED: "{}: failover started",
    EventKind.FAILOVER_COMPLETE: "{}: failover complete",
    EventKind.FIRE_OUT: "fire out in {}",
    EventKind.REPAIRED: "{} repaired",
    EventKind.REENERGIZED: "{} re-energised",
    EventKind.SERVERS_RESTARTED: "servers booted in {}",
    EventKind.FUEL_DELIVERED: "{} refuelled",
    EventKind.RETURNED: "{} back",
    EventKind.SERVICE_REBUILT: "{} rebuilt",
}
_IRREGULAR = {"switchgear": "switchgear", "leaf": "leaves", "thermal storage": "thermal stores"}


def plural(noun: str, count: int) -> str:
    """``noun`` for ``count`` of them.

    >>> plural("UPS", 4), plural("leaf", 2), plural("switchgear", 3), plural("zone", 1)
    ('UPSs', 'leaves', 'switchgear', 'zone')
    """
    if count == 1:
        return noun
    return _IRREGULAR.get(noun, noun + "s")


def component_kinds(fleet: Fleet) -> dict[str, str]:
    """Component name → kind, for summarising a group by what its members are."""
    return {c.name: c.kind for _, c in fleet.components()}


@dataclass(frozen=True)
class EventGroup:
    """Events a person reads as one line: when, what happened, and why.

    ``members`` are the events the line counts (same moment or steps, same kind and
    cause); ``echoes`` are the state changes folded in with them, and ``trigger`` the
    event that set them all off when it is told as their cause. ``events`` is all of
    them, in log order: everything the line stands for.
    """

    start_s: float
    end_s: float
    kind: EventKind
    members: tuple[TimelineEvent, ...]
    echoes: tuple[TimelineEvent, ...]
    trigger: TimelineEvent | None
    what: str
    cause: str

    @property
    def events(self) -> tuple[TimelineEvent, ...]:
        told = (self.trigger,) if self.trigger is not None else ()
        return tuple(sorted((*told, *self.members, *self.echoes), key=lambda e: e.id))

    @property
    def count(self) -> int:
        """How many events of its kind the line stands for (echoes not counted)."""
        return len(self.members)

    @property
    def when(self) -> str:
        """``10 min``, or ``16 h 34 min – 26 h 34 min`` for steps."""
        return time_span(self.start_s, self.end_s)

    @property
    def line(self) -> str:
        return f"{self.when}  {self.what} — {self.cause}"

    def listing(self) -> list[tuple[str, list[str]]]:
        """Every event of the line, as ``(kind — cause, [subjects])`` for each distinct kind
        and cause in log order; a subject carries its time in a stretch of time."""
        out: dict[tuple[str, str], list[str]] = {}
        for e in self.events:
            at = f" ({duration(e.time_s)})" if self.end_s > self.start_s else ""
            out.setdefault((str(e.kind), e.cause), []).append(e.subject + at)
        return [(f"{kind} — {cause}", names) for (kind, cause), names in out.items()]


@dataclass
class _Builder:
    start_s: float
    end_s: float
    members: list[TimelineEvent] = field(default_factory=list)
    echoes: list[TimelineEvent] = field(default_factory=list)
    trigger: TimelineEvent | None = None
    told_by: _Builder | None = None
    """The group this one's single event became the cause of."""


def group_events(
    events: Iterable[TimelineEvent], kinds: Mapping[str, str] | None = None
) -> list[EventGroup]:
    """``events`` (a timeline's log, in time order) as the groups described above;
    ``kinds`` (component name → kind, :func:`component_kinds`) names what members are."""
    kinds = kinds or {}
    groups: list[_Builder] = []
    running: dict[Hashable, _Builder] = {}  # steps that may continue at the next moment
    for time_s, moment in groupby(events, key=lambda e: e.time_s):
        here: dict[Hashable, _Builder] = {}
        by_subject: dict[str, _Builder] = {}
        news = False
        for event in moment:
            folded = by_subject.get(event.subject) if event.kind in _ECHOES else None
            if folded is not None:
                folded.echoes.append(event)
                continue
            key = _key(event)
            group = here.get(key)
            if group is None:
                group = None if news else running.get(key)
                if group is None:
                    group = _Builder(time_s, time_s)
                    groups.append(group)
                    news = True
                here[key] = group
            group.members.append(event)
            group.end_s = time_s
            if event.kind not in _ECHOES:
                by_subject.setdefault(event.subject, group)
        running = here if news else {**running, **here}
    _tell_triggers(groups)
    # a group told by its trigger takes the trigger's place: causes read first
    lines = [g.told_by or g for g in groups if g.trigger is None]
    return [_finish(g, kinds) for g in lines]


def _tell_triggers(groups: list[_Builder]) -> None:
    """Fold a lone event into the first group, at its moment, that it alone triggered."""
    lone = {
        g.members[0].id: g
        for g in groups
        if len(g.members) == 1 and not g.echoes and g.start_s == g.end_s
    }
    for group in groups:
        triggers = {e.trigger for e in group.members}
        trigger = next(iter(triggers)) if len(triggers) == 1 else None
        source = lone.get(trigger) if trigger is not None else None
        # a lone line tells one group's cause, and only while it tells nothing itself
        if source is None or source is group or source.told_by or source.trigger:
            continue
        if group.start_s != source.start_s or group.end_s != group.start_s:
            continue
        group.trigger = source.members[0]
        source.told_by = group


def _key(event: TimelineEvent) -> Hashable:
    """What makes two events the same line: kind and cause, without the subject."""
    c = event.reason
    kind: Hashable = "service" if event.kind in _SERVICE_CHANGES else event.kind
    if c.kind is CauseKind.REPAIRED:  # UPSs and their buses, each after its repair time
        return kind, c.kind, c.get("seconds")
    source = _SUBJECT if c.source == event.subject else c.source
    detail = tuple(
        (k, _SUBJECT if v == event.subject else _hashable(v))
        for k, v in c.detail
        if k not in _PER_MEMBER
    )
    return kind, c.kind, source, detail


def _hashable(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value if isinstance(value, Hashable) else repr(value)


def _finish(group: _Builder, kinds: Mapping[str, str]) -> EventGroup:
    members = group.members
    first = members[0]
    return EventGroup(
        start_s=group.start_s,
        end_s=group.end_s,
        kind=first.kind,
        members=tuple(members),
        echoes=tuple(group.echoes),
        trigger=group.trigger,
        what=_what(members, kinds),
        cause=_told(group.trigger) if group.trigger else _cause(members, kinds),
    )


def _told(trigger: TimelineEvent) -> str:
    """A triggering event as the cause of a line: ``fire spreads to …: heat and fire …``,
    or the scenario itself: ``fire breaks out in pangyo/pangyo-b3-battery-room``."""
    if trigger.kind is EventKind.SCENARIO:
        where = " in " if trigger.cause_kind is CauseKind.FIRE_BREAKS_OUT else ": "
        return f"{trigger.cause}{where}{trigger.subject}"
    return f"{_WHAT[trigger.kind].format(trigger.subject)}: {trigger.cause}"


def _what(members: list[TimelineEvent], kinds: Mapping[str, str]) -> str:
    first = members[0]
    subjects = list(dict.fromkeys(e.subject for e in members))
    verb = _WHAT[first.kind]
    if first.kind in _SERVICE_CHANGES and len({e.kind for e in members}) > 1:
        verb = "{}: served fraction changes"
    if len(subjects) == 1:
        return verb.format(subjects[0])
    if first.kind in _SERVICE_EVENTS and len(subjects) <= _SHOWN:
        return verb.format(", ".join(subjects))  # a few services: their names say more
    return verb.format(_counted(members, kinds))


def _noun(event: TimelineEvent, kinds: Mapping[str, str]) -> str:
    if event.subject in kinds:
        return KIND_LABELS.get(kinds[event.subject], kinds[event.subject])
    if event.kind in _SERVICE_EVENTS:
        return "service"
    if event.kind in _ZONE_EVENTS or event.zone:
        return "zone"
    if event.kind is EventKind.FUEL_DELIVERED:
        return "site"
    return "component"


def _counted(members: Iterable[TimelineEvent], kinds: Mapping[str, str]) -> str:
    """``52 battery strings``, or ``36 components (26 UPSs, 10 switchgear)``."""
    seen: dict[str, str] = {}
    for e in members:
        seen.setdefault(e.subject, _noun(e, kinds))
    by_noun = Counter(seen.values())
    total = len(seen)
    if len(by_noun) == 1:
        noun = next(iter(by_noun))
        return f"{total} {plural(noun, total)}"
    common = by_noun.most_common(_SHOWN)
    parts = [f"{n} {plural(noun, n)}" for noun, n in common]
    if len(by_noun) > _SHOWN:
        parts.append(f"{total - sum(n for _, n in common)} others")
    return f"{total} components ({', '.join(parts)})"


def _cause(members: list[TimelineEvent], kinds: Mapping[str, str]) -> str:
    first = members[0]
    kind = first.cause_kind
    texts = list(dict.fromkeys(e.cause for e in members))
    if len(members) == 1:
        return first.cause
    if kind is CauseKind.SUPPLY_LOST:
        return _supply_lost(members, kinds)
    if kind is CauseKind.SERVED_CHANGED:
        return _served(members, named=len({e.subject for e in members}) <= _SHOWN)
    if kind is CauseKind.RESTARTED:
        servers = sum(e.reason.get("servers", 0) for e in members)
        return (
            f"{servers:,} servers booted ({first.reason.source} restarts "
            f"{first.reason.get('rate'):,.0f} servers/h)"
        )
    if kind is CauseKind.ON_BATTERY:
        load = sum(e.reason.get("load_kw", 0.0) for e in members)
        return f"input lost; carrying {load:,.0f} kW on battery"
    if len(texts) == 1:
        return texts[0]
    if kind is CauseKind.REPAIRED:
        inputs = ", ".join(dict.fromkeys(str(e.reason.source) for e in members))
        return f"repaired after {duration(first.reason.get('seconds'))} ({inputs})"
    return f"e.g. {first.cause}"  # alike but for their own subject: the first stands for all


def _supply_lost(members: list[TimelineEvent], kinds: Mapping[str, str]) -> str:
    """What the members lost, and what went down upstream of them (not among them)."""
    resources = list(dict.fromkeys(str(e.reason.get("resource")) for e in members))
    inside = {e.subject for e in members}
    upstream = list(dict.fromkeys(n for e in members for n in e.reason.get("down", ())))
    outside = [n for n in upstream if n not in inside] or upstream
    return f"lost {_and(resources)}: {_names(outside, kinds)} down"


def _names(names: list[str], kinds: Mapping[str, str]) -> str:
    if len(names) <= _SHOWN:
        return ", ".join(names)
    counted = Counter(KIND_LABELS.get(kinds.get(n, ""), "component") for n in names)
    return ", ".join(f"{n} {plural(noun, n)}" for noun, n in counted.most_common())


def _served(members: list[TimelineEvent], *, named: bool) -> str:
    """Each service's served fraction from before its first change, through its lowest,
    to after its last (said once when they all went the same way, with their names
    unless the line ``named`` them already)."""
    path: dict[str, tuple[float, float, float]] = {}
    for e in members:
        before, now = e.reason.get("before"), e.reason.get("now")
        first, low, _ = path.get(e.subject, (before, before, now))
        path[e.subject] = (first, min(low, now), now)
    texts = {name: _path(*steps) for name, steps in path.items()}
    if len(set(texts.values())) == 1:
        return f"served {next(iter(texts.values()))}" + ("" if named else f": {', '.join(texts)}")
    return ", ".join(f"{name} {text}" for name, text in texts.items())


def _path(first: float, low: float, last: float) -> str:
    """``100% → 0%``, or ``100% → 67% → 100%`` when it dipped below both ends."""
    if low < min(first, last):
        return f"{first:.0%} → {low:.0%} → {last:.0%}"
    return f"{first:.0%} → {last:.0%}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def severity(timeline: Timeline) -> str:
    """How bad a timeline is, in one phrase: IT lost at worst, services down and for how long.

    For Pangyo's battery-room fire: ``80 rows (32,000 servers) lost; 6 services down, up
    to 24 h (failover-controller)``.
    """
    loss = timeline.max_loss
    parts = [
        f"{loss.rows:,} {plural('row', loss.rows)} ({loss.servers:,} servers) lost"
        if loss.rows
        else "no IT lost"
    ]
    down = [o for o in timeline.services if o.downtime_s > 0]
    if down:
        worst = max(down, key=lambda o: o.downtime_s)
        longest = ("≥ " if worst.down_at_horizon else "") + duration(worst.downtime_s)
        if len(down) == 1:
            parts.append(f"{worst.name} down {longest}")
        else:
            parts.append(f"{len(down)} services down, up to {longest} ({worst.name})")
    else:
        below = [o.name for o in timeline.services if o.degraded_s > 0]
        if len(below) > _SHOWN:
            parts.append(f"{len(below)} services below SLO")
        else:
            parts.append(f"{_and(below)} below SLO" if below else "no service down")
    return "; ".join(parts)


@dataclass(frozen=True)
class LossStep:
    """IT lost at a moment, or over a staircase of equal steps (rows booting one after
    another): from ``first`` at ``start_s`` to ``last`` at ``end_s``."""

    start_s: float
    end_s: float
    first: LossPoint
    last: LossPoint

    @property
    def when(self) -> str:
        return time_span(self.start_s, self.end_s)

    def values(self) -> list[str | int | float]:
        """rows, racks, servers and IT kW: numbers for a moment, ``a → b`` for a staircase."""
        a, b = self.first, self.last
        if a is b:
            return [a.rows, a.racks, a.servers, a.it_load_kw]
        return [
            f"{a.rows:,} → {b.rows:,}",
            f"{a.racks:,} → {b.racks:,}",
            f"{a.servers:,} → {b.servers:,}",
            f"{a.it_load_kw:,.1f} → {b.it_load_kw:,.1f}",
        ]


def loss_steps(losses: list[LossPoint], *, least: int = 3) -> list[LossStep]:
    """``losses`` with each staircase of at least ``least`` points (equal time apart, IT
    lost moving the same way at every step) told as one step.

    >>> points = [LossPoint(t, n, n, n, n) for t, n in [(0, 0), (10, 8), (20, 7), (30, 6),
    ...           (40, 5), (90, 0)]]
    >>> [(s.when, s.first.rows, s.last.rows) for s in loss_steps(points)]
    [('0 s', 0, 0), ('10 s – 40 s', 8, 5), ('1 min 30 s', 0, 0)]
    """
    out: list[LossStep] = []
    i = 0
    while i < len(losses):
        j = i + 1
        while j + 1 < len(losses) and _same_step(
            losses[i], losses[i + 1], losses[j], losses[j + 1]
        ):
            j += 1
        if j - i + 1 >= least:
            out.append(LossStep(losses[i].time_s, losses[j].time_s, losses[i], losses[j]))
            i = j + 1
        else:
            out.append(LossStep(losses[i].time_s, losses[i].time_s, losses[i], losses[i]))
            i += 1
    return out


def _same_step(a: LossPoint, b: LossPoint, c: LossPoint, d: LossPoint) -> bool:
    """Whether c → d repeats a → b: as long, and IT lost moving the same way."""
    gap = abs((d.time_s - c.time_s) - (b.time_s - a.time_s)) < 1.0
    return gap and (b.servers - a.servers) * (d.servers - c.servers) > 0
