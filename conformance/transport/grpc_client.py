"""A gRPC client for Armada's API driven by the descriptors: call any method by name.

The suite must talk to endpoints it knows nothing about beyond the contract, so no
generated stubs: each call looks its request and response types up in ``protos``.
Every call has a deadline (a hung target fails one check, not the run), and every
outcome, success or error, comes back as a ``GrpcResult`` the checks can inspect.

A stream is consumed as it arrives under its deadline, and every stream call
(``stream`` and the watchers' ``open_stream``) counts what it delivered: past
``MAX_STREAM_MESSAGES`` messages or ``MAX_STREAM_BYTES`` bytes the call is cancelled
and ends ``RESOURCE_EXHAUSTED`` saying so, and the limit is noted
in ``notes`` (the runner puts them in the check's evidence).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import message

import protos
from conformance.transport.bounds import MAX_STREAM_BYTES, MAX_STREAM_MESSAGES
from conformance.transport.connection import Connection


@dataclass
class GrpcResult:
    code: str  # "OK", "NOT_FOUND", ...
    details: str = ""
    response: Any = None  # the response message of a unary call
    messages: list[Any] = field(default_factory=list)  # the messages of a stream
    headers: dict[str, str] = field(default_factory=dict)  # initial and trailing metadata

    @property
    def ok(self) -> bool:
        return self.code == "OK"


@dataclass(frozen=True)
class TlsSettings:
    """TLS to the target: verified with ``ca_file`` (or the system roots), or ``insecure``.

    grpcio cannot switch certificate verification off, so ``insecure`` pins whatever
    certificate the server presents at first contact: the channel is encrypted but
    the server is not authenticated, which is what ``insecure`` promises.
    ``cert_file`` and ``key_file`` (PEM) are a client certificate, for servers that
    require mutual TLS.
    """

    ca_file: str | None = None
    insecure: bool = False
    cert_file: str | None = None
    key_file: str | None = None


def build_request(full_method: str, request: Mapping[str, Any] | message.Message | None) -> message.Message:
    """A request message from a dict in either JSON dialect (as real Armada's REST takes it) or a message."""
    from conformance.dialects import request_message

    service, name = full_method.rsplit("/", 1)
    if isinstance(request, message.Message):
        return request
    return request_message(request, protos.method(service, name).input_type.full_name)


class GrpcClient:
    def __init__(
        self,
        target: str,
        tls: TlsSettings | None = None,
        timeout: float = 10.0,
        max_message_bytes: int = 64 * 1024 * 1024,
        connection: Connection | None = None,
    ) -> None:
        self.connection = connection or Connection()
        options: list[tuple[str, Any]] = [
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ]
        if self.connection.authority:
            options.append(("grpc.default_authority", self.connection.authority))
        if tls is not None:
            if self.connection.server_name:
                options.append(("grpc.ssl_target_name_override", self.connection.server_name))
            credentials = grpc.ssl_channel_credentials(
                root_certificates=_root_certificates(target, tls, self.connection.server_name),
                private_key=_read(tls.key_file or tls.cert_file),
                certificate_chain=_read(tls.cert_file),
            )
            self.channel = grpc.secure_channel(target, credentials, options=options)
        else:
            self.channel = grpc.insecure_channel(target, options=options)
        self.target = target
        self.timeout = timeout
        self.notes: list[str] = []  # limits reached, for the running check's evidence

    def take_notes(self) -> list[str]:
        notes, self.notes = self.notes, []
        return notes

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> GrpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _callable(self, full_method: str, streaming: bool) -> Any:
        service, name = full_method.rsplit("/", 1)
        desc = protos.method(service, name)
        request_type = protos.message_class(desc.input_type.full_name)
        response_type = protos.message_class(desc.output_type.full_name)
        make = self.channel.unary_stream if streaming else self.channel.unary_unary
        return make(
            f"/{full_method}",
            request_serializer=request_type.SerializeToString,
            response_deserializer=response_type.FromString,
        )

    def call(
        self,
        full_method: str,
        request: Mapping[str, Any] | message.Message | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        timeout: float | None = None,
    ) -> GrpcResult:
        """One unary call, e.g. ``call("api.Submit/GetQueue", {"name": "q"})``."""
        rpc = self._callable(full_method, streaming=False)
        try:
            response, call = rpc.with_call(
                build_request(full_method, request),
                metadata=tuple(self.connection.merged(metadata)),
                timeout=timeout or self.timeout,
            )
        except grpc.RpcError as error:
            return _error_result(error)
        return GrpcResult("OK", response=response, headers=_metadata(call))

    def stream(
        self,
        full_method: str,
        request: Mapping[str, Any] | message.Message | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        timeout: float | None = None,
        limit: int | None = None,
    ) -> GrpcResult:
        """A server stream read to its end (or ``limit`` messages, then cancelled)."""
        result = GrpcResult("OK")
        call = self.open_stream(full_method, request, metadata, timeout)
        try:
            for item in call:
                result.messages.append(item)
                if limit is not None and len(result.messages) >= limit:
                    call.cancel()
                    break
        except grpc.RpcError as error:  # StreamLimit too: RESOURCE_EXHAUSTED, saying which limit
            if error.code() is not grpc.StatusCode.CANCELLED or limit is None:
                failed = _error_result(error)
                failed.messages = result.messages
                return failed
        result.headers = _metadata(call)
        return result

    def open_stream(
        self,
        full_method: str,
        request: Mapping[str, Any] | message.Message | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        timeout: float | None = None,
    ) -> Any:
        """The stream call (an iterator of messages with ``cancel()``), for watchers; bounded (``BoundedStream``)."""
        rpc = self._callable(full_method, streaming=True)
        call = rpc(
            build_request(full_method, request),
            metadata=tuple(self.connection.merged(metadata)),
            timeout=timeout or self.timeout,
        )
        return BoundedStream(call, full_method, self.notes)


class StreamLimit(grpc.RpcError):
    """A stream went past the suite's limits: it was cancelled; reads as RESOURCE_EXHAUSTED."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.RESOURCE_EXHAUSTED

    def details(self) -> str:
        return self._details

    def initial_metadata(self) -> tuple[()]:
        return ()

    def trailing_metadata(self) -> tuple[()]:
        return ()


class BoundedStream:
    """A grpcio stream call that keeps count: past ``MAX_STREAM_MESSAGES`` or ``MAX_STREAM_BYTES``
    it is cancelled and raises ``StreamLimit`` (noted), so no caller holds an endless stream."""

    def __init__(self, call: Any, full_method: str, notes: list[str]) -> None:
        self._call, self._method, self._notes = call, full_method, notes
        self.count = self.kept = 0

    def __iter__(self) -> BoundedStream:
        return self

    def __next__(self) -> Any:
        item = next(self._call)
        self.count += 1
        self.kept += item.ByteSize()
        if self.count > MAX_STREAM_MESSAGES or self.kept > MAX_STREAM_BYTES:
            self._call.cancel()
            details = (
                f"the suite stopped reading {self._method} after {self.count} messages, {self.kept} bytes "
                f"(its limits: {MAX_STREAM_MESSAGES} messages, {MAX_STREAM_BYTES} bytes)"
            )
            self._notes.append(details)
            raise StreamLimit(details)
        return item

    def __getattr__(self, name: str) -> Any:  # cancel(), code(), metadata: the call's own
        return getattr(self._call, name)


def _read(path: str | None) -> bytes | None:
    if not path:
        return None
    with open(path, "rb") as handle:
        return handle.read()


def _root_certificates(target: str, tls: TlsSettings, server_name: str | None = None) -> bytes | None:
    if tls.ca_file:
        return _read(tls.ca_file)
    if tls.insecure:
        host, _, port = target.rpartition(":")
        return _presented_certificate(host.strip("[]"), int(port), server_name or host.strip("[]"), tls)
    return None  # the system's trusted roots


def _presented_certificate(host: str, port: int, server_name: str, tls: TlsSettings) -> bytes:
    """The certificate the server presents (asked for ``server_name``), unverified: what ``insecure`` pins."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=server_name) as wrapped,
    ):
        der = wrapped.getpeercert(binary_form=True)
    if der is None:
        raise ssl.SSLError(f"{host}:{port} presented no certificate")
    return ssl.DER_cert_to_PEM_cert(der).encode()


def _metadata(call: Any) -> dict[str, str]:
    headers: dict[str, str] = {}
    for getter in ("initial_metadata", "trailing_metadata"):
        try:
            for key, value in getattr(call, getter)() or ():
                headers[key.lower()] = value if isinstance(value, str) else value.decode(errors="replace")
        except Exception:  # a cancelled call may have no metadata to give
            continue
    return headers


def _error_result(error: grpc.RpcError) -> GrpcResult:
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    return GrpcResult(code.name, details=error.details() or "", headers=_metadata(error))
