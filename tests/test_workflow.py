"""The pull-request workflow: valid GitHub Actions syntax, and it does what the README says.

The syntax check validates ``.github/workflows/twin-review.yml`` against the published
GitHub workflow JSON Schema (SchemaStore's, as vendored by the ``check-jsonschema``
package, a test dependency): the schema's URL is not reachable from the test machines,
and ``actionlint`` does not install from a registry here (its PyPI package downloads a
binary at build time). The structural checks below cover what a schema cannot: the
diff runs against the base branch, the comment is found by its marker and updated.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

WORKFLOW = Path(__file__).resolve().parent.parent / ".github/workflows/twin-review.yml"


def workflow() -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as a boolean
        document["on"] = document.pop(True)
    return document


def github_workflow_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema") / "builtin_schemas/vendor/github-workflows.json"
    schema: dict[str, Any] = json.loads(vendored.read_text(encoding="utf-8"))
    return schema


def test_workflow_validates_against_the_github_workflow_schema() -> None:
    schema = github_workflow_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(workflow()), key=lambda e: e.path)
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])


def test_the_schema_check_bites() -> None:
    broken = workflow()
    broken["jobs"]["resilience-diff"]["runs-on"] = {"not": "a runner"}
    broken["jobs"]["resilience-diff"]["stepz"] = []
    schema = github_workflow_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    assert list(validator.iter_errors(broken))


def _steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = workflow()["jobs"][job]["steps"]
    return steps


def test_diff_job_compares_with_the_base_branch_and_updates_one_comment() -> None:
    document = workflow()
    assert "pull_request" in document["on"]
    assert document["permissions"]["pull-requests"] == "write"
    steps = _steps("resilience-diff")
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0, "the base branch's commits are needed"
    run = next(s for s in steps if s.get("id") == "diff")
    assert "dctwin diff --stack" in run["run"] and '--base "$BASE"' in run["run"]
    assert run["env"]["BASE"] == "origin/${{ github.base_ref }}"
    assert "--only-if-changed" in run["run"]
    comment = next(s for s in steps if s.get("uses", "").startswith("actions/github-script@"))
    script = comment["with"]["script"]
    assert "<!-- dctwin-diff:" in script and "updateComment" in script
    assert "createComment" in script and "listComments" in script
    assert script.index("updateComment") < script.rindex("createComment")
    gate = steps[-1]
    assert gate["if"] == "steps.diff.outputs.code == '1'" and "exit 1" in gate["run"]


def test_policy_job_runs_the_pack_in_pulumi_preview() -> None:
    job = workflow()["jobs"]["policy-preview"]
    assert "vars.DCTWIN_PULUMI_PREVIEW" in job["if"]
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "pulumi preview" in runs and "--policy-pack policy" in runs


@pytest.mark.parametrize("job", ["resilience-diff", "policy-preview"])
def test_jobs_are_bounded_in_time(job: str) -> None:
    assert 0 < workflow()["jobs"][job]["timeout-minutes"] <= 60
