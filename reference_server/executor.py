"""A simulated executor: it moves every job through an Armada job's life, in events.

leased -> pending -> running -> succeeded, one step per ``pace`` seconds (0 by
default: the whole life happens at submission, so tests are fast). Jobs of a
cordoned queue stay queued until the queue is uncordoned, which is also how a test
can hold jobs still (to cancel them, or to count them in GetQueueInfo). So do jobs
that ask for more CPU than the simulated cluster has, as on a real cluster, where
they stay queued as unschedulable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from reference_server.store import JobRecord, Store

CLUSTER = "reference-cluster"
CLUSTER_CPU = 1024.0      # cores; a job asking for more is never leased
NODE = "reference-node"
POOL = "default"


class Executor:
    def __init__(self, store: Store, pace_seconds: float = 0.0) -> None:
        self.store = store
        self.pace = pace_seconds
        self._tasks: set[asyncio.Task[None]] = set()

    def run(self, records: Iterable[JobRecord]) -> None:
        """Start the life of each queued job whose queue is not cordoned."""
        for record in records:
            if record.state != "QUEUED" or self.store.queues[record.queue].cordoned:
                continue
            if record.cpu > CLUSTER_CPU:
                continue
            if self.pace <= 0:
                for _ in self._steps(record):
                    pass
            else:
                task = asyncio.get_running_loop().create_task(self._paced(record))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def release_queue(self, queue: str) -> None:
        """An uncordoned queue's waiting jobs start running."""
        self.run([r for r in self.store.jobs_of_queue(queue) if r.state == "QUEUED"])

    async def _paced(self, record: JobRecord) -> None:
        for _ in self._steps(record):
            await asyncio.sleep(self.pace)

    def _steps(self, record: JobRecord):
        """One generator step per life event; stops if the job ended meanwhile (cancelled, preempted)."""
        pod = f"armada-{record.id}-0"
        steps = [
            ("LEASED", "leased", {"cluster_id": CLUSTER, "pool": POOL}),
            ("PENDING", "pending", {"cluster_id": CLUSTER, "kubernetes_id": record.id, "pod_name": pod,
                                    "pod_namespace": record.namespace, "pool": POOL}),
            ("RUNNING", "running", {"cluster_id": CLUSTER, "kubernetes_id": record.id, "node_name": NODE,
                                    "pod_name": pod, "pod_namespace": record.namespace, "pool": POOL}),
            ("SUCCEEDED", "succeeded", {"cluster_id": CLUSTER, "kubernetes_id": record.id, "node_name": NODE,
                                        "pod_name": pod, "pod_namespace": record.namespace}),
        ]
        for state, kind, fields in steps:
            if record.terminal or (state == "LEASED" and self.store.queues.get(record.queue) is None):
                return
            record.state = state
            self.store.emit(record, kind, **fields)
            yield

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

