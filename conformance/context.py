"""The state a conformance run shares between checks: target, clients, names, cleanup.

Safety on real deployments lives here. Every queue and job set the run creates is
named ``<prefix>-<run id>-...``; the context's clients write everything a request could
create on some release into the run's ledger (``conformance.ledger``) before it is sent,
and at the end ``cleanup`` removes the whole ledger (``conformance.cleanup``), even
after failures or a signal, and touches nothing else. Under ``--read-only`` any attempt
to create something raises ``Skip`` instead.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import protos
from conformance import cases
from conformance.cases import tiny_job
from conformance.checks import NotConfigured, NotOffered, Skip, changes_state
from conformance.dialects import as_dict
from conformance.eras import descriptor_of, wire
from conformance.ledger import Ledger, LedgerGrpcClient, LedgerRestClient
from conformance.releases import Release
from conformance.report.scrub import known_secrets, redact_problem
from conformance.results import Figure
from conformance.retry_policies import policy_base
from conformance.settings import RunSettings
from conformance.target import Identity, Target
from conformance.transport.grpc_client import GrpcResult
from conformance.transport.rest_client import RestClient, RestResult
from conformance.transport.rest_reply import not_served

if TYPE_CHECKING:  # the modules that fill the caches import this one
    from conformance.checks.swagger.document import Fetched
    from conformance.checks.swagger.fuzz import FuzzStats
    from conformance.checks.swagger.samples import Sample
    from conformance.throughput.measure import Bench

DEFAULT = object()  # "the target's main identity", as opposed to None: no credentials at all
__all__ = ["RunContext", "event_tuple", "kinds_of", "not_offered_over_rest", "tiny_job", "to_dict"]


to_dict = as_dict  # a message as canonical proto3 JSON (one definition: conformance.dialects)
READY_STILL = frozenset({"NOT_FOUND"})  # what an event stream of a not-yet-cached queue answers
SUBMIT_NOT_READY = frozenset({"PERMISSION_DENIED", "NOT_FOUND"})  # what a submit to one answers


class RunContext:
    """One run's shared state; ``settings``: the plan's typed options (all defaults when not given)."""

    def __init__(self, target: Target, read_only: bool = False, settings: RunSettings | None = None) -> None:
        self.target = target
        self.read_only = read_only
        self.intrusive = target.intrusive  # intrusive checks run only when the target says so (see Target)
        self.settings = settings or RunSettings.defaults(target.embedded)
        self.run_id = time.strftime("%m%d%H%M") + secrets.token_hex(2)
        # Everything a request could create is recorded here before it is sent (conformance.ledger).
        owned = (f"{target.prefix}-{self.run_id}-", policy_base(target.prefix, self.run_id) + "-")
        self.ledger = Ledger(owned, presence=self._present)
        self.grpc = LedgerGrpcClient(target.grpc, target.tls, target.timeout, connection=target.connection)
        self.grpc.ledger = self.ledger
        self.rest: RestClient | None = None
        if target.rest:
            self.rest = LedgerRestClient(target.rest, target.tls, target.timeout, connection=target.connection)
            self.rest.ledger = self.ledger
        self._counter = 0
        self._cordoned: set[str] = set()  # queues this run created cordoned (their jobs stay queued)
        self._probe_queue: str | None = None
        self._offered: dict[str, bool] = {}
        self._created_at: dict[str, float] = {}  # queue -> when this run created it (queue-cache waits)
        self._ready_probe_hangs = False  # an event stream did not end: no use waiting on one
        self.figures: list[Figure] = []  # throughput figures for the report
        self.closers: list[Callable[[], None]] = []  # run by close(): e.g. the throughput consumer processes
        # Per-run state of the checks and the runner: declared here, never attached with setattr.
        self.cleanup_problems: list[str] = []  # what cleanup() could not remove, redacted; the report lists them
        self.secrets = known_secrets(target)  # every literal form of the target's secrets (report.scrub)
        self.throughput_bench: Bench | None = None  # the THROUGHPUT checks' Bench, made on first use
        self.swagger_fetched: Fetched | None = None  # SWAGGER checks: the document as fetched once per run,
        self.swagger_samples: list[Sample] | Exception | None = None  # the real answers gathered once (or why not)
        self.swagger_fuzz_stats: FuzzStats | None = None  # and what the schemathesis run sent

    # ---- identities and calls ---------------------------------------------------------

    def metadata(self, identity: Identity | object | None = DEFAULT) -> list[tuple[str, str]]:
        if identity is DEFAULT:
            identity = self.target.identity()
        return identity.metadata() if isinstance(identity, Identity) else []

    def headers(self, identity: Identity | object | None = DEFAULT) -> dict[str, str]:
        return {("Authorization" if k == "authorization" else k): v for k, v in self.metadata(identity)}

    def call(
        self,
        method: str,
        request: Mapping[str, Any] | None = None,
        identity: Identity | object | None = DEFAULT,
        **kwargs: Any,
    ) -> GrpcResult:
        """A unary gRPC call as ``identity``; ``method`` is ``"Service/Method"`` without ``api.``."""
        return self.grpc.call(wire(method), request, metadata=self.metadata(identity), **kwargs)

    def stream(
        self,
        method: str,
        request: Mapping[str, Any] | None = None,
        identity: Identity | object | None = DEFAULT,
        **kwargs: Any,
    ) -> GrpcResult:
        return self.grpc.stream(wire(method), request, metadata=self.metadata(identity), **kwargs)

    def require_rest(self) -> RestClient:
        if self.rest is None:
            raise NotConfigured("the target has no REST URL ([target] rest)")
        return self.rest

    def require_mutation(self) -> None:
        if self.read_only:
            raise Skip("mutating check skipped under --read-only")

    def offered(self, method: str) -> bool:
        """Whether the target serves a method at all (UNIMPLEMENTED means it does not).

        A method that changes state is asked with its harmless, run-named probe
        (``cases.probe``), never with an empty request (an empty CreateQueue names the
        queue ``""``); under --read-only it is not asked at all and taken as served.
        """
        if method not in self._offered:
            if changes_state(method) and self.read_only:
                return True
            desc = descriptor_of(method)
            if changes_state(method):
                request: Any = cases.probe(method, self.name("absent"), self.target.jobs)
            else:
                request = protos.message_class(desc.input_type.full_name)()
            probe = self.grpc.stream if desc.server_streaming else self.grpc.call
            result = probe(wire(method), request, metadata=self.metadata(), timeout=self.target.timeout)
            self._offered[method] = result.code != "UNIMPLEMENTED"
        return self._offered[method]

    def require_offered(self, method: str) -> None:
        if not self.offered(method):
            raise NotOffered(f"{method} answered UNIMPLEMENTED")

    # ---- things the run creates -------------------------------------------------------

    def name(self, what: str) -> str:
        self._counter += 1
        return f"{self.target.prefix}-{self.run_id}-{what}-{self._counter}"

    def queue_service(self, method: str) -> str:
        """``QueueService/<method>`` when the target offers it (current Armada), else ``Submit/<method>``."""
        return f"QueueService/{method}" if self.offered("QueueService/GetQueue") else f"Submit/{method}"

    def create_queue(self, **fields: Any) -> str:
        """A fresh queue owned by this run (deleted at the end), usable when this returns."""
        self.require_mutation()
        name = self.name("q")
        result = self.call(self.queue_service("CreateQueue"), {"name": name, "priorityFactor": 1, **fields})
        if result.code == "UNIMPLEMENTED":
            raise NotOffered(f"CreateQueue answered UNIMPLEMENTED: {result.details}")
        if not result.ok:
            raise RuntimeError(f"could not create a queue for the check: {result.code} {result.details}")
        self._created_at[name] = time.monotonic()
        if fields.get("cordoned"):
            self._cordoned.add(name)
        self.wait_until_usable(name)
        return name

    def wait_until_usable(self, queue: str) -> None:
        """Wait (at most ``queue_ready_timeout``) until an event stream of ``queue`` stops answering NOT_FOUND.

        From v0.4.48 Armada's submit and event services read queues from a cache refreshed
        every 10 s (feature ``queue_cache``): right after CreateQueue they refuse the queue.
        Judging then would fail a healthy server, so the run waits for the refresh; a
        release without the cache answers at once. A stream that does not end (watch=false
        hanging) is SEMANTICS' finding, not a reason to wait.
        """
        cached = self.target.release.has("queue_cache")
        if not cached or self.target.queue_ready_timeout <= 0 or self._ready_probe_hangs:
            return
        deadline = time.monotonic() + self.target.queue_ready_timeout
        pause, probe = 0.1, {"queue": queue, "id": self.name("ready"), "watch": False}
        while True:
            result = self.stream("Event/GetJobSetEvents", probe, timeout=min(1.0, self.target.timeout))
            if result.code == "DEADLINE_EXCEEDED":
                self._ready_probe_hangs = True  # once per run: the submit retry still covers the cache
                return
            if result.code not in READY_STILL:
                return
            if time.monotonic() + pause > deadline:
                raise RuntimeError(
                    f"queue {queue} was still refused ({result.code}: {result.details}) "
                    f"{self.target.queue_ready_timeout:g} s after it was created "
                    "(queue_ready_timeout)"
                )
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def still_caching(self, queue: str) -> bool:
        """Whether ``queue`` was created by this run recently enough that a queue cache may not know it."""
        created = self._created_at.get(queue)
        return (
            created is not None
            and self.target.release.has("queue_cache")
            and time.monotonic() - created < self.target.queue_ready_timeout
        )

    def submit(
        self, queue: str, job_set: str, count: int = 1, hold: bool = False, identity: Identity | object | None = DEFAULT
    ) -> list[str]:
        """Submit ``count`` jobs of the target's ``[jobs]`` template.

        ``hold``: the jobs must stay non-terminal until the run cancels them. In a queue the
        run created cordoned (``holding_queue``) short jobs do: they stay queued and are never
        submit-checked. Elsewhere they are long-running jobs (``long_command``), which a real
        cluster runs; no request is made that no cluster can satisfy (a release before
        v0.4.20 refuses such a job at submit, a later one fails it).
        """
        kind = "long" if hold and queue not in self._cordoned else "short"
        items = [tiny_job(self.target.jobs, kind) for _ in range(count)]
        request = {"queue": queue, "jobSetId": job_set, "jobRequestItems": items}
        result = self.call("Submit/SubmitJobs", request, identity=identity)
        while result.code in SUBMIT_NOT_READY and self.still_caching(queue):
            time.sleep(0.25)  # the queue cache has not refreshed yet (see wait_until_usable)
            result = self.call("Submit/SubmitJobs", request, identity=identity)
        if result.code == "UNIMPLEMENTED":
            raise NotOffered(f"SubmitJobs answered UNIMPLEMENTED: {result.details}")
        if not result.ok:
            raise RuntimeError(f"could not submit jobs for the check: {result.code} {result.details}")
        return [item.job_id for item in result.response.job_response_items]

    def job(self, kind: str = "short", **fields: Any) -> dict[str, Any]:
        """One JobSubmitRequestItem of the target's ``[jobs]`` template (``short``, ``long`` or ``fail``)."""
        return tiny_job(self.target.jobs, kind, **fields)

    @property
    def release(self) -> Release:
        """The release judged (``conformance.releases``): what the target's server has."""
        return self.target.release

    def holding_queue(self, **fields: Any) -> str:
        """A run-owned queue for jobs that must stay non-terminal (``submit(..., hold=True)``).

        Cordoned where the release can cordon (v0.9.8 on): its jobs stay queued and are
        never submit-checked (``internal/scheduler/scheduler.go``). Before that a plain
        queue: the held jobs are long-running ones, and may run.
        """
        return self.create_queue(cordoned=True, **fields) if self.release.has("cordon") else self.create_queue(**fields)

    def probe_queue(self) -> str:
        """One run-owned holding queue for probes that need a definite answer (made on first use)."""
        if self._probe_queue is None:
            self._probe_queue = self.holding_queue()
        return self._probe_queue

    def holds_queued(self, queue: str) -> bool:
        """Whether jobs held in ``queue`` stay *queued* (it is cordoned), rather than only non-terminal."""
        return queue in self._cordoned

    def events(self, queue: str, job_set: str, **request: Any) -> list[tuple[str, str, dict[str, Any]]]:
        """(id, event kind, event as a dict) for each message of a job set, read with watch=false."""
        result = self.stream("Event/GetJobSetEvents", {"queue": queue, "id": job_set, **request})
        if not result.ok:
            raise RuntimeError(f"could not read job set events: {result.code} {result.details}")
        return [event_tuple(m) for m in result.messages]

    def wait_for(
        self, queue: str, job_set: str, done: Callable[[list[str]], bool], timeout: float | None = None
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """Read the job set until ``done(kinds)`` holds or ``timeout`` passes (then return what came)."""
        deadline = time.monotonic() + min(timeout or self.target.timeout, self.target.timeout)
        seen: list[tuple[str, str, dict[str, Any]]] = []
        call = self.grpc.open_stream(
            wire("Event/GetJobSetEvents"),
            {"queue": queue, "id": job_set, "watch": True},
            metadata=self.metadata(),
            timeout=max(0.1, deadline - time.monotonic()),
        )
        try:
            for message in call:
                seen.append(event_tuple(message))
                if done([kind for _, kind, _ in seen]):
                    break
        except Exception:  # deadline reached: the caller judges what arrived
            pass
        finally:
            call.cancel()
        return seen

    def cleanup(self) -> list[str]:
        """Remove the run's ledger (``conformance.cleanup``); return what could not be removed (never raise)."""
        from conformance.cleanup import clean_up

        problems = clean_up(self)
        problems = [redact_problem(p, self.secrets) for p in problems]  # they quote the server's answers
        self.cleanup_problems.extend(problems)
        return problems

    def take_notes(self) -> list[str]:
        """Limits the clients reached and redirects they met since the last call (for a check's evidence)."""
        return self.grpc.take_notes() + (self.rest.take_notes() if self.rest is not None else [])

    def _present(self, kind: str, name: str) -> bool:
        """Whether the target has the queue / retry policy ``name`` now (the ledger's foreign-name guard)."""
        if kind == "queue":
            return bool(self.call(self.queue_service("GetQueue"), {"name": name}).ok)
        return bool(self.call("RetryPolicyService/GetRetryPolicy", {"name": name}).ok)

    # The lists older checks append to: appending records into the ledger (as sent, not known created).
    @property
    def created_queues(self) -> _Recorded:
        return _Recorded(self.ledger.queues, self.ledger.queue)

    @created_queues.setter
    def created_queues(self, _: object) -> None:  # ``+=`` appended through the view already
        pass

    @property
    def created_job_sets(self) -> _Recorded:
        return _Recorded(self.ledger.job_sets, lambda key: self.ledger.job_set(key[0], key[1]))

    @created_job_sets.setter
    def created_job_sets(self, _: object) -> None:
        pass

    @property
    def created_retry_policies(self) -> _Recorded:
        return _Recorded(self.ledger.retry_policies, self.ledger.retry_policy)

    @created_retry_policies.setter
    def created_retry_policies(self, _: object) -> None:
        pass

    def close(self) -> None:
        for closer in reversed(self.closers):
            closer()
        self.closers.clear()
        self.grpc.close()
        if self.rest is not None:
            self.rest.close()


class _Recorded(list[Any]):
    """A copy of one ledger column whose append/extend/``+=`` record into the ledger."""

    def __init__(self, items: Iterable[Any], record: Callable[[Any], Any]) -> None:
        super().__init__(items)
        self._record = record

    def append(self, item: Any) -> None:
        self._record(item)
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable[Any]) -> _Recorded:  # type: ignore[misc]
        self.extend(items)
        return self


def not_offered_over_rest(result: RestResult) -> bool:
    """REST does not serve the method (``conformance.transport.rest_reply.not_served``)."""
    return not_served(result.status, result.body)


def event_tuple(message: Any) -> tuple[str, str, dict[str, Any]]:
    kind = message.message.WhichOneof("events") or ""
    return message.id, kind, to_dict(getattr(message.message, kind)) if kind else {}


def kinds_of(events: Iterable[tuple[str, str, dict[str, Any]]], job_id: str | None = None) -> list[str]:
    return [kind for _, kind, event in events if job_id is None or event.get("jobId") == job_id]
