"""`armada-conformance load` for real: a Locust master and two worker processes, a few seconds each run.

Against a reference server this test process hosts (so it can look at what the run left
behind), the command's totals must agree three ways (the master's Locust stats, the
workers' own accounts, the report), every watcher must have seen every stored event of
its job set, and the run's queue must be gone with its jobs cancelled. Then the same
command against the embedded server with a fault that loses events must say so.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.embedded import ADMIN, LOW, EmbeddedEnvironment
from conformance.transport.grpc_client import GrpcClient

# Never import Locust here: it patches the standard library with gevent's for the whole process.
pytestmark = pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="needs the [load] extra")

RUN = ["--run-time", "4s", "--processes", "2", "--spawn-rate", "20"]


def load(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], Path]:
    """Run the command; its exit status, report.json and report folder."""
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "load", *RUN, "--report-dir", str(tmp_path / "reports"), *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    folders = list((tmp_path / "reports").glob("*"))
    assert folders, f"no report folder; stderr: {done.stderr[-3000:]}"
    return done.returncode, json.loads((folders[0] / "report.json").read_text()), folders[0]


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["outcome"] for r in report["results"]}


def figure(report: dict[str, Any], figure_id: str) -> dict[str, Any]:
    return next(f for f in report["figures"] if f["id"] == figure_id)


def locust_rows(folder: Path) -> dict[str, dict[str, str]]:
    with open(folder / "locust" / "locust_stats.csv") as stats:
        return {row["Name"]: row for row in csv.DictReader(stats)}


def test_master_and_two_workers_agree_and_every_watcher_saw_every_event(tmp_path: Path) -> None:
    with EmbeddedEnvironment(kerberos=False, oidc=False) as environment:
        target = tmp_path / "target.toml"
        target.write_text(environment.target_file())
        secrets = {"ARMADA_PW": environment.passwords[ADMIN], "ARMADA_GUEST_PW": environment.passwords[LOW]}
        status, report, folder = load(
            tmp_path,
            "--target",
            str(target),
            "--users",
            "4",
            "--watchers-per-job-set",
            "2",
            "--jobs-per-second",
            "6",
            env=secrets,
        )
        assert status == 0, [r["message"] for r in report["results"] if r["outcome"] == "failed"]
        assert outcomes(report) == {
            "LOAD-WatchStreams": "passed",
            "LOAD-EventOrder": "passed",
            "LOAD-Submit": "passed",
            "LOAD-Workers": "passed",
            "LOAD-Threshold-MinEventsPerSecond": "not configured",
            "LOAD-Threshold-MaxP99Latency": "not configured",
        }
        details = figure(report, "LOAD-Events")["details"]
        assert details["workers"] == 2 and details["watchers"] == 4
        assert details["events"] > 0
        assert details["events"] == sum(details["events_by_worker"].values()) == details["events_locust_master"]
        assert int(locust_rows(folder)["event"]["Request Count"]) == details["events"]
        order = next(r for r in report["results"] if r["id"] == "LOAD-EventOrder")["evidence"]
        assert order["saw_every_stored_event"] == order["watchers"] == 4
        assert figure(report, "LOAD-Latency-p99")["details"]["samples"] > 0
        for written in folder.rglob("*"):  # Locust's files too
            if written.is_file():
                text = written.read_text(errors="replace")
                assert not any(secret in text for secret in secrets.values()), f"a password in {written.name}"

        client = GrpcClient(environment.server.grpc_target)  # type: ignore[union-attr]
        try:
            metadata = environment.target().identity().metadata()  # type: ignore[union-attr]
            for queue in details["queues"]:
                gone = client.call("api.Submit/GetQueue", {"name": queue}, metadata=metadata)
                assert gone.code == "NOT_FOUND", f"queue {queue} was not deleted: {gone.code}"
        finally:
            client.close()


def test_a_lost_event_is_a_failure(tmp_path: Path) -> None:
    status, report, folder = load(
        tmp_path,
        "--fault",
        "events-lost-under-load",  # every 20th job of a job set has no submitted event
        "--users",
        "2",
        "--watchers-per-job-set",
        "2",
        "--jobs-per-second",
        "20",
        "--run-time",
        "6s",  # 4 s of submitting: far more than the 20 jobs the fault needs, even on a busy machine
    )
    assert status == 1
    assert outcomes(report)["LOAD-EventOrder"] == "failed"
    message = next(r for r in report["results"] if r["id"] == "LOAD-EventOrder")["message"]
    assert "missing" in message
    failures = (folder / "locust" / "locust_failures.csv").read_text()
    assert "without its submitted event" in failures


def test_bad_input_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli import main

    assert main(["load", "--read-only"]) == 2
    assert main(["load", "--transport-mix", "carrier-pigeon"]) == 2
    assert main(["load", "--run-time", "soon"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("armada-conformance load: ") for line in lines)


def test_a_dead_worker_and_ctrl_c_leave_nothing_behind(tmp_path: Path) -> None:
    """--master with two --worker processes; one is killed, then the command gets Ctrl-C: exit 130, all removed."""
    import signal
    import time

    from conformance.load.command import free_port

    with EmbeddedEnvironment(kerberos=False, oidc=False) as environment:
        store = environment.server.server.store  # type: ignore[union-attr]
        target = tmp_path / "target.toml"
        target.write_text(environment.target_file())
        env = {
            **os.environ,
            "ARMADA_PW": environment.passwords[ADMIN],
            "ARMADA_GUEST_PW": environment.passwords[LOW],
            "ARMADA_LOAD_WORKER_LIVENESS_S": "3",  # Locust's own: the dead worker is noticed in 3 s
        }
        port = str(free_port())
        command = [sys.executable, "-m", "conformance.cli", "load", "--target", str(target)]
        master = subprocess.Popen(
            [*command, "--master", "--master-bind-port", port, "--expect-workers", "2", "--users", "4",
             "--run-time", "60s", "--prefix", "loaddeath", "--report-dir", str(tmp_path / "reports")],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        workers = [
            subprocess.Popen([*command, "--worker", "--master-port", port], env=env, start_new_session=True)
            for _ in range(2)
        ]
        try:
            deadline = time.monotonic() + 60
            while len(store.jobs) < 4 and time.monotonic() < deadline:  # the load is on
                time.sleep(0.2)
            assert len(store.jobs) >= 4, "the run never submitted"
            assert any(q.startswith("loaddeath-") for q in store.queues)
            os.killpg(workers[0].pid, signal.SIGKILL)  # a worker dies: no account, no goodbye
            master.send_signal(signal.SIGINT)  # Ctrl-C
            _, err = master.communicate(timeout=120)
        finally:
            for worker in workers:
                if worker.poll() is None:
                    os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=30)
        assert master.returncode == 130, err[-2000:]
        report = json.loads(next((tmp_path / "reports").glob("*/report.json")).read_text())
        assert report["interrupted"] == "SIGINT" and report["verdict"] == "interrupted"
        assert outcomes(report)["LOAD-Workers"] == "failed"
        assert [q for q in store.queues if q.startswith("loaddeath-")] == []
        assert all(job.terminal for job in store.jobs.values()), "a job of the run was left queued"


def test_locust_itself_with_the_packaged_locustfile_sets_up_and_cleans_up(tmp_path: Path) -> None:
    """`locust -f <the package's locustfile> --armada-target FILE`: no command around it, nothing left behind."""
    from conformance.load.command import LOCUSTFILE

    with EmbeddedEnvironment(kerberos=False, oidc=False) as environment:
        store = environment.server.server.store  # type: ignore[union-attr]
        target = tmp_path / "target.toml"
        target.write_text(environment.target_file().replace("[target]\n", '[target]\nprefix = "loadlocust"\n'))
        done = subprocess.run(
            [sys.executable, "-m", "locust", "-f", LOCUSTFILE, "--headless", "-u", "3", "-r", "10", "-t", "3s",
             "--armada-target", str(target), "--only-summary"],
            env={**os.environ, "ARMADA_PW": environment.passwords[ADMIN],
                 "ARMADA_GUEST_PW": environment.passwords[LOW]},
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        summary = done.stdout + done.stderr  # Locust's own table: jobs went in, their events came out
        assert re.search(r"GRPC +SubmitJobs +[1-9]", summary) and re.search(r"submit-to-event +[1-9]", summary)
        assert [q for q in store.queues if q.startswith("loadlocust-")] == []  # removed when Locust quit
        assert all(job.terminal for job in store.jobs.values())
