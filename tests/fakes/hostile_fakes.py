"""Hostile servers: each answers every request in one bad way, chosen by ``mode``.

HTTP (``HostileHttpServer``; ``requests`` lists what it was sent):

- ``redirect-away`` / ``redirect-home``: 302 to another server (``Catcher``) / to itself;
- ``endless-lines``: 200 and stream lines forever; ``endless-line``: one line without end;
- ``endless-body``: 200 and a body without end; ``trickle``: a byte every 50 ms, forever;
- ``deep``: a JSON document nested 50,000 deep;
- ``discovery-file`` / ``discovery-trickle``: an OpenID discovery document whose
  ``jwks_uri`` is ``file:///etc/passwd`` / a URL of this server that trickles.

gRPC (``HugeStreamGrpcServer``): every stream sends ~8 MB messages, forever.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import grpc

import protos


class _Hostile(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self) -> None:
        self.server.requests.append((self.path, dict(self.headers.items())))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = "trickle" if self.path.endswith("/trickle") else self.server.mode
        with contextlib.suppress(OSError):  # the client went away: what a bounded client does
            getattr(self, "_" + mode.replace("-", "_"))()

    do_GET = do_POST = lambda self: self._answer()

    def _head(self, status: int = 200, **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def _redirect_away(self) -> None:
        self._head(302, Location=self.server.away + "/caught", Content_Length="0")

    def _redirect_home(self) -> None:
        if self.path.startswith("/home"):
            self._head(200, Content_Type="application/json", Content_Length="2")
            self.wfile.write(b"{}")
        else:
            self._head(302, Location=f"http://127.0.0.1:{self.server.server_address[1]}/home", Content_Length="0")

    def _forever(self, piece: bytes, pause: float = 0.0) -> None:
        self._head(200, Content_Type="application/json", Connection="close")
        while not self.server.stopping.is_set():
            self.wfile.write(piece)
            if pause:
                self.wfile.flush()
                time.sleep(pause)

    def _endless_lines(self) -> None:
        self._forever(b'{"result": {"name": "q", "priorityFactor": 1}}\n' * 2000)

    def _endless_line(self) -> None:
        self._forever(b"x" * 65536)

    def _endless_body(self) -> None:
        self._forever(b"0" * 65536)

    def _trickle(self) -> None:
        self._forever(b" ", pause=0.05)

    def _deep(self) -> None:
        body = b"[" * 50_000 + b"]" * 50_000
        self._head(200, Content_Type="application/json", Content_Length=str(len(body)))
        self.wfile.write(body)

    def _document(self, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        self._head(200, Content_Type="application/json", Content_Length=str(len(body)))
        self.wfile.write(body)

    def _discovery_file(self) -> None:
        self._document({"issuer": self.server.url, "jwks_uri": "file:///etc/passwd"})

    def _discovery_trickle(self) -> None:
        self._document({"issuer": self.server.url, "jwks_uri": self.server.url + "/trickle"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mode = ""
    away = ""
    requests: list[tuple[str, dict[str, str]]]
    stopping: threading.Event

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class HostileHttpServer:
    def __init__(self, mode: str, away: str = "") -> None:
        self.httpd = _Server(("127.0.0.1", 0), _Hostile)
        self.httpd.mode, self.httpd.away, self.httpd.requests = mode, away, []
        self.httpd.stopping = threading.Event()
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return self.httpd.url

    @property
    def requests(self) -> list[tuple[str, dict[str, str]]]:
        return self.httpd.requests

    def __enter__(self) -> HostileHttpServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.httpd.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


def huge_event(size: int = 8 * 1024 * 1024) -> bytes:
    return protos.message_class("api.EventStreamMessage")(id="x" * size).SerializeToString()


class HugeStreamGrpcServer:
    """Every method answers a stream of ~8 MB messages until the client leaves."""

    def __init__(self) -> None:
        message = huge_event()

        def endless(request: bytes, context: grpc.ServicerContext) -> Any:
            while context.is_active():
                yield message

        handler = grpc.unary_stream_rpc_method_handler(endless)

        class _Any(grpc.GenericRpcHandler):
            def service(self, details: Any) -> grpc.RpcMethodHandler:
                return handler

        self.server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=4), options=[("grpc.max_send_message_length", 64 << 20)]
        )
        self.server.add_generic_rpc_handlers((_Any(),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> HugeStreamGrpcServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(grace=None).wait(10)
