"""Every class of bad input: exit code 2, a message naming the location, no traceback."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from twin.cli import main


def valid_document() -> dict[str, Any]:
    """A small valid fleet: one site, 2N power to one row, one service."""
    power = "power"
    return {
        "name": "doc",
        "regions": [{"name": "kr"}],
        "sites": [
            {
                "name": "s1",
                "region": "kr",
                "zones": [
                    {"name": "bldg", "kind": "building"},
                    {"name": "hall", "kind": "data_hall", "parent": "bldg"},
                ],
                "components": [
                    {
                        "kind": "utility_feed",
                        "name": "feed",
                        "zone": "bldg",
                        "substation": "sub-1",
                        "capacity_kw": 500,
                    },
                    {
                        "kind": "ups",
                        "name": "ups-a",
                        "zone": "bldg",
                        "capacity_kw": 200,
                        "requires": [{"resource": power, "suppliers": ["feed"]}],
                    },
                    {
                        "kind": "ups",
                        "name": "ups-b",
                        "zone": "bldg",
                        "capacity_kw": 200,
                        "requires": [{"resource": power, "suppliers": ["feed"]}],
                    },
                    {
                        "kind": "rack_row",
                        "name": "row-1",
                        "zone": "hall",
                        "racks": 10,
                        "servers": 300,
                        "it_load_kw": 150,
                        "requires": [
                            {"resource": power, "suppliers": ["ups-a", "ups-b"], "capacity": 150}
                        ],
                    },
                ],
            }
        ],
        "services": [
            {
                "name": "web",
                "demand_rps": 1000,
                "surges": {"new_year": 3},
                "replicas": [{"site": "s1", "rows": ["row-1"], "capacity_rps": 2000}],
            },
            {
                "name": "api",
                "demand_rps": 10,
                "depends_on": ["web"],
                "replicas": [{"site": "s1", "rows": ["row-1"], "capacity_rps": 20}],
            },
        ],
    }


def components(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["sites"][0]["components"]


def comp(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in components(doc) if c["name"] == name)


def run_cli(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    doc: Any,
    command: str = "validate",
    suffix: str = ".json",
) -> tuple[int, str]:
    path = tmp_path / f"model{suffix}"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    code = main([command, "--model", str(path)])
    err = capsys.readouterr().err
    return code, err


def mutate(fn) -> dict[str, Any]:
    doc = copy.deepcopy(valid_document())
    fn(doc)
    return doc


def test_valid_document_passes(tmp_path, capsys):
    code, err = run_cli(tmp_path, capsys, valid_document())
    assert code == 0, err


BAD = {
    "dangling_supplier": (
        lambda d: comp(d, "ups-a")["requires"][0].__setitem__("suppliers", ["nope"]),
        "sites[s1].components[ups-a].requires[0].suppliers[0]",
        "unknown component 'nope'",
    ),
    "duplicate_component": (
        lambda d: components(d).append(dict(comp(d, "ups-b"))),
        "sites[s1].components[ups-b]",
        "duplicate component name",
    ),
    "duplicate_zone": (
        lambda d: d["sites"][0]["zones"].append({"name": "hall", "kind": "data_hall"}),
        "sites[s1].zones[hall]",
        "duplicate zone name",
    ),
    "duplicate_service": (
        lambda d: d["services"].append(copy.deepcopy(d["services"][0])),
        "services[web]",
        "duplicate service name",
    ),
    "negative_capacity": (
        lambda d: comp(d, "ups-a").__setitem__("capacity_kw", -5),
        "sites[s1].components[ups-a].capacity_kw",
        "greater than 0",
    ),
    "nan_load": (
        lambda d: comp(d, "row-1").__setitem__("it_load_kw", math.nan),
        "sites[s1].components[row-1].it_load_kw",
        "finite number",
    ),
    "zero_racks": (
        lambda d: comp(d, "row-1").__setitem__("racks", 0),
        "sites[s1].components[row-1].racks",
        "greater than or equal to 1",
    ),
    "zero_demand": (
        lambda d: d["services"][0].__setitem__("demand_rps", 0),
        "services[web].demand_rps",
        "greater than 0",
    ),
    "unknown_kind": (
        lambda d: comp(d, "ups-b").__setitem__("kind", "flux_capacitor"),
        "sites[s1].components[ups-b]",
        "unknown kind 'flux_capacitor'",
    ),
    "unknown_field": (
        lambda d: comp(d, "ups-b").__setitem__("capacty_kw", 5),
        "sites[s1].components[ups-b].capacty_kw",
        "unknown field",
    ),
    "capacity_never_met": (
        lambda d: comp(d, "row-1")["requires"][0].__setitem__("capacity", 401),
        "sites[s1].components[row-1].requires[0]",
        "can never be met",
    ),
    "count_never_met": (
        lambda d: comp(d, "row-1")["requires"][0].update(capacity=None, at_least=3),
        "sites[s1].components[row-1].requires[0].at_least",
        "can never be met",
    ),
    "supplier_wrong_resource": (
        lambda d: comp(d, "ups-a")["requires"].append(
            {"resource": "cooling", "suppliers": ["feed"]}
        ),
        "sites[s1].components[ups-a].requires[1].suppliers[0]",
        "does not supply cooling",
    ),
    "component_without_zone": (
        lambda d: comp(d, "ups-a").pop("zone"),
        "sites[s1].components[ups-a].zone",
        "Field required",
    ),
    "component_in_unknown_zone": (
        lambda d: comp(d, "ups-a").__setitem__("zone", "roof"),
        "sites[s1].components[ups-a].zone",
        "unknown zone 'roof'",
    ),
    "zone_parent_unknown": (
        lambda d: d["sites"][0]["zones"][1].__setitem__("parent", "annex"),
        "sites[s1].zones[hall].parent",
        "unknown zone 'annex'",
    ),
    "replica_on_missing_row": (
        lambda d: d["services"][0]["replicas"][0].__setitem__("rows", ["row-9"]),
        "services[web].replicas[0].rows[0]",
        "unknown rack row 'row-9'",
    ),
    "replica_on_non_row": (
        lambda d: d["services"][0]["replicas"][0].__setitem__("rows", ["ups-a"]),
        "services[web].replicas[0].rows[0]",
        "not a rack row",
    ),
    "unknown_dependency": (
        lambda d: d["services"][1].__setitem__("depends_on", ["cache"]),
        "services[api].depends_on[0]",
        "unknown service 'cache'",
    ),
    "unknown_controller": (
        lambda d: d["services"][0].__setitem__("failover_controller", "ops"),
        "services[web].failover_controller",
        "unknown service 'ops'",
    ),
    "unknown_region": (
        lambda d: d["sites"][0].__setitem__("region", "eu"),
        "sites[s1].region",
        "unknown region 'eu'",
    ),
    "both_thresholds": (
        lambda d: comp(d, "row-1")["requires"][0].__setitem__("at_least", 1),
        "sites[s1].components[row-1].requires[0]",
        "not both",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_naming_location(case, tmp_path, capsys):
    fn, location, reason = BAD[case]
    code, err = run_cli(tmp_path, capsys, mutate(fn))
    assert code == 2
    assert f"{location}: " in err, err
    assert reason in err, err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('{"name": "x", "regions": [', "malformed JSON"),
        ("name: [unclosed\n", "malformed YAML"),
        ("- just\n- a list\n", "a model document is a mapping"),
        ("", "a model document is a mapping"),
    ],
)
def test_malformed_documents(text, needle, tmp_path, capsys):
    code, err = run_cli(tmp_path, capsys, text, suffix=".yaml")
    assert code == 2
    assert needle in err
    assert "Traceback" not in err


def test_yaml_python_tag_is_rejected_not_executed(tmp_path, capsys):
    marker = tmp_path / "pwned"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\n"
    code, err = run_cli(tmp_path, capsys, text, suffix=".yaml")
    assert code == 2
    assert "tags that construct objects are not allowed" in err
    assert not marker.exists()


def test_missing_file(tmp_path, capsys):
    code = main(["validate", "--model", str(tmp_path / "absent.json")])
    assert code == 2
    assert "absent.json" in capsys.readouterr().err


def test_unknown_stack_is_usage_error(capsys):
    assert main(["summary", "--stack", "atlantis"]) == 2
    assert "unknown stack 'atlantis'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["summary"],
        ["summary", "--stack", "lab", "--model", "x.json"],
        ["export", "--stack", "lab", "--format", "xml"],
    ],
)
def test_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_failed_export_writes_nothing(tmp_path, capsys):
    bad = mutate(BAD["dangling_supplier"][0])
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(bad))
    out = tmp_path / "out" / "model.yaml"
    assert main(["export", "--model", str(src), "--format", "yaml", "--out", str(out)]) == 2
    assert not out.exists()
    assert not list(tmp_path.glob("out/*"))


def test_console_script_bad_input_has_no_traceback(tmp_path):
    src = tmp_path / "bad.json"
    src.write_text(json.dumps(mutate(BAD["unknown_kind"][0])))
    proc = subprocess.run(
        [sys.executable, "-m", "twin.cli", "validate", "--model", str(src)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "sites[s1].components[ups-b]" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_stdin_model(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "twin.cli", "validate", "--model", "-"],
        input=json.dumps(valid_document()),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "valid" in proc.stdout


def test_name_with_urn_separator_is_rejected(tmp_path, capsys):
    doc = mutate(lambda d: d["sites"][0]["zones"][1].__setitem__("name", "hall::x"))
    code, err = run_cli(tmp_path, capsys, doc)
    assert code == 2
    assert "sites[s1].zones[hall::x].name: " in err and "'::'" in err


def test_written_files_follow_the_umask(tmp_path):
    import os
    import stat

    from twin.outputs.files import write_atomic

    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "x.txt", "hello")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "hello"
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]  # no temp file left behind


@pytest.mark.parametrize(
    ("fn", "location", "reason"),
    [
        (
            lambda d: d["services"][0]["replicas"][0].__setitem__("rows", ["row-1", "row-1"]),
            "services[web].replicas[0].rows",
            "listed 2 times",
        ),
        (
            lambda d: d["services"][1].__setitem__("depends_on", ["web", "web"]),
            "services[api].depends_on",
            "listed 2 times",
        ),
        (
            lambda d: comp(d, "row-1")["requires"][0].__setitem__("suppliers", ["ups-a", "ups-a"]),
            "sites[s1].components[row-1].requires[0].suppliers",
            "listed 2 times",
        ),
    ],
)
def test_duplicate_references_are_rejected(fn, location, reason, tmp_path, capsys):
    code, err = run_cli(tmp_path, capsys, mutate(fn))
    assert code == 2
    assert f"{location}: " in err and reason in err
