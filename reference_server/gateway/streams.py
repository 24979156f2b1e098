"""Server streams over REST: one ``{"result": ...}`` line per message, then maybe an error line.

Messages arrive as raw bytes (identity deserializer) and become JSON lines through
an LRU cache keyed by those bytes: the event log is immutable, so a replayed job set
costs a hash lookup per event. A reader task (the pump) queues lines while the
writer sends every line already received in one ``write``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable
from typing import Any

import grpc
from aiohttp import web

import protos
from reference_server.gateway.wire import wire_fields
from reference_server.json_codec import JsonCodec

LineEncoder = Callable[[bytes], bytes]

EVENTS_PATH = "/api.Event/GetJobSetEvents"
# The same stream in batches (protos/reference/gateway_events.proto): same guard, same events, fewer reads.
BATCHED_EVENTS_PATH = "/reference.GatewayEvents/GetJobSetEvents"
_STREAM_CACHE_SIZE = 65536
_DISCONNECT_POLL_S = 0.25
# A writer that finds fewer lines than this waits _COALESCE_S for more: one write
# per few dozen events during a replay, and a watcher still sees each event within ms.
_BATCH_LINES = 64
_COALESCE_S = 0.002
# Backpressure: the pump stops reading gRPC while this much is queued for a writer that is
# blocked on a slow HTTP reader, so gRPC flow control holds the rest at the server. Memory
# per stream stays below this plus one batch of the event log (256 events).
HIGH_WATER_BYTES = 256 * 1024


class LineEncoders:
    """Raw message bytes -> ``{"result": ...}\\n``, memoised per output type (a pure function of the bytes)."""

    def __init__(self, codec: JsonCodec) -> None:
        self.codec = codec
        self._encoders: dict[str, LineEncoder] = {}

    def for_route(self, route: protos.HttpRoute) -> LineEncoder:
        name = route.method.output_type.full_name
        if name not in self._encoders:
            message_class = protos.message_class(name)
            codec = self.codec

            @functools.lru_cache(maxsize=_STREAM_CACHE_SIZE)
            def encode(raw: bytes) -> bytes:
                result = codec.dumps(message_class.FromString(raw))
                return b'{"result":' + result.encode() + b"}\n"

            self._encoders[name] = encode
        return self._encoders[name]


def grpc_stream_path(route: protos.HttpRoute) -> tuple[str, bool]:
    """The gRPC method the gateway calls for a streaming route, and whether it answers in batches."""
    batched = route.grpc_path == EVENTS_PATH
    return (BATCHED_EVENTS_PATH if batched else route.grpc_path), batched


class StreamPump:
    """Reads a gRPC stream in its own task and queues encoded lines for the writer.

    The writer takes *everything* queued at each wake-up, so a fast server's
    messages leave in few large writes while a slow (watching) stream still sends
    each line as soon as it arrives. A timer checks every quarter second whether
    the HTTP client has gone and then cancels the gRPC call: aiohttp does not
    cancel handlers on disconnect by default, and a watching stream may be idle.

    Backpressure (issue 13 item 2): once ``HIGH_WATER_BYTES`` are queued the pump
    waits for the writer to take them; a writer blocked by a reader that stopped
    reading therefore stops the pump, instead of the pump buffering the whole job set.
    ``peak_bytes`` records the most it ever held (the tests' measured ceiling).
    """

    def __init__(
        self, call: grpc.aio.UnaryStreamCall, encode: LineEncoder, request: web.Request, batched: bool = False
    ) -> None:
        self.batched = batched  # each gRPC message is a reference.EventBatch of many events
        self.call = call
        self.encode = encode
        self.request = request
        self.pending: list[bytes] = []
        self.pending_bytes = 0
        self.peak_bytes = 0
        self._space = asyncio.Event()
        self._space.set()
        self.error: grpc.aio.AioRpcError | None = None
        self.initial_metadata: Any = ()
        self.finished = False
        self.disconnected = False
        self._loop = asyncio.get_running_loop()
        self._waiter: asyncio.Future[None] | None = None
        self.task = asyncio.ensure_future(self._run())
        self._timer = self._loop.call_later(_DISCONNECT_POLL_S, self._check_client)

    async def _run(self) -> None:
        encode, pending, call = self.encode, self.pending, self.call
        try:
            self.initial_metadata = await call.initial_metadata()
            async for raw in call:
                lines = (
                    [encode(event) for number, event in wire_fields(raw) if number == 1]
                    if self.batched
                    else [encode(raw)]
                )
                pending.extend(lines)
                self.pending_bytes += sum(map(len, lines))
                self.peak_bytes = max(self.peak_bytes, self.pending_bytes)
                waiter = self._waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
                if self.pending_bytes >= HIGH_WATER_BYTES:
                    self._space.clear()
                    await self._space.wait()  # the writer is behind: read no more until it catches up
        except grpc.aio.AioRpcError as exc:
            self.error = exc
            self.initial_metadata = _safe_initial_metadata(exc)
        except asyncio.CancelledError:
            pass
        finally:
            self.finished = True
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _check_client(self) -> None:
        if self.finished:
            return
        if _client_gone(self.request):
            self.disconnected = True
            self.call.cancel()
            self._space.set()
            self._wake()
            return
        self._timer = self._loop.call_later(_DISCONNECT_POLL_S, self._check_client)

    def close(self) -> None:
        self._timer.cancel()
        self.call.cancel()
        self.task.cancel()

    async def take(self) -> tuple[list[bytes], grpc.aio.AioRpcError | None]:
        """Wait for lines or the end; give back all queued lines, and the error once ended."""
        if not self.pending and not self.finished and not self.disconnected:
            self._waiter = self._loop.create_future()
            await self._waiter
            self._waiter = None
        if len(self.pending) < _BATCH_LINES and not self.finished and not self.disconnected:
            await asyncio.sleep(_COALESCE_S)  # let a replay's next lines join this write
        if self.disconnected:
            return [], None
        lines = self.pending[:]
        self.pending.clear()
        self.pending_bytes = 0
        self._space.set()
        return lines, (self.error if self.finished else None)


async def write_lines(
    response: web.StreamResponse,
    pump: StreamPump,
    lines: list[bytes],
    error: Any,
    error_line: Callable[[Any], bytes],
    inject: Callable[[], Any] | None = None,
) -> None:
    """Write the queued lines as they come, then the error line if the stream failed.

    ``inject`` (a fault) ends the stream with its error right after the first write.
    A client that leaves mid-stream is told nothing more; the pump cancels the gRPC call.
    """
    with contextlib.suppress(ConnectionResetError):
        while True:
            if lines:
                await response.write(b"".join(lines))
                if inject is not None:
                    error = inject()
                    break
            if pump.finished and not pump.pending:
                error = error or pump.error
                break
            lines, error = await pump.take()
            if pump.disconnected:
                return
        if error is not None:
            await response.write(error_line(error))
        await response.write_eof()


def _safe_initial_metadata(exc: Any) -> Any:
    try:
        return exc.initial_metadata()
    except Exception:
        return ()


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
