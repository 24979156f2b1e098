"""How a run was made, as its report records it (``RunReport.run``, schema 1.3).

A verdict is only as good as the run behind it: which checks were selected, whether
``--read-only`` or ``--intrusive`` was on, the baseline and tolerance it was gated
with, where its known failures came from, the schemathesis seed, the profile, the
suite's version and whether it was interrupted. Every report format shows this
record (junit.xml as properties); ``report --regate`` adds what it re-gated with.
"""

from __future__ import annotations

from typing import Any

from conformance.plan import RunPlan, now_utc
from conformance.report.record import known_failures_source

__all__ = ["known_failures_source", "run_record"]


def run_record(plan: RunPlan, *, intrusive: bool, suite_version: str, interrupted: str) -> dict[str, Any]:
    """The record of a run made from ``plan``."""
    options = plan.options
    baseline = (
        {"path": options.baseline, "started": plan.baseline.started, "tolerance": plan.tolerance}
        if plan.baseline is not None
        else None
    )
    return {
        "selection": {
            "only": list(options.only),
            "exclude": list(options.exclude),
            "checks": len(plan.checks),
            "stop_after_failures": options.failure_limit,
        },
        "read_only": options.read_only,
        "intrusive": intrusive,
        "baseline": baseline,
        "known_failures": known_failures_source(options.known_failures),
        "seed": options.seed,
        "profile": plan.profile,
        "suite_version": suite_version,
        "interrupted": interrupted,
        "faults": list(options.faults),
        "gated": {"by": "run", "at": now_utc()},
    }
