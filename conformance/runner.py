"""The one engine of a conformance run: ``run_suite(target, options) -> RunReport``.

The CLI, the pytest plugin and the project's fault tests all run the suite through
here, in four steps a caller can also take one by one (the plugin does):

1. :func:`prepare` (in ``conformance.plan``) validates everything before anything is
   sent: the target file (unknown keys included), the profile, the ``--only`` selection,
   workload and gate options, the known-failures and baseline files. Any problem is a
   ``ConfigError``: one line, exit status 2.
2. :func:`open_run` starts the embedded server if no target was given, checks the
   target is reachable, and yields the run's ``RunContext``; on the way out it always
   cleans up what the run created and records what it could not remove.
3. :func:`run_checks` runs the selected checks in order (:func:`run_check` each),
   telling a :class:`Listener` about each result.
4. :func:`conclude` builds the ``RunReport``, judges it (known failures, baseline with
   the run's own tolerance, interruption) and writes the reports.

SIGINT/SIGTERM during a run stop it between two calls: no further check starts, the
run cleans up, and the report (marked ``interrupted``) says what was done; the exit
status is then 130/143, never 0.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from conformance import activity
from conformance.checks import Check, CheckFailed, NotConfigured, NotOffered, SetupError, Skip
from conformance.context import RunContext
from conformance.options import RunOptions
from conformance.plan import ConfigError, RunPlan, now_utc, prepare
from conformance.reasons import SETUP_NOTE, plain_reason, raised_in_setup
from conformance.report.baseline import regression_records, regression_results
from conformance.report.gate import BaselineComparison, compare_to_baseline, mark_known, unmatched_known
from conformance.report.scrub import known_secrets, redact_problem, redact_result
from conformance.report.verdict import judge, verdict_of, with_verdict
from conformance.results import CheckResult, Figure, Outcome, RunReport, Severity
from conformance.run_record import run_record
from conformance.target import Target, TargetError

# ---- 2. the target, the context, and cleanup that always happens --------------------


@dataclass
class OpenRun:
    """What :func:`open_run` yields: the context, and facts the report needs."""

    ctx: RunContext
    target: Target
    server_version: str = ""


@contextlib.contextmanager
def open_run(plan: RunPlan) -> Iterator[OpenRun]:
    """Start the embedded server (no target given) or check the target answers; always clean up."""
    with contextlib.ExitStack() as stack:
        target, server_version = plan.target, ""
        if target is None:
            target = _start_embedded(plan, stack)
            server_version = _version()
        elif target.embedded:
            server_version = _version()
        else:
            from conformance.preflight import check_target

            try:
                check_target(target)
            except TargetError as exc:  # it may quote the server's answer: redacted like a result
                raise ConfigError(redact_problem(str(exc), known_secrets(target))) from None
        ctx = RunContext(target, read_only=plan.options.read_only, settings=plan.settings)
        stack.callback(_clean_up, ctx)
        yield OpenRun(ctx, target, server_version)


def _start_embedded(plan: RunPlan, stack: contextlib.ExitStack) -> Target:
    """The reference server with every auth scheme the selection needs (a KDC only for AUTH checks)."""
    from conformance.embedded import EmbeddedEnvironment

    auth = any(c.category == "AUTH" for c in plan.checks)
    try:
        environment = stack.enter_context(
            EmbeddedEnvironment(
                faults=plan.options.faults, kerberos=auth, oidc=auth, flavour=plan.options.flavour or "contract"
            )
        )
    except (OSError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"cannot start the embedded reference server: {str(exc).splitlines()[0]}") from None
    return environment.target(plan.profile, plan.overrides)


def _clean_up(ctx: RunContext) -> None:
    """Cancel and delete what the run created (problems land in ``ctx.cleanup_problems``); close clients."""
    try:
        ctx.cleanup()
    except Exception as exc:  # an unreachable target must not hide the report
        problem = f"cleanup could not finish: {plain_reason(exc)}"
        ctx.cleanup_problems.append(redact_problem(problem, ctx.secrets))
    finally:
        ctx.close()


# ---- 3. the checks ----------------------------------------------------------------------


class RunListener(Protocol):
    """What the runner tells about a run as it happens (progress lines, the CLI's verdict, the pytest plugin)."""

    def run_started(self, checks: Sequence[Check]) -> None: ...

    def check_started(self, check: Check, done: int, total: int) -> None: ...

    def check_finished(self, result: CheckResult, done: int, total: int) -> None: ...

    def run_finished(self, report: RunReport, comparison: BaselineComparison | None, folder: Path | None) -> None: ...


class Listener:
    """A RunListener that does nothing; subclass it and override what you need."""

    def run_started(self, checks: Sequence[Check]) -> None: ...

    def check_started(self, check: Check, done: int, total: int) -> None: ...

    def check_finished(self, result: CheckResult, done: int, total: int) -> None: ...

    def run_finished(self, report: RunReport, comparison: BaselineComparison | None, folder: Path | None) -> None: ...


def run_check(check: Check, ctx: RunContext) -> CheckResult:
    """Run one check and record what happened.

    A check the suite could not set up (``SetupError``, or any unexpected exception out of
    a setup helper such as ``ctx.create_queue``) is ``error``: the suite's or the
    environment's problem, not a finding about the server. Any other unexpected exception
    fails the check with its reason (the exception's type goes to the evidence, not the message).
    """
    activity.start_check()  # no phase of the previous check; its time accounts start
    started = time.perf_counter()
    ctx.take_notes()  # what earlier calls (the preflight, another check) noted is not this check's
    outcome, message, evidence = Outcome.PASSED, "", {}
    try:
        why_not = check.not_offered(ctx.target.release) if check.needs() or check.excluded else ""
        if why_not:  # from the check's declarations and the release table: nothing is sent
            raise NotOffered(f"not offered: {why_not} (a build that differs: [target.features])")
        if check.mutating and ctx.read_only:
            raise Skip("mutating check skipped under --read-only")
        if check.intrusive and not ctx.intrusive:
            raise Skip("intrusive check (it may upset or crash a real server): run it with --intrusive")
        note = check.run(ctx)
        message = note if isinstance(note, str) else ""  # e.g. "time budget reached after ..."
    except CheckFailed as exc:
        outcome, message, evidence = Outcome.FAILED, str(exc), exc.evidence
    except NotOffered as exc:
        outcome, message = Outcome.NOT_OFFERED, str(exc)
    except NotConfigured as exc:
        outcome, message = Outcome.NOT_CONFIGURED, str(exc)
    except Skip as exc:
        outcome, message = Outcome.SKIPPED, str(exc)
    except AssertionError as exc:
        outcome, message = Outcome.FAILED, str(exc) or "assertion failed"
    except Exception as exc:
        evidence = {"exception": type(exc).__name__}
        if isinstance(exc, SetupError) or raised_in_setup(exc):
            outcome, message = Outcome.ERROR, f"{SETUP_NOTE}: {plain_reason(exc)}"
        else:
            outcome, message = Outcome.FAILED, f"the check could not complete: {plain_reason(exc)}"
    notes = ctx.take_notes()  # a limit reached or a redirect met is stated in the evidence
    evidence = {**evidence, "limits_reached": notes} if notes else evidence
    took = activity.settle(check.id, time.perf_counter() - started)  # a measurement made for another: its time
    made = _result(check, outcome, message, evidence=evidence, duration_s=round(took, 4))
    return redact_result(made, ctx.secrets)  # at the source: no output ever sees the raw text


def run_checks(plan: RunPlan, ctx: RunContext, listener: RunListener, results: list[CheckResult]) -> None:
    """Run the plan's checks in order, appending to ``results`` (so an interruption keeps what ran)."""
    listener.run_started(plan.checks)
    activity.expect(c.id for c in plan.checks)
    limit, failed = plan.options.failure_limit, 0
    for check in plan.checks:
        if limit is not None and failed >= limit:  # -x / --max-failures: the rest are skipped, and say why
            result = _not_run(
                check,
                f"not run: the run stopped after {failed} failed required check(s) "
                f"({'-x' if plan.options.exitfirst else f'--max-failures {limit}'})",
            )
        else:
            listener.check_started(check, len(results), len(plan.checks))
            result = mark_known(run_check(check, ctx), plan.known)
            failed += result.outcome in (Outcome.FAILED, Outcome.ERROR) and result.severity is Severity.REQUIRED
        results.append(result)
        listener.check_finished(result, len(results), len(plan.checks))


def _not_run(check: Check, why: str) -> CheckResult:
    return _result(check, Outcome.SKIPPED, why)


def _result(check: Check, outcome: Outcome, message: str, **measured: Any) -> CheckResult:
    """A result carrying the check's own facts (ID, requirement, labels) with its outcome."""
    return CheckResult(
        id=check.id,
        category=check.category,
        requirement=check.requirement,
        severity=check.severity,
        outcome=outcome,
        transport=check.transport,
        scheme=check.scheme,
        method=check.method,
        message=message,
        intrusive=check.intrusive,
        **measured,
    )


# ---- 4. the report and the verdict -------------------------------------------------------


def conclude(
    plan: RunPlan,
    results: list[CheckResult],
    *,
    target: Target | None,
    description: dict[str, Any] | None = None,
    figures: Sequence[Figure] = (),
    cleanup_problems: Sequence[str] = (),
    interrupted: str = "",
    server_version: str = "",
    listener: RunListener | None = None,
) -> RunReport:
    """Judge the run and write its reports (unless ``report_dir`` is None); returns the report.

    ``description`` describes the target when this process has no ``Target`` (an xdist controller).
    """
    unmatched = unmatched_known(plan.known, (r.id for r in results))
    description = target.describe() if target else description or {"name": "embedded reference server"}
    intrusive = bool(plan.options.intrusive or (target is not None and target.intrusive))
    report = RunReport(
        target=description,
        profile=plan.profile,
        suite_version=_version(),
        started=plan.started,
        finished=now_utc(),
        machine=_machine(),
        server_version=server_version,
        results=list(results),
        figures=list(figures),
        interrupted=interrupted,
        cleanup_problems=list(cleanup_problems),
        unmatched_known_failures=[k.id for k in unmatched],
        run=run_record(plan, intrusive=intrusive, suite_version=_version(), interrupted=interrupted),
    )
    comparison = None
    if plan.baseline is not None:  # regressions become results of the run, judged once, with the run's tolerance
        comparison = compare_to_baseline(
            report, plan.baseline, tolerance=plan.tolerance, path=plan.options.baseline or ""
        )
        report = dataclasses.replace(
            report,
            results=[*report.results, *regression_results(comparison)],
            regressions=regression_records(comparison),
        )
    report = with_verdict(report, judge(report))  # the one verdict: every writer and the exit status read it
    folder = None
    if plan.options.report_dir is not None:
        from conformance.report.writer import write_reports

        folder = write_reports(
            report, Path(plan.options.report_dir), comparison, known_secrets=target.secrets() if target else ()
        )
    if plan.options.outputs():
        from conformance.report.writer import write_outputs

        write_outputs(report, plan.options.outputs(), comparison, known_secrets=target.secrets() if target else ())
    if listener is not None:
        listener.run_finished(report, comparison, folder)
    return report


def exit_status(report: RunReport) -> int:
    """0 pass, 1 fail or error, 130/143 interrupted by SIGINT/SIGTERM (2 is a ConfigError, before any report)."""
    return verdict_of(report).exit_status


def reasons(report: RunReport, comparison: BaselineComparison | None = None) -> list[str]:
    """Why the gate is red, one line each (empty: green), as the report's verdict holds them."""
    return list(verdict_of(report).reasons)


# ---- the whole run, with signals ---------------------------------------------------------


class Interrupted(BaseException):
    """Raised in the main thread by SIGINT/SIGTERM: stops the current check (not caught as Exception)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


class SignalGuard:
    """SIGINT/SIGTERM interrupt the checks; once cleanup starts they are only noted, so it can finish."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received = ""
        self._shielded = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> SignalGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        name = signal.Signals(signum).name
        self.received = self.received or name
        if not self._shielded:
            self._shielded = True  # the first signal interrupts; any later one must not break cleanup
            raise Interrupted(name)

    def shield(self) -> None:
        self._shielded = True

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def run_suite(
    target: Target | str | Path | None, options: RunOptions, listener: RunListener | None = None
) -> RunReport:
    """Validate, run, clean up, judge and write one conformance run (see the module docstring).

    Raises ``ConfigError`` (exit 2) when the target, configuration or selection is
    unusable; otherwise returns the report, whose ``verdict`` :func:`exit_status` maps to 0/1/130/143.
    """
    listener = listener or Listener()
    plan = prepare(target, options)
    results: list[CheckResult] = []
    opened: OpenRun | None = None
    with SignalGuard() as guard:
        try:
            with open_run(plan) as opened:
                try:
                    run_checks(plan, opened.ctx, listener, results)
                finally:
                    guard.shield()  # from here on a signal only marks the run: cleanup must finish
        except Interrupted:
            pass
        interrupted = guard.received
        ctx = opened.ctx if opened else None
        # still shielded: a signal while the report is judged and written (after the run ended) is only noted
        return conclude(
            plan,
            results,
            target=opened.target if opened else plan.target,
            figures=ctx.figures if ctx else (),
            cleanup_problems=ctx.cleanup_problems if ctx else (),
            interrupted=interrupted,
            server_version=opened.server_version if opened else "",
            listener=listener,
        )


# ---- small facts ------------------------------------------------------------------------


def _version() -> str:
    from reference_server.app import version

    return version()


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "hostname": platform.node(),
    }
