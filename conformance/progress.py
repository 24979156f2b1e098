"""Progress of a conformance run as it happens: a live line on a terminal, plain lines in CI.

What a person watching needs: which check is running *now* and for how long (a
hung target shows as a growing timer, not a frozen screen), the failures as they
happen and still there at the end (a failure is a permanent line, never
overwritten by the live one), and a one-line verdict in words, not Markdown.
A CI log (no TTY, or ``CI`` set) gets one plain line per check and no escape
codes; colour only on a terminal and never when ``NO_COLOR`` is set (https://no-color.org).

``Progress`` knows nothing of the runner: whoever runs checks calls ``begin``,
``started``, ``finished`` and ``close``. ``ConsoleListener`` feeds it from
:func:`conformance.runner.run_suite` for ``armada-conformance run``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from conformance import activity
from conformance.report.gate import BaselineComparison
from conformance.results import CheckResult, RunReport
from conformance.runner import Listener

# Outcome word -> ANSI colour (SGR code); words not listed are printed plain.
COLOURS: Mapping[str, str] = {
    "passed": "32",
    "failed": "31",
    "error": "35",
    "ERROR": "1;35",
    "FAIL": "1;31",
    "PASS": "1;32",
    "INTERRUPTED": "1;33",
    "expected failure": "33",
    "not offered": "90",
    "not configured": "90",
    "skipped": "90",
    "running": "36",
}
REFRESH_S = 0.5
HEARTBEAT_S = 10.0  # without a terminal: a line this often while a check runs


def wants_colour(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set to anything non-empty."""
    env = os.environ if environ is None else environ
    return _isatty(stream) and not env.get("NO_COLOR")


def wants_live_line(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """A redrawn line only on a real terminal: not in CI (some runners fake a TTY), not on TERM=dumb."""
    env = os.environ if environ is None else environ
    in_ci = env.get("CI", "").lower() not in ("", "0", "false")
    return _isatty(stream) and not in_ci and env.get("TERM") != "dumb"


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """The console view of one run; thread-safe (a timer thread refreshes the live line)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        live: bool | None = None,
        colour: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        refresh_s: float = REFRESH_S,
        verbose: bool = False,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.stream = stream or sys.stderr
        self.verbose = verbose  # plain lines, each with its check's message
        self.live = (wants_live_line(self.stream) if live is None else live) and not verbose
        self.colour = (wants_colour(self.stream) if colour is None else colour) and self.live
        self.clock = clock
        self.refresh_s = refresh_s
        self.heartbeat_s = heartbeat_s
        self.total = 0
        self.done = 0
        self.tally: dict[str, int] = {}
        self.failed: list[str] = []
        self.running: str | None = None
        self._since = clock()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._timer: threading.Thread | None = None

    # ----------------------------------------------------------------- events

    def begin(self, total: int) -> None:
        self.total = total
        if self._timer is None and ((self.live and self.refresh_s > 0) or (not self.live and self.heartbeat_s > 0)):
            target = self._refresh if self.live else self._heartbeat
            self._timer = threading.Thread(target=target, name="progress-line", daemon=True)
            self._timer.start()

    def started(self, check_id: str) -> None:
        with self._lock:
            self.running, self._since = check_id, self.clock()
            self._draw()

    def finished(self, check_id: str, outcome: str, message: str = "", duration_s: float | None = None) -> None:
        with self._lock:
            self.done += 1
            self.running = None
            self.tally[outcome] = self.tally.get(outcome, 0) + 1
            took = f" ({duration_s:.2f} s)" if duration_s is not None else ""
            alarming = outcome in ("failed", "error")  # a permanent line, with its reason
            reason = f" — {_first_line(message)}" if message and (alarming or self.verbose) else ""
            if outcome == "failed":
                self.failed.append(check_id)
            if not self.live:
                self._write(f"[{self.done}/{self.total}] {check_id}: {outcome}{took}{reason}\n")
            elif alarming:  # a permanent line above the live one
                self._clear()
                self._write(f"{self._paint(outcome, outcome.upper())} {check_id}{took}{reason}\n")
            self._draw()

    def note(self, text: str) -> None:
        """A permanent line (setup problems, collection errors)."""
        with self._lock:
            self._clear()
            self._write(text + "\n")
            self._draw()

    def stop(self) -> None:
        """End the live line (idempotent); permanent lines stay."""
        self._stop.set()
        if self._timer is not None:
            self._timer.join(timeout=2)
            self._timer = None
        with self._lock:
            self.running = None
            self._clear()

    def close(
        self,
        report: RunReport | None = None,
        folder: str | None = None,
        *,
        verdict: str | None = None,
        stream: TextIO | None = None,
    ) -> None:
        """Stop the live line, then print the plain verdict line and where the reports are.

        ``stream`` (default: the progress stream) lets a caller put the verdict on stdout.
        """
        self.stop()
        out = stream or self.stream
        text = verdict if verdict is not None else verdict_line(report) if report is not None else None
        with self._lock:
            if text:
                word, _, rest = text.partition(":")
                paint = self.colour if out is self.stream else wants_colour(out)
                painted = f"\033[{COLOURS[word]}m{word}\033[0m" if paint and word in COLOURS else word
                out.write(f"{painted}:{rest}\n")
            if folder:
                out.write(f"reports: {folder}\n")
            out.flush()

    # ----------------------------------------------------------------- drawing

    def _refresh(self) -> None:
        while not self._stop.wait(self.refresh_s):
            with self._lock:
                if self.running:
                    self._draw()

    def _heartbeat(self) -> None:
        """No terminal (CI): a plain line every ``heartbeat_s`` while a check runs, so a log never goes quiet."""
        while not self._stop.wait(self.heartbeat_s):
            with self._lock:
                if self.running:
                    doing = activity.describe()
                    self._write(
                        f"[{self.done}/{self.total}] {self.running}: running {self.clock() - self._since:.0f} s"
                        + (f" ({doing})" if doing else "")
                        + "\n"
                    )

    def _status(self) -> str:
        counts = ", ".join(f"{self._paint(k, str(n) + ' ' + k)}" for k, n in sorted(self.tally.items()))
        doing = activity.describe() if self.running else ""
        now = (
            f"{self._paint('running', 'running')} {self.running} {self.clock() - self._since:.1f} s"
            + (f" ({doing})" if doing else "")
            if self.running
            else ""
        )
        return " · ".join(p for p in (f"[{self.done}/{self.total}]", now, counts) if p)

    def _draw(self) -> None:
        if not self.live:
            return
        width = shutil.get_terminal_size((100, 20)).columns
        self._write("\r\033[K" + _fit(self._status(), width - 1))

    def _clear(self) -> None:
        if self.live:
            self._write("\r\033[K")

    def _paint(self, kind: str, text: str) -> str:
        code = COLOURS.get(kind)
        return f"\033[{code}m{text}\033[0m" if self.colour and code else text

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


def _first_line(text: str, limit: int = 160) -> str:
    line = " ".join(text.strip().splitlines()[0].split()) if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _fit(text: str, width: int) -> str:
    """Cut a line to ``width`` visible characters, keeping colour codes whole and closed."""
    out, visible, i = [], 0, 0
    while i < len(text) and visible < width:
        if text[i] == "\033":
            end = text.index("m", i) + 1
            out.append(text[i:end])
            i = end
            continue
        out.append(text[i])
        visible += 1
        i += 1
    return "".join(out) + ("\033[0m" if "\033[" in text else "")


def verdict_line(report: RunReport, reasons: list[str] | None = None) -> str:
    """``PASS: every required check passed — 148 passed, ...`` or ``FAIL: <first reason> ...``, one plain line.

    The word and reasons are the report's verdict (``conformance.report.verdict``), judged once.
    """
    from conformance.report.common import count_outcomes
    from conformance.report.verdict import verdict_of

    verdict = verdict_of(report)
    counts = ", ".join(f"{n} {o}" for o, n in count_outcomes(report.results).items() if n)
    return f"{verdict.headline}: {verdict.first_reason()} — {counts or 'no checks'}"


class ConsoleListener(Listener):
    """The runner's listener for ``armada-conformance run``: progress while it runs, then the verdict.

    Progress and problems go to stderr; the verdict, its reasons and the report folder
    to ``out`` (stdout), so ``run ... | tail -3`` shows the outcome.
    """

    def __init__(
        self,
        progress: Progress | None = None,
        out: TextIO | None = None,
        max_reasons: int = 20,
        json_lines: bool = False,
    ) -> None:
        self.progress = progress or Progress()
        self.out = out or sys.stdout
        self.max_reasons = max_reasons
        self.json_lines = json_lines  # stdout: one JSON object per check; the verdict goes to stderr
        self.verdict_out = self.progress.stream if json_lines else self.out

    def run_started(self, checks: Sequence[Any]) -> None:
        self.progress.begin(len(checks))

    def check_started(self, check: Any, done: int, total: int) -> None:
        self.progress.started(check.id)

    def check_finished(self, result: CheckResult, done: int, total: int) -> None:
        self.progress.finished(result.id, result.outcome.value, result.message, result.duration_s)
        if self.json_lines:
            self.out.write(json.dumps(result_line(result), ensure_ascii=False) + "\n")
            self.out.flush()

    def run_finished(self, report: RunReport, comparison: BaselineComparison | None, folder: Path | None) -> None:
        self.progress.stop()
        for entry in report.unmatched_known_failures:
            self.progress.note(f"armada-conformance: known failure {entry!r} matches no check of this run")
        for problem in report.cleanup_problems:
            self.progress.note(f"armada-conformance: cleanup: {problem}")
        from conformance.report.verdict import verdict_of

        reasons = verdict_of(report).reasons
        out = self.verdict_out
        self.progress.close(verdict=verdict_line(report), stream=out)
        for reason in reasons[1 : self.max_reasons]:
            out.write(f"  - {reason}\n")
        if folder is not None:
            out.write(f"reports: {folder}\n")
        out.flush()


# The fields of a check on stdout under --output json; evidence stays in report.json (it can be large).
RESULT_FIELDS = (
    "id",
    "category",
    "requirement",
    "severity",
    "outcome",
    "transport",
    "scheme",
    "method",
    "message",
    "duration_s",
)


def result_line(result: CheckResult) -> dict[str, Any]:
    """One check as ``--output json`` prints it; the message redacted as the reports are."""
    from conformance.report.redact import redact_text

    line = {name: getattr(result, name) for name in RESULT_FIELDS}
    line["severity"], line["outcome"] = result.severity.value, result.outcome.value
    line["message"] = redact_text(result.message)
    return line
