"""Before any check: is the target reachable and usable at all?

An unreachable address, a TLS mismatch or a REST URL that does not answer would
otherwise fail every check with the same cause. Here it becomes one ``TargetError``
naming the cause, and the run stops with exit status 2.
"""

from __future__ import annotations

import socket
import ssl

import requests

from conformance.eras import wire
from conformance.target import Target, TargetError
from conformance.transport.grpc_client import GrpcClient
from conformance.transport.rest_client import RestClient


def check_target(target: Target) -> None:
    _tcp(target.grpc, "gRPC")
    try:
        client = GrpcClient(target.grpc, target.tls, timeout=min(target.timeout, 10), connection=target.connection)
    except (ssl.SSLError, OSError) as exc:  # insecure TLS fetches the certificate first: no TLS there?
        raise TargetError(
            f"TLS handshake with gRPC endpoint {target.grpc} failed: {_first_line(exc)} "
            "(is it serving plaintext? then leave tls out of the target)"
        ) from None
    with client:
        result = client.call(wire("Submit/Health"), {})
    if result.code in ("UNAVAILABLE", "DEADLINE_EXCEEDED"):
        hint = " (TLS settings do not match the server?)" if target.tls or "ssl" in result.details.lower() else ""
        raise TargetError(f"gRPC endpoint {target.grpc} does not answer: {result.code} {result.details}{hint}")
    if target.rest:
        host_port = target.rest.split("://", 1)[1].split("/", 1)[0]
        default_port = "443" if target.rest.startswith("https") else "80"
        _tcp(host_port if ":" in host_port else f"{host_port}:{default_port}", "REST")
        rest = RestClient(target.rest, target.tls, min(target.timeout, 10), connection=target.connection)
        try:
            rest.raw("GET", "/api/swagger.json")
        except requests.exceptions.SSLError as exc:
            raise TargetError(f"TLS handshake with REST endpoint {target.rest} failed: {_first_line(exc)}") from None
        except requests.RequestException as exc:
            raise TargetError(f"REST endpoint {target.rest} does not answer: {_first_line(exc)}") from None
        finally:
            rest.close()


def _tcp(host_port: str, what: str) -> None:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise TargetError(f"cannot reach the {what} endpoint {host_port}: {exc}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
