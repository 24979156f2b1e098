"""Typed reading of the ``[auth]`` TOML tables, with messages a person can act on.

Every scheme validates its table through these helpers so that a typo
(``passwrd``), a wrong type (``groups = "admins"``) or a missing key is reported
with the table it belongs to, at start-up, instead of surfacing as a 500 later.
"""

from __future__ import annotations

from typing import Any

from reference_server.config import ConfigError

_MISSING = object()


def table(parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    """A sub-table (``{}`` when absent); anything but a table is an error."""
    value = parent.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{where}] {key} must be a table, got {type(value).__name__}")
    return value


def check_keys(values: dict[str, Any], allowed: set[str], where: str) -> None:
    """Refuse unknown keys: a misspelt option must not be silently ignored."""
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ConfigError(f"[{where}] unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}")


def string(values: dict[str, Any], key: str, where: str, default: Any = _MISSING) -> str:
    value = values.get(key, default)
    if value is _MISSING:
        raise ConfigError(f"[{where}] {key} is required")
    if not isinstance(value, str) or not value:
        raise ConfigError(f"[{where}] {key} must be a non-empty string")
    return value


def boolean(values: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = values.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"[{where}] {key} must be true or false, got {value!r}")
    return value


def number(values: dict[str, Any], key: str, where: str, default: float) -> float:
    value = values.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"[{where}] {key} must be a number >= 0, got {value!r}")
    return float(value)


def string_list(values: dict[str, Any], key: str, where: str, default: list[str] | None = None) -> list[str]:
    value = values.get(key, [] if default is None else default)
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"[{where}] {key} must be a list of non-empty strings")
    return list(value)
