"""The console view of a run, on a real pseudo-terminal and on a plain pipe.

The terminal output is replayed through a tiny line-discipline model (``\\r`` back
to column 0, ``ESC[K`` erase, ``\\n`` next line) to get what a person finally sees.
"""

from __future__ import annotations

import io
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import pytest

from conformance.progress import Progress, verdict_line, wants_colour
from conformance.results import CheckResult, Outcome, RunReport, Severity

ANSI = re.compile(r"\033\[[0-9;]*m")


def screen(raw: str) -> list[str]:
    """The lines a terminal shows after ``raw`` (colour codes dropped)."""
    lines, line, col = [], [], 0
    for token in re.findall(r"\033\[[0-9;]*[A-Za-z]|.", ANSI.sub("", raw), flags=re.S):
        if token == "\r":
            col = 0
        elif token == "\033[K":
            del line[col:]
        elif token == "\n":
            lines.append("".join(line))
            line, col = [], 0
        else:
            line[col : col + 1] = [token]
            col += 1
    return lines + (["".join(line)] if line else [])


@contextmanager
def pty_stream() -> Iterator[tuple[TextIO, list[str]]]:
    """A writable end of a real pseudo-terminal, and what arrives at the other end."""
    master, slave = os.openpty()
    received: list[str] = []

    def pump() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            received.append(data.decode())

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    stream = os.fdopen(slave, "w", encoding="utf-8")
    try:
        yield stream, received
    finally:
        stream.close()
        reader.join(timeout=5)
        os.close(master)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _result(check_id: str, outcome: Outcome) -> CheckResult:
    return CheckResult(check_id, "AUTH", "r", Severity.REQUIRED, outcome, message="boom\nsecond line")


def _report(*outcomes: Outcome) -> RunReport:
    return RunReport(
        target={"name": "t"},
        profile="current",
        suite_version="0",
        started="",
        finished="",
        machine={},
        results=[_result(f"C-{n}", o) for n, o in enumerate(outcomes)],
    )


def _drive(progress: Progress, clock: Clock) -> None:
    progress.begin(3)
    progress.started("AUTH-BASIC-VALID-GRPC")
    clock.now += 2.5
    progress._draw()  # what the refresh timer does every half second
    progress.finished("AUTH-BASIC-VALID-GRPC", "passed", duration_s=2.5)
    progress.started("AUTH-BASIC-BADPW-REST")
    progress.finished("AUTH-BASIC-BADPW-REST", "failed", "server accepted a wrong password\nmore", 0.1)
    progress.started("SURFACE-Submit.Health-GRPC")
    progress.finished("SURFACE-Submit.Health-GRPC", "passed", duration_s=0.1)
    progress.close(_report(Outcome.PASSED, Outcome.FAILED, Outcome.PASSED), "reports/x")


@pytest.fixture(autouse=True)
def _a_desk_not_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CI", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)


def test_on_a_terminal_the_running_check_shows_with_its_time_and_failures_stay() -> None:
    clock = Clock()
    with pty_stream() as (stream, received):
        progress = Progress(stream, clock=clock, refresh_s=0)
        assert progress.live and progress.colour
        _drive(progress, clock)
    raw = "".join(received)
    assert "running\033[0m AUTH-BASIC-VALID-GRPC 2.5 s" in raw  # the running check, not the last one
    assert "\033[31m" in raw  # colour on a terminal
    shown = screen(raw.replace("\r\n", "\n"))
    assert shown == [
        "FAILED AUTH-BASIC-BADPW-REST (0.10 s) — server accepted a wrong password",
        "FAIL: C-1 failed (required) — 2 passed, 1 failed",
        "reports: reports/x",
    ]


def test_no_color_keeps_the_live_line_but_drops_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    clock = Clock()
    with pty_stream() as (stream, received):
        progress = Progress(stream, clock=clock, refresh_s=0)
        assert progress.live and not progress.colour
        _drive(progress, clock)
    raw = "".join(received)
    assert "\033[K" in raw and not ANSI.search(raw)


def test_in_ci_plain_lines_one_per_check_and_a_plain_verdict() -> None:
    clock, out = Clock(), io.StringIO()
    progress = Progress(out, clock=clock)
    assert not progress.live
    _drive(progress, clock)
    text = out.getvalue()
    assert "\033" not in text and "\r" not in text and "##" not in text
    assert text.splitlines() == [
        "[1/3] AUTH-BASIC-VALID-GRPC: passed (2.50 s)",
        "[2/3] AUTH-BASIC-BADPW-REST: failed (0.10 s) — server accepted a wrong password",
        "[3/3] SURFACE-Submit.Health-GRPC: passed (0.10 s)",
        "FAIL: C-1 failed (required) — 2 passed, 1 failed",
        "reports: reports/x",
    ]


def test_the_timer_redraws_the_elapsed_time_while_a_check_runs() -> None:
    clock = Clock()
    with pty_stream() as (stream, received):
        progress = Progress(stream, clock=clock, refresh_s=0.01)
        progress.begin(1)
        progress.started("SEMANTICS-SubmitEvents")
        for step in range(1, 4):
            clock.now += 1
            seen = f"SEMANTICS-SubmitEvents {step}.0 s"
            for _ in range(500):
                if seen in "".join(received):
                    break
                threading.Event().wait(0.01)
            assert seen in "".join(received)
        progress.stop()


@pytest.mark.parametrize(
    ("environ", "tty", "expected"),
    [({}, True, True), ({"NO_COLOR": "1"}, True, False), ({"NO_COLOR": ""}, True, True), ({}, False, False)],
)
def test_colour_only_on_a_terminal_without_no_color(environ: dict[str, str], tty: bool, expected: bool) -> None:
    if tty:
        with pty_stream() as (stream, _):
            assert wants_colour(stream, environ) is expected
    else:
        assert wants_colour(io.StringIO(), environ) is expected


def test_verdict_line_is_plain_words() -> None:
    assert verdict_line(_report(Outcome.PASSED, Outcome.NOT_OFFERED)) == (
        "PASS: every required check passed — 1 passed, 1 not offered"
    )
    line = verdict_line(_report(Outcome.FAILED, Outcome.FAILED))
    assert line == "FAIL: C-0 failed (required) (and 1 more) — 2 failed"


@pytest.mark.parametrize("environ", [{"CI": "true"}, {"TERM": "dumb"}])
def test_ci_or_a_dumb_terminal_get_plain_lines_even_on_a_tty(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    clock = Clock()
    with pty_stream() as (stream, received):
        progress = Progress(stream, clock=clock, refresh_s=0)
        assert not progress.live and not progress.colour
        _drive(progress, clock)
    raw = "".join(received)
    assert "\033" not in raw and "[1/3] AUTH-BASIC-VALID-GRPC: passed (2.50 s)" in raw


def test_a_long_check_shows_its_phase_count_and_eta_on_a_terminal() -> None:
    """`running THROUGHPUT-Replay-GRPC 25.7 s` and nothing else left a person guessing."""
    from conformance import activity

    now = [100.0]
    stream = io.StringIO()
    progress = Progress(stream, live=True, colour=False, clock=lambda: now[0], refresh_s=0)
    progress.begin(3)
    progress.started("THROUGHPUT-Replay-GRPC")
    try:
        activity.phase("grpc replay round", 1, 3)
        progress.started("THROUGHPUT-Replay-GRPC")  # a redraw
        assert "grpc replay round 1/3, ETA" in screen(stream.getvalue())[-1]
    finally:
        activity.clear()
        progress.stop()


def test_without_a_terminal_a_running_check_prints_a_line_every_heartbeat() -> None:
    from conformance import activity

    stream = io.StringIO()
    progress = Progress(stream, live=False, heartbeat_s=0.05)
    progress.begin(2)
    progress.started("THROUGHPUT-Replay-GRPC")
    activity.phase("filling the replay job set: jobs", 1000, 2000)
    try:
        seen = threading.Event()
        for _ in range(200):
            if "THROUGHPUT-Replay-GRPC: running" in stream.getvalue():
                seen.set()
                break
            threading.Event().wait(0.05)
        assert seen.is_set()
        line = next(x for x in stream.getvalue().splitlines() if "running" in x)
        assert line.startswith("[0/2] THROUGHPUT-Replay-GRPC: running") and "jobs 1,000/2,000" in line
        assert "\033" not in stream.getvalue()  # plain lines only, no escape codes
    finally:
        activity.clear()
        progress.stop()


def test_an_error_stays_on_screen_apart_from_failures() -> None:
    stream = io.StringIO()
    progress = Progress(stream, live=True, colour=False, refresh_s=0)
    progress.begin(2)
    progress.started("SEMANTICS-CancelJobs")
    progress.finished("SEMANTICS-CancelJobs", "error", "the suite could not set this check up: PERMISSION_DENIED")
    progress.stop()
    assert "ERROR SEMANTICS-CancelJobs" in screen(stream.getvalue())[0]
    assert "could not set this check up" in screen(stream.getvalue())[0]
