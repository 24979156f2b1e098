"""A load run's verdict: the master's result and the stored job sets, as the suite's checks and figures.

Checks (category LOAD) say whether the load was carried correctly: every watch stream
stayed up, every watcher saw its job set's events in order with none missing or repeated
(the ids it got are exactly the stored job set's up to its last one), every SubmitJobs
was accepted, every expected worker reported; and, when asked, the gates. Figures are what
``--baseline`` compares and the HTML report shows: events/s in all and per watcher, and
submit-to-event latency percentiles; each is marked client-bound when any worker was.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.results import CheckResult, Figure, Outcome, Severity
from conformance.throughput.verdict import percentile

CATEGORY = "LOAD"
ROUNDS = 5  # windows of the steady part of the run: each figure's rounds


@dataclass(frozen=True)
class Gates:
    min_events_per_second: float | None = None
    max_p99_ms: float | None = None


def watchers_of(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for s in result.get("summaries", []) for w in s["watchers"]]


def figures(result: dict[str, Any], transport: str) -> list[Figure]:
    """Events/s (all watchers, and the median watcher) and latency p50/p95/p99."""
    summaries = result.get("summaries", [])
    watchers = watchers_of(result)
    events = sum(s["events"] for s in summaries)
    span = max((s["seconds"] for s in summaries), default=0.0)
    rate = events / span if span else 0.0
    per_watcher = statistics.median(w["count"] / span for w in watchers) if watchers and span else 0.0
    latencies = sorted(v for s in summaries for v in s["latencies_ms"])
    windows = steady_windows(summaries)
    buckets: dict[int, int] = {}
    for summary in summaries:
        for second, n in summary.get("events_by_second", {}).items():
            buckets[int(second)] = buckets.get(int(second), 0) + n
    rates = [sum(buckets.get(t, 0) for t in range(a, b)) / (b - a) for a, b in windows]
    steady = statistics.median(rates) if rates else rate  # the figure: not the ramp-up, not the drain
    bound = [s["node"] for s in summaries if s["client_bound"]]
    locust = {(row["type"], row["name"]): row for row in result.get("locust", [])}
    plan = result.get("plan", {})
    details = {
        "run_id": plan.get("run_id", ""),
        "queues": plan.get("queues", []),
        "job_sets": len(plan.get("job_sets", [])),
        "jobs_per_second": plan.get("jobs_per_second", 0),
        "jobs_submitted_per_second": round(sum(n for s in summaries for n in s["submitted"].values()) / span, 1)
        if span
        else 0.0,
        "watchers": len(watchers),
        "workers": len(summaries),
        "client_bound_workers": f"{len(bound)} of {len(summaries)}",
        "events": events,
        "events_by_worker": {s["node"]: s["events"] for s in summaries},
        "stream_errors": sum(w["stream_errors"] for w in watchers),
        "gaps": sum(w["gaps"] for w in watchers),
        "duplicates": sum(w["duplicates"] for w in watchers),
        "out_of_order": sum(w["out_of_order"] for w in watchers),
        "submit_errors": sum(s["submit_errors"] for s in summaries),
        "events_locust_master": sum(r["requests"] for k, r in locust.items() if k[1] == "event"),
        "seconds": round(span, 3),
        "whole_run_events_per_second": round(rate, 1),
        "whole_run_per_watcher_median": round(per_watcher, 2),
        "workers_detail": [
            {k: s[k] for k in ("node", "host", "events_per_second", "cpu_fraction", "decode_capacity_eps")}
            | {"client_bound": s["client_bound"]}
            for s in summaries
        ],
    }
    out = [
        Figure(
            "LOAD-Events",
            f"{len(watchers)} watchers: events/s together (steady middle of the run)",
            round(steady, 1),
            "events/s",
            transport,
            bool(bound),
            details,
            rounds=[round(r, 1) for r in rates],
        ),
        Figure(
            "LOAD-Events-per-watcher",
            f"{len(watchers)} watchers: events/s each (steady middle of the run)",
            round(steady / len(watchers), 2) if watchers else 0.0,
            "events/s",
            transport,
            bool(bound),
            {},
            rounds=[round(r / len(watchers), 2) for r in rates] if watchers else [],
        ),
    ]
    for q in (50, 95, 99) if latencies else ():  # none without stamped jobs (--read-only): no 0 ms figure
        out.append(
            Figure(
                f"LOAD-Latency-p{q}",
                f"submit-to-event latency p{q} ({len(latencies)} samples)",
                round(percentile(latencies, q), 3),
                "ms",
                transport,
                bool(bound),
                {"samples": len(latencies)},
                rounds=_latency_rounds(summaries, windows, q),
            )
        )
    return out


def steady_windows(summaries: list[dict[str, Any]], rounds: int = ROUNDS) -> list[tuple[int, int]]:
    """``rounds`` equal spans of seconds ([start, end)) in the steady middle of the run: not the users'
    ramp-up (the first fifth of the seconds with events), not the drain (the last fifth). Their rates
    are the figures' rounds, so ``--baseline`` knows each figure's own noise. Empty for a short run."""
    seconds = sorted({int(k) for s in summaries for k in s.get("events_by_second", {})})
    if not seconds:
        return []
    first, last = seconds[0], seconds[-1]
    cut = (last - first + 1) // 5
    size = (last - first + 1 - 2 * cut) // rounds
    if size < 1:
        return []
    start = first + cut
    return [(start + n * size, start + (n + 1) * size) for n in range(rounds)]


def _latency_rounds(summaries: list[dict[str, Any]], windows: list[tuple[int, int]], q: int) -> list[float]:
    """The percentile ``q`` within each window (none unless every window has 10 samples)."""
    pairs = [(t, ms) for s in summaries for t, ms in zip(s.get("latency_seconds", []), s["latencies_ms"], strict=False)]
    rounds = []
    for a, b in windows:
        inside = sorted(ms for t, ms in pairs if a <= t < b)
        if len(inside) < 10:
            return []
        rounds.append(round(percentile(inside, q), 3))
    return rounds


def checks(
    result: dict[str, Any] | None, stored: dict[tuple[str, str], list[str]], gates: Gates, read_only: bool
) -> list[CheckResult]:
    """One result per LOAD check; a missing master result fails the first (the others are skipped)."""
    if result is None:
        return [
            _result(
                "LOAD-WatchStreams",
                "every watch stream stayed up",
                Outcome.FAILED,
                "the Locust master wrote no result: it failed or was stopped before the end",
            ),
        ]
    figures_now = {f.id: f for f in figures(result, "")}
    return [
        _judged("LOAD-WatchStreams", "every watch stream stayed up for the whole run", _streams(result)),
        _judged(
            "LOAD-EventOrder",
            "every watcher saw its job set's events in order: no gap, duplicate or reordering",
            _order(result, stored),
        ),
        _judged(
            "LOAD-Submit",
            "every SubmitJobs of the submitters was accepted",
            _submits(result),
            skipped="--read-only: nothing is submitted" if read_only else "",
        ),
        _judged("LOAD-Workers", "every expected Locust worker reported its account", _workers(result)),
        _gate(
            "LOAD-Threshold-MinEventsPerSecond",
            "events/s together reach --min-events-per-second",
            gates.min_events_per_second,
            True,
            lambda v: figures_now["LOAD-Events"].value >= v,
            lambda v: (
                f"{figures_now['LOAD-Events'].value:,.0f} events/s is below the minimum of {v:,.0f}"
                + _bound(figures_now["LOAD-Events"])
            ),
        ),
        _gate(
            "LOAD-Threshold-MaxP99Latency",
            "submit-to-event latency p99 stays within --max-p99-ms",
            gates.max_p99_ms,
            "LOAD-Latency-p99" in figures_now,
            lambda v: figures_now["LOAD-Latency-p99"].value <= v,
            lambda v: (
                f"p99 {figures_now['LOAD-Latency-p99'].value:g} ms is above the maximum of {v:g} ms"
                + _bound(figures_now["LOAD-Latency-p99"])
            ),
        ),
    ]


def _bound(figure: Figure) -> str:
    return " (client-bound: the client, not the target, set the pace)" if figure.client_bound else ""


def _streams(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    broken = [w for w in watchers_of(result) if w["stream_errors"]]
    if not broken:
        return "", {}
    first = broken[0]
    return (
        f"{len(broken)} watcher(s) lost their stream ({sum(w['stream_errors'] for w in broken)} time(s)); first: "
        f"{first['queue']}/{first['job_set']}: {first['first_errors'][0] if first['first_errors'] else '?'}",
        {
            "watchers": [
                {k: w[k] for k in ("job_set", "transport", "stream_errors", "first_errors")} for w in broken[:5]
            ]
        },
    )


def _order(result: dict[str, Any], stored: dict[tuple[str, str], list[str]]) -> tuple[str, dict[str, Any]]:
    watchers = watchers_of(result)
    if not watchers:
        return "no watcher ran", {}
    if not sum(w["count"] for w in watchers):
        return "no watcher received any event", {}
    wrong = [w for w in watchers if w["gaps"] or w["duplicates"] or w["out_of_order"]]
    short = [
        (w, position)
        for w in watchers
        if (ids := stored.get((w["queue"], w["job_set"]))) is not None
        and (position := _position(ids, w["last_id"])) != w["count"]
    ]
    if not wrong and not short:
        complete = sum(1 for w in watchers if len(stored.get((w["queue"], w["job_set"]), ())) == w["count"])
        return "", {"watchers": len(watchers), "saw_every_stored_event": complete, "read_back_job_sets": len(stored)}
    lines = [
        f"watcher {w['index']} of {w['queue']}/{w['job_set']} ({w['transport']}): {w['gaps']} missing, "
        f"{w['duplicates']} repeated, {w['out_of_order']} out of order"
        for w in wrong[:3]
    ] + [
        f"watcher {w['index']} of {w['queue']}/{w['job_set']} ({w['transport']}): {w['count']} events up to "
        f"id {w['last_id']!r}; the job set holds {position} up to it"
        for w, position in short[:3]
    ]
    return (
        f"{len(wrong) + len(short)} of {len(watchers)} watcher(s) did not see every event in order: "
        + "; ".join(lines),
        {"watchers": [_brief(w) for w in wrong[:5]] + [_brief(w) | {"stored_up_to_last": p} for w, p in short[:5]]},
    )


def _position(ids: list[str], last_id: str) -> int:
    """How many stored events there are up to ``last_id`` (inclusive); -1 when it is not stored at all."""
    try:
        return ids.index(last_id) + 1 if last_id else 0
    except ValueError:
        return -1


def _brief(watcher: dict[str, Any]) -> dict[str, Any]:
    keys = ("index", "queue", "job_set", "transport", "count", "last_id", "gaps", "duplicates", "out_of_order")
    return {k: watcher[k] for k in keys}


def _submits(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    summaries = result.get("summaries", [])
    errors = sum(s["submit_errors"] for s in summaries)
    accepted = sum(n for s in summaries for n in s["submitted"].values())
    if errors:
        failures = [e for e in result.get("locust_errors", []) if e["name"] == "SubmitJobs"]
        first = failures[0]["error"] if failures else "?"
        return f"{errors} SubmitJobs call(s) failed ({accepted} accepted); first: {first}", {"failures": failures[:5]}
    if not accepted:
        return "no SubmitJobs call was made", {}
    return "", {}


def _workers(result: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    missing = result.get("missing_workers", 0)
    if missing:
        reported = len(result.get("summaries", []))
        return (
            f"{missing} expected worker(s) never reported (died or lost the master); {reported} did: "
            "the figures count only theirs",
            {"missing_workers": missing, "reported": reported},
        )
    return "", {}


def _judged(check_id: str, requirement: str, found: tuple[str, dict[str, Any]], skipped: str = "") -> CheckResult:
    if skipped:
        return _result(check_id, requirement, Outcome.SKIPPED, skipped)
    message, evidence = found
    return _result(check_id, requirement, Outcome.FAILED if message else Outcome.PASSED, message, evidence)


def _gate(
    check_id: str,
    requirement: str,
    value: float | None,
    measured: bool,
    holds: Callable[[float], bool],
    why: Callable[[float], str],
) -> CheckResult:
    if value is None:
        return _result(check_id, requirement, Outcome.NOT_CONFIGURED, "no gate given")
    if not measured:  # a gate never judged must not read as passed
        return _result(check_id, requirement, Outcome.SKIPPED, "not measured: no job of the run was watched")
    return _result(
        check_id, requirement, Outcome.PASSED if holds(value) else Outcome.FAILED, "" if holds(value) else why(value)
    )


def _result(
    check_id: str, requirement: str, outcome: Outcome, message: str = "", evidence: dict[str, Any] | None = None
) -> CheckResult:
    return CheckResult(
        id=check_id,
        category=CATEGORY,
        requirement=requirement,
        severity=Severity.REQUIRED,
        outcome=outcome,
        transport="",
        method="Event/GetJobSetEvents",
        message=message,
        evidence=evidence or {},
    )
