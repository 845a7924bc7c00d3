"""The reference stacks' reports stay byte-identical unless a change says otherwise.

``tests/golden/reports.json`` holds the SHA-256 and size of each reference stack's
JSON, Markdown and HTML report (``dctwin report --stack S --out-dir D``). A
restructuring must leave them unchanged; a change of behaviour regenerates them
(``venv/bin/python -m tests.test_golden``) and says so in its commit message. The
committed diagrams are checked the same way by ``tests/test_diagrams.py``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pytest

from twin.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden" / "reports.json"
STACKS = ("lab", "ansan", "pangyo-2022", "fleet")


def fingerprints(stack: str) -> dict[str, dict[str, object]]:
    """``{file name: {"sha256": …, "bytes": …}}`` of the stack's three reports."""
    with tempfile.TemporaryDirectory() as tmp:
        code = main(["report", "--stack", stack, "--out-dir", tmp, "--format", "json"])
        assert code in (0, 1), f"report --stack {stack} exited {code}"
        return {
            path.name: {
                "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                "bytes": path.stat().st_size,
            }
            for path in sorted(Path(tmp).iterdir())
        }


@pytest.mark.parametrize("stack", STACKS)
def test_reports_match_the_golden_fingerprints(stack, capsys):
    golden = json.loads(GOLDEN.read_text())[stack]
    current = fingerprints(stack)
    capsys.readouterr()
    changed = sorted(name for name in golden if golden[name] != current.get(name))
    assert not changed, (
        f"{stack}: {changed} changed; if intended, regenerate with "
        "`venv/bin/python -m tests.test_golden` and say why in the commit"
    )


if __name__ == "__main__":
    data = {stack: fingerprints(stack) for stack in STACKS}
    GOLDEN.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    sys.stdout.write(f"wrote {GOLDEN}\n")
