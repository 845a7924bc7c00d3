"""Crashes never look like verdicts; hostile input is refused cleanly; outputs are all-or-nothing.

One test per failure found by trying the CLI as a hostile user would (issue 7): exit
codes, deep and huge documents, blocked outputs, Ctrl-C mid-render, names that would
rewrite a terminal or ping a GitHub team, and the JSON contract's full detail.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

import twin.cli
from tests.test_bad_input import valid_document
from twin.analysis.contingency import transient_sources
from twin.analysis.engine import Evaluator
from twin.analysis.reference import reference_evaluate
from twin.cli import main
from twin.sources import build_stack

ROOT = Path(__file__).resolve().parent.parent
DCTWIN = [sys.executable, "-m", "twin.cli"]


def run(*argv: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [*DCTWIN, *argv],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(folder.rglob("*"))
    }


# --------------------------------------------------------------------------- exit codes


def test_internal_error_exits_3_with_one_line(monkeypatch, capsys):
    def broken(args):
        raise TypeError("_finish() missing 1 required positional argument: 'table'")

    monkeypatch.setattr(twin.cli, "cmd_tier", broken)
    assert main(["tier", "--stack", "lab"]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("dctwin: internal error: TypeError: _finish() missing")
    assert "--debug" in err


def test_internal_error_traceback_only_with_debug(monkeypatch, capsys):
    monkeypatch.setattr(twin.cli, "cmd_tier", lambda args: 1 / 0)
    assert main(["tier", "--stack", "lab", "--debug"]) == 3
    assert "Traceback" in capsys.readouterr().err
    monkeypatch.setenv("DCTWIN_DEBUG", "1")
    assert main(["tier", "--stack", "lab"]) == 3
    assert "ZeroDivisionError" in capsys.readouterr().err


def test_internal_error_through_the_real_entry_point():
    code = (
        "import twin.cli as c\n"
        "def boom(fleet):\n    raise RuntimeError('injected')\n"
        "c.summarize = boom\n"
        "raise SystemExit(c.main(['summary', '--stack', 'lab']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        "dctwin: internal error: RuntimeError: injected (a bug in dctwin; --debug or "
        "DCTWIN_DEBUG=1 shows the traceback)"
    ]


def test_gate_failure_still_exits_1_and_bad_input_2(capsys):
    assert main(["tier", "--stack", "lab", "--fail-on", "tier<IV"]) == 1
    assert main(["tier", "--model", "/nonexistent/x.yaml"]) == 2
    assert main(["tier", "--stack", "lab", "--fail-on", "tier<V"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for code in ("0 pass", "1 a resilience gate", "2 bad input", "3 an internal error", "130"):
        assert code in out


# --------------------------------------------------------------------------- hostile documents


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("deep.json", "[" * 10_000 + "]" * 10_000, "nested deeper than 64 levels"),
        ("deep-object.json", '{"a":' * 10_000 + "1" + "}" * 10_000, "nested deeper than 64"),
        ("deep.yaml", "".join("  " * i + "a:\n" for i in range(3000)), "nested deeper"),
        ("deep-flow.yaml", "a: " + "[" * 10_000 + "]" * 10_000, "nested deeper than 64"),
        ("huge-int.json", '{"name": ' + "9" * 5000 + "}", "number with 5000 characters"),
        ("huge-int.yaml", "name: x\nsites: " + "9" * 5000 + "\n", "number with 5000 characters"),
        ("dup.json", '{"name": "a", "name": "b"}', "duplicate key 'name'"),
        ("dup.yaml", "name: a\nregions: []\nname: b\n", "duplicate key 'name'"),
        (
            "laughs.yaml",
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{k}: &{k} [{', '.join(['*' + p] * 10)}]\n"
                for p, k in zip("abcdefgh", "bcdefghi", strict=True)
            ),
            "expands to more than 2,000,000 values",
        ),
    ],
)
def test_hostile_documents_exit_2_with_a_location(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    done = run("validate", "--model", str(path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "RecursionError" not in done.stderr
    assert expected in done.stderr
    assert re.search(r"line \d+ column \d+", done.stderr)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("racks", True, "Input should be a valid integer, not the boolean true"),
        ("servers", 300.0, "Input should be a valid integer"),
        ("it_load_kw", "150", "Input should be a valid number, not the string '150'"),
    ],
)
def test_strict_types_refuse_coercion(tmp_path, capsys, field, value, message):
    doc = valid_document()
    doc["sites"][0]["components"][3][field] = value
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    assert main(["validate", "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"sites[s1].components[row-1].{field}: {message}" in err


def test_duplicate_key_is_located_in_nested_json(tmp_path, capsys):
    text = json.dumps(valid_document()).replace('"racks": 10', '"racks": 10, "racks": 11')
    path = tmp_path / "doc.json"
    path.write_text(text)
    assert main(["validate", "--model", str(path)]) == 2
    assert "(sites[0].components[3]): duplicate key 'racks'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "bad_name",
    [
        "row\nINJECTED LINE",
        "row\x00nul",
        "row\x1b[2J\x1b]0;title\x07",
        "row\u202egnp.exe",
        "x" * 100_000,
    ],
)
def test_names_in_messages_are_escaped_and_truncated(tmp_path, bad_name):
    doc = valid_document()
    doc["sites"][0]["components"][3]["name"] = bad_name
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(doc))
    done = run("validate", "--model", str(path))
    assert done.returncode == 2
    err = done.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", err), repr(err[:200])
    assert "INJECTED LINE" not in err.splitlines()[0] and all(
        not line.startswith("INJECTED") for line in err.splitlines()
    )
    assert max(len(line) for line in err.splitlines()) < 400
    if len(bad_name) > 1000:
        assert "…" in err


# --------------------------------------------------------------------------- output sets


def test_report_out_dir_unchanged_when_one_report_cannot_be_written(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "lab.json").write_text("old json")
    (out / "lab.html").mkdir()  # the HTML report cannot replace a folder
    before = snapshot(out)
    done = run("report", "--stack", "lab", "--out-dir", str(out))
    assert done.returncode == 2, done.stderr
    assert f"cannot write {out / 'lab.html'}" in done.stderr
    assert ".tmp" not in done.stderr and "staging" not in done.stderr
    assert snapshot(out) == before


def test_report_diagrams_blocked_leaves_no_reports(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "diagrams").write_text("a file where the diagrams folder should be")
    before = snapshot(out)
    done = run("report", "--stack", "lab", "--out-dir", str(out), "--diagrams")
    assert done.returncode == 2, done.stderr
    assert str(out / "diagrams") in done.stderr
    assert snapshot(out) == before


def test_diagram_set_unchanged_when_the_png_cannot_be_written(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "lab-power.png").mkdir()
    before = snapshot(out)
    done = run("diagram", "--stack", "lab", "--view", "power", "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert f"cannot write {out / 'lab-power.png'}" in done.stderr
    assert snapshot(out) == before


def test_new_out_dir_with_missing_parents_appears_whole(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "out"
    assert main(["report", "--stack", "lab", "--out-dir", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["lab.html", "lab.json", "lab.md"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]  # no staging left behind


def test_out_dir_under_a_file_is_a_clean_error(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["report", "--stack", "lab", "--out-dir", str(tmp_path / "file" / "out")]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_single_output_onto_a_folder_names_it(tmp_path, capsys):
    assert main(["tier", "--stack", "lab", "--out", str(tmp_path)]) == 2
    assert f"cannot write {tmp_path}: is a directory" in capsys.readouterr().err.lower()


def _interrupt_when_staged(argv: list[str], out: Path, delay_s: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [*DCTWIN, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    deadline = time.monotonic() + 60
    while not list(out.parent.glob(f".{out.name}.dctwin-staging-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the output set was never staged"
        time.sleep(0.005)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGINT)
    return proc


@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.15, 0.3, 0.6, 1.0])
@pytest.mark.parametrize(
    "command", [["report", "--stack", "lab", "--diagrams"], ["diagram", "--stack", "lab"]]
)
def test_sigint_while_rendering_exits_130_and_publishes_nothing(tmp_path, command, delay_s):
    out = tmp_path / "out"
    flag = "--out-dir" if command[0] == "report" else "--out"
    proc = _interrupt_when_staged([*command, flag, str(out)], out, delay_s)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # the set was published before the signal arrived
        assert out.is_dir() and "interrupted" not in err
        pytest.skip("rendering finished before the interrupt")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Exception ignored" not in err
    assert err.strip().endswith("dctwin: interrupted")
    assert list(tmp_path.iterdir()) == []  # no target, no staging folder


class _InterruptingOs:
    """``os`` as :mod:`twin.outputs.files` sees it, except that each call of ``name``
    (the rename or replace that publishes) sends this process a SIGINT, as a Ctrl-C
    landing at that very moment would; with ``fail`` the call then fails."""

    def __init__(self, name: str, *, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.signalled = 0

    def __getattr__(self, attr: str):
        if attr != self.name:
            return getattr(os, attr)
        real = getattr(os, attr)

        def publishing(*args, **kwargs):
            self.signalled += 1
            signal.raise_signal(signal.SIGINT)  # handled before raise_signal returns
            if self.fail:
                raise PermissionError(13, "Permission denied")
            return real(*args, **kwargs)

        return publishing


def _interrupt_publication(monkeypatch, name: str, *, fail: bool = False) -> _InterruptingOs:
    import threading

    import twin.outputs.files

    assert threading.current_thread() is threading.main_thread()  # where signals land
    fake = _InterruptingOs(name, fail=fail)
    monkeypatch.setattr(twin.outputs.files, "os", fake)
    return fake


@pytest.mark.parametrize(
    ("existing", "call"), [(False, "rename"), (True, "replace")], ids=["new-dir", "existing-dir"]
)
def test_sigint_during_publication_is_dropped_once_the_set_is_in_place(
    tmp_path, monkeypatch, capsys, existing, call
):
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "lab.json").write_text("old json")
    fake = _interrupt_publication(monkeypatch, call)
    assert main(["report", "--stack", "lab", "--out-dir", str(out)]) == 0
    assert fake.signalled
    assert "interrupted" not in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["lab.html", "lab.json", "lab.md"]
    assert (out / "lab.json").read_text() != "old json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_sigint_during_a_failed_publication_exits_130_and_publishes_nothing(
    tmp_path, monkeypatch, capsys
):
    out = tmp_path / "out"
    fake = _interrupt_publication(monkeypatch, "rename", fail=True)
    assert main(["report", "--stack", "lab", "--out-dir", str(out)]) == 130
    assert fake.signalled == 1
    assert capsys.readouterr().err.strip().endswith("dctwin: interrupted")
    assert list(tmp_path.iterdir()) == []


def test_sigint_after_publication_keeps_the_exit_code(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    real_emit = twin.cli.emit

    def emit_interrupted(content, path):
        signal.raise_signal(signal.SIGINT)  # the set is in place; only printing is left
        real_emit(content, path)

    monkeypatch.setattr(twin.cli, "emit", emit_interrupted)
    assert main(["report", "--stack", "lab", "--out-dir", str(out), "--fail-on", "tier<IV"]) == 1
    captured = capsys.readouterr()
    assert "interrupted" not in captured.err and "verdict" in captured.out
    assert sorted(p.name for p in out.iterdir()) == ["lab.html", "lab.json", "lab.md"]


def test_sigint_before_publication_still_exits_130_and_publishes_nothing(
    tmp_path, monkeypatch, capsys
):
    from twin.outputs.files import OutputSet

    out = tmp_path / "out"
    real_write = OutputSet.write

    def write_interrupted(self, relative, content):
        target = real_write(self, relative, content)
        if str(relative).endswith(".html"):  # the last file is staged, nothing moved yet
            signal.raise_signal(signal.SIGINT)
        return target

    monkeypatch.setattr(OutputSet, "write", write_interrupted)
    assert main(["report", "--stack", "lab", "--out-dir", str(out)]) == 130
    assert capsys.readouterr().err.strip().endswith("dctwin: interrupted")
    assert list(tmp_path.iterdir()) == []


def test_sigint_a_library_turns_into_its_own_error_still_exits_130(tmp_path, monkeypatch, capsys):
    """matplotlib's C code can turn the KeyboardInterrupt raised inside it into a
    ValueError ("Invalid bounding box"): the run was interrupted, not broken — 130, not
    an internal error, and nothing published."""
    from twin.outputs.files import OutputSet

    out = tmp_path / "out"
    real_write = OutputSet.write

    def write_then_swallowed(self, relative, content):
        target = real_write(self, relative, content)
        try:
            signal.raise_signal(signal.SIGINT)
        except KeyboardInterrupt:
            raise ValueError("Invalid bounding box") from None
        return target

    monkeypatch.setattr(OutputSet, "write", write_then_swallowed)
    assert main(["report", "--stack", "lab", "--out-dir", str(out)]) == 130
    err = capsys.readouterr().err
    assert err.strip().endswith("dctwin: interrupted") and "internal error" not in err
    assert list(tmp_path.iterdir()) == []


def test_sigint_while_a_single_file_is_published_is_dropped(tmp_path, monkeypatch, capsys):
    out = tmp_path / "tier.json"
    fake = _interrupt_publication(monkeypatch, "replace")
    assert main(["tier", "--stack", "lab", "--format", "json", "--out", str(out)]) == 0
    assert fake.signalled == 1
    assert "interrupted" not in capsys.readouterr().err
    assert json.loads(out.read_text())["tier"]
    assert [p.name for p in tmp_path.iterdir()] == ["tier.json"]


def test_sigint_during_publication_through_the_real_entry_point(tmp_path):
    """The console script's own exit status, diagrams included (the case a Ctrl-C at the
    end of ``diagram`` used to turn into 130 with the diagrams in place)."""
    out = tmp_path / "d"
    code = (
        "import os, signal, sys\n"
        "import twin.outputs.files as files\n"
        "from twin.cli import entry\n"
        "class Os:\n"
        "    def __getattr__(self, name):\n"
        "        return getattr(os, name)\n"
        "    def rename(self, *args):\n"
        "        signal.raise_signal(signal.SIGINT)\n"
        "        os.rename(*args)\n"
        "files.os = Os()\n"
        "sys.argv = ['dctwin', 'diagram', '--stack', 'lab', '--view', 'power',\n"
        "            '--out', sys.argv[1]]\n"
        "entry()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "interrupted" not in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["lab-power.png", "lab-power.svg"]
    assert done.stdout.split() == [str(out / "lab-power.svg"), str(out / "lab-power.png")]


# --------------------------------------------------------------------------- pull-request safety


def _hostile_fleet(tmp_path: Path) -> Path:
    doc = valid_document()
    doc["name"] = '%%{init: {"theme":"forest"}}%%'
    doc["services"][0]["name"] = "@github/security"
    doc["services"][1]["depends_on"] = ["@github/security"]
    doc["services"][1]["name"] = "see #123 GH-4 https://evil.example www.evil.example deadbeef1234"
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(doc))
    return path


def test_markdown_neutralises_directives_mentions_and_autolinks(tmp_path, capsys):
    path = _hostile_fleet(tmp_path)
    assert main(["report", "--model", str(path), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "%%{" not in md and "}%%" not in md
    prose = md.split("```mermaid")[0]  # a code block links nothing; the chart is checked below
    text = prose.replace("&#8203;", "\u200b").replace("&#37;", "%")
    assert not re.search(r"@(?!\u200b)", text), "a live @mention"
    assert not re.search(r"#\d", text), "a live issue reference"
    for trigger in ("GH-4", "https://", "www.evil", "deadbeef1234"):
        assert trigger not in prose, trigger
    # the names still read the same once the zero-width spaces are gone
    assert "@github/security" in md.replace("&#8203;", "")


def test_mermaid_comment_cannot_open_a_directive(tmp_path):
    from twin.analysis.timeline import simulate
    from twin.model.documents import load_fleet
    from twin.model.scenarios import ScenarioSpec, SiteLoss
    from twin.outputs.mermaid import blast_radius_mermaid

    fleet = load_fleet(_hostile_fleet(tmp_path))
    timeline = simulate(fleet, ScenarioSpec(name="x", events=[SiteLoss(site="s1")]))
    chart = blast_radius_mermaid(fleet, timeline)
    assert "%%{" not in chart and "@" not in chart


def test_html_report_lists_critical_pairs_like_json(capsys):
    assert main(["contingency", "--stack", "lab", "--order", "2", "--format", "json"]) == 0
    pairs = json.loads(capsys.readouterr().out)["contingency"]["critical_pairs"]
    assert pairs
    assert main(["contingency", "--stack", "lab", "--order", "2", "--format", "html"]) == 0
    html = capsys.readouterr().out
    table = html[html.index('<table id="critical-pairs">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") - 1 == len(pairs)
    assert pairs[0]["label"] in table


def test_schema_output_carries_schema_version(capsys):
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out)["schema_version"] == "1"


# --------------------------------------------------------------------------- flags


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["report", "--stack", "lab", "--diagrams"], "add --out-dir"),
        (["report", "--stack", "lab", "--out-dir", "x", "--out", "y"], "pick one"),
        (["contingency", "--stack", "lab", "--all"], "needs --order 2"),
        (["diagram", "--stack", "lab", "--at", "5", "--out", "x"], "needs --scenario"),
        (["diagram", "--stack", "lab", "--all-sites", "--out", "x"], "needs --scenario"),
        (
            ["diagram", "--stack", "lab", "--view", "regions", "--detail", "2", "--out", "x"],
            "not regions",
        ),
        (["contingency", "--stack", "lab", "--detail", "full"], "add --format json"),
    ],
)
def test_flags_that_cannot_apply_are_usage_errors(argv, why, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert why in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- full detail


@pytest.mark.parametrize("stack", ["lab", "ansan"])
def test_full_detail_lists_every_downed_component_as_the_engine_does(stack, capsys):
    assert main(["contingency", "--stack", stack, "--detail", "full", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)["contingency"]
    fleet = build_stack(stack)
    ev = Evaluator(fleet)
    base = transient_sources(fleet)
    impacts = [*doc["single_failures"], *doc["common_cause"]]
    assert len(doc["single_failures"]) == sum(1 for _ in fleet.components())
    for impact in impacts:
        down = ev.evaluate([*base, *impact["failed"]]).down_names()
        assert impact["down_components"] == [n for n in down if n not in set(base)], impact["label"]
    if stack == "lab":  # and the naive oracle agrees, independently of the engine
        for impact in impacts:
            up, _ = reference_evaluate(fleet, [*base, *impact["failed"]])
            expected = [n for n, ok in up.items() if not ok and n not in set(base)]
            assert impact["down_components"] == expected


def test_full_detail_timeline_states_match_the_event_log(capsys):
    scenario = "lab:utility-loss:all+generator-fails-to-start"
    assert (
        main(
            [
                "simulate",
                "--stack",
                "lab",
                "--scenario",
                scenario,
                "--detail",
                "full",
                "--format",
                "json",
            ]
        )
        == 0
    )
    timeline = json.loads(capsys.readouterr().out)["scenarios"][0]
    states = timeline["states"]
    assert sorted(states[-1]["down"]) == sorted(timeline["down_at_end"])
    times = [s["time_s"] for s in states]
    assert times == sorted(times)
    for event in timeline["events"]:
        if event["kind"] == "component_down":
            at = [s for s in states if s["time_s"] <= event["time_s"]][-1]
            assert event["subject"] in at["down"]


# --------------------------------------------------------------------------- packaging


def test_runtime_dependencies_are_imported_and_requirements_hold_only_them():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    sources = "\n".join(
        p.read_text()
        for p in [*ROOT.glob("twin/**/*.py"), *ROOT.glob("stacks/*.py"), ROOT / "__main__.py"]
    )
    import_names = {"pyyaml": "yaml"}
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group().lower()
        module = import_names.get(name, name.replace("-", "_"))
        assert re.search(rf"^\s*(import|from) {module}\b", sources, re.M), (
            f"{name} is never imported"
        )
    requirements = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert requirements == ["-e ."]  # the package and its runtime dependencies, no test tools


def test_package_data_exists():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    for package, patterns in data.items():
        for pattern in patterns:
            folder = ROOT.joinpath(*package.split("."))
            assert list(folder.glob(pattern)), f"{package}/{pattern} matches nothing"


def test_every_type_ignore_says_why():
    for path in [*ROOT.glob("twin/**/*.py"), *ROOT.glob("stacks/*.py")]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if "type: ignore" in line:
                assert re.search(r"type: ignore\[[a-z-, ]+\]\s+#\s*\S", line), f"{path}:{number}"
