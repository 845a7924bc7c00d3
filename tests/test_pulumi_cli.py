"""The program under the real Pulumi CLI, against a local file backend in a temp dir.

These tests skip when ``pulumi`` is not on PATH: no package registry these machines
reach ships the CLI, so the suite's coverage of the program is the mocks test
(``tests/test_pulumi_program.py``). Where the CLI exists they check what the mocks
cannot: the project file, the runtime options (the project's ``venv``) and the stack
config files are accepted by the engine, and ``pulumi preview`` runs offline.

The project is copied into the temp dir (``stack init`` writes an encryption salt
into ``Pulumi.<stack>.yaml``; the repository's copy must stay untouched) with
``venv`` linked to the project's virtualenv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from twin.iac.declare import fleet_outputs
from twin.sources import apply_overrides, build_stack

PROJECT_DIR = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.pulumi_cli,
    pytest.mark.skipif(
        shutil.which("pulumi") is None,
        reason="the pulumi CLI is not on PATH (no package registry here ships it)",
    ),
]


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the Pulumi project and an environment using a file backend in ``tmp_path``."""
    work = tmp_path / "project"
    work.mkdir()
    for name in [
        "Pulumi.yaml",
        "__main__.py",
        *(p.name for p in PROJECT_DIR.glob("Pulumi.*.yaml")),
    ]:
        shutil.copy2(PROJECT_DIR / name, work / name)
    (work / "venv").symlink_to(PROJECT_DIR / "venv", target_is_directory=True)
    state = tmp_path / "state"
    state.mkdir()
    env = {
        **os.environ,
        "PULUMI_BACKEND_URL": state.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": "dctwin-test",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_HOME": str(tmp_path / "pulumi-home"),
        "PYTHONPATH": str(PROJECT_DIR),
    }
    return work, env


def pulumi_cli(work: Path, env: dict[str, str], *args: str) -> str:
    """Run ``pulumi <args>`` non-interactively in ``work``; fail with its output on error."""
    result = subprocess.run(
        ["pulumi", *args, "--non-interactive"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"pulumi {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _type_of(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def test_preview_of_lab_runs_offline_and_declares_the_model(project) -> None:
    work, env = project
    pulumi_cli(work, env, "stack", "init", "lab")
    preview = json.loads(pulumi_cli(work, env, "preview", "--stack", "lab", "--json"))
    types = [_type_of(step["urn"]) for step in preview["steps"]]
    fleet = build_stack("lab")
    assert types.count("dctwin:fleet:Fleet") == 1
    assert types.count("dctwin:site:Site") == len(fleet.sites)
    assert types.count("dctwin:site:Zone") == sum(len(s.zones) for s in fleet.sites)
    assert types.count("dctwin:app:Service") == len(fleet.services)
    assert (
        len([t for t in types if t != "pulumi:pulumi:Stack"]) == fleet_outputs(fleet)["resources"]
    )


def test_up_exports_the_model_outputs_and_a_surge_change_shows_in_preview(project) -> None:
    work, env = project
    pulumi_cli(work, env, "stack", "init", "lab")
    pulumi_cli(work, env, "up", "--stack", "lab", "--yes", "--skip-preview")
    outputs = json.loads(pulumi_cli(work, env, "stack", "output", "--stack", "lab", "--json"))
    expected = fleet_outputs(apply_overrides(build_stack("lab"), {"demandScale": 1.5}))
    assert outputs["resources"] == expected["resources"]
    assert outputs["servers"] == expected["servers"]
    assert outputs["itLoadKw"] == pytest.approx(expected["itLoadKw"])

    pulumi_cli(work, env, "config", "set", "--stack", "lab", "dctwin:surges", '{"drill": 7}')
    preview = json.loads(pulumi_cli(work, env, "preview", "--stack", "lab", "--json"))
    updated = [_type_of(s["urn"]) for s in preview["steps"] if s["op"] == "update"]
    assert updated == ["dctwin:app:Service"] * len(build_stack("lab").services)
