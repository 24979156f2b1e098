"""Removing the run's ledger at the end: cancel its job sets, delete its queues and retry policies.

Everything in the ledger (``conformance.ledger``) is removed, whether or not an answer
said it was created: a request interrupted on the wire, or refused on one release and
accepted on another, may have made it. Problems are reported only for what the run
actually created (an OK answer) or what is still there when looked for: a probe queue
that was never made is not a leftover, and a report must not cry wolf.

Only run-owned names are ever cancelled; a queue or policy with a name the run does not
own (``""``) is in the ledger only if the target lacked it before the run wrote it
(``ForeignName``), so deleting it removes only what the run made.
"""

from __future__ import annotations

import time
from typing import Any

from conformance.retry_policies import remove_run_policies

BUSY = "FAILED_PRECONDITION"  # armada-2023: DeleteQueue of a queue with active jobs (cancels are still landing)


def clean_up(ctx: Any) -> list[str]:
    """Remove the whole ledger; return what the run created and could not remove (never raise)."""
    problems = cancel_job_sets(ctx)
    problems += delete_queues(ctx)
    problems += remove_run_policies(ctx)
    return problems


def cancel_job_sets(ctx: Any) -> list[str]:
    ledger, problems = ctx.ledger, []
    for queue, job_set in ledger.job_sets:
        created = ledger.created("job_set", (queue, job_set))
        if not (ledger.owns(queue) or ledger.owns(job_set)):
            if created:  # never cancel a set others may share: say so instead
                problems.append(f"job set {queue}/{job_set}: not cancelled (its name is not the run's own)")
            ledger.removed("job_set", (queue, job_set))
            continue
        result = ctx.call("Submit/CancelJobs", {"queue": queue, "jobSetId": job_set, "reason": "conformance cleanup"})
        if not result.ok and result.code != "NOT_FOUND" and created:
            problems.append(f"job set {queue}/{job_set}: {result.code} {result.details}")
        ledger.removed("job_set", (queue, job_set))
    return problems


def delete_queues(ctx: Any) -> list[str]:
    ledger, problems = ctx.ledger, []
    if not ledger.queues:
        return []
    delete = ctx.queue_service("DeleteQueue")
    for queue in reversed(ledger.queues):
        result = _delete(ctx, delete, queue)
        if not result.ok and result.code != "NOT_FOUND" and (ledger.created("queue", queue) or _present(ctx, queue)):
            problems.append(f"queue {queue!r}: {result.code} {result.details}")
        ledger.removed("queue", queue)
    return problems


def _delete(ctx: Any, method: str, queue: str) -> Any:
    """DeleteQueue, waiting out armada-2023's refusal while the run's cancellations land."""
    deadline = time.monotonic() + max(1.0, ctx.target.timeout)
    pause = 0.1
    while True:
        result = ctx.call(method, {"name": queue})
        if result.code != BUSY or time.monotonic() + pause > deadline:
            return result
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def _present(ctx: Any, queue: str) -> bool:
    return bool(ctx.call(ctx.queue_service("GetQueue"), {"name": queue}).ok)
