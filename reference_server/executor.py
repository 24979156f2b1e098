"""A simulated executor: it moves every job through an Armada job's life, in events.

leased -> pending -> running -> succeeded, one step per ``pace`` seconds (0 by
default: the whole life happens at submission, so tests are fast). What a job's
container runs decides how it ends (``exits.py``): ``false`` fails it, ``sleep N``
keeps it running N seconds. Each lease opens a run; the run's id is the
``kubernetes_id`` of its later events, as in Armada. Jobs of a
cordoned queue stay queued until the queue is uncordoned, which is also how a test
can hold jobs still (to cancel them, or to count them in GetQueueInfo). A job that
asks for more CPU than the simulated cluster has is failed as Rejected where the
release's scheduler does that, else it stays queued as unschedulable
(``scheduling.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable, Iterator
from typing import Any

from reference_server.scheduling import CLUSTER, CLUSTER_CPU, NODE, POOL, fits, rejection_reason
from reference_server.store import JobRecord, Store

__all__ = ["CLUSTER", "CLUSTER_CPU", "NODE", "POOL", "Executor"]
_REJECTED = 4  # api.Cause.Rejected


class Executor:
    def __init__(self, store: Store, pace_seconds: float = 0.0) -> None:
        self.store = store
        self.pace = pace_seconds
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, records: Iterable[JobRecord]) -> None:
        """Start the life of each queued job whose queue is not cordoned."""
        for record in records:
            queue = self.store.queues.get(record.queue)
            if record.state != "QUEUED" or queue is None:
                continue
            if not fits(record.cpu):
                checked = not queue.cordoned or not self.store.flavour.has("cordon_skips_submit_check")
                if self.store.flavour.has("scheduler_rejects") and checked:
                    self._reject(record)
                continue
            if queue.cordoned:
                continue  # a cordoned queue's jobs wait, queued
            steps = self._steps(record)
            if self.pace > 0:
                self._spawn(self._paced(steps, 0.0))
                continue
            for delay in steps:  # at once, up to a step that takes time (a sleeping container)
                if delay > 0:
                    self._spawn(self._paced(steps, delay))
                    break

    def _reject(self, record: JobRecord) -> None:
        """The scheduler's submit check fails the job: terminal, cause Rejected, never leased."""
        record.state = "REJECTED"
        self.store.emit(
            record,
            "failed",
            reason=rejection_reason(record.cpu),
            cause=_REJECTED,
            failure_category="internal",
            failure_subcategory="job-rejected",
        )

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def release_queue(self, queue: str) -> None:
        """An uncordoned queue's waiting jobs start running."""
        self.run([r for r in self.store.jobs_of_queue(queue) if r.state == "QUEUED"])

    async def _paced(self, steps: Iterator[float], first: float) -> None:
        if first > 0:
            await asyncio.sleep(first)
        for delay in steps:
            await asyncio.sleep(max(delay, self.pace))

    def _steps(self, record: JobRecord) -> Iterator[float]:
        """One generator step per life event, yielding the seconds until the next one; stops if the
        job ended meanwhile (cancelled, preempted)."""
        pod = f"armada-{record.id}-0"
        if record.state != "QUEUED" or self.store.queues.get(record.queue) is None:
            return
        run = self.store.start_run(record)
        on_pod = {"cluster_id": CLUSTER, "kubernetes_id": run, "pod_name": pod, "pod_namespace": record.namespace}
        end: tuple[str, str, dict[str, Any]] = ("SUCCEEDED", "succeeded", {**on_pod, "node_name": NODE})
        if record.exit_code:
            end = (
                "FAILED",
                "failed",
                {
                    **on_pod,
                    "node_name": NODE,
                    "exit_codes": {"main": record.exit_code},
                    "reason": f"a container exited with code {record.exit_code}",
                },
            )
        steps = [
            ("LEASED", "leased", {"cluster_id": CLUSTER, "pool": POOL}, 0.0),
            ("PENDING", "pending", {**on_pod, "pool": POOL}, 0.0),
            ("RUNNING", "running", {**on_pod, "node_name": NODE, "pool": POOL}, record.runs_for),
            (*end, 0.0),
        ]
        if record.pod_error:  # the cluster refuses to create the pod: the run fails once leased
            refused = {**on_pod, "reason": f'Pod "{pod}" is invalid: {record.pod_error}'}
            steps = [steps[0], ("FAILED", "failed", refused, 0.0)]
        for state, kind, fields, delay in steps:
            if record.terminal:
                return
            record.state = state
            self.store.emit(record, kind, **fields)
            yield delay

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
