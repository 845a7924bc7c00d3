"""Every command the README documents, with every format it accepts, on every reference stack.

A documented command that crashes is the worst bug this project can ship: a CI gate
would read the crash as a verdict. So the matrix below runs each documented command
through the real entry point (:func:`twin.cli.main`, and the installed script for a
sample) and checks the exit code, that no traceback is printed, that the output parses
in its format, and that every JSON document carries ``schema_version``. The matrix is
checked against the README: a command or option documented there and missing here
fails :func:`test_every_documented_command_and_option_is_in_the_matrix`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from twin.cli import command_names, main
from twin.sources import file_stem

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("lab", "ansan", "pangyo-2022", "fleet")
GENERATED = "kakao:sites=2,racks=80,per=rack"
"""A small generated stack: the documented spec syntax, end to end (not a reference stack)."""
ANALYSIS_FORMATS = ("table", "json", "markdown", "html")
# A scenario per stack that takes something down, so every section of a timeline renders.
SCENARIO = {
    "lab": "lab:utility-loss:all+generator-fails-to-start",
    "ansan": "ansan:fire:ansan-battery-room-hall1-a",
    "pangyo-2022": "pangyo:fire:pangyo-b3-battery-room",
    "fleet": "ansan:site-loss",
}


def _case(command: str, extra: list[str], fmt: str | None, stacks: tuple[str, ...]) -> list[Any]:
    return [(command, stack, fmt, extra) for stack in stacks]


def _matrix() -> list[Any]:
    cases: list[Any] = []
    for stack in STACKS:
        sim = ["--scenario", SCENARIO[stack]]
        for fmt in ("table", "json"):
            cases += _case("summary", [], fmt, (stack,))
            cases += _case("scenarios", [], fmt, (stack,))
        cases += _case("validate", [], None, (stack,))
        for fmt in ("json", "yaml"):
            cases += _case("export", [], fmt, (stack,))
        for fmt in ANALYSIS_FORMATS:
            cases += _case("simulate", sim, fmt, (stack,))
            cases += _case("tier", [], fmt, (stack,))
            cases += _case("contingency", [], fmt, (stack,))
    cases += _case("schema", [], None, ("",))
    for fmt in ("table", "json"):
        cases += _case("summary", [], fmt, (GENERATED,))
    cases += _case("validate", [], None, (GENERATED,))
    cases += _case("tier", [], "json", (GENERATED,))
    cases += _case("contingency", [], "json", (GENERATED,))
    cases += _case("report", [], "json", (GENERATED,))
    cases += _case("report", ["--out-dir", "{tmp}/out"], None, (GENERATED,))
    # the slow ones: every format on the small stack and the largest, JSON on the others
    for fmt in ANALYSIS_FORMATS:
        cases += _case("report", [], fmt, ("lab", "fleet"))
        cases += _case("contingency", ["--order", "2"], fmt, ("lab",))
        cases += _case(
            "contingency", ["--order", "3", "--samples", "3000", "--seed", "2"], fmt, ("lab",)
        )
    cases += _case("contingency", ["--order", "3", "--samples", "20000"], "json", ("pangyo-2022",))
    cases += _case("report", [], "json", ("ansan", "pangyo-2022"))
    for fmt in ANALYSIS_FORMATS:
        cases += _case("availability", ["--years", "300"], fmt, ("lab", "fleet"))
    cases += _case("availability", ["--years", "300"], "json", ("ansan", "pangyo-2022"))
    cases += _case(
        "availability",
        ["--years", "600", "--seed", "3", "--shards", "2", "--method", "monte-carlo"],
        "table",
        ("lab",),
    )
    cases += _case("availability", ["--method", "cut-sets", "--order", "1"], "json", STACKS)
    cases += _case("report", ["--years", "200", "--seed", "1"], "markdown", ("lab",))
    # --scheduler: two worker processes here (tests/test_scheduler.py checks the result is
    # the single-process one); in process by name
    cases += _case(
        "availability",
        ["--years", "600", "--method", "monte-carlo", "--scheduler", "local:2"],
        "json",
        ("lab",),
    )
    cases += _case("report", ["--years", "200", "--scheduler", "local"], "json", ("lab",))
    cases += _case("contingency", ["--order", "2", "--scheduler", "local:2"], "table", ("lab",))
    cases += _case(
        "contingency", ["--order", "3", "--all", "--scheduler", "local:2"], "json", ("lab",)
    )
    cases += _case("report", ["--order", "2", "--scheduler", "local"], "markdown", ("lab",))
    cases += _case("contingency", ["--order", "2"], "json", ("ansan",))
    cases += _case("contingency", ["--order", "2", "--all"], "json", ("lab",))
    cases += _case("contingency", ["--detail", "full"], "json", STACKS)
    cases += _case(
        "simulate", ["--scenario", SCENARIO["lab"], "--detail", "full"], "json", ("lab",)
    )
    cases += _case(
        "simulate",
        ["--scenario", "ansan:site-loss", "--surge", "world_cup", "--horizon", "7200"],
        "json",
        ("ansan",),
    )
    cases += _case("report", ["--order", "2", "--detail", "full"], "json", ("lab",))
    # --wide: every table cell whole, on every command that prints tables
    cases += _case("summary", ["--wide"], "table", ("fleet",))
    cases += _case("scenarios", ["--wide"], "table", ("pangyo-2022",))
    cases += _case(
        "simulate", ["--scenario", SCENARIO["pangyo-2022"], "--wide"], "table", ("pangyo-2022",)
    )
    cases += _case("contingency", ["--wide"], "table", ("pangyo-2022",))
    cases += _case("tier", ["--wide"], "table", ("ansan",))
    cases += _case("availability", ["--method", "cut-sets", "--wide"], "table", ("lab",))
    cases += _case("report", ["--wide"], "table", ("lab",))
    cases += _case(
        "tier", ["--fail-on", "spof,single-event,tier<II,downtime,rows-lost"], "json", ("lab",)
    )
    cases += _case("report", ["--out-dir", "{tmp}/out", "--diagrams"], None, ("lab",))
    cases += _case("diagram", ["--out", "{tmp}/d"], None, ("lab",))
    cases += _case(
        "diagram",
        [
            "--scenario",
            SCENARIO["ansan"],
            "--at",
            "600",
            "--view",
            "power",
            "--detail",
            "1",
            "--revision",
            "abc123",
            "--out",
            "{tmp}/d",
        ],
        None,
        ("ansan",),
    )
    for view in ("cooling", "network", "regions"):
        cases += _case("diagram", ["--view", view, "--out", "{tmp}/d"], None, ("fleet",))
    cases += _case(
        "diagram",
        [
            "--scenario",
            SCENARIO["pangyo-2022"],
            "--view",
            "power",
            "--all-sites",
            "--out",
            "{tmp}/d",
        ],
        None,
        ("pangyo-2022",),
    )
    # diff: this repository's HEAD against its working tree, and two model documents
    for fmt in ("markdown", "json"):
        cases += _case("diff", ["--base", "HEAD", "--repo", "{root}"], fmt, ("lab",))
    cases += _case(
        "diff",
        ["--base", "HEAD", "--head", "HEAD", "--repo", "{root}", "--fail-on", "spof,tier"],
        "json",
        ("lab",),
    )
    cases += _case(
        "diff",
        ["--base", "HEAD", "--head", "HEAD", "--repo", "{root}", "--only-if-changed"],
        None,
        ("lab",),
    )
    cases += _case(
        "diff", ["--base-model", "{tmp}/lab.json", "--head-model", "{tmp}/lab.json"], None, ("",)
    )
    return cases


MATRIX = _matrix()


def _argv(command: str, stack: str, fmt: str | None, extra: list[str], tmp: Path) -> list[str]:
    argv = [command]
    if stack:
        argv += ["--stack", stack]
    if fmt is not None:
        argv += ["--format", fmt]
    return argv + [a.replace("{tmp}", str(tmp)).replace("{root}", str(ROOT)) for a in extra]


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def _json_documents(value: Any) -> None:
    assert isinstance(value, dict) and value.get("schema_version") == "1", "no schema_version"


def _check_output(command: str, fmt: str | None, out: str) -> None:
    assert out.strip(), "no output"
    if fmt == "json" or command == "schema":
        _json_documents(json.loads(out))
    elif fmt == "yaml":
        _json_documents(yaml.safe_load(out))
    elif command == "diff":
        assert out.startswith("**dctwin:** ")
    elif fmt == "markdown":
        assert out.startswith("# dctwin report")
    elif fmt == "html":
        parser = _Html()
        parser.feed(out)
        assert out.lower().startswith("<!doctype html>") and "table" in parser.tags
    elif command == "validate":
        assert out.startswith("ok: fleet ")


@pytest.mark.parametrize(
    ("command", "stack", "fmt", "extra"),
    MATRIX,
    ids=[f"{c}-{s or 'none'}-{f or 'default'}-{'_'.join(e)[:40]}" for c, s, f, e in MATRIX],
)
def test_documented_command_runs(command, stack, fmt, extra, tmp_path, capsys):
    argv = _argv(command, stack, fmt, extra, tmp_path)
    if "--base-model" in extra:
        assert main(["export", "--stack", "lab", "--out", str(tmp_path / "lab.json")]) == 0
    code = main(argv)
    out, err = capsys.readouterr()
    gated = "--fail-on" in extra
    assert code in ((0, 1) if gated else (0,)), f"{argv} exited {code}: {err}"
    assert "Traceback" not in err and "internal error" not in err
    if "--only-if-changed" in extra:
        assert out == "", "HEAD against itself: resilience is unchanged, nothing is printed"
    elif command == "diagram":
        written = sorted(Path(p).name for p in out.split())
        assert written and all(n.endswith((".svg", ".png")) for n in written)
        assert all(Path(p).is_file() for p in out.split())
    elif "--out-dir" in extra:
        folder = tmp_path / "out"
        stem = file_stem(stack)  # a generated spec's file name has no ':' or ','
        diagrams = {"diagrams"} if "--diagrams" in extra else set()
        assert {p.name for p in folder.iterdir()} == {
            f"{stem}.{s}" for s in ("json", "md", "html")
        } | diagrams
        _json_documents(json.loads((folder / f"{stem}.json").read_text()))
        if diagrams:
            assert len(list((folder / "diagrams").glob("*.svg"))) == 4
    else:
        _check_output(command, fmt, out)


def test_every_documented_command_and_option_is_in_the_matrix():
    readme = (ROOT / "README.md").read_text()
    documented: dict[str, set[str]] = {}
    for line in readme.splitlines():
        match = re.match(r"\| `dctwin (\w+)([^`]*)`", line)
        if match:
            documented[match.group(1)] = set(re.findall(r"--[a-z][a-z-]*", match.group(2)))
    parser_commands = set(command_names())
    assert set(documented) == parser_commands, "README and the parser list different commands"
    covered = {c for c, *_ in MATRIX}
    assert set(documented) <= covered, f"not in the matrix: {set(documented) - covered}"
    common = {"--stack", "--model", "--format", "--out"}
    for command, options in documented.items():
        used = {a for c, _, _, e in MATRIX if c == command for a in e if a.startswith("--")}
        missing = options - used - common
        assert not missing, f"{command}: documented options never run: {missing}"


def test_analysis_options_in_the_readme_prose_are_in_the_matrix():
    used = {a for *_, extra in MATRIX for a in extra}
    assert {"--fail-on", "--detail", "--wide"} <= used


@pytest.mark.parametrize(
    "argv",
    [
        ["tier", "--stack", "lab", "--format", "json"],
        ["summary", "--stack", "ansan", "--format", "json"],
        ["schema"],
    ],
)
def test_installed_entry_point(argv):
    """The console script and ``python -m twin.cli`` are the same program as ``main``."""
    script = shutil.which("dctwin", path=str(Path(sys.executable).parent))
    assert script is not None, "the dctwin console script is not installed in the venv"
    for runner in ([script], [sys.executable, "-m", "twin.cli"]):
        done = subprocess.run([*runner, *argv], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        _json_documents(json.loads(done.stdout))


def test_model_documents_run_like_stacks(tmp_path, capsys):
    """``--model FILE`` and ``--model -`` give the same answers as ``--stack``."""
    assert (
        main(["export", "--stack", "lab", "--format", "yaml", "--out", str(tmp_path / "lab.yaml")])
        == 0
    )
    capsys.readouterr()
    assert main(["tier", "--stack", "lab", "--format", "json"]) == 0
    by_stack = json.loads(capsys.readouterr().out)
    assert main(["tier", "--model", str(tmp_path / "lab.yaml"), "--format", "json"]) == 0
    by_model = json.loads(capsys.readouterr().out)
    assert by_model["tier"] == by_stack["tier"]
