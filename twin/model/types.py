"""Shared field types of the model: names, quantities with their units, the strict base.

Every quantity carries its unit in its name or type (``capacity_kw``, ``Seconds``).
Models forbid unknown fields, reject non-finite numbers and validate strictly, so a
typo in an inventory is an error instead of a silently ignored key, and a document's
``racks: true`` is an error instead of 1.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "NAME_PATTERN",
    "SCHEMA_VERSION",
    "Fraction",
    "Kilowatts",
    "Name",
    "Probability",
    "Seconds",
    "StrictModel",
]

SCHEMA_VERSION = "1"
"""Version of the model document and of every JSON output."""

NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+$"
"""What a name may not contain: control characters (C0, C1), bidi controls and
zero-width characters, which would let a name rewrite a terminal or reorder a report."""


def _no_urn_separator(value: str) -> str:
    if "::" in value:
        raise ValueError("a name cannot contain '::' (it separates the parts of a Pulumi URN)")
    return value


Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=NAME_PATTERN),
    AfterValidator(_no_urn_separator),
    Field(
        description="Identifier; unique within its collection. No control, bidi or "
        "zero-width characters, no '::'."
    ),
]
Kilowatts = Annotated[float, Field(gt=0, description="Power in kW.")]
Fraction = Annotated[float, Field(gt=0, le=1)]
Probability = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0, description="Duration in seconds.")]


class StrictModel(BaseModel):
    """Base of every model class: unknown fields forbidden, strict types, finite numbers."""

    # strict: a document's `racks: true` or `capacity_kw: "500"` is an error, not 1 or 500.0
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True, strict=True)
