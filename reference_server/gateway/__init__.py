"""The REST gateway: grpc-gateway v1 behaviour in front of the reference gRPC server.

One module per job: ``codec`` (HTTP request -> request message), ``metadata``
(headers <-> gRPC metadata), ``errors`` (status mapping and error bodies), ``wire``
(the few protobuf wire reads the gateway needs), ``streams`` (the stream pump and
line writer), ``app`` (handlers and the aiohttp application).
"""

from reference_server.gateway.app import GATEWAY_KEY, Gateway, create_app

__all__ = ["GATEWAY_KEY", "Gateway", "create_app"]
