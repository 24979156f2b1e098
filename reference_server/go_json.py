"""JSON text as Go's ``encoding/json`` writes it, for the armada flavours' gateway.

Real Armada's gateway marshals with ``encoding/json``, whose text differs from
Python's ``json`` in ways a byte-level client can see: floats in Go's shortest form
(``1``, ``0.000015``, ``1e-7``, never ``1.0`` or ``1.5e-05``), map keys sorted,
``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and ``time.Time`` as RFC 3339 with
nanoseconds and trailing zeros trimmed.
"""

from __future__ import annotations

import json.encoder
import math
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

_encode_string: Callable[[str], str] = json.encoder.encode_basestring
_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_float(value: float) -> str:
    """``strconv.AppendFloat(f, 'f' or 'e', -1, 64)`` as ``encoding/json`` chooses, exponent cleaned."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"json: unsupported value: {value}")  # Go refuses them too
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(value)  # Python's repr is exponent form in these ranges, shortest digits
        mantissa, _, exponent = text.partition("e")
        sign, digits = exponent[0], exponent[1:].lstrip("0") or "0"
        return f"{mantissa}e{sign}{digits.zfill(2) if sign == '+' else digits}"
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def go_time(seconds: int, nanos: int) -> str:
    """A UTC ``time.Time`` as Go's ``MarshalJSON`` writes it (RFC 3339, nanoseconds, zeros trimmed)."""
    t = time.gmtime(seconds)
    fraction = f"{nanos:09d}".rstrip("0")
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        + (f".{fraction}" if fraction else "")
        + "Z"
    )


def go_string(text: str) -> str:
    encoded = _encode_string(text)
    if any(ch in encoded for ch in _HTML_ESCAPES):
        encoded = "".join(_HTML_ESCAPES.get(ch, ch) for ch in encoded)
    return encoded


class GoFloat:
    """A double whose Go text differs from Python's (``1.5e-05``, ``1e+16``): written as ``text``."""

    __slots__ = ("text",)

    def __init__(self, value: float) -> None:
        self.text = go_float(value)


def go_number(value: float) -> Any:
    """A double as a value Python's ``json`` writes exactly as Go does, else a ``GoFloat``.

    Between 1e-4 and 1e16 Python's shortest repr is Go's text, except that an integral
    value needs to become an int (``1``, not ``1.0``); outside that range only Go's
    own formatting is right. Most doubles on the wire (priorities, factors) are the former.
    """
    if not math.isfinite(value):  # Go's Marshal fails on these; the codec never stores them (and 500s are ours)
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    magnitude = abs(value)
    negative_zero = value == 0 and math.copysign(1.0, value) < 0  # Go writes -0
    if magnitude < 1e16 and value.is_integer() and not negative_zero:
        return int(value)
    if 1e-4 <= magnitude < 1e16:
        return value
    return GoFloat(value)


class _SlowPath(Exception):
    """A value ``json``'s C encoder cannot write the Go way; the Python writer takes over."""


def _refuse(_value: Any) -> Any:
    raise _SlowPath


_FAST = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_refuse, allow_nan=False)


def dumps(value: Any) -> str:
    """``json.Marshal(value)`` for the JSON values the codec builds (dict, list, str, int, bool, None).

    Doubles must come through ``go_number``: then Python's C encoder writes Go's text
    and only a ``GoFloat`` sends the value through the (slower) Python writer.
    """
    try:
        text = _FAST.encode(value)
    except (_SlowPath, ValueError):
        parts: list[str] = []
        _write(value, parts.append)
        return "".join(parts)
    if any(ch in text for ch in _HTML_ESCAPES):  # only inside strings: JSON syntax has none of them
        text = "".join(_HTML_ESCAPES.get(ch, ch) for ch in text)
    return text


def _write(value: Any, out: Callable[[str], Any]) -> None:
    if isinstance(value, str):
        out(go_string(value))
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif value is None:
        out("null")
    elif isinstance(value, int):
        out(str(value))
    elif isinstance(value, float):
        out(go_float(value))
    elif isinstance(value, GoFloat):
        out(value.text)
    elif isinstance(value, dict):
        out("{")
        for n, (key, item) in enumerate(value.items()):
            out("," if n else "")
            out(go_string(str(key)))
            out(":")
            _write(item, out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for n, item in enumerate(value):
            out("," if n else "")
            _write(item, out)
        out("]")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as JSON")
