"""Located errors for bad definitions and bad usage.

A :class:`DefinitionError` lists every problem found, each with the location in the
model (``sites[ansan].components[ups-a3].requires[0]``) and the reason. It is not a
``ValueError`` on purpose: pydantic re-wraps ``ValueError`` raised inside validators,
and the cross-checks must reach the caller with their own locations intact.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

__all__ = ["DefinitionError", "Problem", "UsageError", "format_location", "from_validation_error"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a definition: where, and why."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class DefinitionError(Exception):
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
        return "\n".join(lines)


class UsageError(Exception):
    """The command line asked for something that does not exist or does not fit."""


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
                label = name
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
                f"unknown kind {detail['input'].get('kind')!r}"
                if isinstance(detail["input"], Mapping)
                else message
            )
            expected = detail.get("ctx", {}).get("expected_tags")
            if expected:
                message += f" (expected one of {expected})"
        elif detail["type"] == "extra_forbidden":
            message = "unknown field (check the spelling)"
        problems.append(Problem(location, message))
    return DefinitionError(sorted(set(problems), key=problems.index), source)
