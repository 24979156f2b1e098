"""Two HTTP servers that are not Armada's gateway, written from scratch on the standard library.

- ``NotFoundServer`` answers every request ``404 page not found`` (text/plain), as a Go
  server with a default mux does for any route it lacks: a REST URL pointing at the
  wrong service, or at a gateway with no routes.
- ``EchoServer`` answers every request 200 with its own body (and Content-Type): a
  server that "answers" without understanding anything.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet: tests read outcomes, not logs
        pass

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self) -> None:
        raise NotImplementedError

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = lambda self: self._answer()


class _NotFound(_Handler):
    def _answer(self) -> None:
        self._body()
        self._send(404, b"404 page not found\n", "text/plain; charset=utf-8")


class _Echo(_Handler):
    def _answer(self) -> None:
        body = self._body()
        self._send(200, body, self.headers.get("Content-Type") or "application/octet-stream")


class _Background:
    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self) -> _Background:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


class NotFoundServer(_Background):
    handler = _NotFound


class EchoServer(_Background):
    handler = _Echo
