"""The gRPC server: handlers registered from the descriptors, each wrapped once.

Every RPC of ``api.Submit``, ``api.QueueService`` and ``api.Event`` goes through
``Guard``: authenticate from the ``authorization`` metadata, decode the request,
authorize against the rule table, run the method, and turn an ``ApiError`` into its
status. REST requests reach the same wrapper through the gateway, so both transports
share one policy.

Requests arrive as bytes and are decoded only after authentication: a message that
does not parse is INVALID_ARGUMENT for an authenticated caller, and a caller with bad
credentials learns nothing but UNAUTHENTICATED (grpcio's own decoding would answer
UNKNOWN with a traceback in the log, before any authentication).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

import protos
from reference_server.auth import AuthChain, AuthenticationError
from reference_server.authz import Authorizer
from reference_server.errors import ApiError
from reference_server.events import varint
from reference_server.faults import Faults
from reference_server.flavours import DEFAULT, Flavour, flavour
from reference_server.limits import MAX_HEADER_BYTES, clip
from reference_server.services import Services

log = logging.getLogger(__name__)
# grpcio's own loggers that decode metadata: on a value that is not UTF-8 they log it raw
# ("Invalid encoding on b'Bearer eyJ...'", with a traceback), whatever its key.
GRPC_METADATA_LOGGERS = ("grpc._cython.cygrpc", "grpc._common")


class MetadataLogGuard(logging.Filter):
    """Rewrites grpcio's "Invalid encoding" records: no value, no traceback, at most one a second.

    The value may be a token, a Basic credential or an API key; the record keeps only
    that some metadata was not UTF-8, and a flood of such calls costs one line a second.
    """

    def __init__(self) -> None:
        super().__init__()
        self._last = 0.0
        self.suppressed = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Invalid encoding"):
            return True
        now = record.created
        if now - self._last < 1.0:
            self.suppressed += 1
            return False
        self._last = now
        record.msg = "a metadata value is not valid UTF-8 (value not logged; %d more suppressed)"
        record.args, record.exc_info, record.exc_text, record.stack_info = (self.suppressed,), None, None, None
        self.suppressed = 0
        return True


def guard_grpc_logs() -> None:
    """Install ``MetadataLogGuard`` on grpcio's metadata-decoding loggers (once)."""
    for name in GRPC_METADATA_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MetadataLogGuard) for f in logger.filters):
            logger.addFilter(MetadataLogGuard())


def _identity(data: bytes) -> bytes:
    return data


class Guard:
    """Authentication, authorization and error translation around one method."""

    def __init__(self, chain: AuthChain, authorizer: Authorizer, services: Services) -> None:
        self.chain = chain
        self.authorizer = authorizer
        self.services = services

    async def admit(
        self, method: str, raw: bytes, request_type: Any, context: grpc.aio.ServicerContext
    ) -> tuple[Any, Any]:
        """The caller's principal and the decoded request, or abort the call with the right status."""
        # gRPC hands bytes only for "-bin" keys: an authorization value is always a str.
        values = [
            value
            for key, value in context.invocation_metadata() or ()
            if key == "authorization" and isinstance(value, str)
        ]
        try:
            outcome = await self.chain.authenticate_values(values)
        except AuthenticationError as exc:
            if exc.www_authenticate:
                await context.send_initial_metadata((("www-authenticate", exc.www_authenticate),))
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(exc))
        if outcome.response_headers:
            await context.send_initial_metadata(tuple(outcome.response_headers.items()))
        request = self.services.flavour.strip(await _decode(request_type, raw, context))
        try:
            self.authorizer.check(method, outcome.principal, request, self.services.store.queues)
        except ApiError as exc:
            await context.abort(exc.code, clip(exc.message))
        if "all-internal" in self.services.store.faults:
            await context.abort(grpc.StatusCode.INTERNAL, "internal error (fault all-internal)")
        return outcome.principal, request

    def unary(self, method: str, handler: Callable[..., Any], request_type: Any) -> Callable[..., Any]:
        async def call(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
            principal, request = await self.admit(method, raw, request_type, context)
            try:
                return await handler(request, principal)
            except ApiError as exc:
                await context.abort(exc.code, clip(exc.message))

        return call

    def stream(self, method: str, handler: Callable[..., Any], request_type: Any, chunked: bool) -> Callable[..., Any]:
        async def call(raw: bytes, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            principal, request = await self.admit(method, raw, request_type, context)
            try:
                async for item in handler(request, principal):
                    if chunked:
                        for message in item:
                            yield message
                    else:
                        yield item
            except ApiError as exc:
                await context.abort(exc.code, clip(exc.message))

        return call


async def _decode(request_type: Any, raw: bytes, context: grpc.aio.ServicerContext) -> Any:
    """``raw`` as a ``request_type``, or INVALID_ARGUMENT naming the type (never the bytes)."""
    try:
        return request_type.FromString(raw)
    except (DecodeError, RuntimeWarning, ValueError):
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a valid {request_type.DESCRIPTOR.full_name} message"
        )


def _unimplemented(service: str, method: str, message: str | None = None) -> Callable[..., Any]:
    reason = DEPRECATED.get(method, "it is not implemented by this server")
    message = message or f"{service}/{method}: {reason}"

    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort(grpc.StatusCode.UNIMPLEMENTED, message)

    return call


# Methods whose handler yields chunks of pre-serialized messages instead of messages.
PRESERIALIZED_STREAMS = frozenset({"GetJobSetEvents"})
# Methods this server refuses outright, with the reason.
DEPRECATED = {"Watch": "deprecated; use GetJobSetEvents"}


def _batched(chunks: Any) -> Any:
    """Each chunk of stored events as one ``reference.EventBatch`` (field 1, repeated, length-delimited)."""

    async def batches(request: Any, principal: Any) -> AsyncIterator[bytes]:
        async for chunk in chunks(request, principal):
            yield b"".join(b"\x0a" + varint(len(event)) + event for event in chunk)

    return batches


def _gateway_events_handler(guard: Guard) -> grpc.GenericRpcHandler:
    """``reference.GatewayEvents``: GetJobSetEvents in batches, for the REST gateway (see its .proto)."""
    request_type = protos.message_class("api.JobSetRequest")
    behaviour = guard.stream("GetJobSetEvents", _batched(guard.services.GetJobSetEvents), request_type, chunked=False)
    handler = grpc.unary_stream_rpc_method_handler(
        behaviour, request_deserializer=_identity, response_serializer=_identity
    )
    return grpc.method_handlers_generic_handler("reference.GatewayEvents", {"GetJobSetEvents": handler})


def generic_handlers(guard: Guard, faults: Faults, chosen: Flavour | None = None) -> list[grpc.GenericRpcHandler]:
    chosen = chosen or flavour(DEFAULT)
    handlers = [_gateway_events_handler(guard)]
    for service_name in protos.SERVICES:
        table = {}
        for method in protos.service(service_name).methods:
            table[method.name] = _method_handler(guard, faults, service_name, method, chosen)
        handlers.append(grpc.method_handlers_generic_handler(service_name, table))
    return handlers


def _absent(chosen: Flavour, service_name: str, method_name: str) -> str | None:
    """grpc-go's words for a service or method the flavour's era does not have (UNIMPLEMENTED, before auth)."""
    if not chosen.offers(service_name):
        return f"unknown service {service_name}"
    if not chosen.offers(service_name, method_name):
        return f"unknown method {method_name} for service {service_name}"
    return None


def _method_handler(
    guard: Guard, faults: Faults, service_name: str, method: Any, chosen: Flavour
) -> grpc.RpcMethodHandler:
    request_type = protos.message_class(method.input_type.full_name)
    response_type = protos.message_class(method.output_type.full_name)
    handler = getattr(guard.services, method.name, None)
    if method.name == "GetQueueInfo" and "unimplemented-queue-info" in faults:
        handler = None
    absent = _absent(chosen, service_name, method.name)
    if handler is None or method.name in DEPRECATED or absent:
        behaviour = _unimplemented(service_name, method.name, absent)
        if method.server_streaming:
            return grpc.unary_stream_rpc_method_handler(
                behaviour, request_deserializer=_identity, response_serializer=response_type.SerializeToString
            )
        return grpc.unary_unary_rpc_method_handler(
            behaviour, request_deserializer=_identity, response_serializer=response_type.SerializeToString
        )
    if method.server_streaming:
        chunked = method.name in PRESERIALIZED_STREAMS
        return grpc.unary_stream_rpc_method_handler(
            guard.stream(method.name, handler, request_type, chunked),
            request_deserializer=_identity,
            response_serializer=_identity if chunked else response_type.SerializeToString,
        )
    return grpc.unary_unary_rpc_method_handler(
        guard.unary(method.name, handler, request_type),
        request_deserializer=_identity,
        response_serializer=response_type.SerializeToString,
    )


def create_server(
    guard: Guard, faults: Faults, max_message_bytes: int, chosen: Flavour | None = None
) -> grpc.aio.Server:
    guard_grpc_logs()
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
            # One limit for all metadata, the same as the gateway's for HTTP headers; the soft
            # limit equals the hard one, since between the two gRPC refuses at random.
            ("grpc.max_metadata_size", MAX_HEADER_BYTES),
            ("grpc.absolute_max_metadata_size", MAX_HEADER_BYTES),
        ]
    )
    server.add_generic_rpc_handlers(generic_handlers(guard, faults, chosen))
    return server


async def stop_server(server: grpc.aio.Server, grace: float = 1.0) -> None:
    with contextlib.suppress(Exception):
        await server.stop(grace)
