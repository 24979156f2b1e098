"""``--known-failures-update FILE``: the current failures written as a starting known-failures file.

Adopting the suite on a deployment that fails a dozen checks should not mean
copying IDs by hand. Every failed check (and every one already accepted as an
expected failure) becomes an entry; a new one's reason says it still needs a
real reason, quoting the check's message, so nobody mistakes the file for a
reviewed one. Messages go through the report's redaction first.
"""

from __future__ import annotations

import json
from pathlib import Path

from conformance.results import Outcome, RunReport

from .common import one_line, target_label
from .redact import redact_text

KNOWN_PREFIX = "Known failure: "
TODO = "TODO: say why this failure is accepted (a ticket link); it failed with: "


def _quote(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def _reason(message: str, outcome: Outcome) -> str:
    if outcome is Outcome.EXPECTED_FAILURE and message.startswith(KNOWN_PREFIX):
        return one_line(message[len(KNOWN_PREFIX) :].partition(" | ")[0], 300)  # gate: "<reason> | <message>"
    return TODO + (one_line(redact_text(message), 200) or "no message")


def known_failures_toml(report: RunReport) -> str:
    """The known-failures file for ``report``'s failures (empty list: a comment saying so)."""
    lines = [
        f"# Known failures of {target_label(report.target)}, written by armada-conformance "
        f"--known-failures-update from the run started {report.started}.",
        "# Replace each TODO reason with why the failure is accepted; remove entries once fixed.",
        "",
    ]
    failing = [r for r in report.results if r.outcome in (Outcome.FAILED, Outcome.EXPECTED_FAILURE)]
    for result in failing:
        lines += [
            "[[known_failure]]",
            f"id = {_quote(result.id)}",
            f"reason = {_quote(_reason(result.message, result.outcome))}",
            "",
        ]
    if not failing:
        lines.append("# No check failed in that run: nothing to list.")
    return "\n".join(lines).rstrip("\n") + "\n"


def write_known_failures(report: RunReport, path: str | Path) -> int:
    """Write the file (parents created); returns how many entries it holds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(known_failures_toml(report), encoding="utf-8")
    return sum(r.outcome in (Outcome.FAILED, Outcome.EXPECTED_FAILURE) for r in report.results)
