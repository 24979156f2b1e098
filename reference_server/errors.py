"""The one exception the server's business logic raises: a gRPC status with a message.

Handlers translate it into ``context.abort``; the REST gateway, which forwards
through gRPC, turns the same status into the mapped HTTP status. Keeping the code
next to the message means every refusal says *why* in words a person can act on.
"""

from __future__ import annotations

import grpc


class ApiError(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.NOT_FOUND, message)


def denied(message: str) -> ApiError:
    return ApiError(grpc.StatusCode.PERMISSION_DENIED, message)
