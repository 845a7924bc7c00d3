"""Orderings along requirements: suppliers before the components that need them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

__all__ = ["suppliers_first"]


def suppliers_first(names: Iterable[str], suppliers: Mapping[str, Sequence[str]]) -> list[str]:
    """Every name after all of its (transitive) suppliers; declaration order otherwise.

    Dependency cycles are broken where the depth-first walk meets them, so the result
    is a total order even for a chiller that needs power from a board that needs
    cooling. Suppliers not in ``suppliers`` are treated as having none.

    >>> suppliers_first(["row", "pdu", "ups"], {"row": ["pdu"], "pdu": ["ups"], "ups": []})
    ['ups', 'pdu', 'row']
    """
    state: dict[str, int] = {}
    out: list[str] = []
    for root in names:
        if root in state:
            continue
        stack = [(root, iter(suppliers.get(root, ())))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                state[node] = 2
                out.append(node)
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(suppliers.get(nxt, ()))))
    return out
