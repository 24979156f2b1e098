"""``armada-reference-server``: run the reference Armada API server.

Prints one line when ready, saying where it listens, and stops cleanly on SIGINT
or SIGTERM. Configuration errors and busy ports give one line and exit status 2.
"""

from __future__ import annotations

import os

# gRPC core logs its own lines (e.g. "Address already in use") to stderr; the user gets ours instead.
# Set before anything imports grpc or conformance (whose package sets ERROR for the suite's own use).
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys

from conformance.releases import NEWEST, OLDEST
from reference_server.config import ConfigError, ServerConfig
from reference_server.faults import CATALOGUE, Faults
from reference_server.flavours import named


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="armada-reference-server",
        description="A minimal but real Armada API server: gRPC (api.Submit, api.QueueService, api.Event), "
        "a grpc-gateway v1 style REST gateway, its swagger and four auth schemes, "
        "over an in-memory store with a simulated executor.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="TOML config file (auth, permissions, CORS, faults). "
        "Without one, anonymous callers are allowed and granted everything.",
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--grpc-port", type=int, help="gRPC port (default 50051; 0 picks a free port)")
    parser.add_argument("--http-port", type=int, help="REST port (default 8080; 0 picks a free port)")
    parser.add_argument(
        "--pace-ms", type=float, help="simulated executor: milliseconds between job life steps (default 0: instant)"
    )
    parser.add_argument(
        "--flavour",
        metavar="RELEASE",
        help="what the server is: the published contract (default), or a real Armada release "
        f"({OLDEST} to {NEWEST}, e.g. v0.8.7), wire quirks included, its features read from "
        "conformance/releases.py; " + "; ".join(f"{name}: {f.summary}" for name, f in named().items()),
    )
    parser.add_argument(
        "--queue-cache-s",
        type=float,
        metavar="SECONDS",
        help="releases with a queue cache (from v0.4.48): how long a new queue stays invisible to submit "
        "and event streams "
        "(default 2; real Armada: 10)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a deliberate fault (repeatable); see --list-faults",
    )
    parser.add_argument("--list-faults", action="store_true", help="list the fault switches and exit")
    parser.add_argument(
        "--print-swagger",
        action="store_true",
        help="print the swagger (OpenAPI 2.0) document generated from the protos and exit",
    )
    parser.add_argument("--log-level", default="WARNING", help="logging level (default WARNING)")
    return parser.parse_args(argv)


def build_config(args: argparse.Namespace) -> ServerConfig:
    config = ServerConfig.from_toml(args.config) if args.config else ServerConfig(grpc_port=50051, http_port=8080)
    for name, value in (
        ("host", args.host),
        ("grpc_port", args.grpc_port),
        ("http_port", args.http_port),
        ("pace_ms", args.pace_ms),
        ("flavour", args.flavour),
        ("queue_cache_s", args.queue_cache_s),
    ):
        if value is not None:
            setattr(config, name, value)
    if args.fault:
        try:
            config.faults = Faults([*config.faults, *args.fault])
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    config.check_flavour(args.config or "command line")
    return config


async def serve(config: ServerConfig) -> None:
    from reference_server.app import ReferenceServer

    server = ReferenceServer(config)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(server.banner(), flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
        print("armada-reference-server stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    if args.list_faults:
        for fault in CATALOGUE.values():
            print(f"{fault.name:28} {fault.description}")
        return 0
    if args.print_swagger:
        from reference_server.armada_swagger import swagger_for

        json.dump(swagger_for(args.flavour or "contract"), sys.stdout, indent=2)
        print()
        return 0
    try:
        config = build_config(args)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve(config))
    except (ConfigError, OSError) as exc:
        print(f"armada-reference-server: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
