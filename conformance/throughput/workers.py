"""A pool of spawned consumer processes.

Consumers never run in the suite's own process: with the embedded target the
reference server lives there too, and a consumer sharing its GIL would measure the
two fighting. Spawned (not forked) because the suite process has gRPC threads.
Each task is a list of streams read concurrently by threads of one worker; the
pool is sized for the largest number of simultaneous tasks and shut down with the
run's context.

Ctrl-C belongs to the suite's process alone: the workers are spawned with SIGINT
blocked (the mask survives exec), so a Ctrl-C in the terminal's process group never
reaches them (no "Fatal Python error: init_import_site ... KeyboardInterrupt" from
one starting up, no traceback from one reading); the run stops them itself when it
closes: terminated, not waited for, so an interrupted measurement ends at once.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_all

from conformance.throughput.consumer import StreamSpec, TaskResult, run_streams, warm_up


class Workers:
    def __init__(self, processes: int) -> None:
        self.processes = max(1, processes)
        self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))
        with sigint_blocked():  # each submit may spawn a worker: it starts with SIGINT blocked
            futures = [self._pool.submit(warm_up) for _ in range(self.processes)]
        wait_all(futures, timeout=120)
        for future in futures:
            future.result(timeout=1)

    def run(self, groups: list[list[StreamSpec]], timeout: float) -> list[TaskResult]:
        """Each group on one worker, all at once; results in the order of ``groups``."""
        if len(groups) > self.processes:
            raise ValueError(f"{len(groups)} concurrent tasks for {self.processes} worker processes")
        with sigint_blocked():
            futures = [self._pool.submit(run_streams, group) for group in groups]
        return [future.result(timeout=timeout) for future in futures]

    def submit(self, group: list[StreamSpec]) -> Future[TaskResult]:
        """Start one task and return at once (the live workload submits jobs meanwhile)."""
        with sigint_blocked():
            return self._pool.submit(run_streams, group)

    def close(self) -> None:
        """Stop the workers now: a stream still being read (the run was interrupted) is not waited for."""
        # ProcessPoolExecutor has no public way to stop running tasks; its processes are in _processes.
        for process in list(getattr(self._pool, "_processes", {}).values()):
            with contextlib.suppress(OSError, AttributeError):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """SIGINT blocked in this thread meanwhile: a process spawned now inherits the mask; a Ctrl-C waits, not lost."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def spread(specs: list[StreamSpec], processes: int) -> list[list[StreamSpec]]:
    """Round-robin ``specs`` over at most ``processes`` groups."""
    groups: list[list[StreamSpec]] = [[] for _ in range(max(1, min(processes, len(specs))))]
    for n, spec in enumerate(specs):
        groups[n % len(groups)].append(spec)
    return groups
