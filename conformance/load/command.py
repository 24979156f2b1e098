"""``armada-conformance load``: set up, run Locust (master and workers), clean up, report.

Modes, as Locust's own flags:

- no flag: this machine is everything: a Locust master and ``--processes`` workers
  (default one per core), all local;
- ``--master``: set up, run the master here (binding ``--master-bind-port``), and wait for
  ``--expect-workers`` workers from anywhere; report and clean up when it ends;
- ``--worker --master-host H``: only a Locust worker for the master at H (it needs
  ``--target`` for its credentials; the plan comes from the master).

The command's own process never imports Locust (gevent patches the standard library, and
the embedded reference server and the set-up's grpcio must not share it); Locust runs in
child processes of their own session, so Ctrl-C reaches this process alone, which stops
the master with SIGTERM (Locust's graceful stop), then cleans up and reports the run as
interrupted (exit 130; 143 for SIGTERM). Cleanup happens here, after the master ended, so
dead workers or a dead master leave nothing behind.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from conformance.load.settings import PlanError, parse_duration, parse_mix

LOCUSTFILE = str(Path(__file__).with_name("locustfile.py"))
DEFAULT_MASTER_PORT = 5557


def add_parser(commands: Any) -> None:
    """The ``load`` subcommand's flags (the CLI calls this; the handler is :func:`run`)."""
    load = commands.add_parser(
        "load",
        help="event-stream load on Locust: many watchers and submitters, on one machine or many",
        description="Watch job sets of the run with many Locust users while submitters fill them; every event "
        "is checked (no gap, duplicate or reordering). Exit: 0 pass, 1 fail, 2 unusable input, 130/143 stopped.",
    )
    add = load.add_argument
    add("--target", metavar="FILE", help="target TOML file (default: the embedded reference server)")
    add("--users", type=int, default=20, help="watchers (Locust users that watch); submitters come on top (default 20)")
    add("--spawn-rate", type=float, default=50.0, help="users started per second (default 50)")
    add("--run-time", default="30s", help="how long the load runs, e.g. 30s, 5m (default 30s)")
    add("--watchers-per-job-set", type=int, default=10, help="watchers sharing one job set (default 10)")
    add("--jobs-per-second", type=float, default=0.0, help="the run's submit rate (default: 2 per job set)")
    add("--transport-mix", default="grpc", help="watchers' transports by weight, e.g. grpc=3,rest=1 (default grpc)")
    add("--processes", type=int, default=0, help="local Locust workers (default: one per core)")
    add(
        "--master",
        action="store_true",
        help="run the Locust master here and wait for --expect-workers (default: off)",
    )
    add("--worker", action="store_true", help="run only a Locust worker for --master-host (default: off)")
    add("--master-host", default="127.0.0.1", help="the master to join (--worker; default 127.0.0.1)")
    add("--master-port", type=int, default=DEFAULT_MASTER_PORT, help="the master's port (default 5557)")
    add("--master-bind-port", type=int, default=DEFAULT_MASTER_PORT, help="--master: the port to bind (default 5557)")
    add("--expect-workers", type=int, default=1, help="--master: workers to wait for (default 1)")
    add(
        "--read-only", action="store_true", help="create and submit nothing: watch --replay-job-set only (default: off)"
    )
    add("--replay-job-set", metavar="QUEUE/ID", help="an existing job set to watch (with --read-only; default: none)")
    add("--min-events-per-second", type=float, help="gate: events/s together at least this (default: none)")
    add("--max-p99-ms", type=float, help="gate: submit-to-event p99 at most this (default: none)")
    add("--baseline", metavar="REPORT", help="a previous report.json: regressions exit 1 (default: none)")
    add("--report-dir", default="reports", help="where the run's report folder goes (default: reports)")
    add("--prefix", help="prefix of every queue and job set the run creates (default: the target's)")
    add(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="embedded target: a reference-server fault, repeatable (default: none)",
    )
    load.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    try:
        _validate(args)
    except PlanError as exc:
        print(f"armada-conformance load: {exc}", file=sys.stderr)
        return 2
    if args.worker:
        return _worker_only(args)
    from conformance.load.session import LoadSession

    return LoadSession(args).run()


def _validate(args: argparse.Namespace) -> None:
    if args.master and args.worker:
        raise PlanError("--master and --worker exclude each other")
    if args.read_only and not args.replay_job_set:
        raise PlanError("--read-only watches an existing job set: give --replay-job-set QUEUE/ID")
    if args.replay_job_set and not args.read_only:
        raise PlanError("--replay-job-set is for --read-only runs (the run's own job sets are watched otherwise)")
    if args.worker and args.target is None:
        raise PlanError("--worker needs --target FILE: the credentials come from the worker's own target file")
    if args.fault and args.target:
        raise PlanError("--fault switches on faults of the embedded reference server; it needs no --target")
    parse_mix(args.transport_mix)
    parse_duration(args.run_time)
    if not 0 <= args.processes <= 256 or not 1 <= args.expect_workers <= 10_000:
        raise PlanError("--processes must be 0..256 and --expect-workers 1..10000")
    if not 1 <= args.users <= 100_000 or not 1 <= args.watchers_per_job_set <= 100_000:
        raise PlanError("--users and --watchers-per-job-set must be 1..100000")
    if args.spawn_rate <= 0:
        raise PlanError(f"--spawn-rate {args.spawn_rate:g} must be a positive number")
    for name in ("min_events_per_second", "max_p99_ms"):
        value = getattr(args, name)
        if value is not None and value <= 0:
            raise PlanError(f"--{name.replace('_', '-')} {value:g} must be a positive number")


def _worker_only(args: argparse.Namespace) -> int:
    """A Locust worker for a master elsewhere; its target file gives its credentials."""
    if not Path(args.target).is_file():
        print(f"armada-conformance load: target file {args.target} does not exist", file=sys.stderr)
        return 2
    env = {**os.environ, "ARMADA_CONFORMANCE_TARGET": str(Path(args.target).resolve())}
    command = worker_command(args.master_host, args.master_port)
    sys.stdout.flush()
    os.execve(command[0], command, env)  # this process becomes the worker: no orphan if either is killed


def locust() -> list[str]:
    return [sys.executable, "-m", "locust", "-f", LOCUSTFILE]


def worker_command(host: str, port: int) -> list[str]:
    return [
        *locust(),
        "--worker",
        "--master-host",
        host,
        "--master-port",
        str(port),
        "--loglevel",
        os.environ.get("ARMADA_LOAD_LOGLEVEL", "WARNING"),
    ]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM, then SIGKILL after ``grace`` seconds: a Locust process we started, by its own id."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


class Scratch:
    """A private folder for the run's target file, plan and Locust's files (removed at the end)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="armada-load-"))

    def file(self, name: str) -> Path:
        return self.path / name

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def wait_for(path: Path, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait until ``path`` exists (True) or ``process`` ended without it / the timeout passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return True
        if process.poll() is not None:
            return path.exists()
        time.sleep(0.1)
    return False
