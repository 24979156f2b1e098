"""armada-2026's queue cache: submit and event streams see queues as of the last refresh.

Current Armada reads queues for ``SubmitJobs`` and ``GetJobSetEvents`` from a cache
it refreshes every 10 s, so right after ``CreateQueue`` a submit is refused
(PERMISSION_DENIED) and an event stream answers NOT_FOUND until the next refresh.
Clients must wait for a new queue to become usable; this cache makes that wait
real, on a shorter (configurable) period. The refresh runs on a timer task, not on
demand, so the delay a client sees is as arbitrary as against Armada.
"""

from __future__ import annotations

import asyncio
import contextlib

import grpc

from reference_server.errors import ApiError, not_found
from reference_server.store import Store


class QueueCache:
    def __init__(self, store: Store, refresh_s: float) -> None:
        self.store = store
        self.refresh_s = refresh_s
        self.known: frozenset[str] = frozenset(store.queues)
        self._task: asyncio.Task[None] | None = None

    def refresh(self) -> None:
        self.known = frozenset(self.store.queues)

    async def start(self) -> None:
        self.refresh()
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            self.refresh()

    def require_for_submit(self, name: str) -> None:
        if name and name not in self.known:
            raise ApiError(grpc.StatusCode.PERMISSION_DENIED, f'could not find queue "{name}"')  # Armada's words

    def require_for_events(self, name: str) -> None:
        if name and name not in self.known:
            raise not_found(f"[GetJobSetEvents] Queue {name} does not exist")  # Armada's words: a cache miss is absent
