"""A reference server with Basic users, and raw gRPC calls to it (bytes in, status out)."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import grpc

from reference_server.background import BackgroundServer
from reference_server.config import GLOBAL_PERMISSIONS, ServerConfig

PASSWORD = "pw-Alice-7f3a9c"
ALICE = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()


def basic_server(faults: tuple[str, ...] = (), anonymous: bool = False) -> BackgroundServer:
    auth = {
        "order": ["basic"],
        "anonymous": anonymous,
        "basic": {"users": {"alice": {"password": PASSWORD, "groups": ["admins"]}}},
    }
    config = ServerConfig.from_dict(
        {
            "server": {"faults": list(faults)},
            "auth": auth,
            "authorization": {"permissions": {p: ["admins"] for p in GLOBAL_PERMISSIONS}},
        },
        source="test",
    )
    return BackgroundServer(config)


@dataclass
class RawReply:
    code: grpc.StatusCode
    details: str
    metadata: tuple[tuple[str, str], ...] = ()


def raw_call(
    channel: grpc.Channel, method: str, body: bytes, metadata: list[tuple[str, str]], streaming: bool = False
) -> RawReply:
    """``body`` sent as is to ``/api.<method>``; the status that came back (OK when none)."""
    kind = channel.unary_stream if streaming else channel.unary_unary
    call = kind(f"/api.{method}", request_serializer=lambda raw: raw, response_deserializer=lambda raw: raw)
    try:
        answer = call(body, metadata=metadata, timeout=10)
        if streaming:
            list(answer)
    except grpc.RpcError as exc:
        return RawReply(exc.code(), exc.details() or "", tuple(exc.initial_metadata() or ()))
    return RawReply(grpc.StatusCode.OK, "")
