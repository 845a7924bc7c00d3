"""The HTML report's diagrams in a real browser: they fit a 1400 px window, load, and zoom.

Debian's headless ``chromium``, driven by Playwright (no browser download); skipped
with a reason when it is not installed (``.ci/run`` installs it).
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
STACKS = ("lab", "pangyo-2022")

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
  };
}"""


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("reports")
    for stack in STACKS:
        code = main(["report", "--stack", stack, "--out-dir", str(out / stack), "--diagrams"])
        assert code in (0, 1), f"report --stack {stack} exited {code}"
    return {stack: out / stack / f"{stack}.html" for stack in STACKS}


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
    page = browser.new_page(viewport={"width": WIDTH, "height": 1000})
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
