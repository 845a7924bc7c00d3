"""``dctwin diff``: a stack at two git revisions, compared, without touching the checkout.

A temporary git repository holds a tiny 2N stack (``tests/data/mini_stack.py`` as
``stacks/mini.py``, the installed dctwin doing the rest); each scenario of the issue
is a commit. The user's working tree, index, stash and worktrees are compared before
and after every diff.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from twin.cli import main
from twin.model.documents import dump_fleet
from twin.outputs.render import MARKDOWN_LIMIT
from twin.sources import build_stack

DATA = Path(__file__).resolve().parent / "data"
REGISTRY = '''"""Stacks of the test repository."""

import importlib

STACK_NAMES = ("mini",)


def build_stack(name):
    if name not in STACK_NAMES:
        raise KeyError(name)
    return importlib.import_module(f"stacks.{name}").build()
'''

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not on PATH")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def edit(repo: Path, old: str, new: str) -> None:
    path = repo / "stacks" / "mini.py"
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new))


def commit(repo: Path, message: str) -> str:
    git(repo, "commit", "-qam", message)
    return git(repo, "rev-parse", "HEAD").strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """The repository and its commits: base, and one commit per change of the issue."""
    root = tmp_path_factory.mktemp("diff") / "repo"
    (root / "stacks").mkdir(parents=True)
    (root / "stacks" / "__init__.py").write_text(REGISTRY)
    shutil.copy(DATA / "mini_stack.py", root / "stacks" / "mini.py")
    (root / "README.md").write_text("a datacenter\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    revs = {"base": commit(root, "base: 2N, two substations, separate rooms")}
    edit(root, 'SUBSTATIONS = ["substation-1", "substation-2"]', 'SUBSTATIONS = ["substation-1"]')
    revs["one-substation"] = commit(root, "drop the second substation feed")
    git(root, "checkout", "-q", revs["base"])
    edit(root, "MERGED_ROOMS = False", "MERGED_ROOMS = True")
    revs["merged-rooms"] = commit(root, "merge the UPS and battery rooms")
    git(root, "checkout", "-q", revs["base"])
    edit(root, 'UPS_SYSTEMS = {"a": 2, "b": 2}', 'UPS_SYSTEMS = {"ab": 2}')
    revs["one-ups-system"] = commit(root, "one UPS system (N) for both paths")
    edit(root, 'UPS_SYSTEMS = {"ab": 2}', 'UPS_SYSTEMS = {"ab": 3}')
    revs["ups-module-added"] = commit(root, "add a UPS module (N+1)")
    git(root, "checkout", "-q", revs["base"])
    edit(root, "def build() -> Fleet:", "def build( -> Fleet:")
    revs["broken"] = commit(root, "a syntax error")
    git(root, "checkout", "-q", "main")
    # the user's own, uncommitted work: an unstaged edit, a staged file, an untracked file
    (root / "README.md").write_text("a datacenter, edited\n")
    (root / "NOTES.md").write_text("staged\n")
    git(root, "add", "NOTES.md")
    (root / "scratch.txt").write_text("untracked\n")
    yield root, revs


def checkout_state(repo: Path) -> dict[str, str]:
    index = (repo / ".git" / "index").read_bytes()
    return {
        "status": git(repo, "status", "--porcelain=v1", "--untracked-files=all"),
        "index": hashlib.sha256(index).hexdigest(),
        "head": git(repo, "rev-parse", "HEAD"),
        "worktrees": git(repo, "worktree", "list", "--porcelain"),
        "stash": git(repo, "stash", "list"),
        "files": "\n".join(
            sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".git" not in p.parts)
        ),
    }


def diff(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    before = checkout_state(repo)
    code = main(["diff", "--stack", "mini", "--repo", str(repo), *args])
    out, err = capsys.readouterr()
    assert checkout_state(repo) == before, "the diff touched the user's checkout"
    assert "Traceback" not in err and "internal error" not in err, err
    return code, out, err


def test_dropping_the_second_substation_feed_names_the_new_spof(repo, capsys) -> None:
    root, revs = repo
    code, out, _ = diff(root, capsys, "--base", revs["base"], "--head", revs["one-substation"])
    verdict = out.splitlines()[0]
    assert code == 1
    assert "new single point of failure: mini-utility-1" in verdict
    assert "| spof | **fail** |" in out


def test_merging_the_ups_and_battery_rooms_names_the_new_single_event_failure(repo, capsys) -> None:
    root, revs = repo
    code, out, _ = diff(root, capsys, "--base", revs["base"], "--head", revs["merged-rooms"])
    assert code == 1
    assert "1 new single-event failure: fire in mini/ups-battery-room" in out.splitlines()[0]
    assert "New blast radius: fire in mini/ups-battery-room" in out
    assert "```mermaid" in out


def test_adding_a_ups_module_reports_the_improvement(repo, capsys) -> None:
    root, revs = repo
    code, out, _ = diff(
        root, capsys, "--base", revs["one-ups-system"], "--head", revs["ups-module-added"]
    )
    verdict = out.splitlines()[0]
    assert code == 0, out
    assert "Resilience improved: 2 single points of failure gone" in verdict
    assert "mini-ups-ab-1" in verdict and "mini-ups-ab-2" in verdict
    assert "dctwin:power:Ups::mini-ups-ab-3" in out  # the resource added, keyed like a URN


def test_json_carries_the_same_verdict(repo, capsys) -> None:
    root, revs = repo
    code, out, _ = diff(
        root, capsys, "--base", revs["base"], "--head", revs["merged-rooms"], "--format", "json"
    )
    document = json.loads(out)
    assert code == 1 and document["schema_version"] == "1" and document["passed"] is False
    assert document["single_event_failures"]["new"][0]["label"] == "fire in mini/ups-battery-room"
    assert document["counts"]["resources"]["added"] == 1


def test_a_gate_not_selected_does_not_fail(repo, capsys) -> None:
    root, revs = repo
    code, out, _ = diff(
        root, capsys, "--base", revs["base"], "--head", revs["merged-rooms"], "--fail-on", "spof"
    )
    assert code == 0 and out.startswith("**dctwin:** 1 new single-event failure")


def test_an_unknown_base_revision_exits_2_naming_it(repo, capsys) -> None:
    root, _ = repo
    code, out, err = diff(root, capsys, "--base", "no-such-branch")
    assert code == 2 and out == ""
    assert "base: unknown revision 'no-such-branch'" in err


def test_a_broken_definition_says_which_side(repo, capsys) -> None:
    root, revs = repo
    code, _, err = diff(root, capsys, "--base", revs["base"], "--head", revs["broken"])
    assert code == 2
    assert "invalid definition in head (revision" in err and "SyntaxError" in err
    code, _, err = diff(root, capsys, "--base", revs["broken"], "--head", revs["base"])
    assert code == 2 and "invalid definition in base (revision" in err


def test_head_defaults_to_the_working_tree_and_only_if_changed(repo, capsys) -> None:
    root, _ = repo
    code, out, _ = diff(root, capsys, "--base", "HEAD", "--only-if-changed")
    assert (code, out) == (0, ""), "the working tree's edits leave resilience unchanged"
    code, out, _ = diff(root, capsys, "--base", "HEAD")
    assert code == 0 and out.startswith("**dctwin:** Resilience unchanged")
    assert "head the working tree" in out


def test_model_documents_diff_and_the_fleet_comment_fits(tmp_path, capsys) -> None:
    """The fleet against a fleet whose Ansan rows lose their B cord and whose UPS modules
    share one room: hundreds of findings and resource changes, still one comment."""
    fleet = build_stack("fleet")
    data = fleet.model_dump(mode="json")
    ansan = next(s for s in data["sites"] if s["name"] == "ansan")
    ups_rooms = sorted({c["zone"] for c in ansan["components"] if c["kind"] == "ups"})
    for component in ansan["components"]:
        if component["kind"] == "ups":
            component["zone"] = ups_rooms[0]
        if component["kind"] == "rack_row":
            for group in component["requires"]:
                if group["resource"] == "power":
                    group["suppliers"] = group["suppliers"][:1]
    (tmp_path / "base.json").write_text(dump_fleet(fleet))
    (tmp_path / "head.json").write_text(json.dumps(data))
    argv = ["diff", "--base-model", str(tmp_path / "base.json")]
    argv += ["--head-model", str(tmp_path / "head.json")]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 1, err
    assert len(out) < MARKDOWN_LIMIT
    assert out.startswith("**dctwin:** ") and "\n" not in out.split("\n\n")[0]
    assert "<details>" in out and out.count("<details>") == out.count("</details>")
    assert not re.search(r"^#", out, re.M), "no headings: the verdict is the first line"
    assert main([*argv[:1], "--base-model", str(tmp_path / "base.json"), "--head-model",
                 str(tmp_path / "base.json"), "--only-if-changed"]) == 0  # fmt: skip
    assert capsys.readouterr().out == ""


def test_a_bad_model_document_says_which_side(tmp_path, capsys) -> None:
    (tmp_path / "ok.json").write_text(dump_fleet(build_stack("lab")))
    (tmp_path / "bad.json").write_text("{}")
    code = main(["diff", "--base-model", str(tmp_path / "ok.json"), "--head-model",
                 str(tmp_path / "bad.json")])  # fmt: skip
    assert code == 2 and "invalid definition in head (" in capsys.readouterr().err
    assert main(["diff", "--base-model", str(tmp_path / "ok.json")]) == 2
    assert "go together" in capsys.readouterr().err
    assert main(["diff", "--stack", "lab", "--base", "HEAD", "--fail-on", "tier<III"]) == 2
    assert "unknown gate" in capsys.readouterr().err


def test_a_less_reliable_chiller_plant_fails_the_availability_gate(tmp_path, capsys) -> None:
    """The lab with chillers that fail ten times as often: nothing new fails on its own,
    but the chiller pairs now cost more downtime a year, and the availability gate says
    where."""
    lab = build_stack("lab")
    data = lab.model_dump(mode="json")
    data["reliability"] = {"kinds": {"chiller": {"failure_rate_per_year": 5.0}}}
    (tmp_path / "base.json").write_text(dump_fleet(lab))
    (tmp_path / "head.json").write_text(json.dumps(data))
    argv = ["diff", "--base-model", str(tmp_path / "base.json"), "--head-model",
            str(tmp_path / "head.json"), "--format", "json"]  # fmt: skip
    assert main(argv) == 1
    document = json.loads(capsys.readouterr().out)
    gate = next(g for g in document["gates"] if g["gate"] == "availability")
    assert not gate["passed"] and "lab IT load" in gate["detail"]
    assert "longer expected downtime" in document["verdict"]
    worse = [d for d in document["services"] if d["section"] == "availability" and d["worse"]]
    assert worse and all(d["head"] > 1.1 * d["base"] for d in worse)
    assert main([*argv, "--fail-on", "spof,tier"]) == 0  # the other gates see no regression
