"""Ctrl-C during a THROUGHPUT measurement stops the consumer processes at once, without tracebacks.

A SIGINT from the terminal reaches the whole process group: the spawned consumers used
to print "Fatal Python error: init_import_site ... KeyboardInterrupt" (or a traceback)
and the run waited for them to finish their streams. Now they never see SIGINT, and the
run terminates them when it closes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil

from conformance.throughput.consumer import StreamSpec
from conformance.throughput.workers import Workers


def _consumers(parent: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):  # a pool worker (not the resource tracker)
                found.append(child)
        except psutil.Error:
            continue
    return found


def _blocked_signals(pid: int) -> int:
    """The SigBlk mask of a process (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigBlk:"):
            return int(line.split()[1], 16)
    raise AssertionError("no SigBlk line")


def test_consumers_never_see_sigint_and_close_does_not_wait_for_a_stream() -> None:
    """Their SIGINT is blocked from birth; a stream still being read when the run closes is stopped."""
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers: a stream that would wait 30 s
    workers = Workers(1)
    try:
        [worker] = [p for p in psutil.Process().children() if "spawn_main" in " ".join(p.cmdline())]
        assert _blocked_signals(worker.pid) & (1 << (signal.SIGINT - 1))
        spec = StreamSpec("grpc", f"127.0.0.1:{silent.getsockname()[1]}", "q", "js", timeout=30, idle_timeout=30)
        pending = workers.submit([spec])
        time.sleep(0.5)
    finally:
        workers.close()
        silent.close()
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    assert pending.cancelled() or pending.exception(timeout=0) is not None  # stopped, not read to its end


def test_ctrl_c_during_a_measurement_leaves_no_consumer_and_no_traceback(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "run", "--only", "THROUGHPUT-Replay-GRPC", "--events", "40000"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "true"},
        start_new_session=True,  # its own process group, as a terminal's foreground job is
    )
    try:
        parent = psutil.Process(process.pid)
        deadline = time.monotonic() + 120
        while not _consumers(parent) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        consumers = _consumers(parent)
        assert consumers, "no consumer process started"  # and at once: one may still be starting up
        os.killpg(process.pid, signal.SIGINT)  # the terminal's Ctrl-C: every process of the group
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "Fatal Python error" not in err and "KeyboardInterrupt" not in err
    assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE for c in consumers)
    assert "INTERRUPTED" in out
