"""The two kinds of Locust users of a load run: watchers and submitters.

A *watcher* holds one ``GetJobSetEvents(watch=true)`` stream of a job set of the run (over
gRPC or REST, by the plan's mix) and checks every event (``tally``); it tells Locust each
event (``event``), each job's submit-to-event latency (``submit-to-event``), and every
problem as a failure (``gap``, ``duplicate``, ``order``, ``stream``). A stream that breaks
is a failure, and the watcher reconnects after its last id, as a real client would.
A *submitter* submits one job per SubmitJobs into the run's job sets in turn, at its share
of the plan's rate, and stops ``submit_for_s`` after the test started so the watchers
drain before the end.

Each user takes a configured identity of the target, in turn. What every user did is also
kept on its process's ``WorkerState`` (``summary``), which the worker sends the master at
the end: the master's totals can then be checked against the workers' own.
"""

from __future__ import annotations

import copy
import os
import time
from typing import Any

import gevent
from locust import User, constant, task

from conformance.load.settings import LoadPlan
from conformance.load.tally import SUBMITTED_AT, WatchTally, grpc_event, rest_event
from conformance.throughput.h2reader import CallError

EVENT, LATENCY = "event", "submit-to-event"
CAPTURE_MESSAGES = 5000  # messages the first gRPC watcher keeps for the capacity probe
RECONNECT_PAUSE_S = 0.5


class LoadProblem(Exception):
    """A gap, duplicate, reordering or broken stream, as Locust records a failure."""


class WorkerState:
    """One Locust process's plan, target and tallies (made at test start, read at test stop)."""

    def __init__(self, plan: LoadPlan, worker_index: int) -> None:
        from conformance.load.wire import Endpoint
        from conformance.target import load_target

        self.plan = plan
        self.worker_index = max(0, worker_index)
        target = load_target(os.environ.get("ARMADA_CONFORMANCE_TARGET") or plan.target_file)
        self.endpoint = Endpoint.of(target)
        self.identities = [s.identity for s in target.schemes.values() if s.identity is not None]
        self.watchers: list[Watcher] = []
        self.per_second: dict[int, int] = {}  # events received in each second (time.time()), all watchers
        self.submitted: dict[str, int] = {}  # job set -> jobs accepted
        self.submit_errors = 0
        self.counters = {"watcher": 0, "submitter": 0}
        self.captured: list[bytes] = []
        self.started = time.monotonic()
        self.clock: tuple[float, float] = (0.0, 0.0)

    def next_index(self, kind: str) -> int:
        """A run-wide index, as far as one process can tell: this process's n-th user, interleaved with the others."""
        n = self.counters[kind]
        self.counters[kind] += 1
        return n * max(1, self.plan.expected_workers) + self.worker_index

    def metadata(self, index: int) -> tuple[tuple[str, str], ...]:
        """User ``index``'s identity, fresh for each call (a Kerberos token is good for one)."""
        identity = self.identities[index % len(self.identities)] if self.identities else None
        return self.endpoint.metadata(identity.metadata() if identity else [])


_STATES: dict[int, WorkerState] = {}


def state_of(environment: Any) -> WorkerState:
    return _STATES[id(environment)]


def start_state(environment: Any, plan: LoadPlan) -> WorkerState:
    runner = environment.runner
    state = WorkerState(plan, getattr(runner, "worker_index", 0) if runner else 0)
    _STATES[id(environment)] = state
    return state


def drop_state(environment: Any) -> WorkerState | None:
    return _STATES.pop(id(environment), None)


class Watcher(User):
    """One watch stream of a job set of the run; checks and reports every event."""

    wait_time = constant(0)
    capture = False  # this watcher keeps messages for its process's capacity probe

    def on_start(self) -> None:
        state = self.state = state_of(self.environment)
        plan = state.plan
        self.index = state.next_index("watcher")
        self.queue, self.job_set = plan.job_set_of(self.index)
        self.transport = plan.transport_of(self.index)
        self.request_type = f"WATCH-{self.transport.upper()}"
        self.tally = WatchTally(plan.consecutive_ids, plan.strict_jobs and not plan.read_only)
        self.errors: list[str] = []
        self.capture = self.transport == "grpc" and not any(w.capture for w in state.watchers)
        state.watchers.append(self)

    @task
    def watch(self) -> None:
        """Read until the stream breaks (then report it and come back: Locust runs the task again)."""
        try:
            if self.transport == "grpc":
                self._grpc()
            else:
                self._rest()
            raise CallError("UNAVAILABLE", "the watch stream ended")
        except Exception as exc:  # CallError, or a message that is no event: this stream failed (not the user)
            text = str(exc) if isinstance(exc, CallError) else f"INTERNAL: {type(exc).__name__}: {exc}"
            self.errors.append(text)
            self._fire("stream", exception=LoadProblem(f"{self.queue}/{self.job_set}: {text}"))
            gevent.sleep(RECONNECT_PAUSE_S)

    def _grpc(self) -> None:
        import protos
        from conformance.load.wire import watch_grpc

        parse = protos.message_class("api.EventStreamMessage").FromString
        state = self.state
        self.tally.since = self.tally.since or time.time()
        stream = watch_grpc(state.endpoint, state.metadata(self.index), self.queue, self.job_set, self.tally.last_id)
        for messages in stream:
            now = time.time()
            if self.capture and len(state.captured) < CAPTURE_MESSAGES:
                state.captured.extend(messages[: CAPTURE_MESSAGES - len(state.captured)])
            for raw in messages:
                self._event(grpc_event(raw, parse), now, len(raw))

    def _rest(self) -> None:
        from conformance.load.wire import watch_rest

        self.tally.since = self.tally.since or time.time()
        stream = watch_rest(
            self.state.endpoint, self.state.metadata(self.index), self.queue, self.job_set, self.tally.last_id
        )
        for items in stream:
            now = time.time()
            for item in items:
                self._event(rest_event(item), now, 0)

    def _event(self, event: tuple[str, str, str, float | None], now: float, size: int) -> None:
        message_id, kind, job_id, stamp = event
        latencies = len(self.tally.latencies_ms)
        problems = self.tally.event(message_id, kind, job_id, stamp, now)
        second = int(now)
        self.state.per_second[second] = self.state.per_second.get(second, 0) + 1
        self._fire(EVENT, length=size)
        if len(self.tally.latencies_ms) > latencies:
            self._fire(LATENCY, self.tally.latencies_ms[-1])
        for problem in problems:
            self._fire(problem.kind, exception=LoadProblem(f"{self.queue}/{self.job_set}: {problem.text}"))

    def _fire(self, name: str, response_time: float = 0.0, length: int = 0, exception: Exception | None = None) -> None:
        self.environment.events.request.fire(
            request_type=self.request_type,
            name=name,
            response_time=response_time,
            response_length=length,
            exception=exception,
            context={},
        )

    def summary(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "job_set": self.job_set,
            "transport": self.transport,
            "index": self.index,
            "stream_errors": len(self.errors),
            "first_errors": self.errors[:3],
            **self.tally.summary(),
        }


class Submitter(User):
    """Submits one job per call into the run's job sets in turn, at its share of the plan's rate."""

    wait_time = constant(0)
    fixed_count = 0  # set from the plan when the locustfile initialises (0 under --read-only)

    def on_start(self) -> None:
        self.state = state_of(self.environment)
        plan = self.state.plan
        self.index = self.state.next_index("submitter")
        self.interval = max(1, plan.submitters) / plan.jobs_per_second if plan.jobs_per_second > 0 else 1.0
        self.next_at = time.monotonic()
        self.turn = self.index

    @task
    def submit(self) -> None:
        plan, state = self.state.plan, self.state
        if not plan.jobs_per_second or time.monotonic() - state.started >= plan.submit_for_s:
            gevent.sleep(0.5)  # the drain: watchers catch up on what was submitted
            return
        gevent.sleep(max(0.0, self.next_at - time.monotonic()))
        self.next_at = max(self.next_at + self.interval, time.monotonic() - self.interval)
        queue, job_set = plan.job_set_of(self.turn)
        self.turn += max(1, plan.submitters)
        started = time.perf_counter()
        try:
            job_ids = self._submit(queue, job_set)
        except Exception as exc:  # CallError, or an answer that is no JobSubmitResponse
            state.submit_errors += 1
            self._fire(started, LoadProblem(f"{queue}/{job_set}: {exc}"))
            return
        state.submitted[job_set] = state.submitted.get(job_set, 0) + len(job_ids)
        self._fire(started, None)

    def _submit(self, queue: str, job_set: str) -> list[str]:
        import protos
        from conformance.cases import tiny_job
        from conformance.dialects import request_message
        from conformance.load.wire import unary

        job = copy.deepcopy(self.state.plan.job) or tiny_job(kind="long" if self.state.plan.hold else "short")
        job["annotations"] = {**job.get("annotations", {}), SUBMITTED_AT: repr(time.time())}  # the [jobs] ones too
        request = request_message(
            {"queue": queue, "jobSetId": job_set, "jobRequestItems": [job]}, "api.JobSubmitRequest"
        )
        reply = unary(
            self.state.endpoint,
            self.state.metadata(self.index),
            "/api.Submit/SubmitJobs",
            request,
            self.state.plan.call_timeout,
        )
        response = protos.message_class("api.JobSubmitResponse").FromString(reply)
        failed = [item.error for item in response.job_response_items if item.error]
        if failed:
            raise CallError("REFUSED", f"a job was refused: {failed[0]}")
        return [item.job_id for item in response.job_response_items]

    def _fire(self, started: float, exception: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="GRPC",
            name="SubmitJobs",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=exception,
            context={},
        )
