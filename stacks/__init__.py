"""The reference stacks: declarative datacenter definitions, one module per stack.

Each module exposes ``build() -> twin.model.Fleet``. Modules are imported lazily by
:func:`build_stack`, so importing :mod:`stacks` (to list the names) costs nothing.

Generated stacks take parameters in a spec string ``NAME:key=value,...``
(:data:`GENERATORS`); their module exposes ``from_spec(params) -> Fleet``. They are
not reference stacks: ``STACK_NAMES`` (what every analysis is run on in the tests)
does not list them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twin.model import Fleet

__all__ = ["GENERATORS", "STACK_NAMES", "build_stack", "is_generated"]

STACK_NAMES: tuple[str, ...] = ("ansan", "pangyo-2022", "fleet", "lab")
"""Names of the reference stacks; ``pangyo-2022`` lives in :mod:`stacks.pangyo_2022`."""

GENERATORS: dict[str, str] = {"kakao": "stacks.kakao_scale"}
"""Generated stacks: spec name → module (``kakao:sites=3,racks=4000,per=rack``)."""


def is_generated(name: str) -> bool:
    """Whether ``name`` is a generated stack's spec (``kakao`` or ``kakao:...``)."""
    return name.partition(":")[0] in GENERATORS


def build_stack(name: str) -> Fleet:
    """Build the named reference stack, or a generated stack from its spec string.

    Raises ``KeyError`` for an unknown name; a generator raises
    :class:`twin.errors.UsageError` for a bad parameter.
    """
    if is_generated(name):
        generator, _, params = name.partition(":")
        return importlib.import_module(GENERATORS[generator]).from_spec(params)
    if name not in STACK_NAMES:
        raise KeyError(f"unknown stack {name!r} (known: {', '.join(STACK_NAMES)})")
    module = importlib.import_module(f"stacks.{name.replace('-', '_')}")
    return module.build()
