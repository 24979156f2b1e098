"""THROUGHPUT: how fast the event stream goes, as figures in the report, and optional gates.

The measurement checks (replay, live, fan-out, resume; over gRPC and REST) pass
when the stream delivered every event in increasing order and produced figures;
how fast it was is reported, never judged by a hard-coded number. Judging is the
user's choice, through three gates that each fail their own check:
``--min-events-per-second`` (replay and fan-out rates), ``--max-p99-ms`` (live
submit-to-event latency) and ``--max-regression`` against ``--baseline`` (every
figure). A gate that is not set reports "not configured".

Figures close to the client's own decode capacity are marked client-bound: they
are lower bounds of the target's speed, and the regression gate does not fail on
them. The workload (``--events``, ``--jobs``, ``--watchers``, ``--batch-size``,
``--processes``) lives in a queue and job sets the run created, and is cleaned up.
"""

from __future__ import annotations

from conformance.checks import CheckFailed, NotConfigured, family
from conformance.context import RunContext
from conformance.results import Figure, RunReport
from conformance.throughput.measure import TRANSPORTS, bench

ROWS = [{"transport": t, "T": t.upper()} for t in TRANSPORTS]
# Every workload holds its jobs in a cordoned queue (two events a job, none runs): releases
# without cordoning (before v0.9.8) cannot hold them, so nothing here is offered there.
HELD = ("cordon",)


@family(
    "THROUGHPUT-Replay-{T}",
    "THROUGHPUT",
    "reading a stored job set with watch=false over {transport} delivers every event in increasing order; "
    "events/s is reported (creates its job set, unless --replay-job-set names an existing one)",
    ROWS,
    features=HELD,
)
def replay(ctx: RunContext, transport: str, T: str) -> None:
    # Not marked mutating: with --replay-job-set it creates nothing and runs under --read-only too.
    if not bench(ctx).existing:
        ctx.require_mutation()
    bench(ctx).measure(ctx, "replay", transport)


@family(
    "THROUGHPUT-Live-{T}",
    "THROUGHPUT",
    "a watcher over {transport} sees every job submitted while it watches; events/s, submit-to-event "
    "latency (p50, p95, p99) and time to first event are reported",
    ROWS,
    mutating=True,
    features=HELD,
)
def live(ctx: RunContext, transport: str, T: str) -> None:
    bench(ctx).measure(ctx, "live", transport)


@family(
    "THROUGHPUT-FanOut-{T}",
    "THROUGHPUT",
    "concurrent watchers of one job set over {transport} each receive every event; aggregate and "
    "per-watcher events/s are reported",
    ROWS,
    mutating=True,
    features=HELD,
)
def fan_out(ctx: RunContext, transport: str, T: str) -> None:
    bench(ctx).measure(ctx, "fanout", transport)


@family(
    "THROUGHPUT-Resume-{T}",
    "THROUGHPUT",
    "reconnecting over {transport} with from_message_id mid-stream resumes at the next event and delivers "
    "the rest; the reconnection's time to first event is reported",
    ROWS,
    mutating=True,
    features=HELD,
)
def resume(ctx: RunContext, transport: str, T: str) -> None:
    bench(ctx).measure(ctx, "resume", transport)


def _measured(ctx: RunContext, kinds: tuple[str, ...]) -> list[Figure]:
    """Figures of ``kinds`` over every configured transport (measuring what is missing)."""
    figures: list[Figure] = []
    for transport in TRANSPORTS:
        if transport == "rest" and ctx.rest is None:
            continue
        for kind in kinds:
            figures.extend(bench(ctx).measure(ctx, kind, transport).figures)
    return figures


@family(
    "THROUGHPUT-Threshold-MinEventsPerSecond",
    "THROUGHPUT",
    "replay and fan-out events/s reach --min-events-per-second (not configured without it)",
    mutating=True,
    features=HELD,
)
def min_events_per_second(ctx: RunContext) -> None:
    minimum = bench(ctx).gates.min_events_per_second
    if minimum is None:
        raise NotConfigured("no --min-events-per-second given")
    figures = [f for f in _measured(ctx, ("replay", "fanout")) if f.unit == "events/s"]
    slow = [f for f in figures if f.value < minimum]
    if slow:
        lines = "; ".join(
            f"{f.id} {f.value:,.0f} events/s" + (" (client-bound: a lower bound)" if f.client_bound else "")
            for f in slow
        )
        raise CheckFailed(
            f"below the minimum of {minimum:,.0f} events/s: {lines}",
            {"minimum": minimum, "figures": {f.id: f.value for f in figures}},
        )


@family(
    "THROUGHPUT-Threshold-MaxP99Latency",
    "THROUGHPUT",
    "live submit-to-event latency p99 stays within --max-p99-ms (not configured without it)",
    mutating=True,
    features=HELD,
)
def max_p99_latency(ctx: RunContext) -> None:
    maximum = bench(ctx).gates.max_p99_ms
    if maximum is None:
        raise NotConfigured("no --max-p99-ms given")
    figures = [f for f in _measured(ctx, ("live",)) if f.id.endswith("-p99")]
    late = [f for f in figures if f.value > maximum]
    if late:
        raise CheckFailed(
            "submit-to-event p99 above the maximum of "
            f"{maximum:g} ms: " + "; ".join(f"{f.id} {f.value:.1f} ms" for f in late),
            {"maximum_ms": maximum, "figures": {f.id: f.value for f in figures}},
        )


@family(
    "THROUGHPUT-Threshold-MaxRegression",
    "THROUGHPUT",
    "no figure is worse than in the --baseline report by more than --max-regression (a fraction, "
    "default 0.2), judged as the gate judges it: only figures whose rounds spread within it "
    "(not configured without --baseline)",
    mutating=True,
    features=HELD,
)
def max_regression(ctx: RunContext) -> str | None:
    from conformance.report.baseline import DEFAULT_TOLERANCE, compare_to_baseline, regression_records

    gates, baseline = bench(ctx).gates, ctx.settings.baseline
    if baseline is None:
        raise NotConfigured("no --baseline given")
    tolerance = DEFAULT_TOLERANCE if gates.max_regression is None else gates.max_regression
    figures = _measured(ctx, ("replay", "live", "fanout", "resume"))
    now = RunReport(target={}, profile="", suite_version="", started="", finished="", machine={}, figures=figures)
    comparison = compare_to_baseline(now, baseline, tolerance=tolerance)  # the gate's own judge
    if not comparison.figures:
        raise CheckFailed(
            "the baseline report has none of this run's figures to compare with",
            {"baseline_figures": [f.id for f in baseline.figures][:20]},
        )
    records = regression_records(comparison)
    worse = [r for r in records if r["regressed"]]
    if worse:
        raise CheckFailed(
            f"worse than the baseline by more than {tolerance:.0%}: "
            + "; ".join(f"{r['id']} {r['why']}" for r in worse),
            {"baseline_started": comparison.baseline_started, "tolerance": tolerance, "figures": records},
        )
    unsure = [r for r in records if not r["regressed"]]
    if unsure:
        return f"{len(comparison.figures) - len(unsure)} figure(s) within {tolerance:.0%}; not judged: " + "; ".join(
            f"{r['id']} {r['why']}" for r in unsure
        )
    return None
