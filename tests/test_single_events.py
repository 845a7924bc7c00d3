"""Single-event failures: one fire (with its spread and power cut), one link-group cut, one
site — the verdict that tells the Pangyo design from the Ansan one."""

from __future__ import annotations

import json

import pytest

from tests.test_bad_input import valid_document
from twin.analysis.contingency import contingency
from twin.analysis.fire import fire_origins, fire_reach
from twin.analysis.headline import headline
from twin.cli import main
from twin.model import Fleet, SharedSpace, Suppression
from twin.model.documents import parse_fleet
from twin.sources import build_stack


def test_pangyo_b3_battery_room_tops_the_single_event_failures():
    events = contingency(build_stack("pangyo-2022")).single_events
    top = events[0]
    assert top.label == "fire in pangyo/pangyo-b3-battery-room"
    assert top.impact.servers == 32_000  # source: ~32,000 Kakao servers went down
    assert "messaging" in top.services_down
    assert top.reach is not None and top.reach.cut == ("pangyo-building",)
    assert "pangyo-ups-room" in top.reach.burnt  # the UPS units sharing its ceiling


def test_ansan_has_no_battery_or_ups_room_fire_among_its_single_event_failures():
    fleet = build_stack("ansan")
    events = contingency(fleet).single_events
    kinds = {z.name: z.kind for z in fleet.sites[0].zones}
    fires = [e for e in events if e.kind == "fire"]
    assert not [e for e in fires if kinds[e.origin] in ("battery_room", "ups_room")]
    assert [e.label for e in events] == ["loss of site ansan"]  # one site: its only one


def test_single_events_are_reported_first_and_in_the_stack_outputs(capsys):
    assert main(["report", "--stack", "pangyo-2022", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    first = md.index("## ")
    assert md[first:].startswith("## Single-event failures")
    assert "fire in pangyo/pangyo-b3-battery-room" in md[first : md.index("## Summary")]
    outputs = headline(build_stack("pangyo-2022"))
    assert outputs["singleEventFailures"][0] == "fire in pangyo/pangyo-b3-battery-room"
    assert main(["report", "--stack", "pangyo-2022", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["contingency"]["single_event_failures"][0]["rows_outside"] == 80


def test_single_event_gate(capsys):
    assert main(["tier", "--stack", "pangyo-2022", "--fail-on", "single-event"]) == 1
    assert "fire in pangyo/pangyo-b3-battery-room" in capsys.readouterr().out


def _two_rooms(suppression: Suppression | None, shared: bool) -> Fleet:
    """The small valid document with its UPSs in one room and a battery room beside it."""
    doc = valid_document()
    site = doc["sites"][0]
    site["zones"] += [
        {"name": "ups-room", "kind": "ups_room", "parent": "bldg"},
        {
            "name": "bat-room",
            "kind": "battery_room",
            "parent": "bldg",
            **({"suppression": suppression.model_dump(mode="json")} if suppression else {}),
            **(
                {"shares_space_with": [SharedSpace(zone="ups-room").model_dump(mode="json")]}
                if shared
                else {}
            ),
        },
    ]
    for comp in site["components"]:
        if comp["kind"] == "ups":
            comp["zone"] = "ups-room"
    return parse_fleet(json.dumps(doc))


@pytest.mark.parametrize(
    ("suppression", "shared", "burnt", "cut"),
    [
        (None, False, ("bat-room",), ()),
        (None, True, ("bat-room", "ups-room"), ()),
        (
            Suppression(agent="rack_unit", after_s=240, contains_spread=True),
            True,
            ("bat-room",),
            (),
        ),
        (
            Suppression(agent="water", after_s=5580, deenergize="building"),
            True,
            ("bat-room", "ups-room"),
            ("bldg",),
        ),
        (
            Suppression(agent="water", after_s=60, deenergize="zone"),
            False,
            ("bat-room",),
            ("bat-room",),
        ),
    ],
)
def test_fire_reach_follows_spread_containment_and_cuts(suppression, shared, burnt, cut):
    site = _two_rooms(suppression, shared).sites[0]
    reach = fire_reach(site, "bat-room")
    assert (reach.burnt, reach.cut) == (burnt, cut)
    assert "bat-room" in fire_origins(site) and "bldg" not in fire_origins(site)
    events = contingency(_two_rooms(suppression, shared)).single_events
    harmful = {e.label for e in events}
    # the UPS room burning (or the building cut) takes the row; the battery room alone does not
    assert ("fire in s1/bat-room" in harmful) == ("ups-room" in burnt or "bldg" in cut)


def test_the_fleet_report_says_what_every_shared_risk_cut_does(capsys):
    assert main(["report", "--stack", "fleet", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    fleet = build_stack("fleet")
    groups = sorted({g for _, c in fleet.components() for g in getattr(c, "srlg", ())})
    views = {v["srlg"]: v for v in doc["srlgs"]}
    assert sorted(views) == groups
    for view in views.values():
        assert view["description"]  # a consequence, or the reason there is none
    trunk = views["duct-gyeonggi-trunk"]
    assert trunk["baseline"]["partition"] == [["ansan"], ["seoul", "busan"]]
    assert "messaging stops at ansan" in trunk["description"]
    assert trunk["peak"]["services"]["messaging"] < 1  # at the World Cup surge it shows
