"""Run the reference server on its own event loop in a background thread.

Synchronous code (pytest suites, the conformance command line) needs a live server
without becoming async itself. The thread owns the loop; ``start`` returns once
both listeners are up, and ``stop`` shuts them down and joins the thread, so
nothing is left running.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from reference_server.app import ReferenceServer
from reference_server.config import ServerConfig


class BackgroundServer:
    def __init__(self, config: ServerConfig | None = None) -> None:
        self.server = ReferenceServer(config)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="armada-reference-server", daemon=True)

    @property
    def grpc_target(self) -> str:
        return self.server.grpc_target

    @property
    def rest_url(self) -> str:
        return self.server.rest_url

    def start(self) -> BackgroundServer:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=30)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
