"""The suite's gRPC consumer against a Go gRPC client and grpcio, on a Go server and the reference server.

One run, interleaved rounds (every server x client pair once per round, in the same
order), each rate the median of its rounds, so the machine's drift touches every
pair alike. Servers, all streaming the very same stored events: the Go yardstick
server (``go``: decoded messages sent through the standard codec, as a Go gRPC
server like Armada's sends them), the Go yardstick writing the stored bytes
untouched (``go-raw``: less work per message than any real server does), the
reference server and a bare grpc.aio server.
Clients, each reading every message's id and checking that they increase:

* suite: the THROUGHPUT consumer (``h2reader`` in a spawned worker process, with
  the suite's parse sample and its client-bound mark from the capacity probe);
* go: the Go yardstick client (``yardstick read``);
* grpcio: grpcio's default sync client, parsing every message.

Printed: suite / go and suite / grpcio per server, whether the suite's figure on
each Go server is client-bound, and reference / bare grpc.aio (read by the Go
client). Only ratios; nothing about speed is asserted. Needs Go: runs in
``nox -s benchmark`` (``ARMADA_BENCH_YARDSTICK=1``), skips elsewhere.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import replay_client
import yardstick
from bare_server import BareServer
from test_replay_benchmark import JOB_SET, QUEUE, fill

from conformance.throughput.consumer import StreamSpec, run_streams
from conformance.throughput.measure import PARSE_EVERY
from conformance.throughput.verdict import client_bound
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

EVENTS = int(os.environ.get("ARMADA_BENCH_EVENTS", "20000"))
ROUNDS = int(os.environ.get("ARMADA_BENCH_ROUNDS", "3" if EVENTS <= 20000 else "5"))
PAIRS = [
    ("go", "suite"),
    ("go", "go"),
    ("go", "grpcio"),
    ("go-raw", "suite"),
    ("go-raw", "go"),
    ("reference", "suite"),
    ("reference", "go"),
    ("reference", "grpcio"),
    ("bare", "go"),
]

pytestmark = pytest.mark.skipif(
    os.environ.get("ARMADA_BENCH_YARDSTICK") != "1" or bool(yardstick.missing()),
    reason=yardstick.missing() or "the Go yardstick runs in `nox -s benchmark` (ARMADA_BENCH_YARDSTICK=1)",
)


def suite_read(address: str) -> dict[str, Any]:
    """The THROUGHPUT consumer, exactly as a replay measurement configures it (in a worker process)."""
    spec = StreamSpec(
        "grpc",
        address,
        QUEUE,
        JOB_SET,
        timeout=600,
        idle_timeout=30,
        consecutive_ids=True,
        parse_every=PARSE_EVERY,
        capture=True,
    )
    result = run_streams([spec]).streams[0]
    assert not result.error and result.increasing, result.error or result.id_problem
    return {
        "count": result.count,
        "seconds": result.seconds,
        "capacity": result.capacity_eps,
        "cpu": result.thread_cpu_s / result.seconds,
        "waiting": result.run_delay_s / result.seconds,
        "parsed": result.parsed,
    }


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], int]]:
    work = tmp_path_factory.mktemp("yardstick")
    binary = yardstick.build(work)
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as reference:
        payload = fill(reference, EVENTS)
        with (
            BareServer(payload) as bare,
            yardstick.GoServer(binary, payload, work) as go,
            yardstick.GoServer(binary, payload, work, raw=True) as go_raw,
        ):
            yield (
                binary,
                {
                    "go": f"127.0.0.1:{go.port}",
                    "go-raw": f"127.0.0.1:{go_raw.port}",
                    "reference": reference.grpc_target,
                    "bare": f"127.0.0.1:{bare.port}",
                },
                len(payload),
            )


@pytest.mark.timeout(3600)
@pytest.mark.benchmark(group="consumer")
def test_suite_consumer_against_go_and_grpcio(benchmark: Any, servers: tuple[Path, dict[str, str], int]) -> None:
    binary, addresses, count = servers
    rates: dict[tuple[str, str], list[float]] = {pair: [] for pair in PAIRS}
    suite_runs: dict[str, list[dict[str, Any]]] = {"go": [], "go-raw": []}
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:

        def read(server: str, client: str) -> float:
            address = addresses[server]
            if client == "suite":
                outcome = pool.submit(suite_read, address).result(timeout=600)
                if server in suite_runs:
                    suite_runs[server].append(outcome)
                received, seconds = outcome["count"], outcome["seconds"]
            elif client == "go":
                outcome = yardstick.go_read(binary, address, QUEUE, JOB_SET)
                assert outcome["increasing"], outcome
                received, seconds = outcome["count"], outcome["seconds"]
            else:
                received, _, increasing, seconds = pool.submit(replay_client.replay, address, QUEUE, JOB_SET).result(
                    timeout=600
                )
                assert increasing
            assert received == count, (server, client, received)
            return received / seconds

        for pair in PAIRS:  # warm every path up once, untimed
            read(*pair)
        for runs in suite_runs.values():
            runs.clear()

        def one_round() -> None:
            for pair in PAIRS:
                rates[pair].append(read(*pair))

        benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    median = {pair: statistics.median(values) for pair, values in rates.items()}
    bound = {}
    for server, runs in suite_runs.items():  # the median run of each Go server, with its client-bound mark
        run = sorted(runs, key=lambda r: r["count"] / r["seconds"])[len(runs) // 2]
        bound[server] = (run, client_bound(run["count"] / run["seconds"], run["capacity"], run["cpu"] + run["waiting"]))
    lines = [
        f"\nconsumer benchmark: {count} events, {ROUNDS} interleaved rounds, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}; suite parses {bound['go'][0]['parsed']} of {count} messages fully",
        f"{'server':10} {'client':8} {'events/s':>10} {'/ go client':>12} {'suite / this':>13}",
    ]
    extra: dict[str, Any] = {"events": count, "rounds": ROUNDS}
    for server, client in PAIRS:
        value = median[(server, client)]
        go_client = median[(server, "go")]
        suite = median.get((server, "suite"))
        lines.append(
            f"{server:10} {client:8} {value:10,.0f} {value / go_client:12.3f} "
            + (f"{suite / value:13.3f}" if suite else f"{'':>13}")
        )
        extra[f"{server}/{client}"] = round(value)
    ratios = {
        "suite / go client (Go server)": median[("go", "suite")] / median[("go", "go")],
        "suite / grpcio default (Go server)": median[("go", "suite")] / median[("go", "grpcio")],
        "suite / go client (Go server, raw bytes)": median[("go-raw", "suite")] / median[("go-raw", "go")],
        "suite / go client (reference server)": median[("reference", "suite")] / median[("reference", "go")],
        "suite / grpcio default (reference server)": median[("reference", "suite")] / median[("reference", "grpcio")],
        "reference server / bare grpc.aio (go client)": median[("reference", "go")] / median[("bare", "go")],
    }
    lines += [f"{label:48} {ratio:7.3f}" for label, ratio in ratios.items()]
    for server, (run, marked) in bound.items():
        lines.append(
            f"suite on {server}: capacity {run['capacity']:,.0f} events per CPU-second, consumer CPU "
            f"{run['cpu']:.0%}, waiting for a CPU {run['waiting']:.0%}, "
            f"client-bound: {'yes (a lower bound)' if marked else 'no'}"
        )
    print("\n".join(lines))
    extra.update({label: round(ratio, 3) for label, ratio in ratios.items()})
    extra["suite_client_bound_on_go_server"] = bound["go"][1]
    extra["suite_client_bound_on_go_raw_server"] = bound["go-raw"][1]
    benchmark.extra_info.update(extra)
    assert all(v > 0 for v in median.values())
