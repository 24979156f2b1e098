"""The run's ledger: everything a request could create on SOME release, recorded before it is sent.

Safety on a real deployment rests on one rule: the run removes everything it may
have made, and touches nothing else. Which requests create depends on the release:
from v0.4.48 CreateQueue and UpdateQueue are upserts (an UpdateQueue of an absent
name creates it), no release validates a queue name (``""`` is created), a probe meant
to be refused may be accepted by a lenient server. So nothing waits for an answer to
decide: the RunContext's clients (:class:`LedgerGrpcClient`, :class:`LedgerRestClient`)
put every queue, job set and retry policy a create, upsert or submit names into the
ledger *before* the request leaves, and mark it ``created`` when the answer says so.
An interruption (SIGINT/SIGTERM) at any moment therefore leaves the ledger complete.

Cleanup (:mod:`conformance.cleanup`) removes the whole ledger and reports only what
the run actually created and could not remove. A name the run does not own (only
``""`` in practice) is checked before anything is sent: if the target already has it,
it is someone else's, the request is not sent (``ForeignName``) and cleanup leaves it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from google.protobuf import json_format, message

from conformance.checks import Skip
from conformance.transport.grpc_client import GrpcClient, GrpcResult
from conformance.transport.rest_client import RestClient, RestResult

QUEUE_WRITES = frozenset({"CreateQueue", "UpdateQueue"})  # one queue, named by ``name`` (an upsert from v0.4.48)
QUEUE_BATCHES = frozenset({"CreateQueues", "UpdateQueues"})  # ``queues[].name``
SUBMITS = frozenset({"SubmitJobs"})  # a job set of ``queue`` (the queue itself is never created by a submit)
POLICY_WRITES = frozenset({"CreateRetryPolicy", "UpdateRetryPolicy"})  # ``name``

Presence = Callable[[str, str], bool]  # (kind, name) -> whether the target has it now


class ForeignName(Skip):
    """A request would write a name the target already has and the run does not own: not sent."""


class Sent:
    """What one request put into the ledger (so its answer can mark it created)."""

    def __init__(self) -> None:
        self.queues: list[str] = []
        self.job_sets: list[tuple[str, str]] = []
        self.policies: list[str] = []


class Ledger:
    """Queues, job sets and retry policies the run sent a creating request for, in order."""

    def __init__(self, owned_prefixes: Sequence[str] = (), presence: Presence | None = None) -> None:
        self.owned_prefixes = tuple(p for p in owned_prefixes if p)
        self.presence = presence  # asked once per foreign name, before the first write of it
        self._queues: dict[str, bool] = {}  # name -> an answer said it was created
        self._job_sets: dict[tuple[str, str], bool] = {}
        self._policies: dict[str, bool] = {}
        self._foreign: dict[tuple[str, str], bool] = {}  # (kind, name) -> the target had it before the run

    # ---- recording -------------------------------------------------------------------------

    def owns(self, name: str) -> bool:
        """Whether ``name`` is one only this run can have (``<prefix>-<run id>-...``)."""
        return any(name.startswith(p) for p in self.owned_prefixes)

    def queue(self, name: str, created: bool = False) -> str:
        """Record a queue a request is about to create (or may create); returns the name."""
        self._guard("queue", name)
        self._queues[name] = self._queues.get(name, False) or created
        return name

    def job_set(self, queue: str, job_set: str, created: bool = False) -> tuple[str, str]:
        """Record a job set a submit is about to fill."""
        key = (queue, job_set)
        self._job_sets[key] = self._job_sets.get(key, False) or created
        return key

    def retry_policy(self, name: str, created: bool = False) -> str:
        """Record a retry policy a request is about to create (or may create)."""
        self._guard("retry_policy", name)
        self._policies[name] = self._policies.get(name, False) or created
        return name

    def _guard(self, kind: str, name: str) -> None:
        if self.owns(name) or self.presence is None:
            return
        key = (kind, name)
        if key not in self._foreign:
            self._foreign[key] = key[1] not in self._names(kind) and self.presence(kind, name)
        if self._foreign[key]:
            raise ForeignName(
                f"the target already has a {kind.replace('_', ' ')} named {name!r} that this run did not create: "
                "the run sends nothing that could change it"
            )

    def _names(self, kind: str) -> Iterable[str]:
        return self._queues if kind == "queue" else self._policies

    def record(self, method: str, request: Mapping[str, Any] | message.Message | None) -> Sent:
        """Record what ``method`` with ``request`` could create, before it is sent."""
        name, fields, sent = method.rsplit("/", 1)[-1], _fields(request), Sent()
        if name in QUEUE_WRITES and isinstance(fields.get("name"), str):
            sent.queues.append(self.queue(fields["name"]))
        elif name in QUEUE_BATCHES and isinstance(fields.get("queues"), list):
            # not marked created on OK: a batch answers OK with failures inside; cleanup looks instead
            for item in fields["queues"]:
                if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                    self.queue(item["name"])
        elif name in SUBMITS:
            queue, job_set = fields.get("queue"), fields.get("jobSetId", fields.get("job_set_id"))
            if isinstance(queue, str) and isinstance(job_set, str):
                sent.job_sets.append(self.job_set(queue, job_set))
        elif name in POLICY_WRITES and isinstance(fields.get("name"), str):
            sent.policies.append(self.retry_policy(fields["name"]))
        return sent

    def confirm(self, sent: Sent) -> None:
        """The answer was OK: what the request named now exists."""
        for queue in sent.queues:
            self._queues[queue] = True
        for key in sent.job_sets:
            self._job_sets[key] = True
        for policy in sent.policies:
            self._policies[policy] = True

    # ---- reading and removing --------------------------------------------------------------

    @property
    def queues(self) -> list[str]:
        return list(self._queues)

    @property
    def job_sets(self) -> list[tuple[str, str]]:
        return list(self._job_sets)

    @property
    def retry_policies(self) -> list[str]:
        return list(self._policies)

    def created(self, kind: str, key: Any) -> bool:
        """Whether an answer said the run created ``key`` (cleanup reports only those it cannot remove)."""
        return self._table(kind).get(key, False)

    def removed(self, kind: str, key: Any) -> None:
        """Cleanup is done with ``key`` (removed, or not the run's to remove)."""
        self._table(kind).pop(key, None)

    def _table(self, kind: str) -> dict[Any, bool]:
        tables: dict[str, dict[Any, bool]] = {
            "queue": self._queues,
            "job_set": self._job_sets,
            "retry_policy": self._policies,
        }
        return tables[kind]

    def __bool__(self) -> bool:
        return bool(self._queues or self._job_sets or self._policies)


def _fields(request: Mapping[str, Any] | message.Message | None) -> dict[str, Any]:
    if request is None:
        return {}
    if isinstance(request, message.Message):
        return json_format.MessageToDict(request)
    return dict(request)


class LedgerGrpcClient(GrpcClient):
    """The run's gRPC client: a unary call's creations are in the ledger before it is sent."""

    ledger: Ledger

    def call(
        self,
        full_method: str,
        request: Mapping[str, Any] | message.Message | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        timeout: float | None = None,
    ) -> GrpcResult:
        sent = self.ledger.record(full_method, request)
        result = super().call(full_method, request, metadata, timeout)
        if result.ok:
            self.ledger.confirm(sent)
        return result


class LedgerRestClient(RestClient):
    """The run's REST client: the same rule as :class:`LedgerGrpcClient`."""

    ledger: Ledger

    def call(
        self,
        full_method: str,
        request: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> RestResult:
        sent = self.ledger.record(full_method, request)
        result = super().call(full_method, request, headers, timeout)
        if 200 <= result.status < 300:
            self.ledger.confirm(sent)
        return result
