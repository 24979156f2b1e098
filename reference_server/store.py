"""The in-memory state of the reference server: queues, jobs and job-set event logs.

Validation of requests lives here and in ``queues.py`` / ``scheduling.py`` (what the
flavour's release decides about queue writes and unschedulable jobs), next to the
state it protects, so that both services (``api.Submit`` and ``api.QueueService``) and
both transports refuse the same things with the same words. Mutations are synchronous
and run on the event loop's thread, so no locks are needed.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import grpc

import protos
from reference_server import queues
from reference_server.errors import ApiError, invalid, not_found
from reference_server.events import JobSetLog
from reference_server.exits import ending
from reference_server.faults import Faults
from reference_server.flavours import DEFAULT, Flavour, flavour
from reference_server.ids import new_job_id
from reference_server.retry_policies import RetryPolicyBook
from reference_server.scheduling import fits, refused_at_submit

Queue = protos.message_class("api.Queue")
Job = protos.message_class("api.Job")
EventMessage = protos.message_class("api.EventMessage")
JobState = protos.pool().FindEnumTypeByName("api.JobState")

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "CANCELLED", "PREEMPTED", "REJECTED"})
QUEUE_VERBS, SUBJECT_KINDS = queues.QUEUE_VERBS, queues.SUBJECT_KINDS
_LOST_EVERY = 20  # fault events-lost-under-load: every 20th job of a job set loses its submitted event


@dataclass(slots=True)
class JobRecord:
    """What the server keeps of a job: a few scalars, not the ``api.Job`` message.

    The whole job (pod spec and all) travels once, in its ``submitted`` event, which
    is stored; keeping a live message per job as well would cost kilobytes a job.
    """

    id: str
    queue: str
    job_set_id: str
    namespace: str
    priority: float
    priority_class: str
    cpu: float  # cores requested, for the simulated cluster's capacity
    state: str = "QUEUED"
    exit_code: int = 0  # simulated container exit (``exits.py``): non-zero fails the job
    runs_for: float = 0.0  # simulated seconds of running (``sleep N``)
    pod_error: str = ""  # why Kubernetes refuses the job's pod (no containers): it fails once leased

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL


@dataclass
class JobSet:
    log: JobSetLog
    job_ids: list[str] = field(default_factory=list)


class Store:
    def __init__(self, faults: Faults, chosen: Flavour | None = None) -> None:
        self.faults = faults
        self.flavour = chosen or flavour(DEFAULT)
        self.queues: dict[str, Any] = {}
        self.jobs: dict[str, JobRecord] = {}
        self.job_sets: dict[tuple[str, str], JobSet] = {}
        self.runs: dict[str, list[str]] = {}  # job id -> its run ids, oldest first
        self.run_jobs: dict[str, str] = {}  # run id -> job id
        self.external_uris: dict[tuple[str, str, str], str] = {}  # (queue, job set, uri) -> job id
        self.retry_policies = RetryPolicyBook(faults)

    # ---- queues -------------------------------------------------------------------

    def create_queue(self, queue: Any, caller: str | None = None) -> None:
        """Create (or, where the release upserts, write) ``queue``; ``caller`` may become its owner."""
        queues.validate(queue, self.flavour, self.faults)
        if queue.name in self.queues and "duplicate-queue-accepted" not in self.faults:
            queues.refuse_existing(queue.name, self.flavour)
        self.queues[queue.name] = queues.stored(queue, self.flavour, caller)

    def update_queue(self, queue: Any) -> None:
        """Replace ``queue``; an absent one is NOT_FOUND, or created where the release upserts."""
        queues.validate(queue, self.flavour, self.faults)
        if queues.absent_on_update(queue.name, self.flavour):
            self.require_queue(queue.name)
        self.queues[queue.name] = queues.stored(queue, self.flavour)

    def delete_queue(self, name: str) -> None:
        self.require_queue(name)
        active = [r for r in self.jobs_of_queue(name) if not r.terminal]
        if active and self.flavour.has("delete_queue_refuses_active"):
            words = f"queue {name!r} still has {len(active)} active job(s); cancel them first"
            if self.flavour.has("raw_errors_unknown"):
                words = f"[DeleteQueue] error deleting queue {name}: queue is not empty"
            raise ApiError(grpc.StatusCode.FAILED_PRECONDITION, words)
        del self.queues[name]
        for key in [k for k in self.job_sets if k[0] == name]:
            # The events stay replayable (and watchers keep their log); the jobs are forgotten.
            for job_id in self.job_sets[key].job_ids:
                self.jobs.pop(job_id, None)
                for run_id in self.runs.pop(job_id, ()):
                    self.run_jobs.pop(run_id, None)
            self.job_sets[key].job_ids.clear()

    def require_queue(self, name: str) -> Any:
        """The queue, or NOT_FOUND (an empty name is INVALID_ARGUMENT where names are validated)."""
        if self.flavour.has("queue_name_validated") and not (name == "" and "queue-name-unvalidated" in self.faults):
            _require_name(name, "queue name")
        try:
            return self.queues[name]
        except KeyError:
            if "notfound-wrong-code" in self.faults:
                raise ApiError(grpc.StatusCode.INTERNAL, f"lookup of queue {name!r} failed") from None
            raise not_found(self.queue_missing(name)) from None

    def queue_missing(self, name: str) -> str:
        """The words for an absent queue: Armada's repository error where the release's errors are raw."""
        if self.flavour.has("raw_errors_unknown"):
            return f'could not find queue "{name}"'
        return f"queue {name!r} does not exist"

    def set_cordoned(self, name: str, cordoned: bool) -> None:
        self.require_queue(name).cordoned = cordoned

    def jobs_of_queue(self, name: str) -> Iterable[JobRecord]:
        for (queue, _), job_set in self.job_sets.items():
            if queue == name:
                yield from (self.jobs[i] for i in job_set.job_ids if i in self.jobs)

    # ---- jobs ---------------------------------------------------------------------

    def submit(self, request: Any, owner: str) -> list[JobRecord]:
        """Validate every item first, then store all or nothing."""
        queue = self.require_queue(request.queue)
        _require_name(request.job_set_id, "job_set_id")
        if not request.job_request_items:
            raise invalid("job_request_items is empty: submit at least one job")
        problems = [
            f"item {i}: {p}"
            for i, item in enumerate(request.job_request_items)
            if (p := _item_problem(item, lenient=self._lenient_pods()))
        ]
        if problems:
            raise invalid("; ".join(problems))
        if self.flavour.has("sync_submit_check"):  # the legacy submit path checks every job at once
            for item in request.job_request_items:
                if not fits(cpu := cpu_request(item)):
                    raise refused_at_submit(new_job_id(), cpu, self.flavour.has("unschedulable_unknown"))
        job_set = self.job_set(queue.name, request.job_set_id, create=True)
        records = []
        for item in request.job_request_items:
            job = Job(
                id=new_job_id(),
                job_set_id=request.job_set_id,
                queue=queue.name,
                priority=item.priority,
                namespace=item.namespace or "default",
                owner="nobody" if "wrong-owner" in self.faults else owner,
                client_id=item.client_id,
                scheduler=item.scheduler,
            )
            job.created.GetCurrentTime()
            if item.HasField("pod_spec"):
                job.pod_spec.CopyFrom(item.pod_spec)
            job.pod_specs.extend(item.pod_specs)
            for target, source in (
                (job.labels, item.labels),
                (job.annotations, item.annotations),
                (job.required_node_labels, item.required_node_labels),
            ):
                target.update(source)
            job.ingress.extend(item.ingress)
            job.services.extend(item.services)
            end = ending(job)
            record = JobRecord(
                job.id,
                job.queue,
                job.job_set_id,
                job.namespace,
                job.priority,
                _priority_class(job),
                cpu_request(job),
                exit_code=end.exit_code,
                runs_for=end.runs_for,
                pod_error=end.pod_error,
            )
            if item.external_job_uri:
                self.external_uris[(job.queue, job.job_set_id, item.external_job_uri)] = job.id
            self.jobs[job.id] = record
            job_set.job_ids.append(job.id)
            if not ("events-lost-under-load" in self.faults and len(job_set.job_ids) % _LOST_EVERY == 0):
                self.emit(record, "submitted", job=job)
            self.emit(record, "queued")
            records.append(record)
        return records

    def _lenient_pods(self) -> bool:
        """Containers unchecked at submit: the accept-empty-podspec fault, or a release from v0.4.44."""
        return "accept-empty-podspec" in self.faults or not self.flavour.has("submit_checks_containers")

    @overload
    def job_set(self, queue: str, job_set_id: str, create: Literal[True]) -> JobSet: ...

    @overload
    def job_set(self, queue: str, job_set_id: str, create: bool = False) -> JobSet | None: ...

    def job_set(self, queue: str, job_set_id: str, create: bool = False) -> JobSet | None:
        """The job set, or None when the server holds none of that name (``create`` makes an empty one)."""
        key = (queue, job_set_id)
        if create and key not in self.job_sets:
            self.job_sets[key] = JobSet(JobSetLog(queue, job_set_id))
        return self.job_sets.get(key)

    def jobs_in_set(self, queue: str, job_set_id: str, job_ids: Iterable[str] = ()) -> list[JobRecord]:
        """The named jobs of a job set (all of them when no ids are given)."""
        self.require_queue(queue)
        _require_name(job_set_id, "job_set_id")
        job_set = self.job_set(queue, job_set_id)
        members = job_set.job_ids if job_set else []
        wanted = list(dict.fromkeys(job_ids)) or members
        missing = [i for i in wanted if i not in members]
        if missing:
            raise not_found(f"job(s) {', '.join(missing)} not found in job set {job_set_id!r} of queue {queue!r}")
        return [self.jobs[i] for i in wanted]

    def start_run(self, record: JobRecord) -> str:
        """A new run of the job (at each lease): its id, as real Armada's, a fresh UUID."""
        run_id = str(uuid.uuid4())
        self.runs.setdefault(record.id, []).append(run_id)
        self.run_jobs[run_id] = record.id
        return run_id

    def latest_run(self, job_id: str) -> str:
        return (self.runs.get(job_id) or [""])[-1]

    def emit(self, record: JobRecord, kind: str, **fields: Any) -> None:
        """Append one event about ``record`` to its job set's log."""
        message = EventMessage()
        event = getattr(message, kind)
        event.job_id, event.job_set_id, event.queue = record.id, record.job_set_id, record.queue
        event.created.GetCurrentTime()
        for name, value in fields.items():
            if hasattr(value, "CopyFrom"):
                getattr(event, name).CopyFrom(value)
            elif isinstance(value, dict):  # a map field
                getattr(event, name).update(value)
            else:
                setattr(event, name, value)
        self.job_sets[(record.queue, record.job_set_id)].log.append(message.SerializeToString())

    def cancel(self, records: Iterable[JobRecord], requestor: str, reason: str) -> list[str]:
        cancelled = []
        for record in records:
            if record.terminal:
                continue
            self.emit(record, "cancelling", requestor=requestor, reason=reason)
            record.state = "CANCELLED"
            if "no-cancelled-event" not in self.faults:
                self.emit(record, "cancelled", requestor=requestor, reason=reason)
            cancelled.append(record.id)
        return cancelled

    def reprioritize(self, records: Iterable[JobRecord], priority: float, requestor: str) -> dict[str, str]:
        if not math.isfinite(priority) or priority < 0:
            raise invalid(f"new_priority must be a non-negative number, got {priority}")
        results = {}
        for record in records:
            if record.terminal:
                results[record.id] = f"job is {record.state.lower()} and can no longer be reprioritized"
                continue
            self.emit(record, "reprioritizing", new_priority=priority, requestor=requestor)
            record.priority = priority
            self.emit(record, "reprioritized", new_priority=priority, requestor=requestor)
            results[record.id] = ""
        return results

    def preempt(self, records: Iterable[JobRecord], requestor: str, reason: str) -> dict[str, str]:
        results = {}
        for record in records:
            if record.terminal:
                results[record.id] = f"job is {record.state.lower()} and can no longer be preempted"
                continue
            self.emit(record, "preempting", requestor=requestor, reason=reason)
            record.state = "PREEMPTED"
            self.emit(
                record,
                "preempted",
                requestor=requestor,
                reason=reason,
                cluster_id="reference-cluster",
                run_id=self.latest_run(record.id),
            )
            results[record.id] = ""
        return results

    def queue_info(self, name: str) -> list[tuple[str, int, int]]:
        """(job set, queued, leased) for every job set of the queue with active jobs."""
        self.require_queue(name)
        info = []
        for (queue, job_set_id), job_set in self.job_sets.items():
            if queue != name:
                continue
            states = [self.jobs[i].state for i in job_set.job_ids if i in self.jobs]
            queued = sum(s == "QUEUED" for s in states)
            leased = sum(s in ("LEASED", "PENDING", "RUNNING") for s in states)
            if "queue-info-wrong-counts" in self.faults:
                queued, leased = leased, queued
            if queued or leased:
                info.append((job_set_id, queued, leased))
        return info


def _require_name(value: str, what: str) -> None:
    if not value:
        raise invalid(f"{what} is required")


def _item_problem(item: Any, lenient: bool = False) -> str:
    """Why a job item cannot run, or "" when it can (``lenient``: containers are not checked at submit)."""
    if not math.isfinite(item.priority) or item.priority < 0:
        return f"priority must be a non-negative number, got {item.priority}"
    if item.HasField("pod_spec") and item.pod_specs:
        return "set pod_spec or pod_specs, not both"
    specs = [item.pod_spec] if item.HasField("pod_spec") else list(item.pod_specs)
    if lenient:
        return ""
    if not specs:
        return "no pod spec: set pod_spec with at least one container"
    for spec in specs:
        if not spec.containers:
            return "the pod spec has no containers"
        for container in spec.containers:
            if not container.image:
                return f"container {container.name or '(unnamed)'!r} has no image"
    return ""


def _priority_class(job: Any) -> str:
    spec = job.pod_spec if job.HasField("pod_spec") else (job.pod_specs[0] if job.pod_specs else None)
    return spec.priorityClassName if spec is not None else ""


def cpu_request(job: Any) -> float:
    """Total CPU a job asks for, in cores (requests, else limits), from Kubernetes quantities."""
    total = 0.0
    specs = [job.pod_spec] if job.HasField("pod_spec") else list(job.pod_specs)
    for spec in specs:
        for container in spec.containers:
            resources = container.resources.requests or container.resources.limits
            if "cpu" in resources:
                total += parse_cpu(resources["cpu"].string)
    return total


def parse_cpu(quantity: str) -> float:
    """ "250m" -> 0.25, "2" -> 2.0; an unparsable quantity counts as zero."""
    try:
        return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)
    except ValueError:
        return 0.0
