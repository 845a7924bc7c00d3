"""A Kakao-size fleet, generated: ``sites`` Ansan-design sites of ``racks`` racks each.

Usable wherever a stack name is, as a spec string (see :func:`from_spec`)::

    kakao                                   sites=3, racks=4000, per=rack
    kakao:sites=1,racks=200                 one site, 200 racks, racks as components
    kakao:sites=3,racks=4000,per=row        rows as the IT unit
    kakao:sites=2,racks=80,tors=2           two top-of-rack switches per rack

Every site is the Ansan design (:data:`stacks.ansan.ANSAN_SPEC`: 2N power, separate
UPS and battery rooms with per-rack battery fire units, 2N cooling with thermal
storage, two carriers in their own ducts), resized to ``racks`` racks. ``per="rack"``
declares every rack as its own IT component with its own top-of-rack switch
(:class:`stacks.patterns.CampusSpec` ``racks_as_components``); ``per="row"`` keeps
rows as the unit, as the reference stacks do. A rack has one ToR (``tors=1``: the
ToR is a single point of failure of its own rack, which the per-row model cannot show)
or two (``tors=2``, the rack needing either: as redundant as a row on its leaf pair;
source for the option: communications are duplicated at Ansan, DESIGN.md — whether
down to the rack is not published). Services are Ansan's KakaoTalk-like
set: on one site one replica per hall (:func:`stacks.ansan.ansan_services`); on two
or more one replica per site, any one site lost still carrying the baseline
(:func:`stacks.fleet.site_replicated_services`, Kakao's "3+α" remedy).

Facts carry their source (``DESIGN.md`` via :mod:`stacks.ansan`); everything else here
is an assumption and says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Literal

from stacks.ansan import (
    ANSAN_SPEC,
    FUEL_CONTRACT,
    KOREAN_GRID,
    ansan_services,
)
from stacks.fleet import site_replicated_services
from stacks.patterns import Campus, backbone, build_campus
from twin.errors import UsageError, shown
from twin.model import Fleet, Region
from twin.model.recovery import Recovery

__all__ = [
    "ANSAN_RACKS",
    "DEFAULTS",
    "KEYS",
    "MAX_RACKS",
    "MAX_SITES",
    "KakaoSpec",
    "build",
    "from_spec",
    "layout",
    "parse_spec",
    "site_names",
]

Per = Literal["rack", "row"]

ANSAN_RACKS = ANSAN_SPEC.halls * ANSAN_SPEC.rows_per_hall * ANSAN_SPEC.racks_per_row
"""source: ~4,000 racks at Ansan (DESIGN.md), as split in ANSAN_SPEC (4 × 50 × 20)."""

MAX_SITES = 9
"""assumption: a guard, not a fact (Kakao plans a second Ansan-size DC, DESIGN.md)."""
MAX_RACKS = 5 * ANSAN_RACKS
"""assumption: a guard against typos, five Ansans per site."""

HALL_CHOICES = (4, 3, 2)
"""Halls per site, preferred first: Ansan's 4 (assumption, as in ANSAN_SPEC), then fewer."""
RACKS_PER_ROW_CHOICES = (20, 10)
"""Racks per row, preferred first: Ansan's 20 (assumption, as in ANSAN_SPEC), then 10."""


@dataclass(frozen=True)
class KakaoSpec:
    """The parameters of a generated fleet (see :func:`from_spec`)."""

    sites: int = 3
    racks: int = ANSAN_RACKS
    per: Per = "rack"
    tors: Literal[1, 2] = 1


DEFAULTS = KakaoSpec()
KEYS = "sites, racks, per, tors"
"""The keys of a spec string, as listed in error messages."""


def layout(racks: int) -> tuple[int, int, int]:
    """``(halls, rows_per_hall, racks_per_row)`` whose product is exactly ``racks``.

    The first of :data:`HALL_CHOICES` × :data:`RACKS_PER_ROW_CHOICES` that divides
    ``racks``: 4,000 → 4 × 50 × 20 (Ansan), 200 → 4 × 5 × 10, 80 → 4 × 1 × 20. Raises
    :class:`ValueError` when none does (``racks`` must be a multiple of 20).
    """
    for halls in HALL_CHOICES:
        for per_row in RACKS_PER_ROW_CHOICES:
            if racks % (halls * per_row) == 0:
                return halls, racks // (halls * per_row), per_row
    unit = min(h * r for h in HALL_CHOICES for r in RACKS_PER_ROW_CHOICES)
    raise ValueError(
        f"{racks} racks do not split into halls × rows × racks per row (a multiple of {unit})"
    )


def site_names(sites: int) -> list[tuple[str, str]]:
    """``(site, region)`` for ``sites`` sites: Ansan first, then ``kakao-2``, ``kakao-3``...

    source: Ansan is in the capital area (ANSAN_SPEC). assumption: the second site
    (Kakao's planned second DC, DESIGN.md) is in the capital area too, further sites in
    the south, as the ``fleet`` stack's Busan.
    """
    out = [(ANSAN_SPEC.name, ANSAN_SPEC.region)]
    out += [(f"kakao-{i}", "capital" if i == 2 else "south") for i in range(2, sites + 1)]
    return out


def _backbone_links(names: list[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """Backbone links between the sites, each on its own route (assumption).

    Two sites: two dedicated lines on diverse routes (source: the second DC is linked to
    Ansan by dedicated lines, DESIGN.md; two routes is an assumption). Three or more: a
    ring (three sites: the triangle of the ``fleet`` stack, without its shared duct).
    """
    if len(names) < 2:
        return []
    if len(names) == 2:
        a, b = names
        return [(a, b, (f"route-{a}-{b}-1",)), (a, b, (f"route-{a}-{b}-2",))]
    ring = [*pairwise(names), (names[0], names[-1])]
    return [(a, b, (f"route-{a}-{b}",)) for a, b in ring]


def build(
    sites: int = 3, racks: int = ANSAN_RACKS, per: Per = "rack", tors: Literal[1, 2] = 1
) -> Fleet:
    """A fleet of ``sites`` Ansan-design sites of ``racks`` racks each.

    ``tors`` (top-of-rack switches per rack) matters only with ``per="rack"``. Raises
    :class:`~twin.errors.UsageError` naming the parameter that is out of range.
    """
    _check(KakaoSpec(sites, racks, per, tors))
    halls, rows, per_row = layout(racks)
    campuses: list[Campus] = []
    for name, region in site_names(sites):
        spec = replace(
            ANSAN_SPEC,
            name=name,
            region=region,
            description=f"Ansan-design data center, {racks:,} racks (generated).",
            halls=halls,
            rows_per_hall=rows,
            racks_per_row=per_row,
            racks_as_components=per == "rack",
            tors_per_rack=tors,
        )
        if racks != ANSAN_RACKS:
            # assumption: a resized site keeps Ansan's 40 MW per 4,000 racks of feed
            # capacity and gets as many 3 MW generators as its load needs, plus one.
            spec = replace(
                spec,
                feed_kw=1000.0 * math.ceil(ANSAN_SPEC.feed_kw * racks / ANSAN_RACKS / 1000.0)
                if ANSAN_SPEC.feed_kw is not None
                else None,
                generators=None,
            )
        campuses.append(build_campus(spec))
    backbone(
        {c.builder.name: (c.builder, c.network) for c in campuses},
        _backbone_links([c.builder.name for c in campuses]),
    )
    if sites == 1:
        services = ansan_services(campuses[0])
    else:
        # assumption: two sites replicate data asynchronously (one live copy serves);
        # three or more need a majority, as the fleet stack's 2 of 3.
        services = site_replicated_services(campuses, data_quorum=1 if sites == 2 else 2)
    regions = dict.fromkeys(region for _, region in site_names(sites))
    descriptions = {"capital": "Seoul capital area.", "south": "Southeast (assumption)."}
    return Fleet(
        name=f"kakao-{sites}x{racks}-per-{per}",
        description=f"Generated Kakao-size fleet: {sites} Ansan-design site(s) of "
        f"{racks:,} racks, {'racks' if per == 'rack' else 'rows'} as the IT unit.",
        regions=[Region(name=r, description=descriptions[r]) for r in regions],
        sites=[c.site() for c in campuses],
        services=services,
        recovery=Recovery(fuel_contract=FUEL_CONTRACT),  # assumption, as at Ansan
        reliability=KOREAN_GRID,  # every site is in Korea
    )


def _check(spec: KakaoSpec) -> None:
    if isinstance(spec.sites, bool) or not isinstance(spec.sites, int):
        raise UsageError(f"kakao: sites: must be an integer, got {shown(spec.sites)}")
    if isinstance(spec.racks, bool) or not isinstance(spec.racks, int):
        raise UsageError(f"kakao: racks: must be an integer, got {shown(spec.racks)}")
    if not 1 <= spec.sites <= MAX_SITES:
        raise UsageError(f"kakao: sites: must be 1 to {MAX_SITES}, got {spec.sites}")
    if not 1 <= spec.racks <= MAX_RACKS:
        raise UsageError(f"kakao: racks: must be 1 to {MAX_RACKS}, got {spec.racks}")
    try:
        layout(spec.racks)
    except ValueError as error:
        raise UsageError(f"kakao: racks: {error}") from None
    if spec.per not in ("rack", "row"):
        raise UsageError(f"kakao: per: must be rack or row, got {shown(spec.per)}")
    if spec.tors not in (1, 2):
        raise UsageError(f"kakao: tors: must be 1 or 2, got {shown(spec.tors)}")


def parse_spec(text: str) -> KakaoSpec:
    """The parameters in ``key=value,...`` (the part after ``kakao:``; may be empty).

    Keys: ``sites`` (1–9), ``racks`` (per site, a multiple of 20), ``per`` (``rack`` or
    ``row``), ``tors`` (1 or 2 per rack); an omitted key takes its default
    (:data:`DEFAULTS`). Raises :class:`~twin.errors.UsageError` naming the key that is
    unknown, repeated, not an integer or out of range.
    """
    values: dict[str, str] = {}
    for item in text.split(",") if text.strip() else []:
        key, sep, value = (part.strip() for part in item.partition("="))
        if not sep or not key:
            raise UsageError(f"kakao: {shown(item.strip())}: expected key=value (keys: {KEYS})")
        if key not in KEYS.split(", "):
            raise UsageError(f"kakao: {shown(key)}: unknown key (keys: {KEYS})")
        if key in values:
            raise UsageError(f"kakao: {key}: given twice")
        values[key] = value
    numbers: dict[str, int] = {}
    for key in ("sites", "racks", "tors"):
        if key in values:
            try:
                numbers[key] = int(values[key])
            except ValueError:
                raise UsageError(
                    f"kakao: {key}: must be an integer, got {shown(values[key])}"
                ) from None
    per = values.get("per", DEFAULTS.per)
    if per not in ("rack", "row"):
        raise UsageError(f"kakao: per: must be rack or row, got {shown(per)}")
    spec = KakaoSpec(
        sites=numbers.get("sites", DEFAULTS.sites),
        racks=numbers.get("racks", DEFAULTS.racks),
        per="rack" if per == "rack" else "row",
        tors=2 if numbers.get("tors", DEFAULTS.tors) == 2 else 1,
    )
    if numbers.get("tors", 1) not in (1, 2):
        raise UsageError(f"kakao: tors: must be 1 or 2, got {numbers['tors']}")
    _check(spec)
    return spec


def from_spec(text: str) -> Fleet:
    """The fleet of a spec string's parameters (see :func:`parse_spec`)."""
    spec = parse_spec(text)
    return build(spec.sites, spec.racks, spec.per, spec.tors)
