"""How SEMANTICS-JobStatusFollowsEvents judges what it observed, on its own.

The query API and the event stream lag each other on real Armada, so the judgement
must accept a job not yet known (UNKNOWN first) and skipped states, and still refuse
states the events never show, a status going back in the job's life, and a final
status that is not the last event's.
"""

from __future__ import annotations

import pytest

from conformance.checks import CheckFailed
from conformance.checks.jobs_api import _judge_states

LIFE = ["submitted", "queued", "leased", "pending", "running", "succeeded"]


@pytest.mark.parametrize(
    "observed",
    [
        ["QUEUED", "RUNNING", "SUCCEEDED"],
        ["UNKNOWN", "SUBMITTED", "SUCCEEDED"],
        ["SUCCEEDED"],
        ["UNKNOWN", "UNKNOWN", "LEASED", "PENDING", "RUNNING", "SUCCEEDED"],
    ],
)
def test_lagging_but_consistent_statuses_pass(observed: list[str]) -> None:
    _judge_states("j", observed, LIFE)


@pytest.mark.parametrize(
    ("observed", "kinds", "words"),
    [
        (["QUEUED", "FAILED"], LIFE, "never show"),
        (["RUNNING", "QUEUED", "SUCCEEDED"], LIFE, "back"),
        (["QUEUED", "RUNNING"], LIFE, "ends at RUNNING"),
        (["QUEUED", "UNKNOWN", "SUCCEEDED"], LIFE, "never show"),
        (["QUEUED"], ["submitted", "queued", "cancelling", "cancelled"], "CANCELLED"),
        ([], LIFE, "ends at None"),
    ],
)
def test_inconsistent_statuses_fail(observed: list[str], kinds: list[str], words: str) -> None:
    with pytest.raises(CheckFailed, match=words):
        _judge_states("j", observed, kinds)
