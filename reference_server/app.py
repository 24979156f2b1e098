"""The reference server as one object: store, executor, gRPC server and REST gateway.

Used the same way by the command line, the project's tests and the conformance
suite's embedded default: ``await server.start()``, read ``grpc_target`` and
``rest_url``, ``await server.stop()``.
"""

from __future__ import annotations

from importlib import metadata

import grpc
from aiohttp import web

from reference_server import grpc_server
from reference_server.auth import build_chain
from reference_server.authz import Authorizer
from reference_server.config import ServerConfig
from reference_server.executor import Executor
from reference_server.flavours import flavour
from reference_server.queue_cache import QueueCache
from reference_server.services import Services
from reference_server.store import Store


def version() -> str:
    try:
        return metadata.version("armada-conformance")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class ReferenceServer:
    def __init__(self, config: ServerConfig | None = None) -> None:
        self.config = config or ServerConfig()
        self.config.check_flavour()
        self.flavour = flavour(self.config.flavour)
        self.store = Store(self.config.faults, self.flavour)
        self.store.retry_policies.duplicate_code = grpc.StatusCode[self.flavour.retry_policy_duplicate]
        self.store.retry_policies.replaces = self.flavour.has("retry_policy_create_replaces")
        self.executor = Executor(self.store, self.config.pace_ms / 1000.0)
        self.chain = build_chain(self.config.auth, self.config.faults, self.flavour)
        self.queue_cache = QueueCache(self.store, self.config.queue_cache_s) if self.flavour.queue_cache else None
        self.services = Services(self.store, self.executor, self.flavour, self.queue_cache)
        self.services.max_query_items = self.config.max_query_items
        self._grpc: grpc_server.grpc.aio.Server | None = None
        self._runner: web.AppRunner | None = None
        self.grpc_port = 0
        self.http_port = 0

    @property
    def grpc_target(self) -> str:
        return f"{self.config.host}:{self.grpc_port}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.config.host}:{self.http_port}"

    async def start(self) -> None:
        from reference_server.gateway import create_app  # the gateway needs the gRPC address first
        from reference_server.gateway.http_server import HardenedAppRunner

        authorizer = Authorizer(self.config.authorization, self.config.faults, self.flavour)
        self.services.authorizer = authorizer
        guard = grpc_server.Guard(self.chain, authorizer, self.services)
        self._grpc = grpc_server.create_server(guard, self.config.faults, self.config.max_message_bytes, self.flavour)
        try:
            self.grpc_port = self._grpc.add_insecure_port(f"{self.config.host}:{self.config.grpc_port}")
        except RuntimeError:
            self.grpc_port = 0
        if not self.grpc_port:
            raise OSError(
                f"cannot listen for gRPC on {self.config.host}:{self.config.grpc_port} "
                "(port in use or address not available)"
            )
        await self._grpc.start()
        if self.queue_cache is not None:
            await self.queue_cache.start()
        # One header limit for both transports, quiet refusals, bounded inflation (gateway/http_server.py).
        self._runner = HardenedAppRunner(
            create_app(self.grpc_target, self.config), handle_signals=False, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.http_port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise OSError(
                f"cannot listen for REST on {self.config.host}:{self.config.http_port}: {exc.strerror or exc}"
            ) from None
        self.http_port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.executor.stop()
        if self.queue_cache is not None:
            await self.queue_cache.stop()
        if self._grpc is not None:
            await grpc_server.stop_server(self._grpc)
            self._grpc = None

    def banner(self) -> str:
        mode = " (development mode: no config file)" if self.config.development_mode else ""
        faults = f"; FAULTS ON: {', '.join(self.config.faults)}" if self.config.faults else ""
        cache = f", queue cache {self.config.queue_cache_s:g} s" if self.queue_cache is not None else ""
        return (
            f"armada-reference-server {version()} ready ({self.flavour.name} flavour{cache}): "
            f"gRPC {self.grpc_target}, REST {self.rest_url}; "
            f"auth: {self.chain.describe()}{mode}{faults}"
        )
