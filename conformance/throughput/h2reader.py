"""A minimal HTTP/2 client for one server-streaming gRPC call, for the measurement path.

Why our own: grpcio's Python stream spends ~75 µs per message in its transport, so
it reports a fast server at the client's speed. This reader takes what the socket
has in large reads, walks the frames with ``struct`` and cuts the gRPC messages out
of the DATA payloads itself; ``hpack`` decodes the header blocks. It speaks just
enough HTTP/2 for a client of one unary-stream call: SETTINGS (and their ACK), PING
answers, generous WINDOW_UPDATEs, HEADERS with CONTINUATION and padding, DATA with
padding, RST_STREAM, GOAWAY, trailers (also trailers-only errors) and the final
``grpc-status``. TLS negotiates ALPN ``h2``.

A hostile server cannot make it grow or crash: a header block (HEADERS and its
CONTINUATIONs, and what it decodes to) over ``max_header_block`` (16 KiB, grpc's
default metadata limit) ends the call RESOURCE_EXHAUSTED, and any malformed frame
(a short payload, a bad HPACK index, a non-numeric status) ends it INTERNAL: the
only exception ``feed`` raises is ``CallError``.

``Call`` is sans-IO: ``opening()`` gives the bytes to send first, ``feed(data)``
takes whatever arrived and returns the bytes to send back, and the complete gRPC
messages pile up as ``Messages`` batches for the caller to ``take()``. A batch is the
received bytes themselves plus where each message starts, not a bytes object per
message: cutting 100,000 small messages into objects costs more than reading them,
and a consumer that checks ids in bulk needs only the offsets. The same object
parses a live socket and, for the capacity probe, captured bytes from memory.
Every non-throughput check keeps using grpcio.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote

import grpc
import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE = 1, 2, 4, 5
STREAM = 1  # the call's stream: the first a client opens
DEFAULT_WINDOW = 16 * 1024 * 1024  # bytes the server may send ahead of us, per stream and connection
MAX_FRAME = 1024 * 1024  # largest frame we accept (the server may send up to this)
MAX_MESSAGE = 4 * 1024 * 1024  # largest gRPC message, as grpcio's and grpc-go's default receive limit
MAX_HEADER_BLOCK = 16 * 1024  # largest header block (HEADERS + CONTINUATIONs), as grpc's default metadata limit
# What a malformed frame makes the parsing raise: answered as the call's error, never let out.
MALFORMED = (struct.error, IndexError, ValueError, KeyError, UnicodeError, hpack.HPACKError)
STATUS_NAMES = {int(code.value[0]): code.name for code in grpc.StatusCode}  # grpc-status number -> name
H2_ERRORS = (
    "NO_ERROR",
    "PROTOCOL_ERROR",
    "INTERNAL_ERROR",
    "FLOW_CONTROL_ERROR",
    "SETTINGS_TIMEOUT",
    "STREAM_CLOSED",
    "FRAME_SIZE_ERROR",
    "REFUSED_STREAM",
    "CANCEL",
    "COMPRESSION_ERROR",
    "CONNECT_ERROR",
    "ENHANCE_YOUR_CALM",
    "INADEQUATE_SECURITY",
    "HTTP_1_1_REQUIRED",
)
_FRAME_HEAD = struct.Struct(">IBI")  # 24-bit length + type in the first word, then flags, stream id
_U32 = struct.Struct(">I")
_FRAME_AND_PREFIX = struct.Struct(">IBIBI")  # a frame header and the gRPC prefix that may follow it
_PAD = bytes(_FRAME_AND_PREFIX.size - _FRAME_HEAD.size)


class Messages:
    """Complete gRPC messages in received bytes: message ``i`` is ``data[starts[i] + 5 : ends[i]]``.

    ``starts[i]`` is where its 5-byte gRPC prefix begins. The messages are in stream
    order; HTTP/2 frame headers may lie between them.
    """

    __slots__ = ("data", "ends", "starts")

    def __init__(self, data: bytes, starts: list[int], ends: list[int]) -> None:
        self.data, self.starts, self.ends = data, starts, ends

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> bytes:
        return self.data[self.starts[index] + 5 : self.ends[index]]

    def __iter__(self) -> Iterator[bytes]:
        data = self.data
        for begin, end in zip(self.starts, self.ends, strict=True):
            yield data[begin + 5 : end]


class CallError(Exception):
    """The call failed: a gRPC status other than OK, or the HTTP/2 conversation broke."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}".strip())
        self.code = code
        self.message = message


@dataclass
class Call:
    """One unary-stream call on its own connection: framing, flow control, status."""

    authority: str
    path: str
    request: bytes  # the serialized request message
    metadata: tuple[tuple[str, str], ...] = ()
    tls: bool = False
    window: int = DEFAULT_WINDOW
    max_header_block: int = MAX_HEADER_BLOCK
    batches: list[Messages] = field(default_factory=list)  # complete gRPC messages not yet taken
    headers: list[tuple[str, str]] = field(default_factory=list)
    status: str = ""  # "OK" or a status name once the call ended
    status_message: str = ""
    done: bool = False

    def __post_init__(self) -> None:
        self._frames = bytearray()  # received bytes not yet walked as frames
        self._body = bytearray()  # DATA payload not yet cut into gRPC messages
        self._block = bytearray()  # a header block waiting for its CONTINUATION
        self._block_ends_stream = False
        self._decoder = hpack.Decoder()
        self._decoder.max_allowed_table_size = 1 << 16
        self._decoder.max_header_list_size = self.max_header_block  # an HPACK bomb stops here
        self._encoder = hpack.Encoder()
        self._unacked_stream = 0  # bytes received since our last WINDOW_UPDATE
        self._unacked_connection = 0
        self._handlers = {
            DATA: self._data,
            HEADERS: self._headers,
            CONTINUATION: self._continuation,
            RST_STREAM: self._reset,
            SETTINGS: self._settings,
            PING: self._ping,
            GOAWAY: self._goaway,
            PUSH_PROMISE: self._push,
        }

    def take(self) -> list[Messages]:
        """The complete messages received since the last ``take``."""
        batches, self.batches = self.batches, []
        return batches

    @property
    def messages(self) -> list[bytes]:
        """Every message not yet taken, one bytes object each (for tests and small streams)."""
        return [message for batch in self.batches for message in batch]

    # ---- what we send ----------------------------------------------------------------

    def opening(self) -> bytes:
        """The connection preface, our SETTINGS and window, and the whole request (one DATA, END_STREAM)."""
        settings = b"".join(
            struct.pack(">HI", key, value)
            for key, value in (
                (SETTINGS_ENABLE_PUSH, 0),
                (SETTINGS_INITIAL_WINDOW_SIZE, self.window),
                (SETTINGS_MAX_FRAME_SIZE, MAX_FRAME),
            )
        )
        out = [PREFACE, frame(SETTINGS, 0, 0, settings)]
        if self.window > 65535:
            out.append(frame(WINDOW_UPDATE, 0, 0, _U32.pack(self.window - 65535)))
        fields = [
            (":method", "POST"),
            (":scheme", "https" if self.tls else "http"),
            (":path", self.path),
            (":authority", self.authority),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
            ("grpc-accept-encoding", "identity"),
            ("user-agent", "armada-conformance-h2reader"),
        ]
        fields += [(k.lower(), v) for k, v in self.metadata]
        out.append(frame(HEADERS, END_HEADERS, STREAM, self._encoder.encode(fields)))
        body = b"\x00" + _U32.pack(len(self.request)) + self.request
        out.append(frame(DATA, END_STREAM, STREAM, body))
        return b"".join(out)

    # ---- what we receive ------------------------------------------------------------

    def feed(self, data: bytes | memoryview) -> bytes:
        """Take received bytes; return what must be sent back (ACKs, PONGs, WINDOW_UPDATEs).

        Raises only ``CallError``: a malformed frame ends the call with its error.
        """
        try:
            return self._feed(data)
        except MALFORMED as exc:
            self._frames.clear()
            self._body.clear()
            self._block = bytearray()
            message = f"malformed HTTP/2 from the server ({type(exc).__name__})"
            self._end("INTERNAL", message)
            raise CallError("INTERNAL", message) from None

    def _feed(self, data: bytes | memoryview) -> bytes:
        """``feed`` itself.

        The hot path: a DATA frame of our stream that holds exactly one whole message
        (what grpc-go sends) is not copied anywhere; its offset is noted and the message
        is read where it arrived. Other DATA frames (several messages per frame, as
        grpc-core sends, or a message split over frames) go through the body buffer.
        """
        frames = self._frames
        frames += data
        frames += _PAD  # so the frame header and a gRPC prefix unpack together even at the end
        received = bytes(frames)
        del frames[-len(_PAD) :]
        out: list[bytes] = []
        starts: list[int] = []
        ends: list[int] = []
        position, end = 0, len(frames)
        unpack = _FRAME_AND_PREFIX.unpack_from
        while end - position >= 9:
            word, flags, stream, _, size = unpack(received, position)
            length = word >> 8
            if length > MAX_FRAME:
                raise CallError("INTERNAL", f"HTTP/2 frame of {length} bytes is larger than our {MAX_FRAME}")
            if end - position - 9 < length:
                break
            if word == length << 8 and size + 5 == length and stream == STREAM and not flags and not self._body:
                starts.append(position + 9)  # DATA (type 0), no flags, exactly one whole message
                ends.append(position + 9 + length)
            else:
                if starts:
                    self._whole_frames(received, starts, ends, out)
                    starts, ends = [], []
                self._frame(word & 0xFF, flags, stream & 0x7FFFFFFF, received, position + 9, length, out)
            position += 9 + length
        if starts:
            self._whole_frames(received, starts, ends, out)
        del frames[:position]
        self._cut_messages()
        return b"".join(out)

    def _whole_frames(self, received: bytes, starts: list[int], ends: list[int], out: list[bytes]) -> None:
        """Messages that each filled a DATA frame: a batch read in place, and the flow-control account."""
        if any(map(received.__getitem__, starts)):
            raise CallError("INTERNAL", "a compressed message although we accept only identity")
        self.batches.append(Messages(received, starts, ends))
        self._count_received(sum(ends) - sum(starts), out)

    def _frame(
        self, kind: int, flags: int, stream: int, received: bytes, offset: int, length: int, out: list[bytes]
    ) -> None:
        payload = memoryview(received)[offset : offset + length]
        handler = self._handlers.get(kind)
        if handler is not None:  # PRIORITY, WINDOW_UPDATE, unknown types: nothing to do
            handler(flags, stream, payload, out)
        payload.release()

    def _data(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        size = len(payload)
        if stream == STREAM:
            if flags & PADDED:
                payload = payload[1 : size - payload[0]]
            self._body += payload
        self._count_received(size, out, stream_ends=bool(flags & END_STREAM), ours=stream == STREAM)
        if flags & END_STREAM and stream == STREAM:
            self._cut_messages()
            self._end("INTERNAL", "the stream ended without trailers (no grpc-status)")

    def _count_received(self, size: int, out: list[bytes], stream_ends: bool = False, ours: bool = True) -> None:
        """Flow control: give the server back its window once half of it was used."""
        self._unacked_connection += size
        if ours:
            self._unacked_stream += size
        if self._unacked_connection >= self.window // 2:
            out.append(frame(WINDOW_UPDATE, 0, 0, _U32.pack(self._unacked_connection)))
            self._unacked_connection = 0
        if self._unacked_stream >= self.window // 2 and not stream_ends:
            out.append(frame(WINDOW_UPDATE, 0, STREAM, _U32.pack(self._unacked_stream)))
            self._unacked_stream = 0

    def _headers(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        start, end = 0, len(payload)
        if flags & PADDED:
            start, end = 1, end - payload[0]
        if flags & PRIORITY_FLAG:
            start += 5
        if end - start > self.max_header_block:
            raise self._oversize(end - start)
        self._block = bytearray(payload[start:end])
        self._block_ends_stream = bool(flags & END_STREAM)
        if flags & END_HEADERS:
            self._header_block(stream)

    def _continuation(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        if len(self._block) + len(payload) > self.max_header_block:
            raise self._oversize(len(self._block) + len(payload))
        self._block += payload
        if flags & END_HEADERS:
            self._header_block(stream)

    def _oversize(self, size: int) -> CallError:
        """A header block over the limit: the call ends here, nothing of the block is kept."""
        self._frames.clear()
        self._block = bytearray()
        self._end("RESOURCE_EXHAUSTED", f"header block of {size}+ bytes is over the limit of {self.max_header_block}")
        return CallError(self.status, self.status_message)

    def _header_block(self, stream: int) -> None:
        try:
            decoded = self._decoder.decode(bytes(self._block))  # keeps the table in step
        except hpack.OversizedHeaderListError:
            raise self._oversize(len(self._block)) from None
        fields = [(str(k), str(v)) for k, v in decoded]
        self._block = bytearray()
        if stream != STREAM:
            return
        values = dict(fields)
        if not self.headers:
            self.headers = fields
            if not (self._block_ends_stream or "grpc-status" in values):  # not trailers-only
                if values.get(":status") != "200":
                    self._end("UNAVAILABLE", f"HTTP status {values.get(':status')} without a grpc-status")
                elif not values.get("content-type", "").startswith("application/grpc"):
                    self._end("UNKNOWN", f"content-type {values.get('content-type')!r} is not application/grpc")
                return
        self._cut_messages()
        code = values.get("grpc-status")
        if code is None:
            self._end("INTERNAL", "the trailers carry no grpc-status")
            return
        name = STATUS_NAMES.get(int(code), f"status {code}") if code.isdigit() else f"status {code}"
        self._end(name, unquote(values.get("grpc-message", "")))

    def _reset(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        if stream == STREAM:
            self._end(
                "CANCELLED" if _U32.unpack_from(payload)[0] == 8 else "INTERNAL",
                f"the server reset the stream ({_h2_error(payload)})",
            )

    def _settings(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        if flags & ACK:
            return
        for offset in range(0, len(payload) - 5, 6):
            key, value = struct.unpack_from(">HI", payload, offset)
            if key == SETTINGS_HEADER_TABLE_SIZE:
                self._encoder.header_table_size = value
        out.append(frame(SETTINGS, ACK, 0, b""))

    def _ping(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        if not flags & ACK:
            out.append(frame(PING, ACK, 0, bytes(payload)))

    def _goaway(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        last_stream = _U32.unpack_from(payload)[0] & 0x7FFFFFFF
        if last_stream < STREAM:  # our call was never taken up; otherwise it runs to its end
            self._end("UNAVAILABLE", f"the server went away before the call ({_h2_error(payload[4:])})")

    def _push(self, flags: int, stream: int, payload: memoryview, out: list[bytes]) -> None:
        raise CallError("INTERNAL", "the server sent PUSH_PROMISE although we disabled push")

    def _cut_messages(self) -> None:
        """Move every complete length-prefixed gRPC message from the body into a ``Messages`` batch.

        The loop only notes where each message starts; the last start is dropped
        again if its message is not complete yet.
        """
        body = self._body
        if len(body) < 5:
            return
        data = bytes(body)
        starts: list[int] = []
        append, unpack = starts.append, _U32.unpack_from
        position, last = 0, len(data) - 5
        while position <= last:
            append(position)
            position += 5 + unpack(data, position + 1)[0]
        if position > len(data):  # the last message is still on its way
            position = starts.pop()
            size = unpack(data, position + 1)[0]
            if size > MAX_MESSAGE:  # what gRPC clients refuse by default, rather than buffer it
                raise CallError("RESOURCE_EXHAUSTED", f"received message larger than max ({size} vs. {MAX_MESSAGE})")
        if not starts:
            return
        if any(map(data.__getitem__, starts)):
            raise CallError("INTERNAL", "a compressed message although we accept only identity")
        self.batches.append(Messages(data, starts, [*starts[1:], position]))
        del body[:position]

    def _end(self, code: str, message: str) -> None:
        if not self.done:
            self.status, self.status_message, self.done = code or "UNKNOWN", message, True

    def closed(self) -> None:
        """The connection ended: a call without its final status failed."""
        self._end("UNAVAILABLE", "the connection closed before the call's final status")

    def error(self) -> CallError | None:
        """The call's failure, if it ended with one (None while running or after OK)."""
        if self.done and self.status != "OK":
            return CallError(self.status, self.status_message)
        if self.done and (self._body or self._frames):
            return CallError("INTERNAL", f"{len(self._body)} bytes of an incomplete message after the status")
        return None


def frame(kind: int, flags: int, stream: int, payload: bytes) -> bytes:
    return _FRAME_HEAD.pack(len(payload) << 8 | kind, flags, stream) + payload


def _h2_error(payload: memoryview) -> str:
    code = _U32.unpack_from(payload)[0] if len(payload) >= 4 else 0
    return H2_ERRORS[code] if code < len(H2_ERRORS) else f"error {code}"


# ``connect`` lives in ``h2socket`` now; importable from here too (it needs CallError, defined above).
from conformance.throughput.h2socket import connect as connect  # noqa: E402
