"""The HTML reports as a person sees them: Debian's headless Chromium at 1,400 px.

For every reference stack (diagrams included): the verdict sits in the first viewport,
nothing overflows or hides behind a scroll bar, every chart and diagram loads and fits
its box, the console stays clean; a click opens a diagram with pan and zoom. Chromium is
driven by Playwright (no browser download); the tests skip with a reason when it is not
installed (``.ci/run`` installs it).

``python -m tests.test_report_browser`` rewrites the first-viewport screenshots the
README shows (``docs/screenshots/``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from twin.cli import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTH = 1400
STACKS = ("lab", "ansan", "pangyo-2022", "fleet")
VIEWPORT = 1000
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"

pytestmark = [
    pytest.mark.chromium,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)",
    ),
]

LAYOUT_PROBE = """() => {
  const width = document.documentElement.clientWidth;
  return {
    scrollWidth: document.documentElement.scrollWidth,
    overflowing: [...document.querySelectorAll("body *")]
      .filter(e => e.getBoundingClientRect().right > width + 0.5)
      .map(e => e.tagName + " " + (e.id || e.className)),
    scrolling: [...document.querySelectorAll("body *")]
      .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== "visible")
      .map(e => e.tagName + " " + (e.id || e.className)),
    diagrams: [...document.querySelectorAll("figure.diagram img")].map(i => ({
      alt: i.alt,
      loaded: i.complete && i.naturalWidth > 0,
      shown: i.getBoundingClientRect().width,
      room: i.parentElement.clientWidth,
    })),
    images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    charts: document.querySelectorAll("figure.chart img, img.chart").length,
    verdict: (() => {
      const v = document.getElementById("verdict");
      if (!v) return null;
      const r = v.getBoundingClientRect();
      return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY};
    })(),
  };
}"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _reports(tmp_path_factory.mktemp("reports"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_report(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The report at 1400 px with every <details> open; the console problems seen."""
    page = browser.new_page(viewport={"width": WIDTH, "height": VIEWPORT})
    problems: list[str] = []
    page.on(
        "console",
        lambda m: (
            problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning")
            else None
        ),
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    return page, problems


def _reports(out: Path) -> dict[str, Path]:
    for stack in STACKS:
        code = main(["report", "--stack", stack, "--out-dir", str(out / stack), "--diagrams"])
        assert code in (0, 1), f"report --stack {stack} exited {code}"
    return {stack: out / stack / f"{stack}.html" for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
def test_report_fits_1400px_and_every_diagram_loads(stack: str, reports, browser) -> None:
    page, problems = open_report(browser, reports[stack])
    try:
        probe = page.evaluate(LAYOUT_PROBE)
    finally:
        page.close()
    assert probe["scrollWidth"] <= WIDTH
    assert probe["overflowing"] == []  # nothing reaches past the window's right edge
    assert probe["scrolling"] == []  # nor hides behind a scroll bar of its own
    diagrams = probe["diagrams"]
    assert len(diagrams) >= 4  # the four architecture views, plus the overlays
    assert [d["alt"] for d in diagrams if not d["loaded"]] == []
    assert [d["alt"] for d in diagrams if d["shown"] > d["room"] + 0.5] == []
    assert probe["images"] == []
    assert problems == []
    assert probe["charts"] > 0, "no chart"
    verdict = probe["verdict"]
    assert verdict is not None, "no verdict block"
    assert 0 <= verdict["top"] < VIEWPORT / 2, "the verdict does not open the report"


def viewer(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
          const view = document.querySelector(".zoom-view");
          const big = view && view.querySelector("img");
          return {
            open: !!view && !view.hidden,
            width: big ? big.getBoundingClientRect().width : 0,
            natural: big ? big.naturalWidth : 0,
            pageOverflow: document.documentElement.style.overflow,
          };
        }"""
    )


def test_a_click_opens_a_diagram_full_size_with_pan_and_zoom(reports, browser) -> None:
    page, problems = open_report(browser, reports["lab"])
    try:
        diagram = page.locator("figure.diagram img").last  # the regions view, at the end
        diagram.scroll_into_view_if_needed()
        diagram.click()
        shown = viewer(page)
        assert shown["open"] and shown["pageOverflow"] == "hidden"
        assert shown["natural"] > 0 and abs(shown["width"] - shown["natural"]) < 1  # 1:1

        page.mouse.move(WIDTH / 2, 500)
        page.mouse.wheel(0, 300)  # the wheel zooms out around the pointer
        page.wait_for_timeout(100)
        assert viewer(page)["width"] < shown["width"]
        page.keyboard.press("1")
        page.get_by_role("button", name="zoom in (+)").click()
        assert viewer(page)["width"] > shown["width"] * 1.2
        page.keyboard.press("+")  # wider than the window, so there is something to pan
        assert viewer(page)["width"] > WIDTH

        pane = page.locator(".zoom-pane")
        before = pane.evaluate("p => [p.scrollLeft, p.scrollTop]")
        page.mouse.move(WIDTH / 2, 500)
        page.mouse.down()
        page.mouse.move(WIDTH / 2 - 150, 450, steps=5)  # drag pans
        page.mouse.up()
        after = pane.evaluate("p => [p.scrollLeft, p.scrollTop]")
        assert after[0] > before[0]
        assert viewer(page)["open"]  # a drag is not a click beside the diagram

        page.keyboard.press("Escape")
        closed = viewer(page)
        assert not closed["open"] and closed["pageOverflow"] == ""

        diagram.press("Enter")  # keyboard too; the close button closes
        assert viewer(page)["open"]
        page.get_by_role("button", name="close (Esc)").click()
        assert not viewer(page)["open"]
    finally:
        page.close()
    assert problems == []


def write_screenshots() -> None:
    """The first viewport of each reference stack's report, for the README."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = _reports(ROOT / "out" / "screenshots")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for stack, html in paths.items():
                page = chromium.new_page(viewport={"width": WIDTH, "height": VIEWPORT})
                page.goto(html.as_uri())
                page.wait_for_load_state("load")
                png = SCREENSHOTS / f"{stack}-report.png"
                page.screenshot(path=str(png))
                page.close()
                print(png.relative_to(ROOT))
        finally:
            chromium.close()


if __name__ == "__main__":
    if CHROMIUM is None:
        raise SystemExit("chromium is not installed")
    write_screenshots()
