"""The API's methods, one coroutine each, named exactly as the RPCs they implement.

``api.Submit`` and ``api.QueueService`` share method names and messages, so one
``Services`` object serves both: the gRPC layer looks a handler up by the method's
name in the descriptors. A method with no coroutine here answers UNIMPLEMENTED.
Unary methods return a message; streaming ones are async generators.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc

import protos
from reference_server.authz import Authorizer
from reference_server.errors import ApiError, invalid, not_found
from reference_server.events import JobSetLog
from reference_server.executor import Executor
from reference_server.flavours import DEFAULT, Flavour, flavour
from reference_server.jobs import JobQueries
from reference_server.queue_cache import QueueCache
from reference_server.retry_policies import RetryPolicyMethods
from reference_server.scheduling import Unschedulable
from reference_server.store import JobState, Store

_m = protos.message_class
Empty = _m("google.protobuf.Empty")
MAX_REASON_BYTES = 50  # Armada's validation.MaxReasonBytes
HealthCheckResponse = _m("api.HealthCheckResponse")


class Services(JobQueries, RetryPolicyMethods):
    """Every RPC; api.Jobs and api.RetryPolicyService come from their own modules."""

    def __init__(
        self, store: Store, executor: Executor, chosen: Flavour | None = None, queue_cache: QueueCache | None = None
    ) -> None:
        self.store = store
        self.executor = executor
        self.flavour = chosen or flavour(DEFAULT)
        self.queue_cache = queue_cache  # armada-2026: submit and event streams see queues late
        self.authorizer: Authorizer | None = None  # set by the server: judges the calls Armada judges late

    def _authorize(self, method: str, request: Any, principal: Any) -> None:
        """Armada's own authorization of a queue-verb call (raw-error releases), over the queues it sees."""
        if self.authorizer is None:
            return
        queues = self.store.queues
        if self.queue_cache is not None:
            queues = {name: q for name, q in queues.items() if name in self.queue_cache.known}
        self.authorizer.check_queue_call(method, principal, request, queues)

    def _raw(self, exc: ApiError) -> ApiError:
        """A refusal Armada's release returns as a plain error: UNKNOWN (HTTP 500), same words."""
        if self.flavour.has("raw_errors_unknown"):
            return ApiError(grpc.StatusCode.UNKNOWN, exc.message)
        return exc

    # ---- queues -------------------------------------------------------------------

    async def CreateQueue(self, request: Any, principal: Any) -> Any:
        self.store.create_queue(request, principal.name)
        return Empty()

    async def UpdateQueue(self, request: Any, principal: Any) -> Any:
        self.store.update_queue(request)
        return Empty()

    async def CreateQueues(self, request: Any, principal: Any) -> Any:
        create = lambda queue: self.store.create_queue(queue, principal.name)  # noqa: E731
        return self._batch(request, create, "api.BatchQueueCreateResponse")

    async def UpdateQueues(self, request: Any, principal: Any) -> Any:
        return self._batch(request, self.store.update_queue, "api.BatchQueueUpdateResponse")

    def _batch(self, request: Any, operation: Any, response_type: str) -> Any:
        """Apply ``operation`` to each queue; report each failure and carry on."""
        response = _m(response_type)()
        for queue in request.queues:
            try:
                operation(queue)
            except Exception as exc:  # ApiError from validation: reported per queue
                failed = response.failed_queues.add(error=getattr(exc, "message", str(exc)))
                failed.queue.CopyFrom(queue)
        return response

    async def DeleteQueue(self, request: Any, principal: Any) -> Any:
        if self.flavour.delete_absent_queue_ok and request.name not in self.store.queues:
            return Empty()  # real Armada: deleting a queue that is not there is not an error
        self.store.delete_queue(request.name)
        return Empty()

    async def GetQueue(self, request: Any, principal: Any) -> Any:
        return self.store.require_queue(request.name)

    async def GetQueues(self, request: Any, principal: Any) -> AsyncIterator[Any]:
        message = _m("api.StreamingQueueMessage")
        queues = list(self.store.queues.values())
        if request.num:
            queues = queues[: request.num]
        for queue in queues:
            yield message(queue=queue)
        yield message(end=_m("api.EndMarker")())

    async def GetQueueInfo(self, request: Any, principal: Any) -> Any:
        if self.flavour.has("raw_errors_unknown") and request.name not in self.store.queues:
            # Armada tests the repository's error with errors.Is against a nil pointer, which never
            # matches: the raw "could not find queue" escapes as UNKNOWN (submit.go GetQueueInfo).
            raise ApiError(grpc.StatusCode.UNKNOWN, self.store.queue_missing(request.name))
        self._authorize("GetQueueInfo", request, principal)
        info = _m("api.QueueInfo")(name=request.name)
        for name, queued, leased in self.store.queue_info(request.name):
            info.active_job_sets.add(name=name, queued_jobs=queued, leased_jobs=leased)
        return info

    async def CordonQueue(self, request: Any, principal: Any) -> Any:
        self._require_cordonable(request.name, "cordon")
        self.store.set_cordoned(request.name, True)
        return Empty()

    async def UncordonQueue(self, request: Any, principal: Any) -> Any:
        self._require_cordonable(request.name, "uncordon")
        self.store.set_cordoned(request.name, False)
        self.executor.release_queue(request.name)
        return Empty()

    def _require_cordonable(self, name: str, verb: str) -> None:
        """Armada's queue service returns these errors raw (``queue_service.go`` Cordon/Uncordon): UNKNOWN."""
        if not self.flavour.has("raw_errors_unknown"):
            return
        if not name:
            raise ApiError(grpc.StatusCode.UNKNOWN, f"cannot {verb} queue with empty name")
        if name not in self.store.queues:
            raise ApiError(grpc.StatusCode.UNKNOWN, self.store.queue_missing(name))

    async def CancelOnQueue(self, request: Any, principal: Any) -> Any:
        states = {JobState.values_by_number[s].name for s in request.jobStates}
        records = [r for r in self._queue_jobs(request) if not states or r.state in states]
        self.store.cancel(records, principal.name, "cancelled on queue")
        return Empty()

    async def PreemptOnQueue(self, request: Any, principal: Any) -> Any:
        records = [r for r in self._queue_jobs(request) if r.state in ("LEASED", "PENDING", "RUNNING")]
        self.store.preempt(records, principal.name, "preempted on queue")
        return Empty()

    def _queue_jobs(self, request: Any) -> list[Any]:
        """Jobs of the named queue, narrowed by priority class and pool when given."""
        self.store.require_queue(request.name)
        classes, pools = set(request.priorityClasses), set(request.pools)
        return [
            r
            for r in self.store.jobs_of_queue(request.name)
            if (not classes or r.priority_class in classes) and (not pools or "default" in pools)
        ]

    # ---- jobs ---------------------------------------------------------------------

    async def SubmitJobs(self, request: Any, principal: Any) -> Any:
        self._authorize("SubmitJobs", request, principal)
        if self.queue_cache is not None:
            self.queue_cache.require_for_submit(request.queue)
        try:
            records = self.store.submit(request, owner=principal.name)
        except ApiError as exc:
            # Before v0.4.44 the submit path returned its validation errors raw (UNKNOWN).
            typed = isinstance(exc, Unschedulable) or self.flavour.has("submit_denies_absent_queue")
            raise exc if typed else self._raw(exc) from None
        self.executor.run(records)
        response = _m("api.JobSubmitResponse")()
        for record in records:
            response.job_response_items.add(job_id=record.id)
        return response

    def _check_reason(self, request: Any) -> None:
        """``reason`` over 50 bytes is INVALID_ARGUMENT where the release limits it (v0.22.3 on)."""
        reason = request.reason.encode()
        if self.flavour.has("reason_limit") and len(reason) > MAX_REASON_BYTES:
            raise invalid(
                f"reason cannot be longer than {MAX_REASON_BYTES} bytes: "
                f"{reason[:MAX_REASON_BYTES].decode(errors='ignore')}..."
            )

    def _require_set(self, request: Any) -> None:
        """Armada's ``ValidateQueueAndJobSet``, before it looks the queue up."""
        if self.flavour.has("raw_errors_unknown") and not request.queue:
            raise invalid("queue cannot be empty")
        if self.flavour.has("raw_errors_unknown") and not request.job_set_id:
            raise invalid("jobset cannot be empty")

    def _named(self, request: Any, ids: list[str], unchecked: bool) -> list[Any]:
        """The jobs ``ids`` name in the request's job set (all of them for no ids).

        ``unchecked`` (Armada echoes ids): ids the job set does not hold are skipped, not NOT_FOUND.
        """
        if not unchecked:
            return self.store.jobs_in_set(request.queue, request.job_set_id, ids)
        self.store.require_queue(request.queue)
        job_set = self.store.job_set(request.queue, request.job_set_id)
        members = job_set.job_ids if job_set else []
        held = set(members)
        return [self.store.jobs[i] for i in (ids or members) if i in held and i in self.store.jobs]

    @property
    def echoes(self) -> bool:
        """Reprioritize, Preempt and a lone CancelJobs jobId answer every id unchecked (v0.4.52 on)."""
        return self.flavour.has("cancel_echoes_ids")

    async def CancelJobs(self, request: Any, principal: Any) -> Any:
        self._check_reason(request)
        ids = list(dict.fromkeys([*request.job_ids, *([request.job_id] if request.job_id else [])]))
        listed = self.flavour.has("cancel_job_ids_echoed")  # every release: jobIds echoed, unchecked
        if not ids and listed:
            # Armada: no ids is a CancelJobSet, answered with the empty job_id as the one "cancelled" id.
            self._cancel_set("CancelJobs", request, principal, set())
            return _m("api.CancellationResult")(cancelled_ids=[request.job_id])
        lone = not request.job_ids and listed and not self.echoes  # before v0.4.52: a lone jobId is looked up
        if lone and request.job_id not in self.store.jobs:
            raise not_found(f"job {request.job_id} not found")
        self._require_set(request)
        self._authorize("CancelJobs", request, principal)
        cancelled = self.store.cancel(self._named(request, ids, listed), principal.name, request.reason)
        return _m("api.CancellationResult")(cancelled_ids=ids if listed else cancelled)

    async def CancelJobSet(self, request: Any, principal: Any) -> Any:
        self._check_reason(request)
        states = {JobState.values_by_number[s].name for s in request.filter.states}
        if self.flavour.has("raw_errors_unknown") and len(states & {"PENDING", "RUNNING"}) == 1:
            # Armada's ValidateJobSetFilter returns a plain error (UNKNOWN), before the queue is looked up.
            raise ApiError(
                grpc.StatusCode.UNKNOWN,
                "unsupported state combination - state PENDING and RUNNING must always be used together",
            )
        self._cancel_set("CancelJobSet", request, principal, states)
        return Empty()

    def _cancel_set(self, method: str, request: Any, principal: Any, states: set[str]) -> None:
        self._require_set(request)
        self._authorize(method, request, principal)
        records = self._named(request, [], self.flavour.has("cancel_job_ids_echoed"))
        self.store.cancel([r for r in records if not states or r.state in states], principal.name, request.reason)

    async def ReprioritizeJobs(self, request: Any, principal: Any) -> Any:
        self._require_set(request)
        self._authorize("ReprioritizeJobs", request, principal)
        ids = list(request.job_ids)
        results = self.store.reprioritize(self._named(request, ids, self.echoes), request.new_priority, principal.name)
        if self.echoes:  # Armada answers every id it was given (no ids: the whole set), unchecked
            results = {i: "" for i in ids} or {f"all jobs in job set {request.job_set_id}": ""}
        return _m("api.JobReprioritizeResponse")(reprioritization_results=results)

    async def PreemptJobs(self, request: Any, principal: Any) -> Any:
        self._check_reason(request)
        if not request.job_ids and not self.echoes:
            raise invalid("job_ids is empty: name the jobs to preempt")
        self._require_set(request)
        self._authorize("PreemptJobs", request, principal)
        ids = list(request.job_ids)
        named = self._named(request, ids, self.echoes) if ids else []
        results = self.store.preempt(named, principal.name, request.reason)
        return _m("api.PreemptionResult")(preemption_results={i: "" for i in ids} if self.echoes else results)

    # ---- events -------------------------------------------------------------------

    async def GetJobSetEvents(self, request: Any, principal: Any) -> AsyncIterator[list[bytes]]:
        """Chunks of serialized EventStreamMessage; the gRPC layer writes them one by one."""
        if self.queue_cache is not None:
            self.queue_cache.require_for_events(request.queue)
        if self.flavour.has("raw_errors_unknown") and request.queue not in self.store.queues:
            raise not_found(f"[GetJobSetEvents] Queue {request.queue} does not exist")
        self.store.require_queue(request.queue)
        self._authorize("GetJobSetEvents", request, principal)
        if not request.id:
            raise invalid("id (the job set id) is required")
        job_set = self.store.job_set(request.queue, request.id)
        # A job set exists once it has an event: a watcher waiting on an empty log does not create it.
        missing = job_set is None or not job_set.log.events
        if missing and request.errorIfMissing and "no-error-if-missing" not in self.store.faults:
            raise not_found(f"job set {request.id!r} does not exist in queue {request.queue!r}")
        log = job_set.log if job_set is not None else JobSetLog(request.queue, request.id)
        position = log.start_position(request.from_message_id, self.store.faults)
        if job_set is None and not request.watch:
            return
        job_set = job_set or self.store.job_set(request.queue, request.id, create=True)
        async for chunk in job_set.log.read(position, request.watch, self.store.faults):
            yield chunk

    async def Health(self, request: Any, principal: Any) -> Any:
        return HealthCheckResponse(status=HealthCheckResponse.ServingStatus.Value("SERVING"))
