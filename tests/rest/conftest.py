"""Fixtures for the REST gateway tests: real servers on free ports, real HTTP.

One healthy server (with a CORS origin configured) serves the session; a second
one runs with every REST fault switched on, so each fault can be seen to bite.
Tests never share queues: each asks for a fresh name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from rest_kit import REST_FAULTS, UI_ORIGIN, Rest

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.faults import Faults


@pytest.fixture(scope="session")
def server() -> Iterator[BackgroundServer]:
    config = ServerConfig(grpc_port=0, http_port=0, cors_origins=[UI_ORIGIN])
    with BackgroundServer(config) as running:
        yield running


@pytest.fixture(scope="session")
def grpc_client(server: BackgroundServer) -> Iterator[GrpcClient]:
    with GrpcClient(server.grpc_target, timeout=10.0) as client:
        yield client


@pytest.fixture(scope="session")
def rest(server: BackgroundServer) -> Iterator[Rest]:
    with Rest(server.rest_url) as client:
        yield client


@pytest.fixture(scope="session")
def faulty_server() -> Iterator[BackgroundServer]:
    config = ServerConfig(grpc_port=0, http_port=0, faults=Faults(REST_FAULTS))
    with BackgroundServer(config) as running:
        yield running


@pytest.fixture(scope="session")
def faulty_rest(faulty_server: BackgroundServer) -> Iterator[Rest]:
    with Rest(faulty_server.rest_url) as client:
        yield client


@pytest.fixture(scope="session")
def faulty_grpc(faulty_server: BackgroundServer) -> Iterator[GrpcClient]:
    with GrpcClient(faulty_server.grpc_target, timeout=10.0) as client:
        yield client


@pytest.fixture
def new_name() -> Callable[[str], str]:
    return lambda prefix="q": f"{prefix}-{uuid.uuid4().hex[:12]}"
