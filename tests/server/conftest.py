"""Fixtures for the end-to-end tests of the reference server over real sockets.

One healthy server (development defaults, free ports) serves the whole session; a
second one paces the simulated executor so slowly that jobs stay leased, which is
how tests observe leased counts and preempt running work. Tests never share queues:
each asks for a fresh one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from server_kit import create_queue

from conformance.transport.grpc_client import GrpcClient
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig


@pytest.fixture(scope="session")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        yield running


@pytest.fixture(scope="session")
def client(server: BackgroundServer) -> Iterator[GrpcClient]:
    with GrpcClient(server.grpc_target, timeout=10.0) as grpc_client:
        yield grpc_client


@pytest.fixture(scope="session")
def paced_server() -> Iterator[BackgroundServer]:
    """A server whose executor waits a minute between life steps: jobs stay leased."""
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0, pace_ms=60_000)) as running:
        yield running


@pytest.fixture(scope="session")
def paced_client(paced_server: BackgroundServer) -> Iterator[GrpcClient]:
    with GrpcClient(paced_server.grpc_target, timeout=10.0) as grpc_client:
        yield grpc_client


@pytest.fixture
def new_name() -> Callable[[str], str]:
    """Unique names, so tests sharing a server never see each other's queues or job sets."""
    return lambda prefix="q": f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def queue(client: GrpcClient, new_name: Callable[[str], str]) -> str:
    """A fresh, open queue: its jobs run to completion at once."""
    return create_queue(client, new_name("queue"))


@pytest.fixture
def held_queue(client: GrpcClient, new_name: Callable[[str], str]) -> str:
    """A fresh cordoned queue: its jobs stay queued until it is uncordoned."""
    return create_queue(client, new_name("held"), cordoned=True)


@pytest.fixture
def job_set(new_name: Callable[[str], str]) -> str:
    return new_name("set")
