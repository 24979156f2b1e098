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

And two limits aiohttp lacks: its header limit is per line (a request of 120
headers of 30 KB each passes), and it waits for the rest of a request's headers as
long as the client likes. Here all the headers of a request together may hold
``MAX_HEADER_BYTES`` (431 past it), and once a request's first byte arrived its
headers must be complete within ``HEADER_READ_SECONDS`` (408, connection closed).

aiohttp builds its protocol objects in ``Server.__call__``; ``AppRunner._make_server``
is the one place to choose that class, so the runner below overrides it.
"""

from __future__ import annotations

import asyncio
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

from reference_server.limits import HEADER_READ_SECONDS, MAX_HEADER_BYTES

_HEAD_END = b"\r\n\r\n"
_REQUEST_LINE_ALLOWANCE = 8 * 1024  # the request line comes on top of the headers

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


def _raw_refusal(status: int, reason: str) -> bytes:
    body = f"{status} {http.HTTPStatus(status).phrase}: {reason}\n".encode()
    return (
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\nContent-Type: text/plain\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


class _QuietRequestHandler(RequestHandler):
    """Quiet refusals, plus the total header limit and the header read deadline (module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # bytes of the request head being read (0: between requests)
        self._head_tail = b""  # its last 3 bytes, for a terminator split between reads
        self._body: Any = None  # the payload of the last request: while it is read, bytes are body
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._body is None or self._body.is_eof():
            self._count_head(data)
            if self._refused:
                return
        before = self._request_count
        super().data_received(data)
        if self._request_count != before:  # a head was complete: its request runs
            self._head_done()
            self._body = self._messages[-1][1] if self._messages else None

    def _count_head(self, data: bytes) -> None:
        end = (self._head_tail + data).find(_HEAD_END)
        size = len(data) if end < 0 else max(0, end - len(self._head_tail))
        if self._head_bytes == 0 and size and self._head_timer is None:
            self._head_timer = self._loop.call_later(HEADER_READ_SECONDS, self._head_too_slow)
        self._head_bytes += size
        self._head_tail = (self._head_tail + data)[-3:]
        if self._head_bytes > MAX_HEADER_BYTES + _REQUEST_LINE_ALLOWANCE:
            self._refuse(431, f"the request's headers together are longer than {MAX_HEADER_BYTES} bytes")

    def _head_done(self) -> None:
        self._head_bytes, self._head_tail = 0, b""
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._head_bytes and not self._refused:
            self._refuse(408, f"the request's headers did not arrive within {HEADER_READ_SECONDS:g} s")

    def _refuse(self, status: int, reason: str) -> None:
        """Answer and close: the head is never parsed, nor kept."""
        self._refused = True
        self._head_done()
        log.info("refused an HTTP request from %s: %s", _peer(self.transport), reason)
        transport = self.transport
        if transport is not None:
            transport.write(_raw_refusal(status, reason))
            if not transport.can_write_eof():
                transport.close()
                return
            # Half-close: the client still sending reads the answer instead of a reset; what it
            # sends meanwhile is read and dropped (data_received), for at most a second.
            transport.write_eof()
            self._loop.call_later(1.0, transport.close)

    def connection_lost(self, exc: BaseException | None) -> None:
        self._head_done()
        super().connection_lost(exc)

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


def _peer(transport: Any) -> str:
    peer = transport.get_extra_info("peername") if transport is not None else None
    return str(peer[0]) if isinstance(peer, tuple) and peer else "?"


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
