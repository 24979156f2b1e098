"""Extra headers, a client certificate (mTLS) and an authority override, over real sockets.

A gRPC server (grpcio) and an HTTPS server (http.server + ssl) record what
arrives; certificates come from a throw-away CA. Each option is shown to change
what happens on the wire: the server sees the header, refuses the handshake
without the client certificate, or refuses a name the certificate does not carry.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import grpc
import pytest
import requests
from throwaway_ca import Authority, Pair

import protos
from conformance.target import TargetError, load_target
from conformance.transport.connection import Connection, HeaderError, parse_header
from conformance.transport.grpc_client import GrpcClient, TlsSettings
from conformance.transport.rest_client import RestClient

SERVER_NAME = "armada.test"  # the only name on the server certificate: 127.0.0.1 is not on it


class RecordingGrpc:
    """api.Submit/Health answering OK and keeping each call's metadata."""

    def __init__(self, credentials: grpc.ServerCredentials | None = None) -> None:
        self.seen: list[dict[str, str]] = []
        method = protos.method("api.Submit", "Health")
        handler = grpc.unary_unary_rpc_method_handler(
            self._health,
            request_deserializer=protos.message_class(method.input_type.full_name).FromString,
            response_serializer=lambda m: m.SerializeToString(),
        )
        self._response = protos.message_class(method.output_type.full_name)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
        self.server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler("api.Submit", {"Health": handler})])
        self.port = (
            self.server.add_secure_port("127.0.0.1:0", credentials)
            if credentials
            else self.server.add_insecure_port("127.0.0.1:0")
        )
        self.server.start()

    def _health(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.seen.append(dict(context.invocation_metadata()))
        return self._response()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


class RecordingHttps:
    """An HTTPS server answering ``{}`` and keeping each request's headers."""

    def __init__(self, context: ssl.SSLContext) -> None:
        seen: list[dict[str, str]] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append({k.lower(): v for k, v in self.headers.items()})
                body = json.dumps({}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def server_pair(ca: Authority) -> Pair:
    return ca.issue("server", dns=(SERVER_NAME,))


@pytest.fixture(scope="module")
def client_pair(ca: Authority) -> Pair:
    return ca.issue("alice client", client=True)


@pytest.fixture
def plain_grpc() -> Iterator[RecordingGrpc]:
    server = RecordingGrpc()
    yield server
    server.server.stop(None)


@pytest.fixture
def mtls_grpc(ca: Authority, server_pair: Pair) -> Iterator[RecordingGrpc]:
    credentials = grpc.ssl_server_credentials(
        [server_pair.read()], root_certificates=ca.ca_file.read_bytes(), require_client_auth=True
    )
    server = RecordingGrpc(credentials)
    yield server
    server.server.stop(None)


def _https(ca: Authority, server_pair: Pair, require_client: bool) -> RecordingHttps:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_pair.cert, server_pair.key)
    if require_client:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(ca.ca_file)
    return RecordingHttps(context)


@pytest.fixture
def mtls_https(ca: Authority, server_pair: Pair) -> Iterator[RecordingHttps]:
    server = _https(ca, server_pair, require_client=True)
    yield server
    server.close()


# ------------------------------------------------------------------ extra headers


def test_extra_headers_travel_on_every_grpc_call_and_a_calls_own_value_wins(plain_grpc: RecordingGrpc) -> None:
    connection = Connection((("x-tenant", "blue"), ("x-gateway-key", "k-123")))
    with GrpcClient(plain_grpc.address, timeout=5, connection=connection) as client:
        assert client.call("api.Submit/Health").ok
        assert client.call("api.Submit/Health", metadata=[("x-tenant", "green")]).ok
    first, second = plain_grpc.seen
    assert first["x-tenant"] == "blue" and first["x-gateway-key"] == "k-123"
    assert second["x-tenant"] == "green" and second["x-gateway-key"] == "k-123"


def test_extra_headers_and_authority_travel_on_rest(ca: Authority, server_pair: Pair, client_pair: Pair) -> None:
    server = _https(ca, server_pair, require_client=False)
    try:
        connection = Connection((("x-tenant", "blue"),), authority=f"{SERVER_NAME}:8443")
        client = RestClient(server.url, TlsSettings(ca_file=str(ca.ca_file)), timeout=5, connection=connection)
        assert client.raw("GET", "/api/swagger.json").status == 200
        assert client.raw("GET", "/x", headers={"X-Tenant": "green"}).status == 200
        client.close()
    finally:
        server.close()
    assert server.seen[0]["x-tenant"] == "blue" and server.seen[0]["host"] == f"{SERVER_NAME}:8443"
    assert server.seen[1]["x-tenant"] == "green"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Authorization: Bearer x", "[auth.*]"),
        ("x-tenant", 'expected "name: value"'),
        (":path: /", "reserved"),
        ("grpc-timeout: 1S", "reserved"),
        ("Host: a", "authority"),
        ("x-bad name: 1", "letters, digits"),
        ("x-data-bin: AAAA", "binary"),
        ("x-two: a\r\nx-three: b", "one line"),
    ],
)
def test_headers_the_suite_cannot_send_are_refused_with_a_reason(text: str, problem: str) -> None:
    with pytest.raises(HeaderError, match=problem.replace("[", r"\[").replace("*", r"\*")):
        parse_header(text)
    assert parse_header("X-Tenant:  blue ") == ("x-tenant", "blue")


# ------------------------------------------------------------------ mutual TLS


def test_grpc_client_certificate_is_what_lets_the_call_through(
    mtls_grpc: RecordingGrpc, ca: Authority, client_pair: Pair
) -> None:
    name = Connection(authority=SERVER_NAME)
    without = TlsSettings(ca_file=str(ca.ca_file))
    with GrpcClient(mtls_grpc.address, without, timeout=5, connection=name) as client:
        assert client.call("api.Submit/Health").code == "UNAVAILABLE"
    with_cert = TlsSettings(ca_file=str(ca.ca_file), cert_file=str(client_pair.cert), key_file=str(client_pair.key))
    with GrpcClient(mtls_grpc.address, with_cert, timeout=5, connection=name) as client:
        assert client.call("api.Submit/Health").ok
    assert len(mtls_grpc.seen) == 1


def test_rest_client_certificate_is_what_lets_the_request_through(
    mtls_https: RecordingHttps, ca: Authority, client_pair: Pair
) -> None:
    name = Connection(authority=SERVER_NAME)
    bare = RestClient(mtls_https.url, TlsSettings(ca_file=str(ca.ca_file)), timeout=5, connection=name)
    with pytest.raises(requests.RequestException):
        bare.raw("GET", "/api/swagger.json")
    bare.close()
    tls = TlsSettings(ca_file=str(ca.ca_file), cert_file=str(client_pair.cert), key_file=str(client_pair.key))
    client = RestClient(mtls_https.url, tls, timeout=5, connection=name)
    assert client.raw("GET", "/api/swagger.json").status == 200
    client.close()


def test_insecure_tls_pins_the_certificate_also_when_the_server_wants_a_client_certificate(
    mtls_grpc: RecordingGrpc, client_pair: Pair
) -> None:
    tls = TlsSettings(insecure=True, cert_file=str(client_pair.cert), key_file=str(client_pair.key))
    with GrpcClient(mtls_grpc.address, tls, timeout=5, connection=Connection(authority=SERVER_NAME)) as client:
        assert client.call("api.Submit/Health").ok


# ------------------------------------------------------------------ authority / server name


def test_grpc_authority_names_the_server_the_certificate_is_checked_against(ca: Authority, server_pair: Pair) -> None:
    server = RecordingGrpc(grpc.ssl_server_credentials([server_pair.read()]))
    tls = TlsSettings(ca_file=str(ca.ca_file))
    try:
        with GrpcClient(server.address, tls, timeout=5) as client:  # 127.0.0.1 is not on the cert
            assert client.call("api.Submit/Health").code == "UNAVAILABLE"
        with GrpcClient(server.address, tls, timeout=5, connection=Connection(authority=SERVER_NAME)) as client:
            assert client.call("api.Submit/Health").ok
    finally:
        server.server.stop(None)


def test_rest_authority_names_the_server_the_certificate_is_checked_against(ca: Authority, server_pair: Pair) -> None:
    server = _https(ca, server_pair, require_client=False)
    tls = TlsSettings(ca_file=str(ca.ca_file))
    try:
        with pytest.raises(requests.exceptions.SSLError):
            RestClient(server.url, tls, timeout=5).raw("GET", "/api/swagger.json")
        named = RestClient(server.url, tls, timeout=5, connection=Connection(authority=SERVER_NAME))
        assert named.raw("GET", "/api/swagger.json").status == 200
        named.close()
    finally:
        server.close()


# ------------------------------------------------------------------ the target file and flags


def test_target_file_and_flags_configure_all_three(tmp_path: Path, ca: Authority, client_pair: Pair) -> None:
    path = tmp_path / "t.toml"
    path.write_text(f'''[target]
grpc = "127.0.0.1:1"
tls = {{ ca_file = "{ca.ca_file}", cert_file = "{client_pair.cert}", key_file = "{client_pair.key}" }}
headers = {{ "X-Tenant" = "blue", "x-zone" = "eu" }}
authority = "{SERVER_NAME}"
''')
    target = load_target(path, {"headers": ["x-tenant: green", "x-extra: 1"]})
    assert target.connection.headers == (("x-tenant", "green"), ("x-zone", "eu"), ("x-extra", "1"))
    assert target.connection.authority == SERVER_NAME
    assert target.tls == TlsSettings(
        ca_file=str(ca.ca_file), cert_file=str(client_pair.cert), key_file=str(client_pair.key)
    )
    described = target.describe()
    assert described["extra_headers"] == ["x-tenant", "x-zone", "x-extra"] and described["client_certificate"]
    assert "green" in target.secrets()  # a header value may be a gateway key: scrubbed from reports
    flags = load_target(
        None,
        {
            "grpc": "h:1",
            "client_cert": str(client_pair.cert),
            "client_key": str(client_pair.key),
            "authority": "other.test:443",
        },
    )
    assert flags.tls == TlsSettings(cert_file=str(client_pair.cert), key_file=str(client_pair.key))
    assert flags.connection.authority == "other.test:443"


@pytest.mark.parametrize(
    ("target_lines", "problem"),
    [
        ('headers = { "authorization" = "Bearer x" }', r"\[auth\.\*\]"),
        ('tls = { key_file = "KEY" }', "needs cert_file"),
        ('tls = { cert_file = "missing.pem" }', "does not exist"),
        ('authority = "https://x/"', "host or host:port"),
        ("headers = 3", "table"),
    ],
)
def test_bad_connection_settings_are_one_line_errors(
    tmp_path: Path, client_pair: Pair, target_lines: str, problem: str
) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[target]\ngrpc = "h:1"\n' + target_lines.replace("KEY", str(client_pair.key)) + "\n")
    with pytest.raises(TargetError, match=problem):
        load_target(path)


def test_the_target_ca_file_wins_over_requests_ca_bundle(
    monkeypatch: pytest.MonkeyPatch, ca: Authority, server_pair: Pair
) -> None:
    """CI images often set REQUESTS_CA_BUNDLE; a requests Session would let it replace our ca_file."""
    monkeypatch.setenv(
        "REQUESTS_CA_BUNDLE",
        "/nonexistent/bundle.pem"
        if not ssl.get_default_verify_paths().cafile
        else ssl.get_default_verify_paths().cafile,
    )
    server = _https(ca, server_pair, require_client=False)
    try:
        client = RestClient(
            server.url, TlsSettings(ca_file=str(ca.ca_file)), timeout=5, connection=Connection(authority=SERVER_NAME)
        )
        assert client.raw("GET", "/api/swagger.json").status == 200
        client.close()
    finally:
        server.close()
