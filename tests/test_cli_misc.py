"""The diagram command, stack-declared scenarios, and the progress bar."""

from __future__ import annotations

import io
import json

import pytest

from tests.test_bad_input import valid_document
from twin.cli import main
from twin.model.catalog import catalog
from twin.model.documents import parse_fleet
from twin.outputs.progress import Progress


def test_diagram_command_writes_svg_and_png_deterministically(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    argv = [
        "diagram",
        "--stack",
        "lab",
        "--view",
        "power",
        "--scenario",
        "lab:utility-loss:all+generator-fails-to-start",
    ]
    assert main([*argv, "--out", str(a)]) == 0
    assert main([*argv, "--out", str(b)]) == 0
    written = sorted(p.name for p in a.iterdir())
    assert written == [
        "lab-power-lab-utility-loss-all-generator-fails-to-start.png",
        "lab-power-lab-utility-loss-all-generator-fails-to-start.svg",
    ]
    for name in written:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    svg = (a / written[1]).read_text()
    assert 'class="' in svg and "state-failed" in svg


@pytest.mark.parametrize(
    "argv",
    [
        ["diagram", "--stack", "lab", "--scenario", "nope", "--out", "x"],
        ["diagram", "--model", "/nonexistent.yaml", "--out", "x"],
    ],
)
def test_diagram_bad_input_exits_2(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_diagram_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["diagram", "--stack", "lab", "--view", "plumbing", "--out", "x"])
    assert exc.value.code == 2


def _with_scenario(scenario: dict) -> dict:
    doc = valid_document()
    doc["scenarios"] = [scenario]
    return doc


def test_a_stack_can_declare_its_own_scenarios(tmp_path, capsys):
    own = {
        "name": "drill: one UPS",
        "description": "a drill",
        "events": [
            {"kind": "fail", "components": ["ups-a"], "at_s": 120},
            {"kind": "surge", "surge": "new_year", "at_s": 60},
        ],
    }
    fleet = parse_fleet(json.dumps(_with_scenario(own)))
    names = [s.name for s in catalog(fleet)]
    assert names[-1] == "drill: one UPS"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_with_scenario(own)))
    assert (
        main(
            [
                "simulate",
                "--model",
                str(path),
                "--scenario",
                "drill: one UPS",
                "--format",
                "json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    kinds = [(e["kind"], e["subject"], e["time_s"]) for e in doc["scenarios"][0]["events"]]
    assert ("component_down", "ups-a", 120.0) in kinds
    assert not any(k == "component_down" and s == "row-1" for k, s, _ in kinds)  # 2N
    assert doc["scenarios"][0]["surge"] == "new_year"


@pytest.mark.parametrize(
    ("event", "location", "reason"),
    [
        ({"kind": "fire", "site": "s1", "zone": "attic"}, "events[0].zone", "unknown zone"),
        (
            {"kind": "fail", "components": ["ghost"]},
            "events[0].components[0]",
            "unknown component 'ghost'",
        ),
        (
            {"kind": "utility_loss", "site": "s1", "feeds": ["ups-a"]},
            "events[0].feeds[0]",
            "not a utility feed",
        ),
        ({"kind": "srlg_cut", "srlg": "duct-9"}, "events[0].srlg", "no link runs"),
        ({"kind": "surge", "surge": "olympics"}, "events[0].surge", "no service declares"),
        ({"kind": "site_loss", "site": "mars"}, "events[0].site", "unknown site"),
        ({"kind": "meteor", "site": "s1"}, "events[0]", "meteor"),
    ],
)
def test_bad_declared_scenarios_are_located(event, location, reason, tmp_path, capsys):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_with_scenario({"name": "bad", "events": [event]})))
    assert main(["scenarios", "--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"scenarios[bad].{location}" in err and reason in err


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only():
    tty = _Tty()
    with Progress("n-2", stream=tty) as bar:
        bar.update(5, 10)
        bar.update(10, 10)
    assert "n-2 [" in tty.getvalue() and "10/10" in tty.getvalue()
    assert tty.getvalue().endswith("\n")
    pipe = io.StringIO()
    with Progress("n-2", stream=pipe) as bar:
        bar.update(10, 10)
    assert pipe.getvalue() == ""


def test_unwritable_output_is_a_usage_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert main(["summary", "--stack", "lab", "--out", str(blocker / "out.txt")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err
