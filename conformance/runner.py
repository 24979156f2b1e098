"""Run one check against a context and record what happened as a ``CheckResult``.

Shared by the pytest plugin and the project's own fault tests, so a check behaves
the same however it is run. A check that crashes (a bug in the check, a target
answering nonsense) is a failure with its reason, never a lost result.
"""

from __future__ import annotations

import time

from conformance.checks import Check, CheckFailed, NotConfigured, NotOffered, Skip
from conformance.context import RunContext
from conformance.results import CheckResult, Outcome


def run_check(check: Check, ctx: RunContext) -> CheckResult:
    started = time.perf_counter()
    outcome, message, evidence = Outcome.PASSED, "", {}
    try:
        if check.mutating and ctx.read_only:
            raise Skip("mutating check skipped under --read-only")
        check.run(ctx)
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
        outcome, message = Outcome.FAILED, f"the check could not complete: {type(exc).__name__}: {exc}"
    return CheckResult(id=check.id, category=check.category, requirement=check.requirement,
                       severity=check.severity, outcome=outcome, transport=check.transport, scheme=check.scheme,
                       method=check.method, message=message, evidence=evidence,
                       duration_s=round(time.perf_counter() - started, 4))
