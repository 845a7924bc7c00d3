"""The reference stacks: declarative datacenter definitions, one module per stack.

Each module exposes ``build() -> twin.model.Fleet``. Modules are imported lazily by
:func:`build_stack`, so importing :mod:`stacks` (to list the names) costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twin.model import Fleet

__all__ = ["STACK_NAMES", "build_stack"]

STACK_NAMES: tuple[str, ...] = ("ansan", "pangyo-2022", "fleet", "lab")
"""Names of the reference stacks; ``pangyo-2022`` lives in :mod:`stacks.pangyo_2022`."""


def build_stack(name: str) -> Fleet:
    """Build the named reference stack (raises ``KeyError`` for an unknown name)."""
    if name not in STACK_NAMES:
        raise KeyError(f"unknown stack {name!r} (known: {', '.join(STACK_NAMES)})")
    module = importlib.import_module(f"stacks.{name.replace('-', '_')}")
    return module.build()
