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

from conformance.throughput.consumer import (
    GRPC_METHOD,
    MAX_CAPTURE_BYTES,
    StreamResult,
    StreamSpec,
    id_key,
    thread_clock,
)
from conformance.throughput.h2reader import Call, CallError, Messages
from conformance.throughput.h2socket import connect
from conformance.transport.connection import host_of

READ_SIZE = 1 << 20


class Tally:
    """Checks and counts the messages of one stream; ``take`` says when to stop.

    Consecutive ids (the reference server, and any stored job set replayed from its
    start) are checked a whole batch at a time: the bytes every message must begin
    with (field 1, the id, which a serializer writes first) are made from the
    expected numbers and compared at each message's offset, all inside C loops.
    Any other batch, or one whose check fails, goes message by message, which also
    words the failure.
    """

    def __init__(self, spec: StreamSpec, result: StreamResult) -> None:
        import protos

        self.spec, self.result = spec, result
        self._parse: Callable[[bytes], Any] = protos.message_class("api.EventStreamMessage").FromString
        self._every = 1 if spec.arrivals else max(1, spec.parse_every)
        self._previous: Any = None
        self._ids_at = set(spec.ids_at)

    def take(self, batches: list[Messages], now: float) -> bool:
        result, spec = self.result, self.spec
        for batch in batches:
            size = len(batch)
            if spec.expect:
                size = min(size, spec.expect - result.count)
            if size <= 0:
                break
            if not result.count:
                result.first_at = now
            begin = 0
            if self._previous is None:  # the first message sets where consecutive ids start
                if not self._one_by_one(batch, 0, 1, now):
                    break
                begin = 1
            if begin < size and not (self._bulk(batch, begin, size) or self._one_by_one(batch, begin, size, now)):
                break
            if spec.arrivals:
                result.arrival_times.extend([now] * size)
        if spec.stop_after_submitted and len(result.submitted) >= spec.stop_after_submitted:
            return True
        return bool(spec.expect) and result.count >= spec.expect

    def _bulk(self, batch: Messages, begin: int, end: int) -> bool:
        """Check and count messages ``begin`` to ``end`` of a batch at once; False when that cannot be done."""
        previous, result = self._previous, self.result
        if not self.spec.consecutive_ids or self.spec.arrivals or previous is None:
            return False
        data, starts, ends, first = batch.data, batch.starts[begin:], batch.ends[begin:], previous + 1
        size, done = end - begin, 0
        while done < size:  # one run per number of digits: 99 -> 100 changes the prefix's length byte
            number = first + done
            digits = len(str(number))
            run = min(size - done, 10**digits - number)
            prefix = b"\n" + bytes([digits]) + b"%d"  # tag of field 1, length, the id's digits
            if not all(
                map(data.startswith, map(prefix.__mod__, range(number, number + run)), map((5).__add__, starts[done:]))
            ):
                return False
            done += run
        count, every = result.count, self._every
        for index in range((-count) % every, size, every):  # the stated sample, fully parsed
            message = self._decode(data[starts[index] + 5 : ends[index]], count + index)
            if message is None or message.id != str(first + index):
                return False
        result.parsed += len(range((-count) % every, size, every))
        for position in self._ids_at:
            if count <= position < count + size:
                result.ids_at[position] = str(first + position - count)
        result.count, self._previous = count + size, first + size - 1
        result.last_id = str(first + size - 1)
        return True

    def _one_by_one(self, batch: Messages, begin: int, end: int, now: float) -> bool:
        """Check and count message by message; False once the stream has failed."""
        result, spec = self.result, self.spec
        count, every, previous = result.count, self._every, self._previous
        consecutive = spec.consecutive_ids
        fine = True
        for index in range(begin, end):
            raw = batch[index]
            if len(raw) > 2 and raw[0] == 0x0A and raw[1] < 0x80:  # field 1 (id) first, short: read it in place
                message_id = raw[2 : 2 + raw[1]].decode(errors="replace")
            else:
                parsed = self._decode(raw, count)
                if parsed is None:
                    fine = False
                    break
                message_id = parsed.id
            if count % every == 0 and not self._full(raw, message_id, now, count):
                fine = False
                break
            if consecutive:
                key: Any = int(message_id) if message_id.isdigit() else -1
                in_order = key > 0 and (previous is None or key == previous + 1)
            else:
                key = id_key(message_id)
                in_order = previous is None or key > previous
            if not in_order and not result.id_problem:
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
        result.count, self._previous = count, previous
        return fine

    def _decode(self, raw: bytes, count: int) -> Any:
        """The parsed message, or None with the stream's error set (message ``count + 1`` is not an event)."""
        try:
            return self._parse(raw)
        except Exception as exc:  # protobuf's DecodeError, whichever implementation raised it
            self.result.error = f"INTERNAL: message {count + 1} is not an EventStreamMessage ({exc})"
            return None

    def _full(self, raw: bytes, message_id: str, now: float, count: int) -> bool:
        message = self._decode(raw, count)
        if message is None:
            return False
        self.result.parsed += 1
        if message.id != message_id:
            self.result.error = f"message {count + 1}: parsed id {message.id!r} != {message_id!r}"
            return False
        if self.spec.arrivals and message.message.WhichOneof("events") == "submitted":
            self.result.submitted[message.message.submitted.job_id] = now
        return True


def _call(spec: StreamSpec) -> Call:
    import protos

    request = protos.message_class("api.JobSetRequest")(
        queue=spec.queue, id=spec.job_set, watch=spec.watch, from_message_id=spec.from_message_id
    )
    return Call(spec.authority or spec.address, GRPC_METHOD, request.SerializeToString(), spec.metadata, spec.tls)


class _Stream:
    def __init__(self, spec: StreamSpec, result: StreamResult) -> None:
        self.spec, self.result = spec, result
        self.call = _call(spec)
        self.tally = Tally(spec, result)
        self.captured: list[bytes] = []
        self.buffer = bytearray(READ_SIZE)  # reused by every read: a fresh 1 MiB per recv costs ~100 µs
        self.view = memoryview(self.buffer)
        self.sock: Any = None
        self.last_data = 0.0
        self.ready = bool(spec.ready_path)

    def open(self, now: float) -> None:
        self.result.started = self.last_data = now
        spec = self.spec
        self.sock = connect(
            spec.address,
            spec.tls,
            spec.tls_ca_file,
            spec.tls_insecure,
            timeout=max(spec.idle_timeout, 1.0),
            cert_file=spec.tls_cert_file,
            key_file=spec.tls_key_file,
            server_name=host_of(spec.authority) if spec.authority else None,
        )
        self.sock.sendall(self.call.opening())

    def readable(self, now: float) -> bool:
        """Read what is there; True when this stream is finished."""
        while True:
            size = self.sock.recv_into(self.buffer)
            if not size:
                self.call.closed()
                break
            self.last_data = now
            data = self.view[:size]
            if self.spec.capture and self.result.payload_bytes < MAX_CAPTURE_BYTES:
                self.captured.append(bytes(data))
                self.result.payload_bytes += size
            reply = self.call.feed(data)
            data.release()
            if reply:
                self.sock.sendall(reply)
            batches = self.call.take()
            if self.tally.take(batches, now) or self.result.error:
                return True
            if batches and self.ready:
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
            except CallError as exc:
                stream.result.error = f"{exc.code}: {exc.message}"
                finished = True
            except OSError as exc:
                stream.result.error = f"UNAVAILABLE: {exc}"
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
            tally.take(call.take(), clock())
        best = max(best, probe.count / max(time.thread_time() - started, 1e-9))
    return best
