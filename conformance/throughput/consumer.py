"""What one consumer process does: read event streams, check every message, time it.

Runs in spawned worker processes (see ``workers``), so everything here is a plain
picklable value or a top-level function. gRPC streams are read by ``grpc_stream``
(our own HTTP/2 reader, all streams of a task on one thread); REST streams here, as
the response body's chunks, each line parsed with ``json.loads`` as a real client
must. Both check that ids increase and count every event.

The capacity probe replays the *same* captured bytes through the same parsing path
from memory: no network, no server. That is the fastest this client can consume
these messages; a measured rate close to it says the client, not the target, set
the pace, so the figure is only a lower bound of the target's rate.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_LINE_BYTES = 16 * 1024 * 1024  # one REST stream line (as transport.bounds; imported lazily there)
MAX_CAPTURE_BYTES = 256 * 1024 * 1024  # raw bytes kept for the capacity probe; past it, only the first part

GRPC_METHOD = "/api.Event/GetJobSetEvents"
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class StreamSpec:
    """One GetJobSetEvents stream to read: where, what, and when to stop."""

    transport: str  # "grpc" or "rest"
    address: str  # host:port for gRPC, base URL for REST
    queue: str
    job_set: str
    metadata: tuple[tuple[str, str], ...] = ()  # gRPC metadata (REST: sent as headers)
    watch: bool = False
    from_message_id: str = ""
    expect: int = 0  # stop after this many events (0: read to the end)
    stop_after_submitted: int = 0  # live: stop once this many `submitted` events came
    timeout: float = 60.0  # deadline of the whole stream
    idle_timeout: float = 0.0  # fail after this long without a byte (0: only the deadline)
    consecutive_ids: bool = False  # ids are 1, 2, 3, ... (the reference server); else only increasing
    parse_every: int = 1  # gRPC: fully parse one message in this many (every one with arrivals)
    start_at: float = 0.0  # time.monotonic() to start at: a shared start line
    ready_path: str = ""  # created when the first message has arrived
    capture: bool = False  # keep the raw bytes, then run the decode-capacity probe
    arrivals: bool = False  # keep each event's arrival time and submitted job ids
    ids_at: tuple[int, ...] = ()  # return the ids of these positions (0-based)
    tls_ca_file: str | None = None
    tls_insecure: bool = False
    tls: bool = False
    tls_cert_file: str | None = None  # a client certificate (PEM), for targets that want mTLS
    tls_key_file: str | None = None  # its key, when not in the certificate's file
    authority: str | None = None  # :authority / Host, and the TLS server name (None: the address's)


@dataclass
class StreamResult:
    """What a consumer saw; times are ``time.monotonic()`` (system-wide on Linux)."""

    count: int = 0
    first_id: str = ""
    last_id: str = ""
    increasing: bool = True  # every id greater than the one before (no duplicate)
    id_problem: str = ""  # the first id out of order, in words
    parsed: int = 0  # messages fully parsed (gRPC: every one or a stated sample)
    started: float = 0.0  # the stream was opened
    first_at: float = 0.0  # its first message arrived
    ended: float = 0.0  # its last message arrived (or it ended)
    thread_cpu_s: float = 0.0  # CPU of the consuming thread while it read (its share of it)
    run_delay_s: float = 0.0  # time that thread waited for a CPU (another process had it)
    error: str = ""  # how the stream failed, if it did
    ids_at: dict[int, str] = field(default_factory=dict)
    arrival_times: list[float] = field(default_factory=list)
    submitted: dict[str, float] = field(default_factory=dict)  # job id -> arrival of its `submitted`
    capacity_eps: float = 0.0  # decode capacity on the same bytes, events/s (0: not probed)
    payload_bytes: int = 0

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)


@dataclass
class TaskResult:
    """One worker task: its streams (each with its reading thread's CPU, see ``thread_clock``)."""

    streams: list[StreamResult]


def thread_clock() -> tuple[float, float]:
    """(CPU seconds, seconds spent runnable but waiting for a CPU) of the calling thread.

    Linux's schedstat tells the two apart: a consumer that is either running or
    waiting for a core was never waiting for data, so the client (or the machine),
    not the target, set the pace. Elsewhere the wait is unknown (0).
    """
    try:
        with open("/proc/thread-self/schedstat") as stat:
            running_ns, waiting_ns = stat.read().split()[:2]
        return int(running_ns) / 1e9, int(waiting_ns) / 1e9
    except (OSError, ValueError):
        return time.thread_time(), 0.0


def id_key(message_id: str) -> tuple[int, ...]:
    """Order of opaque ids: the reference server's are integers, Armada's are digit groups."""
    if message_id.isdigit():
        return (int(message_id),)
    return tuple(int(d) for d in _DIGITS.findall(message_id)) or (-1,)


class Decoder:
    """Parses raw stream items and keeps the tallies; ``feed`` says when to stop."""

    def __init__(self, spec: StreamSpec, result: StreamResult) -> None:
        import protos

        self.spec = spec
        self.result = result
        self._message = protos.message_class("api.EventStreamMessage")
        self._previous: tuple[int, ...] = ()
        self._buffer = b""
        self._ids_at = set(spec.ids_at)
        self._submitted_wanted = spec.stop_after_submitted

    def _one(self, message_id: str, submitted_job: str | None, now: float) -> bool:
        result = self.result
        if result.count == 0:
            result.first_id = message_id
            result.first_at = now
        if result.count in self._ids_at:
            result.ids_at[result.count] = message_id
        key = id_key(message_id)
        if key <= self._previous:
            result.increasing = False
        self._previous = key
        result.last_id = message_id
        result.count += 1
        if self.spec.arrivals:
            result.arrival_times.append(now)
            if submitted_job is not None:
                result.submitted[submitted_job] = now
        if self._submitted_wanted and len(result.submitted) >= self._submitted_wanted:
            return True
        return bool(self.spec.expect) and result.count >= self.spec.expect

    def feed_rest(self, chunk: bytes, now: float) -> bool:
        """A piece of the REST body: complete lines are parsed, the rest waits for more.

        The lines of a chunk are parsed as one JSON array (one call into the C parser,
        not one per line); unless that gives exactly one value per line, each line is
        parsed alone, so a line that is not one JSON object fails as it would by itself.
        """
        *lines, self._buffer = (self._buffer + chunk).split(b"\n")
        if len(self._buffer) > MAX_LINE_BYTES:  # a line without end: cut, never buffered whole
            raise ValueError(f"a stream line is longer than {MAX_LINE_BYTES} bytes (the suite's limit)")
        lines = [line for line in lines if line.strip()]
        if not lines:
            return False
        try:
            items = json.loads(b"[" + b",".join(lines) + b"]")
        except ValueError:
            items = []
        if len(items) != len(lines):
            items = [json.loads(line) for line in lines]
        for item in items:
            if not isinstance(item, dict):
                raise ValueError(f"a stream line is not a JSON object: {json.dumps(item)[:100]}")
            result = item.get("result")
            if result is None:
                self.result.error = f"error line: {json.dumps(item.get('error'))[:300]}"
                return True
            job = None
            if self.spec.arrivals:
                submitted = result.get("message", {}).get("submitted")
                job = submitted.get("jobId") if submitted else None
            if self._one(result.get("id", ""), job, now):
                return True
        return False


def _rest_items(spec: StreamSpec, holder: list[Any]) -> Generator[bytes, None, None]:
    import requests

    from conformance.transport.connection import host_of
    from conformance.transport.rest_client import ServerNameAdapter

    headers = {("Authorization" if k == "authorization" else k): v for k, v in spec.metadata}
    if spec.authority:
        headers["Host"] = spec.authority
    body: dict[str, Any] = {"watch": spec.watch}
    if spec.from_message_id:
        body["fromMessageId"] = spec.from_message_id
    url = f"{spec.address.rstrip('/')}/v1/job-set/{spec.queue}/{spec.job_set}"
    verify: Any = spec.tls_ca_file or not spec.tls_insecure
    cert: Any = (spec.tls_cert_file, spec.tls_key_file) if spec.tls_key_file else spec.tls_cert_file
    with requests.Session() as session:
        if spec.authority:
            session.mount("https://", ServerNameAdapter(host_of(spec.authority)))
        response = session.post(
            url,
            json=body,
            headers=headers,
            stream=True,
            timeout=spec.timeout,
            verify=verify,
            cert=cert,
            allow_redirects=False,  # a redirect is an answer (no header or credential goes elsewhere)
        )
        with response:
            holder.append(response.close)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:300]}")
            read = response.raw.read1  # what has arrived (iter_content waits for whole chunks: a trickle never yields)
            while chunk := read(1 << 20, decode_content=True):
                yield chunk


def read_stream(spec: StreamSpec) -> StreamResult:
    """Read one stream as the spec says; never raises (a failure is ``result.error``)."""
    if spec.transport == "grpc":
        from conformance.throughput.grpc_stream import read_grpc_streams

        return read_grpc_streams([spec])[0]
    result = StreamResult()
    decoder = Decoder(spec, result)
    feed = decoder.feed_rest
    captured: list[bytes] = []
    cancel: list[Any] = []
    ready = bool(spec.ready_path)
    clock = time.monotonic
    if spec.start_at:
        time.sleep(max(0.0, spec.start_at - clock()))
    cpu_before, delay_before = thread_clock()
    result.started = clock()
    items = _rest_items(spec, cancel)
    deadline = result.started + spec.timeout  # requests' own timeout is per read: this bounds the whole stream
    try:
        for raw in items:
            now = clock()
            if now > deadline:
                result.error = f"DEADLINE_EXCEEDED: the stream took longer than its deadline of {spec.timeout:g} s"
                break
            if spec.capture and result.payload_bytes < MAX_CAPTURE_BYTES:
                captured.append(raw)
                result.payload_bytes += len(raw)
            done = feed(raw, now)
            if ready:
                ready = False
                with open(spec.ready_path, "w"):
                    pass
            if done:
                break
    except Exception as exc:  # a deadline, a refused call: reported, the caller judges
        if not (cancel and _is_cancel(exc)):
            result.error = f"{type(exc).__name__}: {_describe(exc)}"
    finally:
        result.ended = clock()
        cpu_after, delay_after = thread_clock()
        result.thread_cpu_s, result.run_delay_s = cpu_after - cpu_before, delay_after - delay_before
        for stop in cancel:
            with contextlib.suppress(Exception):  # already finished or closed
                stop()
        items.close()
    if spec.capture and result.count:
        result.capacity_eps = decode_capacity(spec, captured)
    return result


def decode_capacity(spec: StreamSpec, captured: list[bytes], rounds: int = 3) -> float:
    """Events per CPU-second of this client's own decoding of ``captured`` from memory (best of ``rounds``).

    gRPC captures are the socket's bytes and go through the HTTP/2 reader too (``grpc_stream``).
    """
    if spec.transport == "grpc":
        from conformance.throughput.grpc_stream import capacity

        return capacity(spec, captured, rounds)
    best = 0.0
    probe_spec = StreamSpec(spec.transport, spec.address, spec.queue, spec.job_set, arrivals=spec.arrivals)
    for _ in range(rounds):
        probe = StreamResult()
        feed = Decoder(probe_spec, probe).feed_rest
        clock = time.monotonic
        started = time.thread_time()  # CPU time: other processes on the machine do not shrink the capacity
        for raw in captured:
            feed(raw, clock())
        elapsed = max(time.thread_time() - started, 1e-9)
        best = max(best, probe.count / elapsed)
    return best


def _is_cancel(exc: Exception) -> bool:
    code = getattr(exc, "code", None)
    return callable(code) and getattr(code(), "name", "") == "CANCELLED"


def _describe(exc: Exception) -> str:
    details = getattr(exc, "details", None)
    code = getattr(exc, "code", None)
    if callable(details) and callable(code):
        return f"{code().name} {details()}"
    return str(exc)[:300]


def run_streams(specs: Iterable[StreamSpec]) -> TaskResult:
    """A worker task: read each spec in its own thread (concurrently; every gRPC stream on one)."""
    specs = list(specs)
    results: list[StreamResult] = [StreamResult() for _ in specs]

    grpc_specs = [n for n, spec in enumerate(specs) if spec.transport == "grpc"]

    def grpc_group() -> None:  # every gRPC stream of the task on one thread, one selector loop
        from conformance.throughput.grpc_stream import read_grpc_streams

        for n, result in zip(grpc_specs, read_grpc_streams([specs[n] for n in grpc_specs]), strict=True):
            results[n] = result

    def one(index: int) -> None:
        results[index] = read_stream(specs[index])

    jobs = ([grpc_group] if grpc_specs else []) + [lambda n=n: one(n) for n in range(len(specs)) if n not in grpc_specs]
    if len(jobs) == 1:
        jobs[0]()
    else:
        threads = [threading.Thread(target=job, daemon=True) for job in jobs]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + max(s.timeout for s in specs) + 30
        for thread in threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
    return TaskResult(results)


def warm_up() -> int:
    """Import what a consumer needs, so the first measured task does not pay for it."""
    import hpack  # noqa: F401
    import requests  # noqa: F401

    import conformance.throughput.grpc_stream  # noqa: F401
    import protos

    protos.message_class("api.EventStreamMessage")
    protos.message_class("api.JobSetRequest")
    return os.getpid()
