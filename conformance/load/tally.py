"""What a load watcher checks of every event it receives: ids in order, no gap, no duplicate.

Two rules, each only where it cannot fail a healthy server:

- ids: strictly increasing always (Armada's ids are ordered digit groups); consecutive
  (1, 2, 3, ...) only against the reference server, whose ids are, so a missing or
  repeated id is named exactly there;
- jobs (the run's own job sets, where every job was submitted after the watch could begin
  and so is read from its start): a job's first event is its ``submitted`` event, and it
  comes once. A ``queued`` event of a job never announced is a lost event even when the
  server numbered its stream without a hole (the reference fault ``events-lost-under-load``).

The submitter stamps each job with the wall-clock time of its SubmitJobs call
(``SUBMITTED_AT``, an annotation the job carries into its ``submitted`` event), so any
watcher, on any machine, knows the submit-to-event latency without asking the submitter.
Only jobs submitted after the watcher opened its stream count: a backlog read at connect
says how old the job set is, not how fast events arrive.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from conformance.throughput.consumer import id_key

SUBMITTED_AT = "armada-conformance.test/submitted-at"  # annotation: time.time() of the SubmitJobs call


@dataclass
class Problem:
    kind: str  # "gap", "duplicate" or "order"
    text: str


@dataclass
class WatchTally:
    """One watcher's account of its job set's events (kept across reconnections)."""

    consecutive_ids: bool = False
    strict_jobs: bool = False
    count: int = 0
    first_id: str = ""
    last_id: str = ""
    gaps: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    since: float = 0.0  # latency only of jobs submitted after this (time.time() the watch first opened)
    latencies_ms: list[float] = field(default_factory=list)
    latency_seconds: list[int] = field(default_factory=list)  # the arrival second (time.time()) of each
    jobs: set[str] = field(default_factory=set)  # jobs whose submitted event came
    _unannounced: set[str] = field(default_factory=set)  # jobs seen without their submitted event
    _previous: Any = None

    def event(self, message_id: str, kind: str, job_id: str, submitted_at: float | None, now: float) -> list[Problem]:
        """Count one event; returns what is wrong with it (empty: fine)."""
        problems = self._check_id(message_id)
        if self.strict_jobs and job_id:
            problems += self._check_job(message_id, kind, job_id)
        elif kind == "submitted" and job_id:
            self.jobs.add(job_id)
        if kind == "submitted" and submitted_at is not None and submitted_at >= self.since:
            self.latencies_ms.append(max(0.0, (now - submitted_at) * 1000))
            self.latency_seconds.append(int(now))
        if not self.count:
            self.first_id = message_id
        self.count += 1
        self.last_id = message_id
        return problems

    def _check_id(self, message_id: str) -> list[Problem]:
        previous = self._previous
        if self.consecutive_ids:
            key: Any = int(message_id) if message_id.isdigit() else -1
            self._previous = max(key, previous) if previous is not None else key
            if previous is None or key == previous + 1:
                return []
            if key > previous + 1:
                self.gaps += key - previous - 1
                return [Problem("gap", f"id {message_id} after {previous}: {key - previous - 1} event(s) missing")]
            if key == previous:
                self.duplicates += 1
                return [Problem("duplicate", f"id {message_id} came twice")]
            self.out_of_order += 1
            return [Problem("order", f"id {message_id} after {previous} (out of order)")]
        key = id_key(message_id)
        self._previous = key if previous is None or key > previous else previous
        if previous is None or key > previous:
            return []
        self.duplicates += 1
        return [Problem("duplicate", f"id {message_id!r} after {self.last_id!r}: repeated or out of order")]

    def _check_job(self, message_id: str, kind: str, job_id: str) -> list[Problem]:
        if kind == "submitted":
            if job_id in self.jobs:
                self.duplicates += 1
                return [Problem("duplicate", f"job {job_id}: a second submitted event (id {message_id})")]
            self.jobs.add(job_id)
            return []
        if job_id in self.jobs or job_id in self._unannounced:
            return []
        self._unannounced.add(job_id)
        self.gaps += 1
        return [Problem("gap", f"job {job_id}: {kind} event (id {message_id}) without its submitted event")]

    def summary(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "first_id": self.first_id,
            "last_id": self.last_id,
            "gaps": self.gaps,
            "duplicates": self.duplicates,
            "out_of_order": self.out_of_order,
            "jobs_seen": len(self.jobs),
            "latency_samples": len(self.latencies_ms),
        }


def grpc_event(raw: bytes, parse: Any) -> tuple[str, str, str, float | None]:
    """(id, kind, job id, submitted-at) of a serialized EventStreamMessage (``parse``: its FromString)."""
    message = parse(raw)
    kind = message.message.WhichOneof("events") or ""
    if not kind:
        return message.id, "", "", None
    event = getattr(message.message, kind)
    job_id = getattr(event, "job_id", "")
    stamp = None
    if kind == "submitted":
        stamp = _stamp(event.job.annotations.get(SUBMITTED_AT))
    return message.id, kind, job_id, stamp


def rest_event(item: dict[str, Any]) -> tuple[str, str, str, float | None]:
    """(id, kind, job id, submitted-at) of one REST stream line's ``result``."""
    body = item.get("message") or {}
    kind = next(iter(body), "") if isinstance(body, dict) else ""
    event = body.get(kind) or {} if kind else {}
    stamp = None
    if kind == "submitted":
        stamp = _stamp(((event.get("job") or {}).get("annotations") or {}).get(SUBMITTED_AT))
    return str(item.get("id", "")), kind, str(event.get("jobId", "")), stamp


def _stamp(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def now() -> float:
    return time.time()
