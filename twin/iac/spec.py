"""How a declared resource carries its inputs: one JSON text input, ``spec``.

Every resource :mod:`twin.iac.declare` registers has exactly one input, ``spec``: the
resource's inputs as :mod:`twin.model.naming` builds them (declared attributes in
camelCase, requirement groups with their suppliers' names, and for rack rows and
battery strings what the twin derived, under ``twin``) written as compact JSON text, in
the model's field order. The resource registers the same ``spec`` among its outputs, so
a stack policy (which reads outputs) sees what a resource policy (which reads inputs)
sees.

Why one text and not one input per attribute: the Pulumi SDK turns every top-level input
into an ``Output`` with four futures on the resource object, and walks every nested value
of a structured input through several asynchronous (de)serialisations; a JSON text is
one scalar on that path, which is most of what keeps declaring a fleet cheap. ``pulumi
preview --diff`` still shows a change inside it field by field, as a ``(json)`` diff of
``spec`` (``~ spec: (json) { ~ capacityKw: 500 => 600 }``).

This module imports neither Pulumi nor the policy SDK: the program, the policy pack and
the tests read and write the shape through these two functions.

>>> props = spec_props({"kind": "ups", "capacityKw": 500.0})
>>> props
{'spec': '{"kind":"ups","capacityKw":500.0}'}
>>> spec_inputs(props)
{'kind': 'ups', 'capacityKw': 500.0}
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["SPEC_KEY", "spec_inputs", "spec_props"]

SPEC_KEY = "spec"
"""The one input (and output) of every declared resource: its inputs as JSON text."""


def spec_props(inputs: Mapping[str, Any]) -> dict[str, str]:
    """The properties a resource registers for ``inputs``: ``{"spec": <JSON text>}``.

    Compact, keys in the order given (the model's field order), strict JSON: the model
    rejects non-finite numbers, so ``NaN``/``Infinity`` never appear.
    """
    return {SPEC_KEY: json.dumps(inputs, separators=(",", ":"), allow_nan=False)}


def spec_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's inputs from its registered properties (inputs or outputs).

    ``spec`` is decoded and merged with any other property (the extra outputs a site or
    region registers, such as ``itLoadKw`` or ``sites``). Properties without a ``spec``
    text — a resource declared before inputs were folded into one, or one whose ``spec``
    is not known yet (preview) — are returned as they are.
    """
    text = props.get(SPEC_KEY)
    if not isinstance(text, str):
        return dict(props)
    try:
        inputs = json.loads(text)
    except ValueError:
        return dict(props)
    if not isinstance(inputs, dict):
        return dict(props)
    return {**{k: v for k, v in props.items() if k != SPEC_KEY}, **inputs}
