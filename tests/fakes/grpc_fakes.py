"""Two gRPC servers that are not Armada, each one generic handler for every method name.

- ``EmptyGrpcServer`` answers every method, whatever its name, with an empty message
  and OK. A client reading a server stream sees one empty message, then the end.
- ``EchoGrpcServer`` answers every method with the bytes of its request.
- ``BareGrpcServer`` serves nothing: every method answers UNIMPLEMENTED.

Neither knows any proto: messages are raw bytes, so an empty answer parses as the
default response of whatever type the client expects.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent import futures
from types import TracebackType
from typing import Any

import grpc


class _Generic(grpc.GenericRpcHandler):
    def __init__(self, answer: Callable[[bytes], bytes]) -> None:
        self._handler = grpc.unary_unary_rpc_method_handler(lambda request, context: answer(request))

    def service(self, handler_call_details: Any) -> grpc.RpcMethodHandler:
        return self._handler


class _GrpcFake:
    answer: Callable[[bytes], bytes]

    def __init__(self) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        if getattr(type(self), "answer", None) is not None:
            self.server.add_generic_rpc_handlers((_Generic(type(self).answer),))
        self.port = self.server.add_insecure_port("127.0.0.1:0")

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def __enter__(self) -> _GrpcFake:
        self.server.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.stop(grace=None).wait(10)


class EmptyGrpcServer(_GrpcFake):
    @staticmethod
    def answer(request: bytes) -> bytes:
        return b""


class EchoGrpcServer(_GrpcFake):
    @staticmethod
    def answer(request: bytes) -> bytes:
        return request


class BareGrpcServer(_GrpcFake):
    answer = None  # type: ignore[assignment]
