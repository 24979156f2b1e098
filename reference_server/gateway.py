"""The REST gateway: grpc-gateway v1 behaviour in front of the reference gRPC server.

Routes come from the ``google.api.http`` rules of the compiled descriptors (see
``swagger.routes``), never from a hand list, so REST and the swagger cannot drift.
Each HTTP request becomes a gRPC call over a ``grpc.aio`` channel to the server
itself, as grpc-gateway does: every server interceptor, authentication included,
applies to both transports the same way.

Server streams are written as one ``{"result": ...}`` line per message. Messages
arrive as raw bytes (identity deserializer) and are turned into JSON lines through
an LRU cache keyed by those bytes: the event log is immutable, so a replayed job set
costs a hash lookup per event, and a reader task lets the writer send every line
already received in one ``write``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import functools
import http
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from aiohttp import web
from google.protobuf import descriptor, message

import protos
from reference_server.config import ServerConfig
from reference_server.cors import cors_headers, cors_middleware
from reference_server.faults import Faults
from reference_server.json_codec import BadRequest, JsonCodec
from reference_server.swagger import Route, build_swagger, routes

log = logging.getLogger(__name__)
FD = descriptor.FieldDescriptor

# grpc-gateway v1's HTTPStatusFromCode.
HTTP_STATUS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.OK: 200,
    grpc.StatusCode.CANCELLED: 408,
    grpc.StatusCode.UNKNOWN: 500,
    grpc.StatusCode.INVALID_ARGUMENT: 400,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.FAILED_PRECONDITION: 400,
    grpc.StatusCode.ABORTED: 409,
    grpc.StatusCode.OUT_OF_RANGE: 400,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.INTERNAL: 500,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DATA_LOSS: 500,
}
_METADATA_PREFIX = "grpc-metadata-"
_METADATA_KEY = re.compile(r"^[0-9a-z_.-]+$")
_TIMEOUT = re.compile(r"^(\d{1,8})([HMSmun])$")
_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}
_STREAM_CACHE_SIZE = 65536
_DISCONNECT_POLL_S = 0.25
# A writer that finds fewer lines than this waits _COALESCE_S for more: one write
# per few dozen events during a replay, and a watcher still sees each event within ms.
_BATCH_LINES = 64
_COALESCE_S = 0.002
_JSON = "application/json"
EVENTS_PATH = "/api.Event/GetJobSetEvents"
# The same stream in batches (protos/reference/gateway_events.proto): same guard, same events, fewer reads.
BATCHED_EVENTS_PATH = "/reference.GatewayEvents/GetJobSetEvents"


def http_status(code: grpc.StatusCode, faults: Faults | None = None) -> int:
    """The HTTP status grpc-gateway v1 answers for a gRPC status code."""
    if faults is not None and code == grpc.StatusCode.NOT_FOUND and "rest-wrong-status" in faults:
        return 500
    return HTTP_STATUS.get(code, 500)


def grpc_code_number(code: grpc.StatusCode) -> int:
    return int(code.value[0])


def status_text(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class GatewayError(Exception):
    """An error answered before or instead of a gRPC call (bad input, routing)."""

    def __init__(self, code: grpc.StatusCode, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


# ---- request building ---------------------------------------------------------------


def _scalar(field: FD, text: str, where: str) -> Any:
    """A path or query string converted to a field's type, as grpc-gateway's runtime does."""
    try:
        return _convert(field, text)
    except (ValueError, OverflowError, binascii.Error):
        kind = field.enum_type.full_name if field.type == FD.TYPE_ENUM else _type_name(field)
        raise BadRequest(f"{where}: {text!r} is not a valid {kind} for field {field.name}") from None


_INT_RANGES = {
    FD.TYPE_INT32: (-(2**31), 2**31 - 1), FD.TYPE_SINT32: (-(2**31), 2**31 - 1),
    FD.TYPE_SFIXED32: (-(2**31), 2**31 - 1), FD.TYPE_UINT32: (0, 2**32 - 1), FD.TYPE_FIXED32: (0, 2**32 - 1),
    FD.TYPE_INT64: (-(2**63), 2**63 - 1), FD.TYPE_SINT64: (-(2**63), 2**63 - 1),
    FD.TYPE_SFIXED64: (-(2**63), 2**63 - 1), FD.TYPE_UINT64: (0, 2**64 - 1), FD.TYPE_FIXED64: (0, 2**64 - 1),
}
_BOOLS = {"1": True, "t": True, "T": True, "TRUE": True, "true": True, "True": True,
          "0": False, "f": False, "F": False, "FALSE": False, "false": False, "False": False}


def _convert(field: FD, text: str) -> Any:
    ftype = field.type
    if ftype == FD.TYPE_STRING:
        return text
    if ftype in _INT_RANGES:
        value = int(text, 10)
        low, high = _INT_RANGES[ftype]
        if not low <= value <= high:
            raise ValueError("out of range")
        return value
    if ftype in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return float(text)
    if ftype == FD.TYPE_BOOL:
        return _BOOLS[text] if text in _BOOLS else _raise(ValueError("not a boolean"))
    if ftype == FD.TYPE_ENUM:
        value_desc = field.enum_type.values_by_name.get(text)
        if value_desc is None and text.lstrip("-").isdigit():
            value_desc = field.enum_type.values_by_number.get(int(text))
        if value_desc is None:
            raise ValueError("unknown enum value")
        return value_desc.number
    if ftype == FD.TYPE_BYTES:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)
    raise ValueError("unsupported type")


def _raise(exc: Exception) -> Any:
    raise exc


def _type_name(field: FD) -> str:
    names = {v: k for k, v in vars(FD).items() if k.startswith("TYPE_")}
    return names.get(field.type, "value").removeprefix("TYPE_").lower()


def _find_field(desc: descriptor.Descriptor, name: str) -> FD | None:
    return desc.fields_by_name.get(name) or desc.fields_by_camelcase_name.get(name)


def set_field_path(msg: message.Message, dotted: str, values: list[str], where: str) -> bool:
    """Set ``a.b.c`` of ``msg`` from strings; False when the path names no field (ignored, as v1)."""
    parts = dotted.split(".")
    target = msg
    for part in parts[:-1]:
        field = _find_field(target.DESCRIPTOR, part)
        if field is None or field.type != FD.TYPE_MESSAGE or field.is_repeated:
            return False
        target = getattr(target, field.name)
    field = _find_field(target.DESCRIPTOR, parts[-1])
    if field is None or field.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
        return False
    converted = [_scalar(field, v, where) for v in values]
    if field.is_repeated:
        getattr(target, field.name).extend(converted)
    else:
        setattr(target, field.name, converted[-1])
    return True


# ---- metadata -----------------------------------------------------------------------


def outgoing_metadata(request: web.Request) -> list[tuple[str, str | bytes]]:
    """The gRPC metadata grpc-gateway v1 derives from an HTTP request's headers."""
    metadata: list[tuple[str, str | bytes]] = []
    for key, value in request.headers.items():
        lower = key.lower()
        if lower == "authorization":
            metadata.append(("authorization", _ascii_value(key, value)))
        elif lower.startswith(_METADATA_PREFIX):
            name = lower[len(_METADATA_PREFIX):]
            if not _METADATA_KEY.match(name) or name.startswith("grpc-"):
                raise BadRequest(f"header {key}: {name!r} is not a valid gRPC metadata key")
            metadata.append((name, _binary_value(key, value) if name.endswith("-bin") else _ascii_value(key, value)))
    if request.remote:
        metadata.append(("x-forwarded-for", request.remote))
    if request.host:
        metadata.append(("x-forwarded-host", _ascii_value("Host", request.host)))
    return metadata


def _ascii_value(key: str, value: str) -> str:
    if not all(" " <= ch <= "~" for ch in value):
        raise BadRequest(f"header {key}: value must be printable ASCII to travel as gRPC metadata")
    return value


def _binary_value(key: str, value: str) -> bytes:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"header {key}: a -bin metadata value must be base64") from None


def incoming_headers(*metadata_sets: Any) -> dict[str, str]:
    """HTTP headers for gRPC response metadata: ``Grpc-Metadata-<key>``, WWW-Authenticate as is."""
    headers: dict[str, str] = {}
    for metadata in metadata_sets:
        for key, value in metadata or ():
            text = base64.b64encode(value).decode() if isinstance(value, bytes) else str(value)
            if key.lower() == "www-authenticate":
                headers["WWW-Authenticate"] = text
            else:
                headers[f"Grpc-Metadata-{key}"] = text
    return headers


def request_timeout(request: web.Request) -> float | None:
    """The deadline a client asked for with ``Grpc-Timeout`` (grpc-gateway honours it)."""
    raw = request.headers.get("Grpc-Timeout")
    if raw is None:
        return None
    match = _TIMEOUT.match(raw.strip())
    if not match:
        raise BadRequest(f"header Grpc-Timeout: {raw!r} is not a gRPC timeout such as 10S or 500m")
    return int(match.group(1)) * _TIMEOUT_UNITS[match.group(2)]


# ---- error bodies -------------------------------------------------------------------


def error_body(code: grpc.StatusCode, message_text: str, faults: Faults,
               details: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """grpc-gateway v1's error body: ``{"error", "code", "message"[, "details"]}``."""
    body: dict[str, Any] = {"error": message_text, "code": grpc_code_number(code), "message": message_text}
    if "rest-error-body-no-code" in faults:
        del body["code"]
    if details:
        body["details"] = details
    return body


def _json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return web.Response(status=status, body=text.encode(), content_type=_JSON, headers=headers)


def error_response(code: grpc.StatusCode, message_text: str, faults: Faults, headers: dict[str, str] | None = None,
                   details: list[dict[str, str]] | None = None, status: int | None = None) -> web.Response:
    return _json_response(status or http_status(code, faults), error_body(code, message_text, faults, details),
                          headers)


def status_details(trailing: Any) -> list[dict[str, str]]:
    """``details`` of a ``grpc-status-details-bin`` trailer (a google.rpc.Status), if any."""
    for key, value in trailing or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            with contextlib.suppress(IndexError, ValueError, UnicodeDecodeError):
                return [_any_to_json(raw) for number, raw in _wire_fields(value) if number == 3]
    return []


def _any_to_json(raw: bytes) -> dict[str, str]:
    fields = dict(_wire_fields(raw))
    return {"type_url": fields.get(1, b"").decode(), "value": base64.b64encode(fields.get(2, b"")).decode()}


def _wire_fields(data: bytes) -> list[tuple[int, bytes]]:
    """Length-delimited fields of a serialized message (others skipped); enough for Status/Any."""
    out, pos = [], 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            _, pos = _varint(data, pos)
        elif wire_type == 2:
            length, pos = _varint(data, pos)
            out.append((number, data[pos:pos + length]))
            pos += length
        elif wire_type in (1, 5):
            pos += 8 if wire_type == 1 else 4
        else:
            raise ValueError("unsupported wire type")
    return out


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


# ---- the gateway ----------------------------------------------------------------------


class Gateway:
    """Per-application state: the channel, codec, stream caches and open streams."""

    def __init__(self, grpc_target: str, config: ServerConfig) -> None:
        self.grpc_target = grpc_target
        self.config = config
        self.faults = config.faults
        self.codec = JsonCodec(enums_as_numbers="rest-enum-as-number" in config.faults)
        self.channel: grpc.aio.Channel | None = None
        self.open_calls: set[Any] = set()
        self._line_encoders: dict[str, Callable[[bytes], bytes]] = {}

    async def open(self, _app: web.Application) -> None:
        size = self.config.max_message_bytes
        options = [("grpc.max_receive_message_length", size), ("grpc.max_send_message_length", size)]
        self.channel = grpc.aio.insecure_channel(self.grpc_target, options=options)

    async def shutdown(self, _app: web.Application) -> None:
        """Cancel open streams first: a watching client would otherwise hold shutdown up."""
        for call in list(self.open_calls):
            call.cancel()

    async def close(self, _app: web.Application) -> None:
        if self.channel is not None:
            await self.channel.close()
            self.channel = None

    # -- request -> message

    async def build_request(self, route: Route, request: web.Request) -> message.Message:
        msg = protos.message_class(route.method.input_type.full_name)()
        if route.body == "*":
            try:
                self.codec.parse_body(await request.read(), msg)
            except BadRequest:
                if "rest-500-on-bad-input" in self.faults:
                    raise web.HTTPInternalServerError(reason="Internal Server Error") from None
                raise
        elif route.body:
            self._parse_body_field(route.body, await request.read(), msg)
        for name in route.path_params:
            if not set_field_path(msg, name, [request.match_info[name]], f"path parameter {name}"):
                raise BadRequest(f"path parameter {name} names no field of {msg.DESCRIPTOR.full_name}")
        if not route.body:
            bound = set(route.path_params)
            for key in request.query:
                if key not in bound:
                    set_field_path(msg, key, request.query.getall(key), f"query parameter {key}")
        return msg

    def _parse_body_field(self, field_name: str, raw: bytes, msg: message.Message) -> None:
        try:
            value = json.loads(raw) if raw.strip() else None
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"request body is not valid JSON: {exc}") from None
        if value is not None:
            field = msg.DESCRIPTOR.fields_by_name[field_name]
            self.codec.merge_dict({field.json_name: value}, msg)

    # -- handlers

    def handler(self, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        if route.method.server_streaming:
            return functools.partial(self.handle_stream, route)
        return functools.partial(self.handle_unary, route)

    async def handle_unary(self, route: Route, request: web.Request) -> web.StreamResponse:
        msg = await self.build_request(route, request)
        metadata, timeout = outgoing_metadata(request), request_timeout(request)
        response_class = protos.message_class(route.method.output_type.full_name)
        assert self.channel is not None
        call = self.channel.unary_unary(route.grpc_path, request_serializer=_serialize,
                                        response_deserializer=response_class.FromString)(
            msg, metadata=metadata, timeout=timeout)
        try:
            reply = await call
        except grpc.aio.AioRpcError as exc:
            return self.rpc_error_response(exc)
        headers = incoming_headers(await call.initial_metadata(), await call.trailing_metadata())
        body = self.codec.to_dict(reply)
        if route.method.name == "GetQueue" and "rest-grpc-differ" in self.faults:
            body["priorityFactor"] = float(body.get("priorityFactor", 0)) + 1.0
        return _json_response(200, body, headers)

    def rpc_error_response(self, exc: Any) -> web.Response:
        """The error answer for a failed call (``AioRpcError`` or a synchronous ``RpcError``)."""
        headers = incoming_headers(exc.initial_metadata(), exc.trailing_metadata())
        return error_response(exc.code(), exc.details() or "", self.faults, headers,
                              status_details(exc.trailing_metadata()))

    def line_encoder(self, route: Route) -> Callable[[bytes], bytes]:
        """Raw message bytes -> ``{"result": ...}\\n``, memoised (a pure function of the bytes)."""
        name = route.method.output_type.full_name
        if name not in self._line_encoders:
            message_class = protos.message_class(name)
            codec = self.codec

            @functools.lru_cache(maxsize=_STREAM_CACHE_SIZE)
            def encode(raw: bytes) -> bytes:
                result = codec.dumps(message_class.FromString(raw))
                return b'{"result":' + result.encode() + b"}\n"

            self._line_encoders[name] = encode
        return self._line_encoders[name]

    async def handle_stream(self, route: Route, request: web.Request) -> web.StreamResponse:
        msg = await self.build_request(route, request)
        metadata, timeout = outgoing_metadata(request), request_timeout(request)
        assert self.channel is not None
        batched = route.grpc_path == EVENTS_PATH
        call = self.channel.unary_stream(BATCHED_EVENTS_PATH if batched else route.grpc_path,
                                         request_serializer=_serialize,
                                         response_deserializer=None)(msg, metadata=metadata, timeout=timeout)
        self.open_calls.add(call)
        pump = _StreamPump(call, self.line_encoder(route), request, batched=batched)
        try:
            return await self._relay(route, request, pump)
        finally:
            pump.close()  # cancels the call: a no-op once finished, else frees the server-side stream
            self.open_calls.discard(call)

    async def _relay(self, route: Route, request: web.Request, pump: _StreamPump) -> web.StreamResponse:
        lines, error = await pump.take()
        if pump.disconnected:
            raise ConnectionResetError("the client went away before the stream started")
        if not lines and error is not None:
            return self.rpc_error_response(error)
        headers = incoming_headers(pump.initial_metadata)
        headers.update(cors_headers(request, self.config.cors_origins))
        response = web.StreamResponse(status=200, headers=headers)
        response.content_type = _JSON
        await response.prepare(request)
        # A client that leaves mid-stream is told nothing more; the pump cancels the gRPC call.
        with contextlib.suppress(ConnectionResetError):
            await self._write_lines(route, response, pump, lines, error)
        return response

    async def _write_lines(self, route: Route, response: web.StreamResponse, pump: _StreamPump,
                           lines: list[bytes], error: Any) -> None:
        inject = route.method.name == "GetJobSetEvents" and "rest-stream-error-line" in self.faults
        while True:
            if lines:
                await response.write(b"".join(lines))
                if inject:
                    error = _injected_error()
                    break
            if pump.finished and not pump.pending:
                error = error or pump.error
                break
            lines, error = await pump.take()
            if pump.disconnected:
                return
        if error is not None:
            await response.write(self.stream_error_line(error))
        await response.write_eof()

    def stream_error_line(self, error: Any) -> bytes:
        status = http_status(error.code(), self.faults)
        body = {"error": {"grpc_code": grpc_code_number(error.code()), "http_code": status,
                          "message": error.details() or "", "http_status": status_text(status)}}
        details = status_details(error.trailing_metadata())
        if details:
            body["error"]["details"] = details
        return json.dumps(body, separators=(",", ":")).encode() + b"\n"


class _InjectedError:
    """The stand-in gRPC error of the ``rest-stream-error-line`` fault."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.INTERNAL

    def details(self) -> str:
        return "injected fault rest-stream-error-line: stream broken after the first events"

    def trailing_metadata(self) -> tuple[()]:
        return ()


def _injected_error() -> Any:
    return _InjectedError()


def _serialize(msg: message.Message) -> bytes:
    return msg.SerializeToString()


class _StreamPump:
    """Reads a gRPC stream in its own task and queues encoded lines for the writer.

    The writer takes *everything* queued at each wake-up, so a fast server's
    messages leave in few large writes while a slow (watching) stream still sends
    each line as soon as it arrives. A timer checks every quarter second whether
    the HTTP client has gone and then cancels the gRPC call: aiohttp does not
    cancel handlers on disconnect by default, and a watching stream may be idle.
    """

    def __init__(self, call: grpc.aio.UnaryStreamCall, encode: Callable[[bytes], bytes],
                 request: web.Request, batched: bool = False) -> None:
        self.batched = batched  # each gRPC message is a reference.EventBatch of many events
        self.call = call
        self.encode = encode
        self.request = request
        self.pending: list[bytes] = []
        self.error: grpc.aio.AioRpcError | None = None
        self.initial_metadata: Any = ()
        self.finished = False
        self.disconnected = False
        self._loop = asyncio.get_running_loop()
        self._waiter: asyncio.Future[None] | None = None
        self.task = asyncio.ensure_future(self._run())
        self._timer = self._loop.call_later(_DISCONNECT_POLL_S, self._check_client)

    async def _run(self) -> None:
        encode, pending, call = self.encode, self.pending, self.call
        try:
            self.initial_metadata = await call.initial_metadata()
            async for raw in call:
                if self.batched:
                    pending.extend(encode(event) for number, event in _wire_fields(raw) if number == 1)
                else:
                    pending.append(encode(raw))
                waiter = self._waiter
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
        except grpc.aio.AioRpcError as exc:
            self.error = exc
            self.initial_metadata = _safe_initial_metadata(exc)
        except asyncio.CancelledError:
            pass
        finally:
            self.finished = True
            self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _check_client(self) -> None:
        if self.finished:
            return
        if _client_gone(self.request):
            self.disconnected = True
            self.call.cancel()
            self._wake()
            return
        self._timer = self._loop.call_later(_DISCONNECT_POLL_S, self._check_client)

    def close(self) -> None:
        self._timer.cancel()
        self.call.cancel()
        self.task.cancel()

    async def take(self) -> tuple[list[bytes], grpc.aio.AioRpcError | None]:
        """Wait for lines or the end; give back all queued lines, and the error once ended."""
        if not self.pending and not self.finished and not self.disconnected:
            self._waiter = self._loop.create_future()
            await self._waiter
            self._waiter = None
        if len(self.pending) < _BATCH_LINES and not self.finished and not self.disconnected:
            await asyncio.sleep(_COALESCE_S)  # let a replay's next lines join this write
        if self.disconnected:
            return [], None
        lines = self.pending[:]
        self.pending.clear()
        return lines, (self.error if self.finished else None)


def _safe_initial_metadata(exc: Any) -> Any:
    try:
        return exc.initial_metadata()
    except Exception:
        return ()


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


# ---- application ----------------------------------------------------------------------


def _error_middleware(faults: Faults) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Every failure leaves as a grpc-gateway error body; never a traceback, never a bare 500."""

    @web.middleware
    async def middleware(request: web.Request,
                         handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as exc:
            return error_response(grpc.StatusCode.INVALID_ARGUMENT, str(exc), faults)
        except web.HTTPMethodNotAllowed as exc:
            return error_response(grpc.StatusCode.UNIMPLEMENTED, "Method Not Allowed", faults, status=405,
                                  headers={"Allow": ",".join(sorted(exc.allowed_methods))})
        except web.HTTPNotFound:
            return error_response(grpc.StatusCode.NOT_FOUND, "Not Found", faults, status=404)
        except web.HTTPRequestEntityTooLarge as exc:
            return error_response(grpc.StatusCode.RESOURCE_EXHAUSTED, exc.text or "request body too large",
                                  faults, status=413)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return error_response(grpc.StatusCode.UNKNOWN, exc.reason, faults, status=exc.status)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception:
            log.exception("REST gateway: unexpected error on %s %s", request.method, request.path)
            return error_response(grpc.StatusCode.INTERNAL, "internal error in the REST gateway", faults)

    return middleware


GATEWAY_KEY = web.AppKey("gateway", Gateway)


def create_app(grpc_target: str, config: ServerConfig) -> web.Application:
    """The aiohttp application serving the REST API and ``/api/swagger.json``."""
    gateway = Gateway(grpc_target, config)
    app = web.Application(middlewares=[cors_middleware(config.cors_origins), _error_middleware(config.faults)],
                          client_max_size=config.max_message_bytes)
    for route in routes():
        app.router.add_route(route.verb, route.path, gateway.handler(route), name=route.method.full_name)
    swagger_body = json.dumps(build_swagger(config.faults), indent=1).encode()

    async def swagger(_request: web.Request) -> web.Response:
        if "swagger-not-served" in config.faults:
            raise web.HTTPNotFound()
        return web.Response(body=swagger_body, content_type=_JSON)

    app.router.add_get("/api/swagger.json", swagger)
    app.on_startup.append(gateway.open)
    app.on_shutdown.append(gateway.shutdown)
    app.on_cleanup.append(gateway.close)
    app[GATEWAY_KEY] = gateway
    return app
