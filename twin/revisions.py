"""A stack's definition at a git revision, loaded without touching the user's checkout.

``dctwin diff --stack S --base REV [--head REV]`` needs the fleet that stack ``S``
declared at two revisions. The revision's files are written into a temporary folder
through a *temporary index* (``GIT_INDEX_FILE=<tmp> git read-tree REV`` then
``git checkout-index --all --prefix=<tmp>/``): the user's working tree, index, stash
and worktree list are never written, and nothing is left behind if the run is
killed (unlike ``git worktree add``, which registers the worktree in ``.git``
until it is pruned, or ``git stash``/``checkout``, which touch the checkout).

The definition is then *exported* by the revision's own code, in a subprocess:
``python -m twin.cli export --stack S --format json`` run in that folder, with that
folder first on ``sys.path`` (so the revision's ``stacks/``, and its ``twin/`` when
the repository has one, are imported; a repository holding only ``stacks/`` uses the
installed dctwin). The model document it writes is loaded by the current code, which
validates it like any other document and runs every analysis on it. Why:

* the base revision's ``stacks/`` may differ from today's and call the model API it
  was written against; its own code is what built that design;
* a subprocess keeps the two revisions' modules apart (``stacks`` is imported once per
  process) and keeps the revision's code out of this process;
* a model document is data: loading it executes nothing, and the analyses that compare
  the two sides are the same code.

The working tree (``rev`` None) is exported the same way, with bytecode writing off,
so not even a ``__pycache__`` appears in it. Every failure says which side it is on
(``base`` or ``head``): an unknown revision is a usage error, a definition that does
not build or validate a definition error (exit code 2 either way).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from twin.errors import DefinitionError, Problem, UsageError, shown
from twin.model import Fleet
from twin.model.documents import load_fleet

__all__ = ["Revision", "fleet_at", "resolve"]

_TIMEOUT_S = 600
_TAIL_LINES = 12


class Revision:
    """A side of a diff: the project folder, the revision (None: the working tree)."""

    def __init__(self, side: str, project: Path, rev: str | None) -> None:
        self.side = side
        self.project = project
        self.rev = rev

    @property
    def label(self) -> str:
        return self.rev if self.rev is not None else "the working tree"


def _git(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError("dctwin diff --base needs git on PATH") from None
    if done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
    return done.stdout


def _repository(project: Path, side: str) -> tuple[Path, str]:
    """The repository's top level and the project folder's path inside it."""
    if not project.is_dir():
        raise UsageError(f"{side}: --repo {shown(str(project))} is not a folder")
    try:
        top = _git(project, "rev-parse", "--show-toplevel").strip()
        prefix = _git(project, "rev-parse", "--show-prefix").strip()
    except subprocess.CalledProcessError:
        raise UsageError(f"{side}: {shown(str(project))} is not in a git repository") from None
    return Path(top), prefix


def resolve(revision: Revision) -> str:
    """The commit a revision names; a usage error naming the side and the revision if none."""
    assert revision.rev is not None
    if revision.rev.startswith("-"):
        raise UsageError(f"{revision.side}: unknown revision {shown(revision.rev)}")
    _repository(revision.project, revision.side)
    try:
        return _git(
            revision.project, "rev-parse", "--verify", "--quiet", f"{revision.rev}^{{commit}}"
        ).strip()
    except subprocess.CalledProcessError:
        raise UsageError(
            f"{revision.side}: unknown revision {shown(revision.rev)} "
            f"(not a commit in {shown(str(revision.project))})"
        ) from None


def fleet_at(revision: Revision, stack: str) -> Fleet:
    """The fleet ``stack`` declares at ``revision``, exported by that revision's own code."""
    with tempfile.TemporaryDirectory(prefix="dctwin-diff-") as tmp:
        work = Path(tmp)
        if revision.rev is None:
            _repository(revision.project, revision.side)
            folder = revision.project
        else:
            commit = resolve(revision)
            _top, prefix = _repository(revision.project, revision.side)
            tree = work / "tree"
            env = {**os.environ, "GIT_INDEX_FILE": str(work / "index")}
            try:
                _git(revision.project, "read-tree", commit, env=env)
                _git(revision.project, "checkout-index", "--all", f"--prefix={tree}/", env=env)
            except subprocess.CalledProcessError as error:
                raise UsageError(
                    f"{revision.side}: cannot read revision {shown(revision.rev)}: "
                    f"{(error.stderr or '').strip()[:300]}"
                ) from None
            folder = tree / prefix
        document = work / "model.json"
        _export(revision, stack, folder, document)
        try:
            return load_fleet(document)
        except DefinitionError as error:
            raise DefinitionError(error.problems, _source(revision, stack)) from None


def _source(revision: Revision, stack: str) -> str:
    where = "the working tree" if revision.rev is None else f"revision {revision.rev}"
    return f"{revision.side} ({where}, stack {stack})"


_INTERNAL = re.compile(r"^dctwin: internal error: (.*?)( \(a bug in dctwin.*)?$")


def _tidy(line: str, folder: Path) -> str:
    """A line of the revision's stderr as this run reports it: paths relative to the
    revision's files, its "internal error" (a definition that raised) as the exception."""
    line = line.replace(f"{folder}{os.sep}", "").replace(str(folder), ".")
    match = _INTERNAL.match(line)
    return f"the definition raised {match.group(1)}" if match else line


def _export(revision: Revision, stack: str, folder: Path, document: Path) -> None:
    """Run the revision's ``dctwin export`` in ``folder``; a definition error if it fails."""
    path = [str(folder), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(path),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DCTWIN_DEBUG": "1",  # a definition that raises shows where
    }
    command = [sys.executable, "-m", "twin.cli", "export", "--stack", stack]
    command += ["--format", "json", "--out", str(document)]
    try:
        done = subprocess.run(
            command,
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=_TIMEOUT_S,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise DefinitionError(
            [Problem("", f"exporting the definition took over {_TIMEOUT_S} s")],
            _source(revision, stack),
        ) from None
    if done.returncode != 0 or not document.is_file():
        lines = [
            _tidy(line, folder)
            for line in (done.stderr or done.stdout).splitlines()
            if line.strip() and not line.startswith("Traceback (most recent call last)")
        ]
        problems = [Problem("", line) for line in lines[-_TAIL_LINES:]] or [
            Problem("", f"the export exited with code {done.returncode}")
        ]
        raise DefinitionError(problems, _source(revision, stack))
