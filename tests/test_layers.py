"""The architecture holds: layers import downward only, no cycles, sizes stay readable.

The contracts live in ``pyproject.toml`` (``[tool.importlinter]``) and are checked by
import-linter's ``lint-imports``; a copy of the tree with planted violations shows
that each contract really bites.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
CONTRACTS = {
    "layers": "Layers: composition > sources > stacks | outputs > analysis > model > errors",
    "pure-core": "The model and the analyses import neither Pulumi, matplotlib nor jinja2",
    "pulumi-in-iac": "Only the Pulumi layer (twin.iac) imports Pulumi",
    "acyclic": "No import cycles between sibling modules",
}


def lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_layer_contracts_are_kept():
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in done.stdout


def _plant(path: Path, line: str) -> None:
    text = path.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    path.write_text(head + sep + line + "\n" + rest)


def test_planted_violations_break_their_contracts(tmp_path):
    for folder in ("twin", "stacks"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    _plant(tmp_path / "twin/model/types.py", "import twin.outputs.render  # upward")
    _plant(
        tmp_path / "twin/analysis/engine.py", "import matplotlib  # a drawing library in the engine"
    )
    _plant(tmp_path / "twin/outputs/files.py", "import pulumi  # Pulumi outside twin.iac")
    _plant(tmp_path / "twin/analysis/graph.py", "import twin.analysis.engine  # graph <-> engine")
    done = lint(tmp_path)
    assert done.returncode != 0
    for name in CONTRACTS.values():
        assert f"{name} BROKEN" in done.stdout, done.stdout[-3000:]


LONG_MODULE_REASON = "Long on purpose:"


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(ROOT) for p in [*ROOT.glob("twin/**/*.py"), *ROOT.glob("stacks/**/*.py")]),
    ids=str,
)
def test_module_size(path):
    """A module over 600 lines says why in its docstring; no timeline class or function
    reaches 150 lines."""
    source = (ROOT / path).read_text()
    tree = ast.parse(source)
    if len(source.splitlines()) > 600:
        doc = ast.get_docstring(tree) or ""
        assert LONG_MODULE_REASON in doc, f"{path}: over 600 lines without a stated reason"
    if path.parts[:3] == ("twin", "analysis", "timeline"):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef | ast.FunctionDef):
                size = node.end_lineno - node.lineno + 1
                assert size < 150, f"{path}: {node.name} is {size} lines"


# --------------------------------------------------------------------------- one compiled twin


@pytest.mark.parametrize("argv", [["report", "--format", "json"], ["tier"], ["contingency"]])
def test_a_command_compiles_the_fleet_once(argv, capsys):
    from twin.analysis.graph import compilations
    from twin.cli import main

    before = compilations()
    assert main([argv[0], "--stack", "fleet", *argv[1:], "--fail-on", "spof,tier<IV,downtime"]) in (
        0,
        1,
    )
    capsys.readouterr()
    assert compilations() - before == 1


def test_models_are_frozen_and_a_twin_knows_when_it_is_stale():
    from pydantic import ValidationError

    from twin.analysis.twin import Twin
    from twin.sources import build_stack

    fleet = build_stack("lab")
    twin = Twin(fleet)
    with pytest.raises(ValidationError, match="frozen"):
        fleet.name = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        fleet.sites[0].components[0].zone = "elsewhere"  # type: ignore[misc]
    assert not twin.is_stale()
    fleet.sites[0].components.pop()  # lists inside stay mutable: the fingerprint notices
    assert twin.is_stale()


def test_readme_architecture_matches_the_tree():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Architecture", 1)[1].split("```", 2)[1]
    listed = set(re.findall(r"^(twin/[\w/]+\.py|twin/\w+/|stacks/)", block, re.M))
    twin = ROOT / "twin"
    packages = {f"twin/{p.name}/" for p in twin.iterdir() if (p / "__init__.py").exists()}
    modules = {f"twin/{p.name}" for p in (ROOT / "twin").glob("*.py") if p.name != "__init__.py"}
    assert packages | modules | {"stacks/"} == listed
