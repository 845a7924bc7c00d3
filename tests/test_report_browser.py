"""The HTML reports as a person sees them: headless Chromium at 1,400 px.

For every reference stack the report is rendered, a small probe script is injected
(errors and console errors recorded from the first moment; geometry read once the
page has loaded) and the page is loaded in Debian's ``chromium`` with ``--dump-dom``:
the verdict block must sit in the first viewport, nothing may overflow horizontally,
every image (charts, diagrams) must have loaded, and the console must stay clean.

``python -m tests.test_report_browser`` rewrites the first-viewport screenshots the
README shows (``docs/screenshots/``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from twin.cli import main

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
STACKS = ("lab", "ansan", "pangyo-2022", "fleet")
WIDTH, VIEWPORT = 1400, 900
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

_EARLY = """<script>
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || (e.target && (e.target.src || e.target.outerHTML))));
}, true);
(function () {
  var original = console.error;
  console.error = function () {
    window.__errors.push(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
</script>"""

_PROBE = """<script>
window.addEventListener("load", function () {
  var verdict = document.getElementById("verdict");
  var box = verdict ? verdict.getBoundingClientRect() : null;
  var wide = [];
  document.querySelectorAll("body *").forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.right > document.documentElement.clientWidth + 1 && r.width > 0) {
      wide.push(el.tagName + (el.id ? "#" + el.id : ""));
    }
  });
  var images = Array.prototype.map.call(document.images, function (img) {
    return {alt: img.alt, loaded: img.complete && img.naturalWidth > 0};
  });
  var out = document.createElement("pre");
  out.id = "dctwin-probe";
  out.textContent = JSON.stringify({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
    verdictTop: box ? box.top : null,
    verdictBottom: box ? box.bottom : null,
    wide: wide.slice(0, 10),
    images: images,
    errors: window.__errors
  });
  document.body.appendChild(out);
});
</script>"""


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--window-size={WIDTH},{VIEWPORT}", "--virtual-time-budget=10000", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


@cache
def _report(stack: str, folder: str) -> Path:
    out = Path(folder) / stack
    assert main(["report", "--stack", stack, "--out-dir", str(out)]) == 0
    return out / f"{stack}.html"


def _probe(html: Path) -> dict[str, object]:
    text = html.read_text(encoding="utf-8")
    text = text.replace("<head>", "<head>" + _EARLY, 1).replace("</body>", _PROBE + "</body>", 1)
    probed = html.with_name(html.stem + ".probe.html")
    probed.write_text(text, encoding="utf-8")
    result = _chromium("--dump-dom", probed.as_uri())
    match = re.search(r'<pre id="dctwin-probe">(.*?)</pre>', result.stdout, re.S)
    assert match, f"the probe did not run: {result.stderr[-2000:]}"
    raw = match.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return dict(json.loads(raw.replace("&amp;", "&")))


@pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)"
)
@pytest.mark.parametrize("stack", STACKS)
def test_the_report_reads_at_1400_px(stack, tmp_path_factory):
    html = _report(stack, str(tmp_path_factory.getbasetemp() / "browser"))
    probe = _probe(html)
    assert probe["errors"] == [], probe["errors"]
    assert probe["scrollWidth"] <= probe["clientWidth"], f"overflows: {probe['wide']}"
    images = probe["images"]
    assert isinstance(images, list) and images, "no images"
    assert all(i["loaded"] for i in images), [i["alt"] for i in images if not i["loaded"]]
    top, bottom = probe["verdictTop"], probe["verdictBottom"]
    assert top is not None and 0 <= float(top) < VIEWPORT / 2, "the verdict is not first"
    assert float(bottom) > float(top)


def write_screenshots() -> None:
    """The first viewport of each reference stack's report, for the README."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    folder = ROOT / "out" / "screenshots"
    for stack in STACKS:
        html = _report(stack, str(folder))
        png = SCREENSHOTS / f"{stack}-report.png"
        result = _chromium(f"--screenshot={png}", html.as_uri())
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        print(png.relative_to(ROOT))


if __name__ == "__main__":
    if CHROMIUM is None:
        sys.exit("chromium is not installed")
    write_screenshots()
