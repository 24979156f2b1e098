"""Events/s of one stored job set read over gRPC and over the REST gateway.

Run: ``python tests/rest/bench_stream.py [--jobs 2000] [--rounds 3]``. The server runs
in its own process (as in a deployment); each client reads the whole job set with
``watch=false`` and decodes every message (protobuf for gRPC, ``json.loads`` per line
for REST), so both figures are end-to-end events/s a Python client sees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import time

import aiohttp
import grpc
import psutil

import protos


def start_server() -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reference_server", "--grpc-port", "0", "--http-port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    match = re.search(r"gRPC (\S+), REST (http://\S+?);", banner)
    if not match:
        proc.kill()
        raise RuntimeError(f"unexpected banner: {banner!r}")
    return proc, match.group(1), match.group(2)


async def fill(rest: str, jobs: int) -> int:
    """Create a queue and a job set of ``jobs`` jobs; wait until its event count is stable."""
    async with aiohttp.ClientSession() as http:
        await http.post(f"{rest}/v1/queue", json={"name": "bench", "priorityFactor": 1})
        item = {
            "priority": 1,
            "namespace": "default",
            "podSpec": {
                "containers": [
                    {
                        "name": "c",
                        "image": "busybox",
                        "args": ["sleep", "1"],
                        "resources": {"requests": {"cpu": "100m"}},
                    }
                ]
            },
        }
        for start in range(0, jobs, 500):
            body = {"queue": "bench", "jobSetId": "js", "jobRequestItems": [item] * min(500, jobs - start)}
            async with http.post(f"{rest}/v1/job/submit", json=body) as response:
                response.raise_for_status()
        previous = -1
        while True:
            count = await rest_events(rest)
            if count == previous:
                return count
            previous = count
            await asyncio.sleep(0.5)


async def rest_events(rest: str) -> int:
    count = 0
    timeout = aiohttp.ClientTimeout(total=300)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        http.post(f"{rest}/v1/job-set/bench/js", json={"watch": False}) as response,
    ):
        async for line in response.content:
            if line.strip():
                json.loads(line)
                count += 1
    return count


async def grpc_events(target: str) -> int:
    request_class = protos.message_class("api.JobSetRequest")
    reply_class = protos.message_class("api.EventStreamMessage")
    count = 0
    async with grpc.aio.insecure_channel(target) as channel:
        call = channel.unary_stream(
            "/api.Event/GetJobSetEvents",
            request_serializer=request_class.SerializeToString,
            response_deserializer=reply_class.FromString,
        )
        async for _ in call(request_class(queue="bench", id="js", watch=False)):
            count += 1
    return count


async def timed(read, server: psutil.Process) -> tuple[int, float, float, float]:
    """Events, events/s, and CPU microseconds per event in the server and in this client."""
    server_cpu, client_cpu = sum(server.cpu_times()[:2]), time.process_time()
    start = time.perf_counter()
    count = await read()
    rate = count / (time.perf_counter() - start)
    server_us = (sum(server.cpu_times()[:2]) - server_cpu) / count * 1e6
    return count, rate, server_us, (time.process_time() - client_cpu) / count * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    proc, target, rest = start_server()
    try:
        total = await fill(rest, args.jobs)
        print(f"job set holds {total} events")
        best = {"grpc": 0.0, "rest": 0.0}
        for _ in range(args.rounds):
            for name, read in (("grpc", lambda: grpc_events(target)), ("rest", lambda: rest_events(rest))):
                count, rate, server_us, client_us = await timed(read, psutil.Process(proc.pid))
                assert count == total, (name, count, total)
                best[name] = max(best[name], rate)
                print(
                    f"{name:5} {count} events {rate:10.0f} events/s  CPU/event: server {server_us:5.1f} us, "
                    f"client {client_us:5.1f} us"
                )
        print(
            f"best: gRPC {best['grpc']:.0f}/s, REST {best['rest']:.0f}/s, "
            f"REST/gRPC = {best['rest'] / best['grpc']:.2f}x"
        )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    asyncio.run(main())
