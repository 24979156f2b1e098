"""api.Jobs: what the server knows of jobs and their runs, read back from the job set logs.

Everything but the run ids is derived from the events the store already keeps, so the
answers cannot disagree with what a watcher of the job set saw: a job's details come
from its own events (submitted, leased, ..., cancelled), and each ``leased`` event opens
a run, whose id the store issued at the lease and which later events of the run carry
as their ``kubernetes_id`` (as Armada's do). Unknown job ids map to UNKNOWN in a status
answer and are left out of the others; more ids than ``max_query_items`` is a plain
error (gRPC UNKNOWN), as on real servers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc

import protos
from reference_server.errors import ApiError, not_found
from reference_server.store import JobRecord, Store

_m = protos.message_class
JobState = protos.pool().FindEnumTypeByName("api.JobState")
JobRunState = protos.pool().FindEnumTypeByName("api.JobRunState")
StreamMessage = _m("api.EventStreamMessage")
ACTIVE = frozenset({"QUEUED", "LEASED", "PENDING", "RUNNING"})
POOL = "default"
DEFAULT_MAX_QUERY_ITEMS = 1000
# Event kind -> (run state it puts the open run in, timestamp field of the run it sets).
RUN_STEPS: dict[str, tuple[str, str]] = {
    "leased": ("RUN_STATE_LEASED", "leased_ts"),
    "pending": ("RUN_STATE_PENDING", "pending_ts"),
    "running": ("RUN_STATE_RUNNING", "started_ts"),
    "succeeded": ("RUN_STATE_SUCCEEDED", "finished_ts"),
    "failed": ("RUN_STATE_FAILED", "finished_ts"),
    "cancelled": ("RUN_STATE_CANCELLED", "finished_ts"),
    "preempted": ("RUN_STATE_PREEMPTED", "finished_ts"),
}
_FINISHED = frozenset({"RUN_STATE_SUCCEEDED", "RUN_STATE_FAILED", "RUN_STATE_CANCELLED", "RUN_STATE_PREEMPTED"})


@dataclass
class JobHistory:
    """One job's events (kind, event message) in log order."""

    record: JobRecord
    events: list[tuple[str, Any]] = field(default_factory=list)

    def first(self, *kinds: str) -> Any | None:
        return next((e for k, e in self.events if k in kinds), None)


def histories(store: Store, records: Iterable[JobRecord]) -> dict[str, JobHistory]:
    """The events of each job, each job set's log parsed once."""
    by_set: dict[tuple[str, str], dict[str, JobHistory]] = defaultdict(dict)
    for record in records:
        by_set[(record.queue, record.job_set_id)][record.id] = JobHistory(record)
    found: dict[str, JobHistory] = {}
    for key, wanted in by_set.items():
        job_set = store.job_sets.get(key)
        for raw in job_set.log.events if job_set else ():
            message: Any = StreamMessage.FromString(raw)
            message = message.message
            kind = message.WhichOneof("events")
            event = getattr(message, kind)
            if event.job_id in wanted:
                wanted[event.job_id].events.append((kind, event))
        found.update(wanted)
    return found


def runs_of(history: JobHistory, run_ids: list[str], wrong_state: bool = False) -> list[Any]:
    """The job's runs, one per ``leased`` event, in the states its later events put them."""
    runs: list[Any] = []
    for kind, event in history.events:
        if kind == "leased":
            run_id = run_ids[len(runs)] if len(runs) < len(run_ids) else ""
            runs.append(_m("api.JobRunDetails")(run_id=run_id, job_id=history.record.id))
        if not runs or kind not in RUN_STEPS:
            continue
        run = runs[-1]
        if JobRunState.values_by_number[run.state].name in _FINISHED:
            continue
        state, stamp = RUN_STEPS[kind]
        run.state = JobRunState.values_by_name[state].number
        getattr(run, stamp).CopyFrom(event.created)
        run.cluster = getattr(event, "cluster_id", "") or run.cluster
        run.node = getattr(event, "node_name", "") or run.node
    if wrong_state:  # fault job-runs-wrong-state
        for run in runs:
            run.state = JobRunState.values_by_name["RUN_STATE_RUNNING"].number
    return runs


class JobQueries:
    """The RPCs of api.Jobs, mixed into ``Services`` (which has ``store``)."""

    store: Store
    max_query_items: int = DEFAULT_MAX_QUERY_ITEMS

    def _limit(self, ids: list[str], what: str) -> None:
        if len(ids) > self.max_query_items and "query-limit-ignored" not in self.store.faults:
            raise ApiError(
                grpc.StatusCode.UNKNOWN,
                f"too many {what}: {len(ids)} asked for, at most {self.max_query_items} per request",
            )

    def _known(self, ids: Iterable[str]) -> list[JobRecord]:
        """The records of the ids the server knows (the rest left out), within the query limit."""
        ids = list(dict.fromkeys(ids))
        self._limit(ids, "job ids")
        return [self.store.jobs[i] for i in ids if i in self.store.jobs]

    def _state(self, record: JobRecord) -> int:
        name = "QUEUED" if "job-status-stale" in self.store.faults else record.state
        return JobState.values_by_name[name].number

    async def GetJobStatus(self, request: Any, principal: Any) -> Any:
        known = {r.id: r for r in self._known(request.job_ids)}
        unknown = [i for i in request.job_ids if i not in known]
        if unknown and "unknown-job-not-found" in self.store.faults:
            raise not_found(f"job {unknown[0]!r} does not exist")
        states = {
            i: self._state(known[i]) if i in known else JobState.values_by_name["UNKNOWN"].number
            for i in request.job_ids
        }
        return _m("api.JobStatusResponse")(job_states=states)

    async def GetJobStatusUsingExternalJobUri(self, request: Any, principal: Any) -> Any:
        job_id = self.store.external_uris.get((request.queue, request.jobset, request.external_job_uri))
        record = self.store.jobs.get(job_id or "")
        states = {record.id: self._state(record)} if record else {}
        return _m("api.JobStatusResponse")(job_states=states)

    async def GetJobDetails(self, request: Any, principal: Any) -> Any:
        response: Any = _m("api.JobDetailsResponse")()
        for job_id, history in histories(self.store, self._known(request.job_ids)).items():
            self._fill_details(response.job_details[job_id], history, request)
        return response

    def _fill_details(self, details: Any, history: JobHistory, request: Any) -> None:
        record = history.record
        details.job_id, details.queue, details.jobset = record.id, record.queue, record.job_set_id
        details.namespace, details.state = record.namespace, self._state(record)
        details.latest_run_id = self.store.latest_run(record.id)
        submitted = history.first("submitted", "queued")
        if submitted is not None:
            details.submitted_ts.CopyFrom(submitted.created)
        if history.events:
            details.last_transition_ts.CopyFrom(history.events[-1][1].created)
        cancelled = history.first("cancelled")
        if cancelled is not None:
            details.cancel_ts.CopyFrom(cancelled.created)
            details.cancel_reason, details.cancel_user = cancelled.reason, cancelled.requestor
        job = history.first("submitted")
        if request.expand_job_spec and job is not None:
            details.job_spec.CopyFrom(job.job)
        if request.expand_job_run:
            details.job_runs.extend(self._runs(history))

    def _runs(self, history: JobHistory) -> list[Any]:
        return runs_of(
            history, self.store.runs.get(history.record.id, []), wrong_state="job-runs-wrong-state" in self.store.faults
        )

    async def GetJobErrors(self, request: Any, principal: Any) -> Any:
        errors = {}
        if "job-errors-missing" not in self.store.faults:
            for job_id, history in histories(self.store, self._known(request.job_ids)).items():
                failed = history.first("failed")
                if failed is not None:
                    errors[job_id] = failed.reason
        return _m("api.JobErrorsResponse")(job_errors=errors)

    async def GetJobRunDetails(self, request: Any, principal: Any) -> Any:
        run_ids = list(dict.fromkeys(request.run_ids))
        self._limit(run_ids, "run ids")
        owners = {r: self.store.run_jobs[r] for r in run_ids if r in self.store.run_jobs}
        records = [self.store.jobs[j] for j in dict.fromkeys(owners.values()) if j in self.store.jobs]
        response: Any = _m("api.JobRunDetailsResponse")()
        for history in histories(self.store, records).values():
            for run in self._runs(history):
                if run.run_id in owners:
                    response.job_run_details[run.run_id].CopyFrom(run)
        return response

    async def GetActiveQueues(self, request: Any, principal: Any) -> Any:
        active = sorted({r.queue for r in self.store.jobs.values() if r.state in ACTIVE})
        response: Any = _m("api.GetActiveQueuesResponse")()
        if active:
            response.active_queues_by_pool[POOL].queues.extend(active)
        return response
