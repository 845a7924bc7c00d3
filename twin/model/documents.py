"""Model documents: a fleet as JSON or YAML, and back.

Loading never executes code: YAML goes through ``yaml.safe_load`` (a
``!!python/object`` tag is an error, not an object) and the result is validated by
the pydantic model. Dumps have a stable key order (the model's field order) so the
same fleet always gives the same bytes.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from twin.errors import DefinitionError, Problem, format_location, from_validation_error, shown
from twin.model import SCHEMA_VERSION, Fleet

__all__ = ["Format", "dump_fleet", "fleet_schema", "load_fleet", "parse_fleet", "read_document"]

Format = Literal["json", "yaml"]


def dump_fleet(fleet: Fleet, fmt: Format = "json") -> str:
    """Serialise ``fleet`` as a model document."""
    data = fleet.model_dump(mode="json")
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def fleet_schema() -> dict[str, Any]:
    """The published JSON Schema of a model document.

    Like every JSON document dctwin writes, it carries ``schema_version`` (an
    annotation keyword: validators ignore it).
    """
    schema: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    schema.update(Fleet.model_json_schema(mode="validation"))
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


MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""A model document larger than this is refused before parsing."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and lists accepted (a real model nests about a dozen)."""
MAX_NUMBER_CHARS = 64
"""Longest numeric literal accepted; longer ones are refused before parsing."""
MAX_NODES = 2_000_000
"""Most values a YAML document may expand to once its aliases are followed."""

# One JSON token at a time: a string (escapes included), a bracket, a separator or a number.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}:,]|-?[0-9][0-9.eE+\-]*|-')
_YAML_NUMBER = re.compile(r"[-+]?(?:0[xob])?[0-9][0-9_.eE+\-:xXa-fA-F]*")


class _Refused(Exception):
    """A document refused before parsing: where and why."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def read_document(text: str, source: str) -> Any:
    """Parse a JSON or YAML document into plain data, refusing what could hurt.

    Before anything is built, the text is checked for size, nesting depth (bounded,
    so a deeply nested document is a located error, not a ``RecursionError``),
    numeric literal length (so ``racks: 1000…0`` cannot hit Python's int limits) and
    duplicate keys (which JSON and YAML parsers would otherwise let the last win).
    """
    try:
        if len(text) > MAX_DOCUMENT_BYTES:
            raise _Refused("", f"document larger than {MAX_DOCUMENT_BYTES // 2**20} MiB")
        stripped = text.lstrip()
        if stripped.startswith(("{", "[")):
            _scan_json(text)
            return _load_json(text)
        return _load_yaml(text)
    except _Refused as refused:
        raise DefinitionError([Problem(refused.where, refused.message)], source) from None


def _where(text: str, offset: int, path: list[str | int] | None = None) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    at = f"line {line} column {column}"
    if path:
        at += f" ({format_location(path)})"
    return at


def _scan_json(text: str) -> None:
    """Depth, number length and duplicate keys of a JSON text, from its tokens."""
    # one frame per open container: [keys seen (None for a list), next index, pushed a segment]
    frames: list[list[Any]] = []
    path: list[str | int] = []
    pending_key: tuple[str, int] | None = None
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        start = match.start()
        first = token[0]
        if first in "{[":
            if len(frames) >= MAX_DEPTH:
                raise _Refused(_where(text, start, path), f"nested deeper than {MAX_DEPTH} levels")
            pushed = True
            if frames and frames[-1][0] is None:  # an item of a list
                path.append(frames[-1][1])
            elif pending_key is not None:
                path.append(pending_key[0])
            else:
                pushed = False
            frames.append([set() if first == "{" else None, 0, pushed])
            pending_key = None
        elif first in "}]":
            if frames and frames.pop()[2]:
                path.pop()
        elif first == '"':
            if frames and frames[-1][0] is not None and pending_key is None:
                # a string in key position when the next token is a colon
                rest = text[match.end() : match.end() + 64].lstrip()
                if rest.startswith(":"):
                    try:
                        key = json.loads(token)
                    except ValueError:
                        return  # malformed: the parser reports it with its own location
                    if key in frames[-1][0]:
                        raise _Refused(_where(text, start, path), f"duplicate key {shown(key)}")
                    frames[-1][0].add(key)
                    pending_key = (key, start)
                    continue
            pending_key = None
        elif first == ",":
            if frames and frames[-1][0] is None:
                frames[-1][1] += 1
            pending_key = None
        elif first == ":":
            continue
        else:  # a number
            if len(token) > MAX_NUMBER_CHARS:
                raise _Refused(
                    _where(text, start, [*path, pending_key[0]] if pending_key else path),
                    f"number with {len(token)} characters (at most {MAX_NUMBER_CHARS})",
                )
            pending_key = None


def _load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _Refused(
            f"line {error.lineno} column {error.colno}", f"malformed JSON: {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:  # belt and braces behind the scan
        raise _Refused("", f"malformed JSON: {error}") from None


class _StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys instead of keeping the last."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
            except TypeError:
                continue  # unhashable key: the base class reports it
            if duplicate:
                mark = key_node.start_mark
                raise _Refused(
                    f"line {mark.line + 1} column {mark.column + 1}", f"duplicate key {shown(key)}"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _yaml_mark(mark: Any) -> str:
    return f"line {mark.line + 1} column {mark.column + 1}" if mark else ""


def _scan_yaml(text: str) -> None:
    """Depth, numeric scalars and alias expansion of a YAML text, from its parse events
    (the event parser keeps an explicit stack; composing and constructing recurse)."""
    depth = 0
    sizes: dict[str, int] = {}  # anchor → values it expands to
    open_sizes: list[list[Any]] = []  # [anchor, values so far] per open container
    total = 0
    for event in yaml.parse(text, Loader=_StrictLoader):
        size = 0
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(
                    _yaml_mark(event.start_mark), f"nested deeper than {MAX_DEPTH} levels"
                )
            open_sizes.append([event.anchor, 1])
            continue
        if isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, size = open_sizes.pop()
            if anchor is not None:
                sizes[anchor] = size
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            value = event.value
            if (
                event.style is None
                and len(value) > MAX_NUMBER_CHARS
                and _YAML_NUMBER.fullmatch(value)
            ):
                raise _Refused(
                    _yaml_mark(event.start_mark),
                    f"number with {len(value)} characters (at most {MAX_NUMBER_CHARS})",
                )
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor or "", 1)
        else:
            continue
        if open_sizes:
            open_sizes[-1][1] += size
        else:
            total += size
        if (open_sizes[0][1] if open_sizes else 0) + total > MAX_NODES:
            raise _Refused(
                _yaml_mark(event.start_mark),
                f"expands to more than {MAX_NODES:,} values (aliases followed)",
            )


def _load_yaml(text: str) -> Any:
    try:
        _scan_yaml(text)
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader: no object tags
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reason = getattr(error, "problem", None) or str(error)
        if isinstance(error, yaml.constructor.ConstructorError):
            reason = f"{reason} (tags that construct objects are not allowed)"
        raise _Refused(_yaml_mark(mark), f"malformed YAML: {reason}") from None
    except (ValueError, RecursionError) as error:  # belt and braces behind the scan
        raise _Refused("", f"malformed YAML: {error}") from None


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
