"""Progress of a conformance run as it happens: one live line on a terminal, plain lines in CI.

Replaces pytest's dots for the ``armada-conformance run`` command: a person watching
sees which check is running and the tally so far; a CI log gets one line per check.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import pytest


class Progress:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.total = 0
        self.done = 0
        self.tally: dict[str, int] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[Any]) -> None:
        self.total = len(items)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self._line(f"cannot collect {report.nodeid or 'the suite'}: {str(report.longrepr).splitlines()[-1]}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "setup" and report.failed:
            self._line(f"setup failed: {str(report.longrepr).splitlines()[-1]}")
        if report.when != "call" and not (report.when == "setup" and report.skipped):
            return
        self.done += 1
        word = ("expected failure" if hasattr(report, "wasxfail") else
                report.outcome if not report.skipped else _skip_word(report))
        self.tally[word] = self.tally.get(word, 0) + 1
        check_id = report.nodeid.rsplit("[", 1)[-1].rstrip("]")
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.tally.items()))
        if self.live:
            self.stream.write(f"\r\033[K[{self.done}/{self.total}] {counts} · {check_id} {word}")
            self.stream.flush()
        else:
            self._line(f"[{self.done}/{self.total}] {check_id}: {word}")

    def pytest_sessionfinish(self) -> None:
        if self.live and self.done:
            self.stream.write("\n")
            self.stream.flush()

    def _line(self, text: str) -> None:
        if self.live:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()


def _skip_word(report: pytest.TestReport) -> str:
    reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else ""
    for word in ("not offered", "not configured"):
        if word in reason:
            return word
    return "skipped"
