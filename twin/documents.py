"""Model documents: a fleet as JSON or YAML, and back.

Loading never executes code: YAML goes through ``yaml.safe_load`` (a
``!!python/object`` tag is an error, not an object) and the result is validated by
the pydantic model. Dumps have a stable key order (the model's field order) so the
same fleet always gives the same bytes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from twin.errors import DefinitionError, Problem, from_validation_error
from twin.model import Fleet

__all__ = ["Format", "dump_fleet", "fleet_schema", "load_fleet", "parse_fleet", "read_document"]

Format = Literal["json", "yaml"]


def dump_fleet(fleet: Fleet, fmt: Format = "json") -> str:
    """Serialise ``fleet`` as a model document."""
    data = fleet.model_dump(mode="json")
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def fleet_schema() -> dict[str, Any]:
    """The published JSON Schema of a model document."""
    schema = Fleet.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://dctwin.dev/schema/fleet-1.json"
    return schema


def parse_fleet(text: str, source: str = "<document>") -> Fleet:
    """Parse and validate a JSON or YAML document (JSON is valid YAML; JSON tried first)."""
    data = read_document(text, source)
    return validate_data(data, source)


def validate_data(data: Any, source: str) -> Fleet:
    if not isinstance(data, dict):
        raise DefinitionError(
            [Problem("", f"a model document is a mapping, got {type(data).__name__}")], source
        )
    try:
        return Fleet.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, data, source) from None
    except DefinitionError as error:
        raise DefinitionError(error.problems, source) from None


def read_document(text: str, source: str) -> Any:
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise DefinitionError(
                [
                    Problem(
                        f"line {error.lineno} column {error.colno}", f"malformed JSON: {error.msg}"
                    )
                ],
                source,
            ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else ""
        reason = getattr(error, "problem", None) or str(error)
        if isinstance(error, yaml.constructor.ConstructorError):
            reason = f"{reason} (tags that construct objects are not allowed)"
        raise DefinitionError([Problem(where, f"malformed YAML: {reason}")], source) from None


def load_fleet(path: str | Path) -> Fleet:
    """Load a model document from a file path, or standard input when ``path`` is ``-``."""
    if str(path) == "-":
        return parse_fleet(sys.stdin.read(), "<stdin>")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DefinitionError([Problem("", "no such file")], str(file)) from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as error:
        raise DefinitionError([Problem("", f"cannot read: {error}")], str(file)) from None
    return parse_fleet(text, str(file))
