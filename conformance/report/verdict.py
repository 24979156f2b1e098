"""The verdict of a run: one object, computed once, read by every writer and the exit status.

``judge(report)`` decides it when the run concludes (or when ``report --regate`` is
asked to judge a stored run again); the word and the reasons are stored in the report
(``verdict``, ``verdict_reasons``), and ``verdict_of(report)`` reads them back, so the
console line, summary.md, report.html, report.json, junit.xml and the exit status can
never disagree, and re-rendering a stored run keeps the verdict it was given.

Words, most serious first: ``interrupted`` (stopped by SIGINT/SIGTERM: 130/143),
``fail`` (a required check failed or regressed against the baseline, or nothing was
verified: 1), ``error`` (only checks the suite could not set up: the suite's or the
environment's problem, still 1), ``pass`` (0).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from conformance.results import RunReport

from .gate import INTERRUPTED_EXIT, BaselineComparison, gate_reasons

WORDS = ("pass", "fail", "error", "interrupted")
HEADLINES = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "interrupted": "INTERRUPTED"}


@dataclass(frozen=True)
class Verdict:
    word: str  # one of WORDS
    reasons: tuple[str, ...]  # why it is not a pass, one line each (empty: a pass)
    exit_status: int  # 0 pass, 1 fail or error, 130 / 143 interrupted

    @property
    def passed(self) -> bool:
        return self.word == "pass"

    @property
    def headline(self) -> str:
        """``PASS`` / ``FAIL`` / ``ERROR`` / ``INTERRUPTED``."""
        return HEADLINES[self.word]

    def first_reason(self) -> str:
        if not self.reasons:
            return "every required check passed"
        more = f" (and {len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return self.reasons[0] + more


def exit_status_of(word: str, interrupted: str = "") -> int:
    if word == "interrupted":
        return INTERRUPTED_EXIT.get(interrupted, 130)
    return 0 if word == "pass" else 1


def judge(report: RunReport, comparison: BaselineComparison | None = None) -> Verdict:
    """Judge ``report`` by the gate's rule (``conformance.report.gate``)."""
    reasons = gate_reasons(report, comparison)
    if report.interrupted:
        word = "interrupted"
    elif not reasons:
        word = "pass"
    elif report.errors() and not _beyond_errors(report, reasons):  # nothing wrong but what the suite could not set up
        word = "error"
    else:
        word = "fail"
    return Verdict(word, tuple(reasons), exit_status_of(word, report.interrupted))


def _beyond_errors(report: RunReport, reasons: list[str]) -> list[str]:
    """The reasons that are not errors (nor the "nothing verified" that errors alone cause)."""
    errored = {r.id for r in report.errors()}
    return [r for r in reasons if r.split(" ", 1)[0] not in errored and not r.startswith("no check reached")]


def verdict_of(report: RunReport, comparison: BaselineComparison | None = None) -> Verdict:
    """The verdict ``report`` holds; a report never judged is judged now.

    A stored word is kept as it is, also from a report before schema 1.3 that did not
    record its reasons (they are then read off its results, or said to be unrecorded).
    ``comparison`` only counts for a report that holds no verdict (one put together by hand).
    """
    word = report.verdict
    if word not in WORDS:
        return judge(report, comparison)
    reasons = list(report.verdict_reasons)
    if not reasons and word != "pass":
        reasons = gate_reasons(report, comparison) or [
            f"the stored verdict is {word!r}; its reasons were not recorded (a report older than schema 1.3)"
        ]
    return Verdict(word, tuple(reasons), exit_status_of(word, report.interrupted))


def with_verdict(report: RunReport, verdict: Verdict) -> RunReport:
    """``report`` holding ``verdict`` (what every writer then reads)."""
    return dataclasses.replace(report, verdict=verdict.word, verdict_reasons=list(verdict.reasons))
