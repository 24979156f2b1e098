"""What a load watcher calls a gap, a duplicate or a reordering, and how a run's result is judged."""

from __future__ import annotations

from typing import Any

import pytest

import protos
from conformance.load.outcome import Gates, checks, figures
from conformance.load.settings import LoadPlan, PlanError, parse_duration, parse_mix
from conformance.load.tally import SUBMITTED_AT, WatchTally, grpc_event, rest_event


def kinds(problems: list[Any]) -> list[str]:
    return [p.kind for p in problems]


def test_consecutive_ids_name_gaps_duplicates_and_reorderings() -> None:
    tally = WatchTally(consecutive_ids=True)
    assert kinds(tally.event("1", "queued", "", None, 0.0)) == []
    assert kinds(tally.event("2", "queued", "", None, 0.0)) == []
    assert kinds(tally.event("5", "queued", "", None, 0.0)) == ["gap"]
    assert tally.gaps == 2
    assert kinds(tally.event("5", "queued", "", None, 0.0)) == ["duplicate"]
    assert kinds(tally.event("4", "queued", "", None, 0.0)) == ["order"]
    assert kinds(tally.event("6", "queued", "", None, 0.0)) == []
    assert (tally.count, tally.first_id, tally.last_id) == (6, "1", "6")


def test_armada_ids_need_only_increase() -> None:
    tally = WatchTally()
    assert kinds(tally.event("1700000000000-0", "queued", "", None, 0.0)) == []
    assert kinds(tally.event("1700000000005-3", "queued", "", None, 0.0)) == []  # a jump is no gap here
    assert kinds(tally.event("1700000000005-3", "queued", "", None, 0.0)) == ["duplicate"]


def test_a_job_announced_late_or_twice_is_caught_only_in_our_own_job_sets() -> None:
    strict = WatchTally(strict_jobs=True)
    assert kinds(strict.event("1", "submitted", "a", 10.0, 10.25)) == []
    assert strict.latencies_ms == [250.0]
    assert kinds(strict.event("2", "queued", "a", None, 11.0)) == []
    assert kinds(strict.event("3", "queued", "b", None, 11.0)) == ["gap"]  # b's submitted event never came
    assert kinds(strict.event("4", "cancelled", "b", None, 11.0)) == []  # said once per job
    assert kinds(strict.event("5", "submitted", "a", None, 11.0)) == ["duplicate"]
    relaxed = WatchTally()  # someone else's job set (--replay-job-set): its early events may be gone
    assert kinds(relaxed.event("1", "queued", "b", None, 11.0)) == []


def test_events_are_read_alike_from_grpc_and_rest() -> None:
    message = protos.message_class("api.EventStreamMessage")()
    message.id = "7"
    message.message.submitted.job_id = "j1"
    message.message.submitted.job.annotations[SUBMITTED_AT] = "12.5"
    parse = protos.message_class("api.EventStreamMessage").FromString
    assert grpc_event(message.SerializeToString(), parse) == ("7", "submitted", "j1", 12.5)
    line = {"id": "7", "message": {"submitted": {"jobId": "j1", "job": {"annotations": {SUBMITTED_AT: "12.5"}}}}}
    assert rest_event(line) == ("7", "submitted", "j1", 12.5)
    assert rest_event({"id": "8", "message": {"queued": {"jobId": "j1"}}}) == ("8", "queued", "j1", None)


def test_settings_words() -> None:
    assert parse_mix("grpc=3,rest=1") == {"grpc": 3, "rest": 1}
    assert parse_duration("1m30s") == 90 and parse_duration("45") == 45
    plan = LoadPlan("r", "t.toml", [("q", "a"), ("q", "b")], watchers=4, transports={"grpc": 1, "rest": 1})
    assert [plan.transport_of(n) for n in range(4)] == ["grpc", "rest", "grpc", "rest"]
    assert [plan.job_set_of(n)[1] for n in range(3)] == ["a", "b", "a"]
    assert LoadPlan.from_json(plan.to_json()) == plan
    for bad in ("udp", "grpc=x", "grpc=0"):
        with pytest.raises(PlanError):
            parse_mix(bad)
    with pytest.raises(PlanError):
        parse_duration("10 minutes")


def watcher(count: int, last_id: str, **problems: int) -> dict[str, Any]:
    return {
        "index": 0,
        "queue": "q",
        "job_set": "a",
        "transport": "grpc",
        "count": count,
        "first_id": "1",
        "last_id": last_id,
        "gaps": problems.get("gaps", 0),
        "duplicates": 0,
        "out_of_order": 0,
        "stream_errors": 0,
        "first_errors": [],
        "jobs_seen": 0,
        "latency_samples": 0,
    }


def result_of(*watchers: dict[str, Any], client_bound: bool = False) -> dict[str, Any]:
    summary = {
        "node": "w1",
        "host": "h",
        "watchers": list(watchers),
        "events": sum(w["count"] for w in watchers),
        "submitted": {"a": 2},
        "submit_errors": 0,
        "seconds": 2.0,
        "events_per_second": 1.0,
        "cpu_fraction": 0.1,
        "decode_capacity_eps": 1000,
        "client_bound": client_bound,
        "latencies_ms": [1.0, 2.0, 30.0],
    }
    return {"plan": {}, "summaries": [summary], "missing_workers": 0, "locust": [], "locust_errors": []}


def test_a_watcher_that_skipped_stored_events_fails_the_order_check() -> None:
    stored = {("q", "a"): ["1", "2", "3", "4"]}
    fine = {r.id: r.outcome.value for r in checks(result_of(watcher(4, "4"), watcher(2, "2")), stored, Gates(), False)}
    assert fine["LOAD-EventOrder"] == "passed"  # the second one is only behind, not wrong
    skipped = checks(result_of(watcher(3, "4")), stored, Gates(), False)
    order = next(r for r in skipped if r.id == "LOAD-EventOrder")
    assert order.outcome.value == "failed" and "holds 4 up to it" in order.message


def test_gates_and_client_bound_figures() -> None:
    result = result_of(watcher(4, "4"), client_bound=True)
    judged = {r.id: r for r in checks(result, {}, Gates(min_events_per_second=100, max_p99_ms=50), False)}
    assert judged["LOAD-Threshold-MinEventsPerSecond"].outcome.value == "failed"
    assert "client-bound" in judged["LOAD-Threshold-MinEventsPerSecond"].message
    assert judged["LOAD-Threshold-MaxP99Latency"].outcome.value == "passed"
    by_id = {f.id: f for f in figures(result, "grpc=1")}
    assert by_id["LOAD-Events"].value == 2.0 and by_id["LOAD-Latency-p99"].value == 30.0
    assert all(f.client_bound for f in by_id.values())
    assert by_id["LOAD-Events"].details["client_bound_workers"] == "1 of 1"


def test_no_stamped_job_means_no_latency_figure_and_an_unjudged_gate() -> None:
    result = result_of(watcher(4, "4"))
    result["summaries"][0]["latencies_ms"] = []  # --read-only: nothing of ours was submitted
    assert [f.id for f in figures(result, "grpc=1")] == ["LOAD-Events", "LOAD-Events-per-watcher"]
    gate = next(r for r in checks(result, {}, Gates(max_p99_ms=50), True) if r.id == "LOAD-Threshold-MaxP99Latency")
    assert gate.outcome.value == "skipped"


def test_figures_carry_rounds_from_the_steady_middle_of_the_run() -> None:
    result = result_of(watcher(4, "4"))
    summary = result["summaries"][0]
    summary["events_by_second"] = {str(100 + t): (1 if t < 4 or t >= 16 else 10) for t in range(20)}  # ramp, drain
    summary["latency_seconds"] = [100 + t for t in range(20) for _ in range(10)]
    summary["latencies_ms"] = [float(t) for t in range(20) for _ in range(10)]
    by_id = {f.id: f for f in figures(result, "grpc=1")}
    assert by_id["LOAD-Events"].rounds == [10.0] * 5  # seconds 4..15 in 5 windows of 2 s: ramp and drain left out
    assert by_id["LOAD-Latency-p99"].rounds == [5.0, 7.0, 9.0, 11.0, 13.0]
