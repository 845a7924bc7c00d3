"""Model documents: export → load round trips, the JSON Schema, the summary command."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from tests.strategies import fleets
from twin.analysis.summary import summarize
from twin.cli import main
from twin.model import Fleet
from twin.model.documents import dump_fleet, fleet_schema, parse_fleet
from twin.sources import build_stack, stack_names

STACKS = ["ansan", "pangyo-2022", "fleet", "lab"]


def test_registry_lists_the_reference_stacks():
    assert stack_names() == STACKS


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_export_then_load_equals_the_built_model(stack, fmt):
    built = build_stack(stack)
    assert parse_fleet(dump_fleet(built, fmt)) == built


@pytest.mark.parametrize("stack", STACKS)
def test_export_pipes_into_validate(stack):
    export = subprocess.run(
        [sys.executable, "-m", "twin.cli", "export", "--stack", stack, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    validate = subprocess.run(
        [sys.executable, "-m", "twin.cli", "validate", "--model", "-"],
        input=export.stdout,
        capture_output=True,
        text=True,
        check=False,
    )
    assert validate.returncode == 0, validate.stderr
    assert "is valid" in validate.stdout


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fleets())
def test_random_models_survive_export_and_load_unchanged(fleet: Fleet):
    for fmt in ("json", "yaml"):
        text = dump_fleet(fleet, fmt)
        again = parse_fleet(text)
        assert again == fleet
        assert dump_fleet(again, fmt) == text  # stable bytes too


def test_dump_is_deterministic_and_ordered():
    lab = build_stack("lab")
    first = dump_fleet(lab, "json")
    assert first == dump_fleet(build_stack("lab"), "json")
    assert list(json.loads(first))[:3] == ["schema_version", "name", "description"]


def test_schema_describes_documents(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema == fleet_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["additionalProperties"] is False
    kinds = json.dumps(schema)
    for kind in ("rack_row", "ups", "battery", "chiller", "backbone_link", "thermal_storage"):
        assert f'"{kind}"' in kinds


def test_yaml_export_round_trips_through_the_cli(tmp_path, capsys):
    out = tmp_path / "lab.yaml"
    assert main(["export", "--stack", "lab", "--format", "yaml", "--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text())["name"] == "lab"
    assert main(["validate", "--model", str(out)]) == 0
    assert "is valid" in capsys.readouterr().out


def test_summary_json_matches_the_model(capsys):
    assert main(["summary", "--stack", "ansan", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    ansan = build_stack("ansan")
    rows = [c for _, c in ansan.components() if c.kind == "rack_row"]
    assert doc["schema_version"] == "1"
    assert doc["totals"]["racks"] == sum(r.racks for r in rows) == 4000
    assert doc["totals"]["servers"] == sum(r.servers for r in rows) == 120_000
    assert doc["totals"]["components"] == len(ansan.components())
    assert doc["totals"]["kinds"]["generator"] == 12
    assert doc["services"] == [s.name for s in ansan.services]


def test_summary_table_names_every_site(capsys):
    assert main(["summary", "--stack", "fleet"]) == 0
    out = capsys.readouterr().out
    for site in summarize(build_stack("fleet")).sites:
        assert site.name in out
