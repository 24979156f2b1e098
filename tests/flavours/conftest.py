"""One real server per flavour, on free ports, for the whole session; REST over real HTTP.

The armada-2026 server's queue cache refreshes every second: long enough to see a
new queue refused, short enough to wait out. Tests never share queues.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from flavour_kit import Http

from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig
from reference_server.flavours import NAMES

QUEUE_CACHE_S = 1.0


@pytest.fixture(scope="session")
def servers() -> Iterator[dict[str, BackgroundServer]]:
    running: dict[str, BackgroundServer] = {}
    try:
        for name in NAMES:
            config = ServerConfig(flavour=name, queue_cache_s=QUEUE_CACHE_S)
            running[name] = BackgroundServer(config).start()
        yield running
    finally:
        for server in running.values():
            server.stop()


@pytest.fixture(params=NAMES)
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def http(servers: dict[str, BackgroundServer], flavour: str) -> Http:
    return Http(servers[flavour].rest_url)


@pytest.fixture
def new_name() -> Callable[[str], str]:
    return lambda prefix="q": f"{prefix}-{uuid.uuid4().hex[:12]}"
