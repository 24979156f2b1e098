"""The check catalogue: every conformance check, with a stable ID and a one-line requirement.

A check is a plain function ``fn(ctx, **params)`` that returns when the target
conforms and raises otherwise. Families of checks are declared with ``@family``: an
ID template, a requirement template and a parameter table, expanded into one
``Check`` per row (``PARITY-{method}`` x every REST-bound method). The catalogue is
data: the runner (and the pytest plugin) runs it, ``list-checks`` prints it, reports and
known-failure files refer to its IDs.

Outcomes other than pass/fail are exceptions a check raises:
``NotOffered`` (the target answered UNIMPLEMENTED), ``NotConfigured`` (e.g. an auth
scheme the target file leaves out), ``Skip`` (e.g. mutating under --read-only) and
``SetupError`` (the suite could not set the check up: outcome ``error``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.results import Severity

CATEGORIES = ("SURFACE", "SEMANTICS", "PARITY", "SWAGGER", "AUTH", "THROUGHPUT")


class CheckFailed(AssertionError):
    """The target does not conform; ``evidence`` holds what shows it (secrets redacted later)."""

    def __init__(self, message: str, evidence: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.evidence = dict(evidence or {})


class NotOffered(Exception):
    """The target does not serve the method (UNIMPLEMENTED): reported, not failed."""


class NotConfigured(Exception):
    """The target description leaves out what the check needs (an auth scheme, a REST URL)."""


class Skip(Exception):
    """Deliberately not run, e.g. a mutating check under --read-only."""


class SetupError(RuntimeError):
    """The suite or its environment could not set the check up (its queue, its jobs): ``error``, not ``failed``.

    A RuntimeError, so code that caught the setup helpers' RuntimeError keeps working.
    The outcome says it is the suite's or the environment's problem, not a finding about the server.
    """


@dataclass(frozen=True)
class Check:
    id: str
    category: str
    requirement: str
    function: Callable[..., str | None] = field(repr=False, compare=False)
    params: tuple[tuple[str, Any], ...] = ()
    severity: Severity = Severity.REQUIRED
    method: str = ""
    transport: str = ""
    scheme: str = ""
    mutating: bool = False
    profiles: frozenset[str] = frozenset({"armada-2023", "armada-2026"})  # the eras judged (conformance.eras)
    # Intrusive: may upset or take down a real server (e.g. armada-2026 panics on a Basic
    # value without a colon); run only when asked (--intrusive) or against the embedded server.
    intrusive: bool = False

    def run(self, ctx: Any) -> str | None:
        """Run the check; a returned string is a note the report shows for a passing check."""
        return self.function(ctx, **dict(self.params))


_REGISTRY: list[Check] = []


# Methods that only read: every other method creates, changes, cancels or deletes something.
READ_ONLY_PREFIXES = ("Get", "Watch", "Health")


def changes_state(method: str) -> bool:
    """Whether calling ``method`` ("Service/Method") may change the target, even when refused.

    A check sending such a call is ``mutating`` whatever request it sends: --read-only
    promises that no such call leaves the suite, not that the target will refuse it.
    """
    return not method.rpartition("/")[2].startswith(READ_ONLY_PREFIXES)


def family(
    id_template: str,
    category: str,
    requirement: str,
    rows: Iterable[Mapping[str, Any]] = ({},),
    *,
    severity: Severity = Severity.REQUIRED,
    mutating: bool | Callable[[Mapping[str, Any]], bool] = False,
    intrusive: bool = False,
    profiles: Callable[[Mapping[str, Any]], Iterable[str]] | None = None,
) -> Callable[..., Any]:
    """Register one check per row; templates are formatted with the row's values.

    Row keys named ``method``, ``transport`` and ``scheme`` also fill the check's
    dimensions, which the reports use for their matrices. ``mutating`` may be a
    function of the row (e.g. ``lambda row: changes_state(row["method"])``).
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category}")

    def register(function: Callable[..., None]) -> Callable[..., None]:
        for row in rows:
            _REGISTRY.append(
                Check(
                    id=id_template.format(**row),
                    category=category,
                    requirement=requirement.format(**row),
                    function=function,
                    params=tuple(row.items()),
                    severity=severity,
                    method=str(row.get("method", "")),
                    transport=str(row.get("transport", "")),
                    scheme=str(row.get("scheme", "")),
                    mutating=mutating(row) if callable(mutating) else mutating,
                    intrusive=intrusive,
                    profiles=frozenset(profiles(row)) if profiles else frozenset({"armada-2023", "armada-2026"}),
                )
            )
        return function

    return register


def catalogue() -> list[Check]:
    """Every registered check, in a stable order (loading the check modules first)."""
    from conformance.checks import load_all

    load_all()
    ids = [c.id for c in _REGISTRY]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RuntimeError(f"duplicate check IDs: {', '.join(duplicates)}")
    order = {c: n for n, c in enumerate(CATEGORIES)}
    return sorted(_REGISTRY, key=lambda c: (order[c.category], c.id))


class SelectionError(ValueError):
    """An ``--only`` word that selects nothing: a typo must not become a green run of nothing."""


def _selects(word: str, check: Check) -> bool:
    """A category (any case), a check ID, or an ID pattern with ``*``."""
    return word.upper() == check.category or fnmatch.fnmatchcase(check.id, word)


def select(checks: Iterable[Check], profile: str, only: Iterable[str] = (), flag: str = "--only") -> list[Check]:
    """Checks of a profile, narrowed by ``--only`` (IDs, ID patterns with '*', or categories).

    Every word must select at least one check of the profile; otherwise ``SelectionError``
    names the words that select nothing (and says when they name checks of another profile).
    """
    from conformance.eras import canonical

    checks = list(checks)
    profile = canonical(profile)
    wanted = [w.strip() for w in only if w.strip()]
    in_profile = [c for c in checks if profile in c.profiles]
    unknown = [w for w in wanted if not any(_selects(w, c) for c in in_profile)]
    if unknown:
        elsewhere = [w for w in unknown if any(_selects(w, c) for c in checks)]
        hint = f" ({', '.join(elsewhere)}: only in another profile)" if elsewhere else ""
        raise SelectionError(
            f"{flag}: no check of profile {profile!r} matches {', '.join(unknown)}{hint} "
            f"(categories: {', '.join(CATEGORIES)}; IDs: armada-conformance list-checks)"
        )
    return [c for c in in_profile if not wanted or any(_selects(w, c) for w in wanted)]


def load_all() -> None:
    """Import every check module so its families register (idempotent)."""
    import importlib
    import pkgutil

    import conformance.checks as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
