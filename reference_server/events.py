"""The event log of one job set, and the builders of its events.

Events are stored already serialized, as the bytes of a whole
``api.EventStreamMessage``: a replay then streams stored bytes straight to the wire,
which is what lets the reference server keep up with a bare gRPC stream, and costs
a few hundred bytes per event. Ids are positions in the log (``"1"``, ``"2"``, ...):
opaque to clients, increasing, and resumable without a gap or a duplicate.

A watcher holds only its position; appends wake every waiting watcher. Memory per
watcher is therefore constant, however far behind it is.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from reference_server.errors import invalid
from reference_server.faults import Faults

_MESSAGE_ID = re.compile(r"[1-9][0-9]{0,18}")  # exactly the ids ``append`` issues: ASCII, no leading zero
_CHUNK = 256  # events handed to the transport per wake-up: keeps one slow reader from starving others
_SLOW_CHUNK, _SLOW_DELAY_S = 16, 0.02  # fault slow-event-stream: a throttled server


class JobSetLog:
    def __init__(self, queue: str, job_set_id: str) -> None:
        self.queue = queue
        self.job_set_id = job_set_id
        self.events: list[bytes] = []
        self._waiters: list[asyncio.Future[None]] = []

    def append(self, serialized_event_message: bytes) -> str:
        """Store one ``api.EventMessage`` (serialized); return its id."""
        message_id = str(len(self.events) + 1).encode()
        # EventStreamMessage{id=1 (string), message=2 (EventMessage)}, written by hand:
        # both fields are length-delimited, so this is exactly what protobuf would emit.
        self.events.append(
            b"\x0a"
            + varint(len(message_id))
            + message_id
            + b"\x12"
            + varint(len(serialized_event_message))
            + serialized_event_message
        )
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        return message_id.decode()

    def start_position(self, from_message_id: str, faults: Faults) -> int:
        """Index of the first event after ``from_message_id`` ("" means the beginning)."""
        if not from_message_id:
            return 0
        if not _MESSAGE_ID.fullmatch(from_message_id) or int(from_message_id) > len(self.events):
            raise invalid(
                f"from_message_id {from_message_id!r} is not a message id of job set "
                f"{self.job_set_id!r} in queue {self.queue!r} (it has {len(self.events)} messages)"
            )
        position = int(from_message_id)
        if "resume-duplicates-event" in faults:
            position -= 1
        if "resume-drops-event" in faults:
            position += 1
        return position

    async def read(self, position: int, watch: bool, faults: Faults) -> AsyncIterator[list[bytes]]:
        """Yield chunks of serialized ``EventStreamMessage`` from ``position`` on.

        Without ``watch`` the stream ends once it has sent the events stored when the
        read began (so a busy job set cannot keep it open for ever); with it, it waits
        for appends until the caller stops iterating (the client cancels).
        """
        stop = None if watch else len(self.events)
        slow = "slow-event-stream" in faults
        size = _SLOW_CHUNK if slow else _CHUNK
        while True:
            while position < (limit := len(self.events) if stop is None else stop):
                chunk = self.events[position : min(position + size, limit)]
                position += len(chunk)
                if slow:
                    await asyncio.sleep(_SLOW_DELAY_S)
                if chunk:
                    yield chunk
            if stop is not None and "watch-false-hangs" not in faults:
                return
            stop = None  # watching, or the fault: carry on as a watcher would
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter


def varint(value: int) -> bytes:
    """Protobuf base-128 varint: how the wire writes lengths (shared with the batched gateway stream)."""
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)
