"""Progress of a conformance run as it happens: one live line on a terminal, plain lines in CI.

A :class:`conformance.runner.Listener` for ``armada-conformance run``: a person watching
sees which check is running and the tally so far; a CI log gets one line per check.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from conformance.checks import Check
from conformance.report.gate import BaselineComparison
from conformance.results import CheckResult, RunReport
from conformance.runner import Listener


class Progress(Listener):
    def __init__(self, stream: TextIO | None = None, verbose: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty() and not verbose
        self.verbose = verbose
        self.tally: dict[str, int] = {}
        self._line_open = False

    def run_started(self, checks: Sequence[Check]) -> None:
        self.tally.clear()

    def check_finished(self, result: CheckResult, done: int, total: int) -> None:
        word = result.outcome.value
        self.tally[word] = self.tally.get(word, 0) + 1
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.tally.items()))
        if self.live:
            self.stream.write(f"\r\033[K[{done}/{total}] {counts} · {result.id} {word}")
            self._line_open = done < total
            if not self._line_open:
                self.stream.write("\n")
            self.stream.flush()
            return
        detail = f" ({result.message[:200]})" if self.verbose and result.message else ""
        self.stream.write(f"[{done}/{total}] {result.id}: {word}{detail}\n")
        self.stream.flush()

    def run_finished(self, report: RunReport, comparison: BaselineComparison | None, folder: Path | None) -> None:
        if self._line_open:  # an interrupted run leaves the live line open
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False
