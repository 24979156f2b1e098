"""The check catalogue: every conformance check, with a stable ID and a one-line requirement.

A check is a plain function ``fn(ctx, **params)`` that returns when the target
conforms and raises otherwise. Families of checks are declared with ``@family``: an
ID template, a requirement template and a parameter table, expanded into one
``Check`` per row (``PARITY-{method}`` x every REST-bound method). The catalogue is
data: the runner (and the pytest plugin) runs it, ``list-checks`` prints it, reports and
known-failure files refer to its IDs. Checks live in ``REGISTRY`` (register, unregister,
iterate), filled as the check modules are imported.

A check declares what it needs of a server: the methods it calls (a row's ``method`` and
``methods=``), over which transports, the features it requires or excludes
(``conformance/releases.py``), its scheme and whether it creates things (``mutating``).
From those declarations ``Check.not_offered(release)`` derives, for any release in the
table, whether the check applies or why not ("needs feature cordon: from v0.9.8"); no
list of releases or eras is written here or in any check.

Outcomes other than pass/fail are exceptions a check raises:
``NotOffered`` (the target answered UNIMPLEMENTED), ``NotConfigured`` (e.g. an auth
scheme the target file leaves out), ``Skip`` (e.g. mutating under --read-only) and
``SetupError`` (the suite could not set the check up: outcome ``error``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.releases import FEATURES, Release, needs
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
    # What the check needs of a server (conformance.releases): methods it calls over ``transports``,
    # features it requires, features under which it does not apply.
    methods: tuple[str, ...] = ()
    transports: tuple[str, ...] = ("grpc",)
    features: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    # Intrusive: may upset or take down a real server (e.g. Armada from v0.16.0 crashes on a Basic
    # value without a colon); run only when asked (--intrusive) or against the embedded server.
    intrusive: bool = False
    # Where the requirement comes from: "contract" (the published API), or the upstream file of Armada's
    # code it is read from (github.com/armadaproject/armada), e.g. internal/server/queue/queue_repository.go.
    source: str = "contract"

    def run(self, ctx: Any) -> str | None:
        """Run the check; a returned string is a note the report shows for a passing check."""
        return self.function(ctx, **dict(self.params))

    def needs(self) -> tuple[str, ...]:
        """Every feature the check needs: its methods' over its transports, and its own."""
        wanted = [f for m in self.methods for t in self.transports for f in needs(m, t)]
        wanted += SCHEME_FEATURES.get(self.scheme, ())
        return tuple(dict.fromkeys([*wanted, *self.features]))

    def not_offered(self, release: Release) -> str:
        """Why a server of ``release`` does not offer what the check judges ("" when it does)."""
        for name in self.needs():
            if not release.has(name):
                feature = FEATURES[name]
                return f"{release.name} lacks {name} ({feature.summary}): {feature.span}"
        for name in self.excluded:
            if release.has(name):
                feature = FEATURES[name]
                return f"does not apply where {name} ({feature.summary}): {feature.span}; {release.name} has it"
        return ""


# Features an auth scheme needs (the other schemes exist on every release).
SCHEME_FEATURES: dict[str, tuple[str, ...]] = {"kerberos": ("kerberos",)}


class Registry:
    """The checks known to the suite, by ID: register (refusing a duplicate ID), unregister, iterate."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, check: Check) -> Check:
        if check.id in self._checks:
            raise ValueError(f"duplicate check ID {check.id}")
        unknown = sorted(set(check.needs() + check.excluded) - set(FEATURES))
        if unknown:
            raise ValueError(f"check {check.id} names unknown feature(s) {', '.join(unknown)}")
        self._checks[check.id] = check
        return check

    def unregister(self, check_id: str) -> Check:
        """Remove a check (tests register their own and take them out again)."""
        return self._checks.pop(check_id)

    def get(self, check_id: str) -> Check | None:
        return self._checks.get(check_id)

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def __iter__(self) -> Iterator[Check]:
        return iter(list(self._checks.values()))

    def __len__(self) -> int:
        return len(self._checks)


REGISTRY = Registry()


# Methods that only read: every other method creates, changes, cancels or deletes something.
READ_ONLY_PREFIXES = ("Get", "Watch", "Health")


def changes_state(method: str) -> bool:
    """Whether calling ``method`` ("Service/Method") may change the target, even when refused.

    A check sending such a call is ``mutating`` whatever request it sends: --read-only
    promises that no such call leaves the suite, not that the target will refuse it.
    """
    return not method.rpartition("/")[2].startswith(READ_ONLY_PREFIXES)


RowValue = Callable[[Mapping[str, Any]], Iterable[str]] | Iterable[str]


def family(
    id_template: str,
    category: str,
    requirement: str,
    rows: Iterable[Mapping[str, Any]] = ({},),
    *,
    severity: Severity = Severity.REQUIRED,
    mutating: bool | Callable[[Mapping[str, Any]], bool] = False,
    intrusive: bool = False,
    methods: RowValue = (),
    features: RowValue = (),
    excluded: RowValue = (),
    transports: RowValue | None = None,
    source: str | Callable[[Mapping[str, Any]], str] = "contract",
    registry: Registry | None = None,
) -> Callable[..., Any]:
    """Register one check per row; templates are formatted with the row's values.

    Row keys named ``method``, ``transport`` and ``scheme`` also fill the check's
    dimensions, which the reports use for their matrices. ``mutating`` may be a
    function of the row (e.g. ``lambda row: changes_state(row["method"])``), and so may
    the declarations: ``methods`` (besides the row's ``method``) the check calls,
    ``features`` it requires and ``excluded`` features under which it does not apply,
    ``transports`` it calls them over (default: the row's ``transport``; PARITY both,
    SWAGGER REST, else gRPC).
    """
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category}")

    def register(function: Callable[..., None]) -> Callable[..., None]:
        for row in rows:
            called = (*([str(row["method"])] if row.get("method") else []), *_of(methods, row))
            (REGISTRY if registry is None else registry).register(
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
                    methods=tuple(dict.fromkeys(called)),
                    transports=_of(transports, row) if transports is not None else _transports(category, row),
                    features=_of(features, row),
                    excluded=_of(excluded, row),
                    source=source(row) if callable(source) else source,
                )
            )
        return function

    return register


def _of(value: RowValue, row: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(value(row) if callable(value) else value)


def _transports(category: str, row: Mapping[str, Any]) -> tuple[str, ...]:
    """The transports a check's methods are called over, when the family does not say."""
    given = str(row.get("transport", "")).lower()
    if given in ("grpc", "rest"):
        return (given,)
    if given == "both" or category == "PARITY":
        return ("grpc", "rest")
    return ("rest",) if category == "SWAGGER" else ("grpc",)


def catalogue() -> list[Check]:
    """Every registered check, in a stable order (loading the check modules first)."""
    from conformance.checks import load_all

    load_all()
    order = {c: n for n, c in enumerate(CATEGORIES)}
    return sorted(REGISTRY, key=lambda c: (order[c.category], c.id))


class SelectionError(ValueError):
    """An ``--only`` word that selects nothing: a typo must not become a green run of nothing."""


def _selects(word: str, check: Check) -> bool:
    """A category (any case), a check ID, or an ID pattern with ``*``."""
    return word.upper() == check.category or fnmatch.fnmatchcase(check.id, word)


def select(
    checks: Iterable[Check], release: Release | str | None = None, only: Iterable[str] = (), flag: str = "--only"
) -> list[Check]:
    """Checks narrowed by ``--only`` (IDs, ID patterns with '*', or categories), and to ``release`` if given.

    Every word must select at least one check; otherwise ``SelectionError`` names the
    words that select nothing. A run takes every selected check (``release`` None): one
    its release does not offer is reported "not offered" with the reason; with a release
    (a ``Release`` or a name, ``v0.19.3`` / ``armada-2026``) only the checks it offers.
    """
    checks = list(checks)
    wanted = [w.strip() for w in only if w.strip()]
    unknown = [w for w in wanted if not any(_selects(w, c) for c in checks)]
    if unknown:
        raise SelectionError(
            f"{flag}: no check matches {', '.join(unknown)} "
            f"(categories: {', '.join(CATEGORIES)}; IDs: armada-conformance list-checks)"
        )
    chosen = [c for c in checks if not wanted or any(_selects(w, c) for w in wanted)]
    if release is None:
        return chosen
    return offered(chosen, release if isinstance(release, Release) else _release(release))


def _release(name: str) -> Release:
    from conformance.releases import release

    return release(name)


def offered(checks: Iterable[Check], release: Release) -> list[Check]:
    """The checks a server of ``release`` offers what they judge (the others: "not offered")."""
    return [c for c in checks if not c.not_offered(release)]


def load_all() -> None:
    """Import every check module so its families register in ``REGISTRY`` (idempotent)."""
    import importlib
    import pkgutil

    import conformance.checks as package

    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{info.name}")
