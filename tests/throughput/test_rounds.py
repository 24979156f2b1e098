"""Figures carry their rounds, so the baseline judge can tell a regression from noise."""

from __future__ import annotations

from conformance.report.baseline import compare_figure
from conformance.results import Figure
from conformance.throughput.verdict import part_percentiles


def test_a_latency_percentile_has_one_round_per_third_of_the_jobs() -> None:
    samples = [float(n % 10) for n in range(300)]
    assert part_percentiles(samples, 99) == [9.0, 9.0, 9.0]
    assert part_percentiles([1.0, 2.0, 3.0, 4.0, 5.0], 50) == []  # a third of 1 sample says nothing


def test_a_p99_of_few_jobs_spreads_too_wide_to_be_a_regression() -> None:
    """The same server "79 % worse" on a p99 of 50 jobs: its thirds disagree by more than the tolerance."""
    steady = [10.0] * 45 + [40.0, 12.0, 30.0, 11.0, 25.0]
    before = Figure("L-p99", "p99", 10.0, "ms", rounds=[10.0, 10.0, 10.0])
    rounds = part_percentiles(steady, 99)
    now = Figure("L-p99", "p99", 17.9, "ms", rounds=rounds)
    change = compare_figure(now, before, 0.2)
    assert change is not None and not change.compared and not change.regressed
