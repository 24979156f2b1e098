"""The REST gateway application: grpc-gateway v1 behaviour in front of the reference gRPC server.

Routes come from the ``google.api.http`` rules of the compiled descriptors
(``protos.http_routes``), never from a hand list, so REST and the swagger cannot
drift. Each HTTP request becomes a gRPC call over a ``grpc.aio`` channel to the
server itself, as grpc-gateway does: every server interceptor, authentication
included, applies to both transports the same way.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from typing import Any

import grpc
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from google.protobuf import message

import protos
from reference_server.armada_swagger import swagger_for
from reference_server.config import ServerConfig
from reference_server.cors import cors_headers, cors_middleware
from reference_server.faults import Faults
from reference_server.flavours import Flavour, flavour, offered_routes
from reference_server.gateway.codec import build_request
from reference_server.gateway.errors import (
    JSON_TYPE,
    InjectedStreamError,
    error_response,
    http_status,
    routing_error,
    status_details,
    stream_error_body,
)
from reference_server.gateway.metadata import incoming_headers, outgoing_metadata, request_timeout
from reference_server.gateway.streams import LineEncoders, StreamPump, grpc_stream_path, write_lines
from reference_server.json_codec import BadRequest, JsonCodec, NilElementPanic
from reference_server.limits import MAX_HEADER_BYTES, clip

log = logging.getLogger(__name__)
CLIENT_CLOSED = 499  # nginx's status for a request whose client went away; never reaches anyone


class Gateway:
    """Per-application state: the channel, codec, stream caches and open streams."""

    def __init__(self, grpc_target: str, config: ServerConfig) -> None:
        self.grpc_target = grpc_target
        self.config = config
        self.faults = config.faults
        self.flavour = flavour(config.flavour)
        self.codec = JsonCodec.for_flavour(self.flavour, enums_as_numbers="rest-enum-as-number" in config.faults)
        self.encoders = LineEncoders(self.codec)
        self.channel: grpc.aio.Channel | None = None
        self.open_calls: set[Any] = set()
        self.open_pumps: set[StreamPump] = set()  # live REST streams (tests read their buffered bytes)

    async def open(self, _app: web.Application) -> None:
        size = self.config.max_message_bytes
        options = [
            ("grpc.max_receive_message_length", size),
            ("grpc.max_send_message_length", size),
            ("grpc.max_metadata_size", MAX_HEADER_BYTES),
            ("grpc.absolute_max_metadata_size", MAX_HEADER_BYTES),
        ]
        self.channel = grpc.aio.insecure_channel(self.grpc_target, options=options)

    async def shutdown(self, _app: web.Application) -> None:
        """Cancel open streams first: a watching client would otherwise hold shutdown up."""
        for call in list(self.open_calls):
            call.cancel()

    async def close(self, _app: web.Application) -> None:
        if self.channel is not None:
            await self.channel.close()
            self.channel = None

    def handler(self, route: protos.HttpRoute) -> Handler:
        if route.method.server_streaming:
            return functools.partial(self.handle_stream, route)
        return functools.partial(self.handle_unary, route)

    async def handle_unary(self, route: protos.HttpRoute, request: web.Request) -> web.StreamResponse:
        msg = await build_request(route, request, self.codec, self.faults, self.config.max_message_bytes)
        metadata, timeout = outgoing_metadata(request), request_timeout(request)
        response_class = protos.message_class(route.method.output_type.full_name)
        assert self.channel is not None
        call = self.channel.unary_unary(
            route.grpc_path, request_serializer=_serialize, response_deserializer=response_class.FromString
        )(msg, metadata=metadata, timeout=timeout)
        try:
            reply = await call
        except grpc.aio.AioRpcError as exc:
            return self.rpc_error_response(exc)
        headers = self.answer_headers(await call.initial_metadata(), await call.trailing_metadata())
        body = self.codec.to_dict(reply)
        if route.method.name == "GetQueue" and "rest-grpc-differ" in self.faults:
            body["priorityFactor"] = float(body.get("priorityFactor", 0)) + 1.0
        return web.Response(
            status=200, body=self.codec.dumps_value(body).encode(), content_type=JSON_TYPE, headers=headers
        )

    def answer_headers(self, *metadata: Any) -> dict[str, str]:
        """Headers for a gRPC answer; Armada's gateway also forwards the gRPC content type."""
        headers = incoming_headers(*metadata)
        if self.flavour.forwards_content_type:
            headers.setdefault("Grpc-Metadata-Content-Type", "application/grpc")
        return headers

    def rpc_error_response(self, exc: Any) -> web.Response:
        """The error answer for a failed unary call (``AioRpcError`` or a synchronous ``RpcError``)."""
        headers = self.answer_headers(exc.initial_metadata(), exc.trailing_metadata())
        return error_response(
            exc.code(), exc.details() or "", self.faults, headers, status_details(exc.trailing_metadata())
        )

    def stream_failed_response(self, exc: Any, request: web.Request) -> web.Response:
        """A stream that failed before its first message: the mapped status and one stream error line."""
        headers = self.answer_headers(exc.initial_metadata(), exc.trailing_metadata())
        headers.update(cors_headers(request, self.config.cors_origins))
        return web.Response(
            status=http_status(exc.code(), self.faults),
            body=self.stream_error_line(exc),
            content_type=JSON_TYPE,
            headers=headers,
        )

    async def handle_stream(self, route: protos.HttpRoute, request: web.Request) -> web.StreamResponse:
        msg = await build_request(route, request, self.codec, self.faults, self.config.max_message_bytes)
        metadata, timeout = outgoing_metadata(request), request_timeout(request)
        assert self.channel is not None
        path, batched = grpc_stream_path(route)
        # No deserializer: the pump re-encodes raw bytes (``LineEncoders``), so messages arrive as bytes.
        call: grpc.aio.UnaryStreamCall[Any, bytes] = self.channel.unary_stream(
            path, request_serializer=_serialize, response_deserializer=None
        )(msg, metadata=metadata, timeout=timeout)
        self.open_calls.add(call)
        pump = StreamPump(call, self.encoders.for_route(route), request, batched=batched)
        self.open_pumps.add(pump)
        try:
            return await self._relay(route, request, pump)
        finally:
            pump.close()  # cancels the call: a no-op once finished, else frees the server-side stream
            self.open_calls.discard(call)
            self.open_pumps.discard(pump)

    async def _relay(self, route: protos.HttpRoute, request: web.Request, pump: StreamPump) -> web.StreamResponse:
        lines, error = await pump.take()
        if pump.disconnected:
            raise ConnectionResetError("the client went away before the stream started")
        if not lines and error is not None:
            return self.stream_failed_response(error, request)
        headers = self.answer_headers(pump.initial_metadata)
        headers.update(cors_headers(request, self.config.cors_origins))
        response = web.StreamResponse(status=200, headers=headers)
        response.content_type = JSON_TYPE
        await response.prepare(request)
        inject = route.method.name == "GetJobSetEvents" and "rest-stream-error-line" in self.faults
        await write_lines(response, pump, lines, error, self.stream_error_line, InjectedStreamError if inject else None)
        return response

    def stream_error_line(self, error: Any) -> bytes:
        """The stream error line; Armada's gateway writes no newline after it (Go drops empty members)."""
        body = stream_error_body(error, self.faults)
        if self.codec.go:
            body["error"] = {k: v for k, v in body["error"].items() if v}
        end = b"\n" if self.flavour.stream_error_newline else b""
        return self.codec.dumps_value(body).encode() + end


def _serialize(msg: message.Message) -> bytes:
    return msg.SerializeToString()


def _error_middleware(faults: Faults, chosen: Flavour) -> Middleware:
    """Every failure leaves as a grpc-gateway error answer; never a traceback, never a bare 500."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            return error_response(grpc.StatusCode.INVALID_ARGUMENT, clip(str(exc)), faults)
        except NilElementPanic:
            # Armada's handler panics; net/http recovers by closing the connection, answering nothing.
            if request.transport is not None:
                request.transport.close()
            return web.Response(status=CLIENT_CLOSED, reason="Client Closed Request")
        except (web.HTTPMethodNotAllowed, web.HTTPNotFound) as exc:
            return routing_error(exc, faults, chosen)
        except web.HTTPRequestEntityTooLarge as exc:
            return error_response(
                grpc.StatusCode.RESOURCE_EXHAUSTED, exc.text or "request body too large", faults, status=413
            )
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(grpc.StatusCode.UNKNOWN, exc.reason, faults, status=exc.status)
        except asyncio.CancelledError:
            raise
        except ConnectionError:
            # The client left (a watcher closing its stream early): nobody to answer, nothing to
            # log. aiohttp drops a response it cannot write quietly; an exception it would log.
            return web.Response(status=CLIENT_CLOSED, reason="Client Closed Request")
        except Exception:
            log.exception("REST gateway: unexpected error on %s %s", request.method, request.path)
            return error_response(grpc.StatusCode.INTERNAL, "internal error in the REST gateway", faults)

    return middleware


GATEWAY_KEY = web.AppKey("gateway", Gateway)


def create_app(grpc_target: str, config: ServerConfig) -> web.Application:
    """The aiohttp application serving the REST API and the swagger (where the flavour serves it)."""
    gateway = Gateway(grpc_target, config)
    app = web.Application(
        middlewares=[cors_middleware(config.cors_origins), _error_middleware(config.faults, gateway.flavour)],
        client_max_size=config.max_message_bytes,
    )
    for route in offered_routes(gateway.flavour):
        app.router.add_route(route.verb, route.path, gateway.handler(route), name=route.method.full_name)
    swagger_body = json.dumps(swagger_for(gateway.flavour.name, config.faults), indent=1).encode()

    async def swagger(_request: web.Request) -> web.Response:
        if "swagger-not-served" in config.faults:
            raise web.HTTPNotFound()
        return web.Response(body=swagger_body, content_type=JSON_TYPE)

    for path in gateway.flavour.swagger_paths:
        app.router.add_get(path, swagger)
    app.on_startup.append(gateway.open)
    app.on_shutdown.append(gateway.shutdown)
    app.on_cleanup.append(gateway.close)
    app[GATEWAY_KEY] = gateway
    return app
