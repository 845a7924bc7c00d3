"""Located errors for bad definitions and bad usage.

A :class:`DefinitionError` lists every problem found, each with the location in the
model (``sites[ansan].components[ups-a3].requires[0]``) and the reason. It is not a
``ValueError`` on purpose: pydantic re-wraps ``ValueError`` raised inside validators,
and the cross-checks must reach the caller with their own locations intact.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

__all__ = [
    "DctwinError",
    "DefinitionError",
    "OutputError",
    "Problem",
    "UsageError",
    "format_location",
    "from_validation_error",
    "shown",
    "terminal_safe",
]

_SHOWN_LIMIT = 80
# C0/C1 controls, DEL, bidi embeddings/overrides/isolates, zero-width and BOM characters:
# anything that could move the cursor, recolour a terminal or reorder the text around it.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def terminal_safe(text: str) -> str:
    r"""``text`` with control, bidi and zero-width characters written as ``\uXXXX``.

    >>> terminal_safe("ups\x1b[31m\u202eA")
    'ups\\u001b[31m\\u202eA'
    """
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def shown(name: object, limit: int = _SHOWN_LIMIT) -> str:
    r"""A name from a model as it appears in a message: quoted, escaped, at most ``limit``.

    >>> shown("ups-a1")
    "'ups-a1'"
    >>> shown("a\nb")
    "'a\\u000ab'"
    >>> shown("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"
    """
    text = str(name)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "'" + terminal_safe(text) + "'"


class DctwinError(Exception):
    """Root of every error dctwin raises on purpose: "the input or the request is wrong".

    Anything else that escapes to the command line is an internal error (exit 3).
    """


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a definition: where, and why."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class DefinitionError(DctwinError):
    """A model definition or document is invalid. Carries every problem found."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        head = f"invalid definition{f' in {self.source}' if self.source else ''}"
        count = len(self.problems)
        lines = [f"{head}: {count} problem{'s' if count != 1 else ''}"]
        lines += [f"  {problem}" for problem in self.problems]
        # every line on its own: a name cannot smuggle a line break or an escape sequence
        return "\n".join(terminal_safe(line) for line in lines)


class UsageError(DctwinError):
    """The command line asked for something that does not exist or does not fit."""


class OutputError(DctwinError):
    """An output could not be written; names the path the user asked for."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"cannot write {terminal_safe(self.path)}: {reason}")


def format_location(path: Sequence[str | int], data: Any = None) -> str:
    """Render a location path, naming list items by their ``name`` where ``data`` has one.

    >>> format_location(["sites", 0, "zones", 1], {"sites": [{"name": "x", "zones": [{}, {}]}]})
    'sites[x].zones[1]'
    """
    out = ""
    node = data
    for segment in path:
        if isinstance(segment, int):
            label: str | int = segment
            item = None
            if isinstance(node, Sequence) and not isinstance(node, str | bytes):
                item = node[segment] if -len(node) <= segment < len(node) else None
            name = _name_of(item)
            if name is not None:
                label = shown(name)[1:-1]
            out += f"[{label}]"
            node = item
            continue
        if isinstance(node, Mapping) and segment not in node and node.get("kind") == segment:
            continue  # pydantic adds the discriminator tag to the path; the name says enough
        out += f".{segment}" if out else str(segment)
        node = _child(node, segment)
    return out


def _child(node: Any, key: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(key)
    return getattr(node, key, None)


def _name_of(item: Any) -> str | None:
    name = _child(item, "name") if item is not None else None
    return name if isinstance(name, str) and name else None


_STRICT_TYPES = {"int_type", "float_type", "bool_type", "string_type", "list_type", "dict_type"}


def _json_type(value: Any) -> str:
    """What a document value is, in the document's terms (``true`` is a boolean, not 1)."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {shown(value, 40)}"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return f"the number {value!r}"[:60]
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


def from_validation_error(
    error: ValidationError, data: Any, source: str | None = None
) -> DefinitionError:
    """Translate pydantic's errors into located :class:`Problem` s."""
    problems = []
    for detail in error.errors(include_url=False):
        location = format_location(list(detail["loc"]), data)
        message = detail["msg"]
        if detail["type"] == "union_tag_invalid":
            message = (
                f"unknown kind {shown(detail['input'].get('kind'))}"
                if isinstance(detail["input"], Mapping)
                else message
            )
            expected = detail.get("ctx", {}).get("expected_tags")
            if expected:
                message += f" (expected one of {expected})"
        elif detail["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        elif detail["type"] == "string_pattern_mismatch":
            message = "a name cannot contain control, bidi or zero-width characters"
        elif detail["type"] in _STRICT_TYPES:
            message += f", not {_json_type(detail['input'])}"
        problems.append(Problem(location, message))
    return DefinitionError(sorted(set(problems), key=problems.index), source)
