"""Charts: deterministic bytes, and the plotted data is the report's data.

Each chart is drawn from a plain series object; the tests compare those series with
the JSON report (times and values), check that every series reaches the SVG under its
own id with as many vertices as it has steps, and render twice for identical bytes.
The verdict and the Mermaid block of the Markdown report are checked here too.
"""

from __future__ import annotations

import json
import re
from functools import cache

import pytest

from twin.analysis.headroom import surge_headroom
from twin.analysis.timeline import Timeline, simulate
from twin.analysis.twin import Twin
from twin.cli import main
from twin.model.catalog import catalog, find_scenario
from twin.outputs.charts import (
    downtime_heatmap_svg,
    downtime_matrix,
    headroom_chart_svg,
    scenario_chart_svg,
    scenario_series,
)
from twin.sources import build_stack

FIRE = "pangyo:fire:pangyo-b3-battery-room"


@cache
def _pangyo() -> tuple[Twin, list[Timeline]]:
    twin = Twin(build_stack("pangyo-2022"))
    return twin, [simulate(twin, spec) for spec in catalog(twin.fleet)]


def _fire() -> Timeline:
    return next(t for t in _pangyo()[1] if t.scenario == FIRE)


def test_scenario_series_are_the_timeline_json():
    timeline = _fire()
    data = scenario_series(timeline)
    doc = timeline.to_json()
    assert data.it_lost_mw == [
        pytest.approx((p["time_s"] / 3600, p["it_load_kw"] / 1000), abs=1e-5) for p in doc["losses"]
    ]
    for service in doc["services"]:
        for level, points in service["served_over_time"].items():
            assert data.served[level][service["name"]] == [
                pytest.approx((t / 3600, v), abs=1e-5) for t, v in points
            ]
    # the fire takes messaging down at 10 min and brings it back in stages
    messaging = data.served["baseline"]["messaging"]
    assert messaging[0] == (0.0, 1.0) and messaging[1] == pytest.approx((600 / 3600, 0.0))


def _path_vertices(svg: str, gid: str) -> int:
    """Vertices of the first path inside the SVG group with id ``gid``."""
    group = re.search(rf'<g id="{re.escape(gid)}">(.*?)</g>', svg, re.S)
    assert group, f"no series {gid} in the SVG"
    path = re.search(r' d="([^"]+)"', group.group(1))
    assert path
    return len(re.findall(r"[ML]", path.group(1)))


def test_every_series_is_drawn_with_its_steps():
    timeline = _fire()
    svg = scenario_chart_svg(timeline)
    data = scenario_series(timeline)
    # k points held to the horizon: k + 1 x values, a step plot of 2(k + 1) − 1 vertices
    assert _path_vertices(svg, "it-lost") == 2 * len(data.it_lost_mw) + 1
    for level, services in data.served.items():
        for name, points in services.items():
            assert _path_vertices(svg, f"served-{level}-{name}") == 2 * len(points) + 1


def test_charts_are_byte_identical_across_runs():
    twin, timelines = _pangyo()
    rows = surge_headroom(twin)
    for draw in (
        lambda: scenario_chart_svg(_fire()),
        lambda: headroom_chart_svg(rows),
        lambda: downtime_heatmap_svg(timelines),
    ):
        assert draw() == draw()


def test_the_heatmap_holds_each_harmful_scenarios_downtime():
    _, timelines = _pangyo()
    scenarios, services, hours = downtime_matrix(timelines)
    assert FIRE in scenarios and "pangyo:site-loss" in scenarios
    fire = _fire()
    row = hours[scenarios.index(FIRE)]
    assert row == [pytest.approx(fire.service(s).downtime_s / 3600) for s in services]
    assert all(any(h > 0 for h in r) for r in hours)  # harmless scenarios are left out
    assert sum(r[0] for r in hours) >= max(r[0] for r in hours)
    svg = downtime_heatmap_svg(timelines)
    assert all(name in svg for name in scenarios)


def test_the_headroom_chart_draws_each_level_healthy_and_after_the_worst_site_loss():
    twin, _ = _pangyo()
    rows = surge_headroom(twin)
    svg = headroom_chart_svg(rows)
    for level in {r.level for r in rows}:
        assert f'id="healthy-{level}"' in svg and f'id="after-{level}"' in svg


@pytest.fixture(scope="module")
def pangyo_markdown() -> str:
    fleet = build_stack("pangyo-2022")
    assert find_scenario(fleet, FIRE) is not None
    from twin.outputs.documents import markdown_report
    from twin.outputs.report import build_report, build_verdict

    report = build_report(fleet, "stack pangyo-2022")
    report.verdict = build_verdict(report)
    return markdown_report(fleet, report)


def test_the_pangyo_verdict_and_mermaid_name_the_battery_room_fire(pangyo_markdown):
    verdict = pangyo_markdown.split("## ", 1)[0]
    assert "**Verdict: FAILS**" in verdict
    assert "fire in pangyo/pangyo-b3-battery-room" in verdict
    mermaid = pangyo_markdown.split("```mermaid", 1)[1].split("```", 1)[0]
    assert "blast radius of fire in pangyo/pangyo-b3-battery-room" in mermaid
    assert "52 battery strings" in mermaid  # collapsed by zone and kind
    assert mermaid.count("-->") <= 60


def test_the_verdict_uses_the_gates_asked_for(capsys):
    argv = ["tier", "--stack", "lab", "--format", "json", "--fail-on", "tier<IV"]
    assert main(argv) in (0, 1)
    verdict = json.loads(capsys.readouterr().out)["verdict"]
    assert verdict["gates_from"] == "--fail-on"
    assert [g["gate"] for g in verdict["gates"]] == ["tier<IV"]
    assert main(["tier", "--stack", "lab", "--format", "json"]) == 0
    verdict = json.loads(capsys.readouterr().out)["verdict"]
    assert [g["gate"] for g in verdict["gates"]] == ["tier<III"]  # only what tier computed
