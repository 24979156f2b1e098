"""The gateway's HTTP server: aiohttp with the reference server's limits and quiet refusals.

Two things aiohttp does by default that a server facing attackers must not:

* a request it cannot parse (a header over the limit, a control character, a folded
  header) is answered with a plain-text 400 that *repeats the offending line*, and
  logged with a traceback that repeats it again: a Basic password or a Negotiate
  token ends up in the log and in the answer (issue 13 item 1). Here the answer and
  the single log line name only the kind of defect;
* request bodies are inflated (``Content-Encoding: gzip``) as they arrive, before
  any size limit applies, so a 200 KiB gzip bomb costs a second of CPU on the loop
  that also serves gRPC. Here aiohttp hands the body over as sent and the gateway
  inflates it with the limit enforced while inflating (``body.py``).

aiohttp builds its protocol objects in ``Server.__call__``; ``AppRunner._make_server``
is the one place to choose that class, so the runner below overrides it.
"""

from __future__ import annotations

import http
import logging
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import (
    BadHttpMessage,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    LineTooLong,
    PayloadEncodingError,
)
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from reference_server.limits import MAX_HEADER_BYTES

log = logging.getLogger(__name__)

# What the caller and the log are told, per kind of defect (first match wins); never the line itself.
_REASONS: tuple[tuple[type[BaseException], int, str], ...] = (
    (LineTooLong, 431, f"a header or the request line is longer than {MAX_HEADER_BYTES} bytes"),
    (InvalidHeader, 400, "a header is malformed (control character, folded line or bad name)"),
    (BadStatusLine, 400, "the request line is malformed"),
    (PayloadEncodingError, 400, "the body's transfer or content encoding is malformed"),
    (BadHttpMessage, 400, "the request is not valid HTTP/1.1"),
)


def refusal(exc: BaseException, status: int) -> tuple[int, str]:
    for kind, kind_status, reason in _REASONS:
        if isinstance(exc, kind):
            return kind_status, reason
    return status, "the request is not valid HTTP/1.1"


class _QuietRequestHandler(RequestHandler):
    def handle_error(
        self, request: BaseRequest, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if status >= 500 or not isinstance(exc, HttpProcessingError):
            return super().handle_error(request, status, exc, message)
        status, reason = refusal(exc, status)
        log.info("refused a malformed HTTP request from %s: %s", request.remote, reason)
        if request.writer.output_size > 0:
            raise ConnectionError("the response had started; the connection is closed instead")
        response = web.Response(
            status=status, text=f"{status} {http.HTTPStatus(status).phrase}: {reason}\n", content_type="text/plain"
        )
        response.force_close()
        return response


class _QuietServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _QuietRequestHandler(self, loop=self._loop, **self._kwargs)


class HardenedAppRunner(web.AppRunner):
    """``web.AppRunner`` with the header limit, no automatic inflation, and quiet refusals."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        super().__init__(app, max_field_size=MAX_HEADER_BYTES, auto_decompress=False, **kwargs)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _QuietServer  # same state, our protocol class (see the module docstring)
        return server
