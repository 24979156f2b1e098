"""Kubernetes quantities on the REST wire: a JSON string both ways, as Go's ``resource.Quantity``.

The protobuf form of a Quantity is a message with one ``string`` field, so proto3
JSON would be ``{"string": "100m"}``; Kubernetes' Go type marshals itself as the bare
string and reads a string or a number, refusing anything else with the error below.
Every flavour writes the string; the armada flavours read only what Go reads.
"""

from __future__ import annotations

import re
from typing import Any

QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity"
# resource.splitREString, and the text of resource.ErrFormatWrong / ErrSuffix.
SPLIT_PATTERN = r"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"
FORMAT_WRONG = f"quantities must match the regular expression '{SPLIT_PATTERN}'"
SUFFIX_WRONG = "unable to parse quantity's suffix"
_SPLIT = re.compile(SPLIT_PATTERN)
_SUFFIXES = frozenset({"", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"})
_EXPONENT = re.compile(r"^[eE][-+]?[0-9]+$")


def quantity_problem(text: str) -> str:
    """Why Go's ``resource.ParseQuantity`` refuses ``text``, or "" when it parses."""
    match = _SPLIT.match(text.strip())
    if not match or match.group(1).count(".") > 1 or match.group(1).strip("+-") in ("", "."):
        return FORMAT_WRONG
    suffix = match.group(2)
    if suffix not in _SUFFIXES and not _EXPONENT.match(suffix):
        return SUFFIX_WRONG
    return ""


def go_quantity_text(value: Any) -> str | None:
    """The quantity text Go reads from a JSON value (a string, or a number's text), or None when it refuses it."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value) if isinstance(value, float) else str(value)
    return None
