"""Reading GetJobSetEvents streams with ``h2reader``: many streams on one thread, ids checked.

All gRPC streams of a consumer task share one thread and one ``selectors`` loop,
each on its own connection (as separate clients would be): sixteen watchers cost
one thread, not sixteen threads and a GIL hand-off per message. A stream fails on
its own deadline or when no byte came for ``idle_timeout`` seconds, so a slow but
flowing stream on a loaded machine is not cut off by a deadline sized for an idle one.

``Tally`` is what the consumer verifies of every message: its id (field 1, read
straight from the bytes; consecutive against the reference server, strictly
increasing otherwise), the count, and a full protobuf parse of every message or of
one in ``parse_every`` (the figure's details say which), where the parsed id must
agree with the one read from the bytes. The capacity probe replays the captured
socket bytes through a fresh ``Call`` and ``Tally``: the very same path, from memory.
"""

from __future__ import annotations

import selectors
import time
from collections.abc import Callable
from typing import Any

from conformance.throughput.consumer import GRPC_METHOD, StreamResult, StreamSpec, id_key, thread_clock
from conformance.throughput.h2reader import Call, CallError, connect

READ_SIZE = 1 << 20


class Tally:
    """Checks and counts the messages of one stream; ``take`` says when to stop."""

    def __init__(self, spec: StreamSpec, result: StreamResult) -> None:
        import protos

        self.spec, self.result = spec, result
        self._parse: Callable[[bytes], Any] = protos.message_class("api.EventStreamMessage").FromString
        self._every = 1 if spec.arrivals else max(1, spec.parse_every)
        self._previous: Any = None
        self._ids_at = set(spec.ids_at)

    def take(self, messages: list[bytes], now: float) -> bool:
        result, spec = self.result, self.spec
        if not messages:
            return False
        if not result.count:
            result.first_at = now
        count, every, previous = result.count, self._every, self._previous
        consecutive = spec.consecutive_ids
        for raw in messages:
            if len(raw) > 2 and raw[0] == 0x0A and raw[1] < 0x80:  # field 1 (id) first, short: read it in place
                message_id = raw[2 : 2 + raw[1]].decode()
            else:
                message_id = self._parse(raw).id
            if count % every == 0 and not self._full(raw, message_id, now):
                break
            if consecutive:
                key: Any = int(message_id) if message_id.isdigit() else -1
                fine = key > 0 and (previous is None or key == previous + 1)
            else:
                key = id_key(message_id)
                fine = previous is None or key > previous
            if not fine and not result.id_problem:
                result.increasing = False
                result.id_problem = f"message {count + 1} has id {message_id!r} after {result.last_id!r}" + (
                    " (ids of this server are consecutive)" if consecutive else ""
                )
            if count == 0:
                result.first_id = message_id
            if count in self._ids_at:
                result.ids_at[count] = message_id
            previous, count = key, count + 1
            result.last_id = message_id
            if spec.expect and count >= spec.expect:
                break
        result.count, self._previous = count, previous
        if spec.arrivals:
            result.arrival_times.extend([now] * len(messages))
        if spec.stop_after_submitted and len(result.submitted) >= spec.stop_after_submitted:
            return True
        return bool(spec.expect) and count >= spec.expect

    def _full(self, raw: bytes, message_id: str, now: float) -> bool:
        message = self._parse(raw)
        self.result.parsed += 1
        if message.id != message_id:
            self.result.error = f"message {self.result.count + 1}: parsed id {message.id!r} != {message_id!r}"
            return False
        if self.spec.arrivals and message.message.WhichOneof("events") == "submitted":
            self.result.submitted[message.message.submitted.job_id] = now
        return True


def _call(spec: StreamSpec) -> Call:
    import protos

    request = protos.message_class("api.JobSetRequest")(
        queue=spec.queue, id=spec.job_set, watch=spec.watch, from_message_id=spec.from_message_id
    )
    return Call(spec.address, GRPC_METHOD, request.SerializeToString(), spec.metadata, spec.tls)


class _Stream:
    def __init__(self, spec: StreamSpec, result: StreamResult) -> None:
        self.spec, self.result = spec, result
        self.call = _call(spec)
        self.tally = Tally(spec, result)
        self.captured: list[bytes] = []
        self.sock: Any = None
        self.last_data = 0.0
        self.ready = bool(spec.ready_path)

    def open(self, now: float) -> None:
        self.result.started = self.last_data = now
        self.sock = connect(
            self.spec.address,
            self.spec.tls,
            self.spec.tls_ca_file,
            self.spec.tls_insecure,
            timeout=max(self.spec.idle_timeout, 1.0),
        )
        self.sock.sendall(self.call.opening())

    def readable(self, now: float) -> bool:
        """Read what is there; True when this stream is finished."""
        while True:
            data = self.sock.recv(READ_SIZE)
            if not data:
                self.call.closed()
                break
            self.last_data = now
            if self.spec.capture:
                self.captured.append(data)
                self.result.payload_bytes += len(data)
            reply = self.call.feed(data)
            if reply:
                self.sock.sendall(reply)
            messages, self.call.messages = self.call.messages, []
            if self.tally.take(messages, now) or self.result.error:
                return True
            if messages and self.ready:
                self.ready = False
                with open(self.spec.ready_path, "w"):
                    pass
            if self.call.done or not getattr(self.sock, "pending", lambda: 0)():
                break
        if self.call.done:
            error = self.call.error()
            if error is not None:
                self.result.error = f"{error.code}: {error.message}"
            return True
        return False

    def finish(self, now: float) -> None:
        self.result.ended = now if not self.result.count or not self.result.ended else self.result.ended
        if self.sock is not None:
            self.sock.close()


def read_grpc_streams(specs: list[StreamSpec]) -> list[StreamResult]:
    """Read every spec concurrently on this thread; never raises (failures are ``result.error``)."""
    results = [StreamResult() for _ in specs]
    streams = [_Stream(spec, result) for spec, result in zip(specs, results, strict=True)]
    start_at = min((s.start_at for s in specs), default=0.0)
    if start_at:
        time.sleep(max(0.0, start_at - time.monotonic()))
    cpu_before, delay_before = thread_clock()
    with selectors.DefaultSelector() as selector:
        for stream in streams:
            try:
                stream.open(time.monotonic())
                selector.register(stream.sock, selectors.EVENT_READ, stream)
            except (OSError, CallError) as exc:
                stream.result.error = f"UNAVAILABLE: cannot open the stream: {exc}"
                stream.finish(time.monotonic())
        _loop(selector)
    cpu_after, delay_after = thread_clock()
    for stream in streams:  # one thread read them all: each gets its share
        stream.result.thread_cpu_s = (cpu_after - cpu_before) / len(streams)
        stream.result.run_delay_s = (delay_after - delay_before) / len(streams)
        if stream.spec.capture and stream.result.count and not stream.result.error:
            stream.result.capacity_eps = capacity(stream.spec, stream.captured)
    return results


def _loop(selector: selectors.BaseSelector) -> None:
    while selector.get_map():
        now = time.monotonic()
        running = [key.data for key in selector.get_map().values()]
        wait = min(_time_left(s, now) for s in running)
        for key, _ in selector.select(timeout=max(0.0, wait)):
            stream = key.data
            now = time.monotonic()
            try:
                finished = stream.readable(now)
            except (OSError, CallError) as exc:
                stream.result.error = f"{getattr(exc, 'code', 'UNAVAILABLE')}: {exc}"
                finished = True
            if not stream.result.ended or stream.result.count:
                stream.result.ended = now
            if finished:
                selector.unregister(stream.sock)
                stream.finish(now)
        now = time.monotonic()
        for stream in [key.data for key in selector.get_map().values()]:
            if _time_left(stream, now) <= 0:
                stream.result.error = (
                    "DEADLINE_EXCEEDED: "
                    + (
                        f"no data for {stream.spec.idle_timeout:g} s"
                        if now - stream.last_data >= stream.spec.idle_timeout
                        else f"the stream took longer than its deadline of {stream.spec.timeout:g} s"
                    )
                    + f" after {stream.result.count} events"
                )
                selector.unregister(stream.sock)
                stream.finish(now)


def _time_left(stream: _Stream, now: float) -> float:
    idle = stream.spec.idle_timeout or stream.spec.timeout
    return min(stream.last_data + idle, stream.result.started + stream.spec.timeout) - now


def capacity(spec: StreamSpec, captured: list[bytes], rounds: int = 3) -> float:
    """Events per CPU-second of this consumer's whole parsing path (HTTP/2 frames, gRPC framing, ids,
    parses) on the captured socket bytes, from memory; best of ``rounds``. CPU time, not wall time:
    other processes taking turns on the machine must not make the client look slower than it is."""
    best = 0.0
    for _ in range(rounds):
        call, probe = _call(spec), StreamResult()
        tally = Tally(spec, probe)
        call.opening()
        clock = time.monotonic
        started = time.thread_time()
        for data in captured:
            call.feed(data)
            messages, call.messages = call.messages, []
            tally.take(messages, clock())
        best = max(best, probe.count / max(time.thread_time() - started, 1e-9))
    return best
