"""The release a target is judged against (its ``profile``), and the suite's one spelling of methods.

Which release has what is written once, in ``conformance/releases.py`` (the table of
server features); this module only reads it. A profile is a release (``v0.19.3``,
``0.19``), a preset (``armada-2023`` alias ``seed``, ``armada-2026`` alias ``current``)
or ``contract``. A check asks the judged ``Release`` (``ctx.target.release``) what to
expect, never the reference server; what a release lacks its checks report as "not
offered", with the reason (``conformance.checks.Check.not_offered``).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import protos
from conformance.releases import ALIASES, CONTRACT, FIELD_FEATURES, PRESET_NAMES, PRESETS, Release, Version, release

NAMES = PRESET_NAMES  # the presets (any release of the table is a profile too)


def all_methods() -> list[str]:
    """``Service/Method`` for every method in the protos, services in declaration order."""
    return list(_all_methods())


@functools.cache
def _all_methods() -> tuple[str, ...]:
    return tuple(
        f"{service.split('.')[-1]}/{m.name}" for service in protos.SERVICES for m in protos.service(service).methods
    )


def canonical(name: str) -> str:
    """The profile a name stands for: an alias resolved, ``0.19`` as ``v0.19.0``; anything else unchanged."""
    name = ALIASES.get(name, name)
    if name in PRESETS or name == CONTRACT:
        return name
    try:
        return str(Version.parse(name))
    except ValueError:
        return name


def choices() -> tuple[str, ...]:
    """The profile names besides release numbers: presets, their aliases and ``contract``."""
    return (*PRESETS, CONTRACT)


def judged(profile: str, features: Mapping[str, bool] | None = None) -> Release:
    """The ``Release`` a profile stands for, ``[target.features]`` applied (ValueError says what is wrong)."""
    return _judged(canonical(profile), tuple(sorted((features or {}).items())))


@functools.cache
def _judged(profile: str, features: tuple[tuple[str, bool], ...]) -> Release:
    return release(profile, dict(features))


def methods(of: Release | str) -> list[str]:
    """The methods a server of the release serves over gRPC."""
    chosen = of if isinstance(of, Release) else judged(of)
    return [m for m in _all_methods() if chosen.serves(m)]


def auth_probe(of: Release) -> str:
    """A harmless read every server of the release has, for refusal checks (GetQueueInfo where it exists)."""
    return "Submit/GetQueueInfo" if of.has("get_queue_info") and of.version is not None else "Submit/GetQueue"


def missing_fields(of: Release) -> frozenset[str]:
    """``api.*`` fields of our protos the release's swagger does not document yet."""
    return frozenset(f for f, feature in FIELD_FEATURES.items() if not of.has(feature))


def wire(method: str) -> str:
    """``Submit/GetQueue`` (the suite's one spelling of a method) as the transports name it: ``api.Submit/GetQueue``."""
    return f"api.{method}"


def descriptor_of(method: str) -> Any:
    """The method's descriptor in our protos."""
    service, name = method.split("/")
    return protos.method(f"api.{service}", name)


def rest_bound(method: str) -> bool:
    return protos.http_binding(descriptor_of(method)) is not None


def is_streaming(method: str) -> bool:
    return bool(descriptor_of(method).server_streaming)
