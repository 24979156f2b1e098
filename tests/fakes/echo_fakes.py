"""Targets that repeat the caller's credentials back in every error: the worst leak a report can meet.

- ``CredentialEchoGrpcServer`` refuses every method: ``PERMISSION_DENIED`` (the
  preflight, which proves credentials, passes), or ``UNAVAILABLE`` with
  ``unavailable=True`` (the preflight fails) with details
  quoting every metadata value it got, and the password decoded from a Basic value.
- ``CredentialEchoHttpServer`` answers every request 401 with a gateway-style JSON
  error quoting every header and the decoded Basic password, in the body and in a
  response header.

A run against them must still write and print none of it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from typing import Any

import grpc

from fakes.grpc_fakes import _GrpcFake
from fakes.http_fakes import _Background, _Handler


def echo_of(pairs: Iterable[tuple[str, str]]) -> str:
    """Every header as ``name -> value``, and what a Basic value decodes to, in words no pattern knows."""
    words = []
    for name, value in pairs:
        words.append(f"{name} -> {value};")
        scheme, _, token = value.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(token).decode()
            except (binascii.Error, ValueError):
                continue
            user, _, password = decoded.partition(":")
            words.append(f"which is {decoded} (so {user} said {password});")
    return "you sent " + " ".join(words)


class _RefuseAll(grpc.GenericRpcHandler):
    """Every method refused with the echo, except creations: so cleanup has something to delete."""

    def __init__(self, code: grpc.StatusCode) -> None:
        def refuse(request: bytes, context: grpc.ServicerContext) -> bytes:
            context.abort(code, echo_of((k, v) for k, v in context.invocation_metadata() if isinstance(v, str)))
            return b""

        self._refuse = grpc.unary_unary_rpc_method_handler(refuse)
        self._accept = grpc.unary_unary_rpc_method_handler(lambda request, context: b"")
        self._code = code

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        creates = handler_call_details.method.endswith(("/CreateQueue", "/SubmitJobs"))
        return self._accept if creates and self._code is grpc.StatusCode.PERMISSION_DENIED else self._refuse


class CredentialEchoGrpcServer(_GrpcFake):
    """The foreign gRPC fakes' server (start, stop, target), answering every method with the refusal above."""

    def __init__(self, unavailable: bool = False) -> None:
        super().__init__()
        code = grpc.StatusCode.UNAVAILABLE if unavailable else grpc.StatusCode.PERMISSION_DENIED
        self.server.add_generic_rpc_handlers((_RefuseAll(code),))


class _EchoCredentials(_Handler):
    def _answer(self) -> None:
        self._body()
        said = echo_of(self.headers.items())
        body = json.dumps({"code": 16, "message": said, "error": said}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Echo", said[:4000])
        self.end_headers()
        self.wfile.write(body)


class CredentialEchoHttpServer(_Background):
    handler = _EchoCredentials
