"""gRPC and REST calls for Locust users: the suite's HTTP/2 reader on gevent's sockets.

Locust runs every user as a greenlet of one process, with the standard library patched by
gevent; grpcio would block that process's only thread. ``h2reader.Call`` is sans-IO, so
a watcher greenlet drives it with plain (patched) socket calls: a blocked ``recv`` only
parks its greenlet, and one worker process holds hundreds of streams. Unary calls
(SubmitJobs) are the same reader on a fresh connection: a request, one message, trailers.
REST streams use ``requests`` (patched as well) as the THROUGHPUT consumers do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.target import Target
from conformance.throughput.consumer import StreamSpec, _rest_items
from conformance.throughput.h2reader import Call, CallError, connect
from conformance.transport.connection import host_of

READ_SIZE = 1 << 16  # per stream: hundreds of watchers share one process's memory


@dataclass(frozen=True)
class Endpoint:
    """How to reach the target, from its file: address, TLS, authority, extra headers."""

    grpc: str
    rest: str | None
    tls: bool = False
    ca_file: str | None = None
    insecure: bool = False
    cert_file: str | None = None
    key_file: str | None = None
    authority: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, target: Target) -> Endpoint:
        tls = target.tls
        return cls(
            target.grpc,
            target.rest,
            tls is not None,
            tls.ca_file if tls else None,
            bool(tls and tls.insecure),
            tls.cert_file if tls else None,
            tls.key_file if tls else None,
            target.connection.authority,
            tuple(target.connection.headers),
        )

    def metadata(self, own: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        names = {name.lower() for name, _ in own}
        return tuple(own) + tuple((n, v) for n, v in self.headers if n not in names)

    def socket(self, timeout: float) -> Any:
        return connect(
            self.grpc,
            self.tls,
            self.ca_file,
            self.insecure,
            timeout=timeout,
            cert_file=self.cert_file,
            key_file=self.key_file,
            server_name=host_of(self.authority) if self.authority else None,
        )


def _run(endpoint: Endpoint, call: Call, timeout: float | None) -> Iterator[list[bytes]]:
    """Drive ``call`` on a fresh connection; yields each read's complete messages; raises CallError at a failure."""
    try:
        sock = endpoint.socket(timeout or 10.0)
    except OSError as exc:
        raise CallError("UNAVAILABLE", f"cannot connect: {exc}") from None
    try:
        sock.settimeout(timeout)  # a watch may be idle for minutes: no timeout then
        sock.sendall(call.opening())
        buffer = bytearray(READ_SIZE)
        view = memoryview(buffer)
        while not call.done:
            size = sock.recv_into(buffer)
            if not size:
                call.closed()
                break
            reply = call.feed(view[:size])
            if reply:
                sock.sendall(reply)
            messages = [message for batch in call.take() for message in batch]
            if messages:
                yield messages
        error = call.error()
        if error is not None:
            raise error
    except OSError as exc:
        raise CallError("UNAVAILABLE", str(exc) or type(exc).__name__) from None
    finally:
        sock.close()


def watch_grpc(
    endpoint: Endpoint, metadata: tuple[tuple[str, str], ...], queue: str, job_set: str, from_id: str = ""
) -> Iterator[list[bytes]]:
    """GetJobSetEvents(watch=true) from the start (or after ``from_id``): serialized messages as they come."""
    import protos

    request = protos.message_class("api.JobSetRequest")(queue=queue, id=job_set, watch=True, from_message_id=from_id)
    call = Call(
        endpoint.authority or endpoint.grpc,
        "/api.Event/GetJobSetEvents",
        request.SerializeToString(),
        metadata,
        endpoint.tls,
    )
    return _run(endpoint, call, None)


def unary(endpoint: Endpoint, metadata: tuple[tuple[str, str], ...], path: str, request: Any, timeout: float) -> Any:
    """One unary call (``/api.Submit/SubmitJobs``...); the reply's bytes. Raises CallError."""
    call = Call(endpoint.authority or endpoint.grpc, path, request.SerializeToString(), metadata, endpoint.tls)
    replies = [message for messages in _run(endpoint, call, timeout) for message in messages]
    if len(replies) != 1:
        raise CallError("INTERNAL", f"a unary call answered {len(replies)} messages")
    return replies[0]


def watch_rest(
    endpoint: Endpoint, metadata: tuple[tuple[str, str], ...], queue: str, job_set: str, from_id: str = ""
) -> Iterator[list[dict[str, Any]]]:
    """The REST gateway's stream of the job set: each chunk's complete lines, as ``result`` objects.

    An error line (``{"error": ...}``) raises CallError, as the gRPC status would.
    """
    if not endpoint.rest:
        raise CallError("UNAVAILABLE", "the target has no REST URL ([target] rest)")
    spec = StreamSpec(
        "rest",
        endpoint.rest,
        queue,
        job_set,
        metadata=metadata,
        watch=True,
        from_message_id=from_id,
        timeout=24 * 3600,
        tls=endpoint.tls,
        tls_ca_file=endpoint.ca_file,
        tls_insecure=endpoint.insecure,
        tls_cert_file=endpoint.cert_file,
        tls_key_file=endpoint.key_file,
        authority=endpoint.authority,
    )
    pending = b""
    try:
        for chunk in _rest_items(spec, []):
            *lines, pending = (pending + chunk).split(b"\n")
            items = []
            for line in (line for line in lines if line.strip()):
                item = json.loads(line)
                if not isinstance(item, dict) or item.get("result") is None:
                    raise CallError("UNKNOWN", f"error line: {line[:300].decode(errors='replace')}")
                items.append(item["result"])
            if items:
                yield items
    except (OSError, ValueError, RuntimeError) as exc:
        raise CallError("UNAVAILABLE", str(exc)[:300]) from None
    raise CallError("UNAVAILABLE", "the REST stream ended although it watches")
