"""Before any check: is the target reachable and usable at all, and does it take our credentials?

An unreachable address, a TLS mismatch, a REST URL that does not answer or a wrong
password would otherwise fail every check with the same cause (92 checks "could not
create a queue: UNAUTHENTICATED"). Here it becomes one ``TargetError`` naming the
cause (for credentials: the scheme and the user), and the run stops with exit status 2.
"""

from __future__ import annotations

import re
import socket
import ssl

import requests

from conformance.eras import wire
from conformance.target import Identity, Target, TargetError
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
            raise TargetError(_unanswered(target, result.code, result.details))
        check_credentials(target, client)
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
            raise TargetError(_rest_unanswered(target.rest, exc)) from None
        finally:
            rest.close()


# A read-only call every era serves and authenticates: the answer says whether the credentials were taken.
_PROBE = ("Submit/GetQueue", "QueueService/GetQueue")


def check_credentials(target: Target, client: GrpcClient) -> None:
    """One authenticated call per configured identity; a refused one is a ``TargetError`` naming scheme and user.

    Only UNAUTHENTICATED counts as refused (NOT_FOUND, PERMISSION_DENIED, OK: the server
    knew who called). A scheme the target's release lacks (Kerberos after v0.4.20) is left
    to the AUTH checks, which say so.
    """
    for scheme, settings in sorted(target.schemes.items()):
        if scheme == "kerberos" and not target.release.has("kerberos"):
            continue  # the release has no Kerberos: its AUTH checks say so
        for role, identity in (("", settings.identity), ("low-privilege ", settings.low_privilege)):
            if identity is not None:
                _prove(target, client, scheme, f"{role}user {identity.principal!r}", identity)


def _prove(target: Target, client: GrpcClient, scheme: str, who: str, identity: Identity) -> None:
    try:
        metadata = identity.metadata()
    except Exception as exc:  # e.g. no Kerberos ticket: say it in words, not as the library's exception
        raise TargetError(f"[auth.{scheme}] {who}: cannot make credentials: {_brief(str(exc))}") from None
    for method in _PROBE:
        result = client.call(wire(method), {"name": f"{target.prefix}-preflight-absent"}, metadata=metadata)
        if result.code != "UNIMPLEMENTED":
            break
    if result.code == "UNAUTHENTICATED":
        raise TargetError(
            f"the target refuses the {scheme} credentials of {who} (UNAUTHENTICATED: {_brief(result.details)}); "
            f"check [auth.{scheme}] and its secret"
        )


_TLS_REASON = re.compile(r"OPENSSL_internal:([A-Z_]+)")
_TLS_ADVICE = {
    "WRONG_VERSION_NUMBER": "the server does not speak TLS there: is it serving plaintext? then leave tls out",
    "CERTIFICATE_VERIFY_FAILED": "its certificate is not signed by tls ca_file (or the system roots): give its CA",
}


def _unanswered(target: Target, code: str, details: str) -> str:
    """Why the gRPC endpoint does not answer, with what to do about a TLS mismatch."""
    if "handshake" in details.lower() or "ssl" in details.lower():
        found = _TLS_REASON.search(details)
        seen = found.group(1) if found else ""
        # grpc cuts its details short ("WRONG_VERSION_NU"): the table's full name is the one shown
        reason = next((name for name in _TLS_ADVICE if seen and name.startswith(seen)), seen or "the handshake failed")
        advice = _TLS_ADVICE.get(reason, "the target's tls settings do not match the server")
        return f"TLS handshake with gRPC endpoint {target.grpc} failed ({reason}): {advice}"
    hint = " (TLS settings do not match the server?)" if target.tls else ""
    return f"gRPC endpoint {target.grpc} does not answer: {code} {_brief(details)}{hint}"


def _rest_unanswered(url: str, exc: requests.RequestException) -> str:
    """Why the REST URL does not answer; binary bytes back mean it is an HTTP/2 (gRPC) port."""
    if "BadStatusLine" in repr(exc) or "\\x00\\x00" in str(exc):
        return (
            f"REST endpoint {url} answered with bytes that are not HTTP/1.1 (a gRPC or HTTP/2 port?): "
            "give the REST gateway's URL, not the gRPC address"
        )
    return f"REST endpoint {url} does not answer: {_first_line(exc)}"


def _brief(text: str) -> str:
    return " ".join(text.split())[:200]


def _tcp(host_port: str, what: str) -> None:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except (OSError, ValueError) as exc:
        raise TargetError(f"cannot reach the {what} endpoint {host_port}: {exc}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
