"""The benchmark's client side, run in a worker process so it never competes for the servers' GIL."""

from __future__ import annotations

import time

import grpc

import protos

METHOD = "/api.Event/GetJobSetEvents"
_OPTIONS = [("grpc.max_receive_message_length", 64 * 1024 * 1024)]


def replay(target: str, queue: str, job_set: str) -> tuple[int, str, bool, float]:
    """Read one whole replay, parsing each message: (count, last id, ids increasing, seconds)."""
    request_type = protos.message_class("api.JobSetRequest")
    response_type = protos.message_class("api.EventStreamMessage")
    with grpc.insecure_channel(target, options=_OPTIONS) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)
        call = channel.unary_stream(
            METHOD, request_serializer=request_type.SerializeToString, response_deserializer=response_type.FromString
        )
        count, previous, increasing = 0, 0, True
        started = time.perf_counter()
        for message in call(request_type(queue=queue, id=job_set), timeout=300):
            current = int(message.id)
            increasing = increasing and current > previous
            previous, count = current, count + 1
        elapsed = time.perf_counter() - started
    return count, str(previous), increasing, elapsed
