"""Per-check times are the time each check's verdict took, even when another check measured it first.

THROUGHPUT-FanOut-GRPC measured the replay it compares with, so THROUGHPUT-Replay-GRPC
reported "passed (0.00 s)" for a 25 s measurement.
"""

from __future__ import annotations

from conformance import activity
from conformance.throughput.measure import owner_of


def test_time_spent_for_a_check_still_to_come_is_moved_to_it() -> None:
    activity.expect(["THROUGHPUT-FanOut-GRPC", "THROUGHPUT-Replay-GRPC", "THROUGHPUT-Threshold-X"])
    activity.start_check()
    activity.spent_for(owner_of("replay", "grpc"), 25.0)  # fan-out measured replay first
    assert activity.settle("THROUGHPUT-FanOut-GRPC", 30.0) == 5.0
    activity.start_check()  # replay: memoised, done in no time
    assert activity.settle("THROUGHPUT-Replay-GRPC", 0.01) == 25.01


def test_time_for_a_check_outside_the_run_or_already_run_stays_where_it_was_spent() -> None:
    activity.expect(["THROUGHPUT-Replay-GRPC", "THROUGHPUT-Threshold-X"])
    activity.start_check()
    activity.spent_for("THROUGHPUT-Replay-GRPC", 3.0)  # its own measurement
    assert activity.settle("THROUGHPUT-Replay-GRPC", 3.5) == 3.5
    activity.start_check()
    activity.spent_for("THROUGHPUT-Live-GRPC", 4.0)  # a gate measuring what no selected check reports
    activity.spent_for("THROUGHPUT-Replay-GRPC", 1.0)  # nor one that already ran
    assert activity.settle("THROUGHPUT-Threshold-X", 6.0) == 6.0
    assert owner_of("fanout", "rest") == "THROUGHPUT-FanOut-REST"
