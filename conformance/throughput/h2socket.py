"""Opening the HTTP/2 connection of an ``h2reader.Call``: TCP, and TLS with ALPN ``h2`` when asked."""

from __future__ import annotations

import socket
import ssl

from conformance.throughput.h2reader import CallError


def connect(
    address: str,
    tls: bool,
    ca_file: str | None = None,
    insecure: bool = False,
    timeout: float = 10.0,
    cert_file: str | None = None,
    key_file: str | None = None,
    server_name: str | None = None,
) -> socket.socket:
    """A TCP connection to ``host:port``, wrapped in TLS with ALPN h2 when asked; refuses without h2.

    ``cert_file``/``key_file``: a client certificate (mTLS); ``server_name``: the name
    asked for (SNI) and checked in the server's certificate, when not the address's host.
    """
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    if not tls:
        return sock
    try:
        context = ssl.create_default_context(cafile=ca_file)
        if insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        if cert_file:
            context.load_cert_chain(cert_file, key_file)
        context.set_alpn_protocols(["h2"])
        wrapped = context.wrap_socket(sock, server_hostname=server_name or host)
    except BaseException:
        sock.close()
        raise
    if wrapped.selected_alpn_protocol() != "h2":
        wrapped.close()
        raise CallError(
            "UNAVAILABLE", f"the server did not agree to HTTP/2 over TLS (ALPN {wrapped.selected_alpn_protocol()!r})"
        )
    return wrapped
