"""Step 1 of a run: everything validated before anything is sent, into one ``RunPlan``.

``prepare(target, options)`` reads and checks the target file (unknown keys included),
the profile, the ``--only``/``--exclude`` selection, workload and gate options, faults,
output paths, the known-failures and baseline files. Any problem is a ``ConfigError``
carrying the one line the user sees (exit status 2), so a misconfigured run fails
before it creates anything on the target. ``conformance.runner`` takes it from there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from conformance import eras
from conformance.checks import Check, SelectionError, catalogue, select
from conformance.options import RunOptions
from conformance.releases import Release
from conformance.report.gate import DEFAULT_TOLERANCE, KnownFailure, KnownFailuresError
from conformance.results import RunReport
from conformance.settings import RunSettings
from conformance.target import Target, TargetError, TargetOverrides, load_target


class ConfigError(Exception):
    """The target, the configuration or the selection is unusable: exit 2 with this one line."""

    exit_code = 2


# ---- 1. everything validated before anything is sent ------------------------------


@dataclass
class RunPlan:
    """A validated run: what to check, against what, judged how.

    ``target`` is final: every override (--grpc, --prefix, --call-timeout, -H, --intrusive ...)
    is applied here and nothing changes it later; the embedded target is built by
    ``open_run`` from ``overrides`` the same way. ``settings`` are the typed options the
    checks read (``ctx.settings``).
    """

    options: RunOptions
    target: Target | None  # None: the embedded reference server, started by open_run
    profile: str
    checks: list[Check]
    settings: RunSettings
    known: list[KnownFailure] = field(default_factory=list)
    started: str = ""

    @property
    def baseline(self) -> RunReport | None:
        """The loaded --baseline report (None: none given)."""
        return self.settings.baseline

    @property
    def tolerance(self) -> float:
        """The regression tolerance of this run: the gate and the MaxRegression check use the same one."""
        given = self.settings.gates.max_regression
        return DEFAULT_TOLERANCE if given is None else given

    @property
    def overrides(self) -> TargetOverrides:
        """What the options change of any target, the embedded one included."""
        return TargetOverrides(prefix=self.options.prefix, timeout=self.options.call_timeout)


def prepare(target: Target | str | Path | None, options: RunOptions) -> RunPlan:
    """Validate the whole run; ``target``: a Target, a target file, or None (options.target / embedded)."""
    embedded = target is None and not options.target and not options.grpc
    _refuse_partial_target(options, embedded)
    _validate_faults(options, embedded)
    resolved = None if embedded else _resolve_target(target, options)
    # The embedded server is judged as the release its flavour is, unless --profile says.
    profile = _embedded_profile(options) if resolved is None else resolved.profile
    try:
        checks = select(catalogue(), None, options.only)
        if options.exclude:
            left_out = {c.id for c in select(catalogue(), None, options.exclude, flag="--exclude")}
            checks = [c for c in checks if c.id not in left_out]
    except SelectionError as exc:
        raise ConfigError(str(exc)) from None
    if not checks:
        raise ConfigError("--exclude leaves no check of the selection to run")
    _something_offered(checks, resolved.release if resolved else eras.judged(profile))
    _validate_gates(options)
    _validate_outputs(options)
    baseline = _baseline(options.baseline)
    try:
        settings = RunSettings.of(options, embedded or bool(resolved and resolved.embedded), baseline)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"throughput option: {exc}") from None
    return RunPlan(
        options, resolved, profile, checks, settings, known=_known_failures(options.known_failures), started=now_utc()
    )


def _something_offered(checks: list[Check], judged: Release) -> None:
    """A selection its release offers none of would be a green run of nothing: refused, saying why."""
    reasons = [c.not_offered(judged) for c in checks]
    if all(reasons):
        shown = f"{checks[0].id}: {reasons[0]}" + (f" (and {len(checks) - 1} more)" if len(checks) > 1 else "")
        raise ConfigError(f"no check of the selection is offered by {judged.name}: {shown}")


def _embedded_profile(options: RunOptions) -> str:
    """The embedded server's profile: --profile, else its flavour's release; both checked here."""
    from conformance.embedded import profile_of
    from reference_server.flavours import flavour

    try:
        flavour(options.flavour or "contract")
        profile = eras.canonical(options.profile or profile_of(options.flavour))
        eras.judged(profile)
    except ValueError as exc:
        flag = "--profile" if options.profile else "--flavour"
        raise ConfigError(f"{flag}: {exc}") from None
    return profile


def _refuse_partial_target(options: RunOptions, embedded: bool) -> None:
    """A target is whole or refused: --rest alone never judges the embedded server's gRPC in its place."""
    if embedded and options.rest:
        raise ConfigError(
            f"--rest {options.rest} needs --grpc HOST:PORT (or a --target file): the run never completes "
            "a partly given target with the embedded server"
        )


def _validate_faults(options: RunOptions, embedded: bool) -> None:
    if not options.faults:
        return
    from reference_server.faults import CATALOGUE

    unknown = sorted(set(options.faults) - set(CATALOGUE))
    if unknown:
        raise ConfigError(f"unknown fault(s) {', '.join(unknown)} (armada-reference-server --list-faults)")
    if not embedded:
        raise ConfigError(
            "--fault switches faults of the embedded reference server; it cannot be used with --target or --grpc"
        )


def _resolve_target(target: Target | str | Path | None, options: RunOptions) -> Target:
    """The run's final Target: a given one (with --intrusive), or the file's with every override applied."""
    if isinstance(target, Target):
        return dataclasses.replace(target, intrusive=True) if options.intrusive and not target.intrusive else target
    overrides = {
        "grpc": options.grpc,
        "rest": options.rest,
        "profile": options.profile,
        "prefix": options.prefix,
        "timeout": options.call_timeout,
        "headers": options.headers,
        "authority": options.authority,
        "client_cert": options.client_cert,
        "client_key": options.client_key,
        "intrusive": options.intrusive or None,
    }
    try:
        return load_target(target or options.target, overrides)
    except TargetError as exc:
        raise ConfigError(str(exc)) from None


# Gates must be positive numbers; the regression tolerance a fraction (0 allowed: no regression at all).
_GATE_RANGES: dict[str, tuple[float, float]] = {
    "min_events_per_second": (1e-9, float("inf")),
    "max_p99_ms": (1e-9, float("inf")),
    "max_regression": (0.0, 10.0),
}


def _validate_gates(options: RunOptions) -> None:
    for name, (low, high) in _GATE_RANGES.items():
        value = getattr(options, name)
        if value is not None and not low <= value <= high:
            shown = f"{low:g}..{high:g}" if high != float("inf") else "a positive number"
            raise ConfigError(f"--{name.replace('_', '-')} {value:g} must be {shown}")


def _validate_outputs(options: RunOptions) -> None:
    """Fixed output paths are writable file paths; -x/--max-failures and fuzz limits are positive."""
    for name, path in options.outputs().items():
        target = Path(path)
        folder = next((p for p in (target.parent, *target.parent.parents) if p.exists()), Path("."))
        if target.is_dir() or not folder.is_dir() or not os.access(folder, os.W_OK):
            flag = {
                "junit.xml": "--junit-xml",
                "report.json": "--json",
                "report.html": "--html",
                "summary.md": "--summary",
            }[name]
            raise ConfigError(
                f"{flag} {path}: not a file path that can be written" + (" (it is a folder)" if target.is_dir() else "")
            )
    for name, low in (("max_failures", 1), ("max_examples", 1), ("fuzz_budget", 1e-9)):
        value = getattr(options, name)
        if value is not None and value < low:
            shown = "a positive number" if low < 1 else "1 or more"
            raise ConfigError(f"--{name.replace('_', '-')} {value:g} must be {shown}")


def _known_failures(path: str | None) -> list[KnownFailure]:
    """A known-failures file, or the deviations shipped for a release (``v0.8.7``, ``armada-2026``)."""
    if not path:
        return []
    from conformance.known_failures import known_failures

    try:
        return known_failures(path)
    except (KnownFailuresError, ValueError) as exc:
        raise ConfigError(str(exc)) from None


def _baseline(path: str | None) -> RunReport | None:
    if not path:
        return None
    from conformance.report.json_report import ReportFormatError, load_report

    try:
        return load_report(Path(path))
    except FileNotFoundError:
        raise ConfigError(f"baseline {path} does not exist") from None
    except (ReportFormatError, OSError) as exc:
        lines = str(exc).splitlines()
        more = f" (and {len(lines) - 2} more problem(s))" if len(lines) > 2 else ""
        raise ConfigError(f"baseline: {' '.join(line.strip() for line in lines[:2])}{more}") from None


def now_utc() -> str:
    """This moment as the reports write it: ISO 8601 UTC to the second, with a Z."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
