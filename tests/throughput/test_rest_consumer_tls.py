"""The REST event consumer over TLS: a client certificate (mTLS) and the authority as the name asked for.

An HTTPS server (http.server + ssl) known only as ``armada.test`` and wanting a
client certificate answers the job-set stream with grpc-gateway's result lines and
records the Host header, so each setting is shown to change what happens on the
wire. The gRPC side of the same settings is in ``test_h2reader``.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from certificates import self_signed

from conformance.throughput.consumer import StreamResult, StreamSpec, read_stream

EVENTS = 30


class _JobSetStream(BaseHTTPRequestHandler):
    hosts: list[str]

    def do_POST(self) -> None:
        self.hosts.append(self.headers.get("Host", ""))
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        lines = (json.dumps({"result": {"id": str(n), "message": {}}}) + "\n" for n in range(1, EVENTS + 1))
        body = "".join(lines).encode()
        self.send_response(200)
        for name, value in (("Content-Type", "application/json"), ("Content-Length", str(len(body)))):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    files = tmp_path_factory.mktemp("rest-mtls")
    for name, names in (("server", ["armada.test"]), ("client", ["conformance-client"])):
        cert, key = self_signed(names)
        (files / f"{name}.pem").write_bytes(cert)
        (files / f"{name}.key").write_bytes(key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files / "server.pem", files / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(files / "client.pem")
    hosts: list[str] = []
    handler = type("Handler", (_JobSetStream,), {"hosts": hosts})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"https://127.0.0.1:{httpd.server_address[1]}", "files": files, "hosts": hosts}
    finally:
        httpd.shutdown()
        httpd.server_close()


def read(server: dict[str, Any], **fields: Any) -> StreamResult:
    files: Path = server["files"]
    spec = StreamSpec(
        "rest", server["url"], "q", "js", tls=True, tls_ca_file=str(files / "server.pem"), timeout=10, **fields
    )
    return read_stream(spec)


def test_client_certificate_and_authority_let_the_stream_through(server: dict[str, Any]) -> None:
    files: Path = server["files"]
    client = {"tls_cert_file": str(files / "client.pem"), "tls_key_file": str(files / "client.key")}
    result = read(server, authority="armada.test:8443", **client)
    assert (result.error, result.count, result.increasing) == ("", EVENTS, True)
    assert server["hosts"][-1] == "armada.test:8443"
    unnamed = read(server, **client)  # 127.0.0.1 is not on the server's certificate
    assert unnamed.count == 0 and "certificate" in unnamed.error.lower()
    without_certificate = read(server, authority="armada.test:8443")
    assert without_certificate.count == 0 and without_certificate.error
