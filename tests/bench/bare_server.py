"""A bare gRPC stream of pre-built bytes: the yardstick the reference server's replay is measured against.

A ``grpc.aio`` server on its own loop and thread, exactly like the reference server,
serving ``api.Event/GetJobSetEvents`` by writing the very same serialized
``EventStreamMessage`` bytes and doing nothing else. Shared by the replay benchmark
and the reference-server targets benchmark.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import grpc

import protos

JobSetRequest = protos.message_class("api.JobSetRequest")


class BareServer:
    """A grpc.aio server on its own loop and thread that streams pre-built bytes, nothing else."""

    def __init__(self, payload: list[bytes]) -> None:
        self.payload = payload
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bare-grpc", daemon=True)
        self._server: grpc.aio.Server | None = None

    async def _replay(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        for message in self.payload:
            yield message

    async def _start(self) -> None:
        self._server = grpc.aio.server()
        handler = grpc.unary_stream_rpc_method_handler(
            self._replay, request_deserializer=JobSetRequest.FromString, response_serializer=lambda b: b
        )
        self._server.add_generic_rpc_handlers(
            [grpc.method_handlers_generic_handler("api.Event", {"GetJobSetEvents": handler})]
        )
        self.port = self._server.add_insecure_port("127.0.0.1:0")
        await self._server.start()

    def __enter__(self) -> BareServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=30)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._server.stop(None), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
