"""Just enough of the protobuf wire format to read length-delimited fields.

The gateway needs it twice without a message class at hand: the ``details`` of a
``grpc-status-details-bin`` trailer (a google.rpc.Status of Any), and the events
inside a batched event-stream message (repeated bytes, field 1).
"""

from __future__ import annotations


def wire_fields(data: bytes) -> list[tuple[int, bytes]]:
    """Length-delimited fields of a serialized message, in order (other wire types skipped)."""
    out, pos = [], 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = read_varint(data, pos)
        elif wire_type == 2:
            length, pos = read_varint(data, pos)
            out.append((number, data[pos : pos + length]))
            pos += length
        elif wire_type in (1, 5):
            pos += 8 if wire_type == 1 else 4
        else:
            raise ValueError("unsupported wire type")
    return out


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint starting at ``pos`` and the position after it (IndexError when truncated)."""
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
