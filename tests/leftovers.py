"""What a reference server still holds after a run: the proof that a run leaves nothing.

It reads the server's own state (its store, in this process): every queue, every job
that is not terminal, every retry policy. A server starts empty, so anything there
afterwards is the run's leftover, whether or not the run knew it made it.
Used by tests/cleanup and by the whole-suite runs of tests/eras/test_flavours.py.
"""

from __future__ import annotations

from reference_server.store import Store


def leftovers(store: Store) -> dict[str, list[str]]:
    """What the server holds: queues, non-terminal jobs (by job set), retry policies."""
    return {
        "queues": sorted(store.queues),
        "non-terminal job sets": sorted({f"{r.queue}/{r.job_set_id}" for r in store.jobs.values() if not r.terminal}),
        "retry policies": sorted(store.retry_policies.policies),
    }


NOTHING: dict[str, list[str]] = {"queues": [], "non-terminal job sets": [], "retry policies": []}
