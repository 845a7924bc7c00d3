"""Reports: size limits, escaping of hostile names, the browser view, gates and exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.test_report_browser import CHROMIUM, CHROMIUM_ARGS, open_report
from twin.cli import main
from twin.model import (
    Fleet,
    RackRow,
    Region,
    Replica,
    Requirement,
    Service,
    Site,
    Ups,
    UtilityFeed,
    Zone,
)
from twin.outputs.render import MARKDOWN_LIMIT, md_escape, render_html, render_markdown
from twin.outputs.report import build_report
from twin.sources import build_stack

HOSTILE_ROW = "<img src=x onerror=alert(1)>"
HOSTILE_UPS = "ups|a`b*c_[d](e)"
HOSTILE_SERVICE = "<script>alert('svc')</script>"


def hostile_fleet() -> Fleet:
    """A tiny fleet whose names try to break Markdown tables and HTML pages."""
    power = "power"
    site = Site(
        name="dc|1",
        region="r",
        zones=[Zone(name="<b>bldg</b>", kind="building")],
        components=[
            UtilityFeed(name="feed", zone="<b>bldg</b>", substation="s", capacity_kw=100),
            Ups(
                name=HOSTILE_UPS,
                zone="<b>bldg</b>",
                capacity_kw=100,
                requires=[Requirement(resource=power, suppliers=["feed"])],
            ),
            RackRow(
                name=HOSTILE_ROW,
                zone="<b>bldg</b>",
                racks=1,
                servers=10,
                it_load_kw=50,
                requires=[Requirement(resource=power, suppliers=[HOSTILE_UPS])],
            ),
        ],
    )
    service = Service(
        name=HOSTILE_SERVICE,
        demand_rps=10,
        surges={"x|y": 2},
        replicas=[Replica(site="dc|1", rows=[HOSTILE_ROW], capacity_rps=20)],
    )
    return Fleet(name="<i>evil</i>", regions=[Region(name="r")], sites=[site], services=[service])


@pytest.fixture(scope="module")
def hostile_report():
    return build_report(hostile_fleet(), "test")


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.startswith("|")]


def test_markdown_escapes_hostile_names(hostile_report):
    text = render_markdown("report.md.j2", report=hostile_report, mermaid=None)
    assert "<img" not in text and "<script>" not in text and "<b>" not in text
    assert md_escape(HOSTILE_ROW) in text
    # every table row has the same number of unescaped cell separators as its header
    rows = table_rows(text)
    assert rows
    cells = [len(re.findall(r"(?<!\\)\|", row)) for row in rows]
    blocks: list[list[int]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            blocks[-1].append(len(re.findall(r"(?<!\\)\|", line)))
        elif blocks[-1]:
            blocks.append([])
    for block in blocks:
        assert len(set(block)) <= 1, block
    assert sum(cells) > 0


def test_html_autoescapes_hostile_names(hostile_report):
    html = render_html("report.html.j2", report=hostile_report, figures={})
    assert "<img src=x" not in html
    assert "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;" in html


def test_fleet_markdown_fits_a_pull_request_comment():
    fleet = build_stack("fleet")
    report = build_report(fleet, "stack fleet")
    text = render_markdown("report.md.j2", report=report, mermaid=None)
    assert len(text) < MARKDOWN_LIMIT
    assert "## Scenarios" in text and "## Tier verdict" in text


def test_markdown_shrinks_lists_to_fit(hostile_report):
    text = render_markdown("report.md.j2", limit=1500, report=hostile_report, mermaid=None)
    assert len(text) <= 1500


@pytest.fixture(scope="module")
def lab_outputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    assert main(["report", "--stack", "lab", "--out-dir", str(out)]) == 0
    return out


def test_report_writes_json_markdown_and_html(lab_outputs):
    doc = json.loads((lab_outputs / "lab.json").read_text())
    assert doc["schema_version"] == "1"
    assert list(doc)[:4] == ["schema_version", "source", "summary", "tier"]
    assert doc["scenarios"] and doc["contingency"]["single_points_of_failure"] is not None
    assert (lab_outputs / "lab.md").read_text().startswith("# dctwin report: lab")
    assert '<table id="summary">' in (lab_outputs / "lab.html").read_text()


def test_report_is_deterministic(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert main(["report", "--stack", "lab", "--out-dir", str(a)]) == 0
    assert main(["report", "--stack", "lab", "--out-dir", str(b)]) == 0
    for name in ("lab.json", "lab.md", "lab.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_report_with_diagrams_draws_each_view_once_and_embeds_those_bytes(tmp_path, monkeypatch):
    import base64

    import twin.outputs.diagrams as diagrams
    from twin.outputs.layout import VIEWS

    drawn: list[tuple[str, str | None]] = []
    real_render = diagrams._render

    def counted(fleet, view, timeline, *rest):
        drawn.append((view, timeline.scenario if timeline is not None else None))
        return real_render(fleet, view, timeline, *rest)

    monkeypatch.setattr(diagrams, "_render", counted)
    out = tmp_path / "out"
    assert main(["report", "--stack", "lab", "--out-dir", str(out), "--diagrams"]) == 0
    assert len(drawn) == len(set(drawn)), "a view was drawn twice"
    assert [view for view, scenario in drawn if scenario is None] == list(VIEWS)
    assert len(drawn) > len(VIEWS)  # and the overlays, once each
    page = (out / "lab.html").read_text()
    embedded = {
        base64.b64decode(uri)
        for uri in re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    }
    for view in VIEWS:  # the HTML holds the very bytes written to diagrams/
        assert (out / "diagrams" / f"lab-{view}.svg").read_bytes() in embedded, view


@pytest.mark.chromium
@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)",
)
def test_html_report_with_diagrams_renders_in_headless_chromium(tmp_path):
    """Open the report as a person would: every image loads, no console errors, the
    summary table is in the DOM, and a screenshot can be taken."""
    from playwright.sync_api import sync_playwright

    out = tmp_path / "report"
    assert main(["report", "--stack", "lab", "--out-dir", str(out)]) == 0
    page_path = out / "lab.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page, problems = open_report(browser, page_path)
            images = page.evaluate("document.images.length")
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                ".map(i => i.alt)"
            )
            rows = page.evaluate("document.querySelectorAll('table#summary tr').length")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    assert problems == []
    assert images >= 4  # the four architecture views, plus any overlays
    assert broken == []
    assert rows == 2  # header + the lab site
    assert shot.stat().st_size > 10_000


# --------------------------------------------------------------------------- CLI and gates


def test_gates_fail_with_exit_1(capsys):
    assert main(["contingency", "--stack", "pangyo-2022", "--fail-on", "spof,tier<IV"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out


def test_gates_pass_with_exit_0(capsys):
    assert (
        main(
            [
                "simulate",
                "--stack",
                "ansan",
                "--scenario",
                "ansan:fire:ansan-battery-room-hall1-a",
                "--fail-on",
                "downtime,rows-lost",
            ]
        )
        == 0
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--stack", "lab", "--scenario", "no-such-scenario"],
        ["simulate", "--stack", "lab", "--scenario", "surge:peak", "--surge", "nope"],
        ["contingency", "--stack", "lab", "--fail-on", "tier<V"],
        ["tier", "--model", "/nonexistent/model.yaml"],
        ["report", "--stack", "nowhere"],
        ["scenarios", "--model", "/nonexistent.json"],
    ],
)
def test_bad_input_to_analysis_commands_exits_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("dctwin:") and "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--stack", "lab"],
        ["contingency", "--stack", "lab", "--order", "4"],
        ["simulate", "--stack", "lab", "--scenario", "x", "--horizon", "-5"],
        ["tier", "--stack", "lab", "--format", "pdf"],
    ],
)
def test_usage_errors_in_analysis_commands_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_simulate_json_documents_its_keys(capsys):
    assert (
        main(
            ["simulate", "--stack", "lab", "--scenario", "lab:utility-loss:all", "--format", "json"]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    scenario = doc["scenarios"][0]
    assert {"scenario", "events", "losses", "services", "max_loss"} <= set(scenario)
    assert doc["schema_version"] == "1"
