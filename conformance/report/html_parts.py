"""Small HTML pieces every section of report.html shares: colours, badges, anchors, names.

Kept apart from the page so the catalogue and figure sections can use them
without importing the page that imports them.
"""

from __future__ import annotations

import re
from html import escape

from conformance.results import Outcome

PASS_COLOUR = "#1a7f37"
FAIL_COLOUR = "#cf222e"
# Cell / badge colours; distinct enough to tell apart in a screenshot, too.
OUTCOME_COLOURS: dict[str, str] = {
    "passed": "#4ac26b",
    "failed": "#fa4549",
    "error": "#8250df",  # the suite could not set the check up: not the server's finding
    "warning": "#fb8f44",  # only recommended checks failed
    "expected failure": "#d4a72c",
    "not offered": "#8c959f",
    "not configured": "#d0d7de",
    "skipped": "#eaeef2",
    "none": "#f6f8fa",
}
# Where a long name may wrap: after these separators, never inside a word.
_BREAK_AFTER = re.compile(r"([/._-])")


def css_name(outcome: str) -> str:
    return outcome.replace(" ", "-")


def anchor(check_id: str) -> str:
    return "check-" + "".join(c if c.isalnum() or c in "-_." else "_" for c in check_id)


def badge(outcome: Outcome | str, label: str | None = None) -> str:
    name = str(outcome)
    return f'<span class="badge o-{css_name(name)}">{escape(label or name)}</span>'


def name_html(text: str) -> str:
    """An identifier (check ID, method) that wraps only after ``/ . _ -``, never mid-word."""
    return "".join(
        escape(part) + ("<wbr>" if _BREAK_AFTER.fullmatch(part) else "") for part in _BREAK_AFTER.split(text) if part
    )
