"""Readable timelines and terminal tables: events grouped into lines a person reads, times
in hours and minutes, tables that fit the terminal, and nothing lost from the JSON."""

from __future__ import annotations

import json
import re

import pytest

from twin.analysis.timeline import Cause, CauseKind, EventKind, TimelineEvent, simulate
from twin.analysis.twin import Twin
from twin.cli import main
from twin.model.catalog import catalog, find_scenario
from twin.outputs.events import component_kinds, group_events, severity
from twin.outputs.tables import Width, format_table
from twin.sources import build_stack

PANGYO_FIRE = "pangyo:fire:pangyo-b3-battery-room"
KINDS = {"batt-1": "battery", "batt-2": "battery", "batt-3": "battery", "ups-1": "ups"}
KINDS |= {f"row-{i}": "rack_row" for i in range(1, 5)}


def log(*events: tuple[float, EventKind, str, Cause, int | None]) -> list[TimelineEvent]:
    """Timeline events numbered in order: ``(time, kind, subject, cause, trigger)``."""
    return [
        TimelineEvent(time_s=t, kind=kind, subject=subject, reason=reason, id=i, trigger=trigger)
        for i, (t, kind, subject, reason, trigger) in enumerate(events)
    ]


DOWN = EventKind.COMPONENT_DOWN
FIRE_A = Cause(CauseKind.FIRE, "room-a")
FIRE_B = Cause(CauseKind.FIRE, "room-b")


def test_events_sharing_time_kind_and_cause_collapse_into_one_line():
    events = log(
        (0, DOWN, "batt-1", FIRE_A, None),
        (0, DOWN, "batt-2", FIRE_A, None),
        (0, DOWN, "batt-3", FIRE_A, None),
    )
    [group] = group_events(events, KINDS)
    assert group.count == 3 and group.events == tuple(events)
    assert group.what == "3 battery strings down"
    assert group.cause == "fire in room-a"
    assert group.when == "0 s"


def test_different_causes_kinds_and_moments_stay_apart():
    repaired = Cause(CauseKind.REPAIRED, "x", (("seconds", 60),))
    spread = Cause(CauseKind.FIRE_SPREAD, "room-a")
    events = log(
        (0, DOWN, "batt-1", FIRE_A, None),
        (0, DOWN, "batt-2", FIRE_B, None),
        (0, EventKind.REPAIRED, "batt-3", repaired, None),
        (600, EventKind.FIRE_SPREAD, "s/room-b", spread, None),
        (600, DOWN, "ups-1", FIRE_A, None),
    )
    groups = group_events(events, KINDS)
    assert [g.count for g in groups] == [1, 1, 1, 1, 1]
    assert [g.cause for g in groups][:2] == ["fire in room-a", "fire in room-b"]
    # the same cause ten minutes later is a line of its own: something new happened first
    assert [g.when for g in groups][3:] == ["10 min", "10 min"]


def test_a_cause_repeating_at_the_next_moment_runs_on():
    events = log((0, DOWN, "batt-1", FIRE_A, None), (600, DOWN, "batt-2", FIRE_A, None))
    [group] = group_events(events, KINDS)
    assert group.when == "0 s – 10 min" and group.what == "2 battery strings down"


def test_members_are_summed_up_by_kind_with_the_models_labels():
    events = log(
        (0, DOWN, "batt-1", FIRE_A, None),
        (0, DOWN, "ups-1", FIRE_A, None),
        (0, DOWN, "batt-2", FIRE_A, None),
    )
    [group] = group_events(events, KINDS)
    assert group.what == "3 components (2 battery strings, 1 UPS) down"
    # without the kinds, members are still counted
    assert group_events(events)[0].what == "3 components down"


def test_a_state_change_of_the_same_subject_at_that_moment_folds_in():
    restarted = Cause(CauseKind.RESTARTED, "site", (("servers", 400), ("rate", 1000.0)))
    events = log(
        (3600, EventKind.SERVERS_RESTARTED, "row-1", restarted, None),
        (3600, EventKind.COMPONENT_UP, "row-1", Cause(CauseKind.SUPPLY_RESTORED), None),
    )
    [group] = group_events(events, KINDS)
    assert group.count == 1 and len(group.events) == 2
    assert group.what == "servers booted in row-1"


def test_steps_at_successive_moments_run_on_as_one_stretch():
    restarted = Cause(CauseKind.RESTARTED, "site", (("servers", 400), ("rate", 1000.0)))
    served = [
        Cause(CauseKind.SERVED_CHANGED, None, (("before", a), ("now", b)))
        for a, b in ((0.0, 0.5), (0.5, 1.0))
    ]
    events = log(
        (3600, EventKind.SERVERS_RESTARTED, "row-1", restarted, None),
        (3600, EventKind.SERVICE_DEGRADED, "web", served[0], None),
        (5040, EventKind.SERVERS_RESTARTED, "row-2", restarted, None),
        (6480, EventKind.SERVERS_RESTARTED, "row-3", restarted, None),
        (6480, EventKind.SERVICE_RESTORED, "web", served[1], None),
    )
    rows, web = group_events(events, KINDS)
    assert rows.when == "1 h – 1 h 48 min"
    assert rows.what == "servers booted in 3 rack rows"
    assert rows.cause == "1,200 servers booted (site restarts 1,000 servers/h)"
    assert web.count == 2 and web.cause == "served 0% → 100%"


def test_news_at_a_moment_starts_afresh_what_follows_it():
    lost = Cause(CauseKind.SUPPLY_LOST, None, (("resource", "power"), ("down", ("ups-1",))))
    depleted = Cause(CauseKind.BATTERY_DEPLETED)
    events = log(
        (0, DOWN, "row-1", lost, None),
        (600, EventKind.BATTERY_DEPLETED, "ups-1", depleted, None),
        (600, DOWN, "row-2", lost, None),
    )
    first, _battery, second = group_events(events, KINDS)
    assert first.when == "0 s" and second.when == "10 min"


def test_a_lone_trigger_becomes_the_cause_of_what_it_triggered():
    events = log(
        (0, EventKind.SCENARIO, "s/room-a", Cause(CauseKind.FIRE_BREAKS_OUT), None),
        (0, DOWN, "batt-1", FIRE_A, 0),
        (0, DOWN, "batt-2", FIRE_A, 0),
    )
    [group] = group_events(events, KINDS)
    assert group.what == "2 battery strings down"
    assert group.cause == "fire breaks out in s/room-a"
    assert group.trigger is events[0] and len(group.events) == 3


@pytest.fixture(scope="module")
def pangyo():
    return build_stack("pangyo-2022")


@pytest.fixture(scope="module")
def pangyo_fire(pangyo):
    return simulate(pangyo, find_scenario(pangyo, PANGYO_FIRE))


@pytest.mark.parametrize("stack", ["lab", "ansan", "pangyo-2022", "fleet"])
def test_every_event_is_in_exactly_one_line(stack):
    fleet = build_stack(stack)
    twin = Twin(fleet)
    for spec in catalog(fleet):
        timeline = simulate(twin, spec)
        groups = group_events(timeline.events, component_kinds(fleet))
        ids = [e.id for g in groups for e in g.events]
        assert sorted(ids) == [e.id for e in timeline.events], spec.name
        assert all(g.what and g.cause for g in groups)
        assert len(groups) <= max(40, len(timeline.events) // 4), spec.name


def test_pangyo_fire_reads_in_a_few_lines(pangyo, pangyo_fire):
    groups = group_events(pangyo_fire.events, component_kinds(pangyo))
    assert len(pangyo_fire.events) > 700 and len(groups) <= 25
    lines = [f"{g.when} {g.what} — {g.cause}" for g in groups]
    assert lines[0] == (
        "0 s 52 battery strings down — fire breaks out in pangyo/pangyo-b3-battery-room"
    )
    assert any(line.startswith("10 min 6 services down") for line in lines)
    assert severity(pangyo_fire) == (
        "80 rows (32,000 servers) lost; 6 services down, up to 24 h (failover-controller)"
    )


def _timeline_section(markdown: str) -> list[str]:
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("### Timeline: "))
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("| service |"))
    return lines[start:end]


def test_pangyo_fire_timeline_fits_in_30_lines_of_markdown_and_terminal(capsys):
    argv = ["simulate", "--stack", "pangyo-2022", "--scenario", PANGYO_FIRE]
    assert main([*argv, "--format", "markdown"]) == 0
    section = _timeline_section(capsys.readouterr().out)
    assert len(section) < 30
    assert section[0] == (
        f"### Timeline: {PANGYO_FIRE} — 80 rows (32,000 servers) lost; 6 services down, up to "
        "24 h (failover-controller)"
    )
    assert "| 0 s | 52 battery strings down |" in "\n".join(section)
    assert main(argv) == 0
    out = capsys.readouterr().out
    table = out.split("\n\n")[1].splitlines()
    assert table[0].split() == ["time", "what", "happened", "why"]
    assert len(table) < 30
    # times as a person reads them: hours and minutes, never raw seconds
    assert "1 h 33 min" in out and "16 h 34 min – 26 h 34 min" in out
    assert not re.search(r"\d{3,}(\.\d)? s\b", out)


def test_json_still_lists_every_event_and_every_failed_component(pangyo_fire, capsys):
    argv = ["simulate", "--stack", "pangyo-2022", "--scenario", PANGYO_FIRE, "--format", "json"]
    assert main(argv) == 0
    [scenario] = json.loads(capsys.readouterr().out)["scenarios"]
    assert [e["id"] for e in scenario["events"]] == [e.id for e in pangyo_fire.events]
    failed = {e.subject for e in pangyo_fire.events if e.kind == EventKind.COMPONENT_DOWN}
    listed = {e["subject"] for e in scenario["events"] if e["kind"] == "component_down"}
    assert len(failed) > 250 and listed == failed
    assert {e["time_s"] for e in scenario["events"]} >= {0.0, 600.0, 5580.0}  # seconds


def test_html_timeline_expands_every_group(capsys):
    argv = ["simulate", "--stack", "pangyo-2022", "--scenario", PANGYO_FIRE, "--format", "html"]
    assert main(argv) == 0
    html = capsys.readouterr().out
    assert (
        f"<summary>Timeline: {PANGYO_FIRE} — 80 rows (32,000 servers) lost; 6 services down, "
        "up to 24 h (failover-controller) (784 events in 22 lines)</summary>"
    ) in html
    assert "<details><summary>52 battery strings down</summary>" in html
    # every battery string burnt is listed under its line
    expanded = html.split("<summary>52 battery strings down</summary>", 1)[1].split("</details>")[0]
    assert expanded.count("pangyo-batt-") == 52


# --------------------------------------------------------------------------- terminal width


def test_a_table_never_exceeds_its_width_and_says_when_it_cut():
    rows = [["x" * 300, 12345, "y" * 80], ["short", 1, "z"]]
    for columns in (60, 80, 100, 140):
        width = Width(columns)
        text = format_table(["chain of impact", "servers", "what"], rows, width)
        assert max(len(line) for line in text.splitlines()) <= columns
        assert width.cut and "12,345" in text and "…" in text
    whole = Width()
    assert "x" * 300 in format_table(["a", "b", "c"], rows, whole) and not whole.cut


ANALYSES = [
    ["simulate", "--stack", "pangyo-2022", "--scenario", PANGYO_FIRE],
    ["contingency", "--stack", "pangyo-2022"],
    ["tier", "--stack", "ansan"],
    ["availability", "--stack", "lab", "--method", "cut-sets"],
    ["report", "--stack", "lab"],
    ["summary", "--stack", "fleet"],
    ["scenarios", "--stack", "fleet"],
]


@pytest.mark.parametrize("argv", ANALYSES, ids=lambda a: a[0])
def test_terminal_output_fits_columns_unless_wide(argv, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 100
    assert main([*argv, "--wide"]) == 0
    wide = capsys.readouterr().out
    if "…" in out:
        assert "--wide prints them whole" in out
        assert max(len(line) for line in wide.splitlines()) > 100
    assert "--wide prints them whole" not in wide


def test_contingency_chain_of_impact_is_cut_to_fit_and_whole_with_wide(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["contingency", "--stack", "pangyo-2022", "--wide"]) == 0
    wide = capsys.readouterr().out
    assert max(len(line) for line in wide.splitlines()) > 300  # the chain, whole
    assert main(["contingency", "--stack", "pangyo-2022", "--format", "json"]) == 0
    chains = [
        c["chain"] for c in json.loads(capsys.readouterr().out)["contingency"]["common_cause"]
    ]
    assert any(len(str(c)) > 300 for c in chains)


@pytest.mark.parametrize("columns", ["", "abc", "0", "-5"])
def test_a_columns_value_that_is_not_a_width_is_ignored(columns, monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", columns)
    assert main(["tier", "--stack", "lab"]) == 0  # not a terminal, no COLUMNS: nothing cut
    assert "…" not in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["json", "markdown", "html"])
def test_wide_applies_to_tables_only(fmt, capsys):
    assert main(["tier", "--stack", "lab", "--format", fmt, "--wide"]) == 2
    assert "--wide" in capsys.readouterr().err


def test_service_outcomes_wrap_rather_than_cut(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "100")
    assert main(["simulate", "--stack", "pangyo-2022", "--scenario", PANGYO_FIRE]) == 0
    out = capsys.readouterr().out
    services = out[out.index("served at baseline / new_year / world_cup:") :].splitlines()
    assert max(len(line) for line in services) <= 100
    assert "…" not in "\n".join(services[:-1])  # the last line: the note about the timeline
    # a time is never split between its number and its unit
    assert not any(re.search(r"\d$", line.rstrip(" /")) for line in services[1:-1])
    [messaging] = [line for line in services if line.startswith("messaging ")]
    assert "0% / 0% / 0%" in messaging and "9 h 10 min /" in messaging


def test_a_service_back_at_once_to_every_level_says_it_once(capsys):
    assert main(["simulate", "--stack", "lab", "--scenario", "lab:site-loss"]) == 0
    out = capsys.readouterr().out
    assert "not by the end / not by the end" not in out
    assert re.search(r"^db .* not by the end ", out, re.M)
