"""Error answers of the REST gateway, as grpc-gateway v1 writes them.

Two shapes: the unary body ``{"error", "code", "message"[, "details"]}`` and the
stream error line ``{"error": {"grpc_code", "http_code", "message", "http_status"}}``.
Both take the HTTP status from the gRPC code through one table.
"""

from __future__ import annotations

import base64
import contextlib
import http
import json
from typing import Any

import grpc
from aiohttp import web

from reference_server.faults import Faults
from reference_server.flavours import Flavour
from reference_server.gateway.wire import wire_fields

JSON_TYPE = "application/json"

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


def error_body(
    code: grpc.StatusCode, message_text: str, faults: Faults, details: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    """grpc-gateway v1's error body: ``{"error", "code", "message"[, "details"]}``."""
    body: dict[str, Any] = {"error": message_text, "code": grpc_code_number(code), "message": message_text}
    if "rest-error-body-no-code" in faults:
        del body["code"]
    if details:
        body["details"] = details
    return body


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return web.Response(status=status, body=text.encode(), content_type=JSON_TYPE, headers=headers)


def error_response(
    code: grpc.StatusCode,
    message_text: str,
    faults: Faults,
    headers: dict[str, str] | None = None,
    details: list[dict[str, str]] | None = None,
    status: int | None = None,
) -> web.Response:
    return json_response(status or http_status(code, faults), error_body(code, message_text, faults, details), headers)


def stream_error_body(error: Any, faults: Faults) -> dict[str, Any]:
    """The stream error object of a failed gRPC call (``AioRpcError`` or alike)."""
    status = http_status(error.code(), faults)
    inner: dict[str, Any] = {
        "grpc_code": grpc_code_number(error.code()),
        "http_code": status,
        "message": error.details() or "",
        "http_status": status_text(status),
    }
    if "rest-error-body-no-code" in faults:
        del inner["grpc_code"]
    details = status_details(error.trailing_metadata())
    if details:
        inner["details"] = details
    return {"error": inner}


def status_details(trailing: Any) -> list[dict[str, str]]:
    """``details`` of a ``grpc-status-details-bin`` trailer (a google.rpc.Status), if any."""
    for key, value in trailing or ():
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            with contextlib.suppress(IndexError, ValueError, UnicodeDecodeError):
                return [_any_to_json(raw) for number, raw in wire_fields(value) if number == 3]
    return []


def _any_to_json(raw: bytes) -> dict[str, str]:
    fields = dict(wire_fields(raw))
    return {"type_url": fields.get(1, b"").decode(), "value": base64.b64encode(fields.get(2, b"")).decode()}


def plain_text_error(status: int, text: str) -> web.Response:
    """Go's ``http.Error``: what grpc-gateway v1's mux answers for a path or verb it has no route for."""
    return web.Response(
        status=status,
        text=text + "\n",
        content_type="text/plain",
        charset="utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def routing_error(exc: web.HTTPException, faults: Faults, chosen: Flavour) -> web.Response:
    """404 / 405 for a request no route takes: JSON error bodies (contract) or plain text (Armada)."""
    if isinstance(exc, web.HTTPMethodNotAllowed):
        if chosen.plain_routing_errors:
            return plain_text_error(405, "Method Not Allowed")
        return error_response(
            grpc.StatusCode.UNIMPLEMENTED,
            "Method Not Allowed",
            faults,
            status=405,
            headers={"Allow": ",".join(sorted(exc.allowed_methods))},
        )
    if chosen.plain_routing_errors:
        return plain_text_error(404, "Not Found")
    return error_response(grpc.StatusCode.NOT_FOUND, "Not Found", faults, status=404)


class InjectedStreamError:
    """The stand-in gRPC error of the ``rest-stream-error-line`` fault."""

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.INTERNAL

    def details(self) -> str:
        return "injected fault rest-stream-error-line: stream broken after the first events"

    def trailing_metadata(self) -> tuple[()]:
        return ()
