"""Authorization as Armada does it: global permissions held by groups, queue verbs per queue.

A call is allowed when the principal holds the method's global permission through
one of its groups (every principal is in ``everyone``), or when the method has a
queue verb and the target queue grants that verb to the principal: through
``Queue.permissions`` (a ``User`` subject naming it or a ``Group`` subject it is in)
or by owning the queue (``user_owners`` / ``group_owners``, Armada's older form).
Methods absent from ``RULES`` (reads and health) need only an authenticated caller.

The refusal is the flavour's release's (``shared/armada-semantics.md``):

- the contract: PERMISSION_DENIED naming the permission and the verb;
- ``lacks_permission_message`` (Armada's ``armadaerrors.ErrUnauthorized``):
  ``<user> lacks permission <perm> required for action ...``, else the old
  ``"<user>" does not have permission <perm>`` for global permissions;
- ``raw_errors_unknown``: a queue-verb method looks its queue up first (an absent queue
  is the repository's raw ``could not find queue "q"``) and a refusal is the raw
  ``ErrUnauthorized``: both UNKNOWN, except SubmitJobs where ``submit_denies_absent_queue``
  (both PERMISSION_DENIED). Those methods are judged inside the handler
  (``check_queue_call``), after the request's own validation, as in Armada;
- ``watch_needs_global``: events need ``watch_all_events``, or the global
  ``watch_events`` together with the queue's ``watch`` verb.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import grpc

from reference_server.errors import ApiError, denied
from reference_server.faults import Faults
from reference_server.flavours import DEFAULT, Flavour, flavour


@dataclass(frozen=True)
class Rule:
    permission: str  # the global permission that allows the call anywhere
    verb: str | None = None  # the queue verb that allows it on one queue
    queue_field: str = "queue"  # the request field naming that queue
    names: str = ""  # what the request's ``name`` field names, to say it in a refusal


RULES: dict[str, Rule] = {
    "SubmitJobs": Rule("submit_any_jobs", "submit"),
    "CancelJobs": Rule("cancel_any_jobs", "cancel"),
    "CancelJobSet": Rule("cancel_any_jobs", "cancel"),
    "CancelOnQueue": Rule("cancel_any_jobs", "cancel", queue_field="name"),
    "PreemptJobs": Rule("cancel_any_jobs", "preempt"),
    "PreemptOnQueue": Rule("cancel_any_jobs", "preempt", queue_field="name"),
    "ReprioritizeJobs": Rule("reprioritize_any_jobs", "reprioritize"),
    "GetJobSetEvents": Rule("watch_all_events", "watch"),
    "CreateQueue": Rule("create_queue"),
    "CreateQueues": Rule("create_queue"),
    "UpdateQueue": Rule("create_queue"),
    "UpdateQueues": Rule("create_queue"),
    "CordonQueue": Rule("create_queue"),
    "UncordonQueue": Rule("create_queue"),
    "DeleteQueue": Rule("delete_queue"),
    "CreateRetryPolicy": Rule("create_retry_policy", names="retry policy"),
    "UpdateRetryPolicy": Rule("update_retry_policy", names="retry policy"),
    "DeleteRetryPolicy": Rule("delete_retry_policy", names="retry policy"),
}
# Permissions real releases renamed (feature -> method -> the permission it needs there).
RENAMED: dict[str, dict[str, str]] = {
    "preempt_any_jobs_permission": {"PreemptJobs": "preempt_any_jobs", "PreemptOnQueue": "preempt_any_jobs"},
    "cordon_queue_permission": {"CordonQueue": "cordon_queue", "UncordonQueue": "cordon_queue"},
}
# Queue-service methods real Armada authorizes by the global permission alone (``AuthorizeAction``).
GLOBAL_ONLY = frozenset({"CancelOnQueue", "PreemptOnQueue"})
# Reads judged by the watch rule, and the words of their refusal (``event.go``, ``submit.go`` GetQueueInfo).
WATCHING = {
    "GetJobSetEvents": ("id", "[GetJobSetEvents] error getting events for queue: {queue}, job set: {id}"),
    "GetQueueInfo": ("name", "[GetQueueInfo] error getting info for queue {queue}"),
}
# The queue-verb methods Armada's submit server authorizes itself (``submit.go`` ``authorize``).
SUBMIT_SERVER_METHODS = frozenset({"SubmitJobs", "CancelJobs", "CancelJobSet", "ReprioritizeJobs", "PreemptJobs"})
# What Armada's queue service says it was doing when it refuses a global permission.
_DOING = {
    "CreateQueue": "creating queue",
    "CreateQueues": "creating queue",
    "UpdateQueue": "updating queue",
    "UpdateQueues": "updating queue",
    "DeleteQueue": "deleting queue",
    "CordonQueue": "cordoning queue",
    "UncordonQueue": "uncordoning queue",
    "CancelOnQueue": "cancelling jobs on queue",
    "PreemptOnQueue": "preempting jobs on queue",
    "CreateRetryPolicy": "creating retry policy",
    "UpdateRetryPolicy": "updating retry policy",
    "DeleteRetryPolicy": "deleting retry policy",
}


class Authorizer:
    def __init__(
        self, authorization_table: dict[str, Any], faults: Faults | None = None, chosen: Flavour | None = None
    ) -> None:
        permissions = authorization_table.get("permissions", {})
        self.grants = {name: frozenset(groups) for name, groups in permissions.items()}
        self.faults = faults or Faults()
        self.flavour = chosen or flavour(DEFAULT)

    def holds(self, principal: Any, permission: str) -> bool:
        return bool(self.grants.get(permission, frozenset()) & principal.groups)

    def deferred(self, method: str) -> bool:
        """Whether the handler judges this method itself (``check_queue_call``), after its validation."""
        raw = self.flavour.has("raw_errors_unknown")
        return raw and (method in SUBMIT_SERVER_METHODS or method in WATCHING)

    def rule(self, method: str) -> Rule | None:
        """The method's rule as the flavour's release has it (renamed permissions, global-only methods)."""
        rule = RULES.get(method)
        if rule is None:
            return None
        for feature, renamed in RENAMED.items():
            if method in renamed and self.flavour.has(feature):
                rule = replace(rule, permission=renamed[method])
        if method in GLOBAL_ONLY and self.flavour.has("raw_errors_unknown"):
            rule = replace(rule, verb=None)
        return rule

    def check(self, method: str, principal: Any, request: Any, queues: dict[str, Any]) -> None:
        """Raise the refusal, or return when the call may go on (deferred methods: always go on)."""
        rule = self.rule(method)
        if rule is None or self.deferred(method) or "authz-allows-everyone" in self.faults:
            return
        if self.holds(principal, rule.permission):
            return
        queue_name = getattr(request, rule.queue_field, "") if rule.verb else ""
        queue = queues.get(queue_name)
        if queue is not None and _queue_grants(queue, principal, rule.verb):
            return
        if self.flavour.has("raw_errors_unknown") and not rule.verb:
            raise denied(self._global_refusal(method, rule, principal, request))
        where = f" or the {rule.verb!r} verb on queue {queue_name!r}" if rule.verb else ""
        subject = f" on {rule.names} {getattr(request, 'name', '')!r}" if rule.names else ""
        raise denied(
            f"{principal.name} may not call {method}{subject}: it needs the global permission "
            f"{rule.permission!r}{where}"
        )

    def _global_refusal(self, method: str, rule: Rule, principal: Any, request: Any) -> str:
        """Armada's queue-service words for a missing global permission."""
        doing = _DOING.get(method, "")
        name = getattr(request, "name", "")
        if self.flavour.has("lacks_permission_message"):
            why = (
                f"{principal.name} lacks permission {rule.permission} required for action {rule.permission}; "
                f"user {principal.name} does not have permission to perform {rule.permission} action"
            )
            return f"error {doing} {name}: {why}" if doing else why
        why = f'"{principal.name}" does not have permission {rule.permission}'
        return f"[{method}] error {doing} {name}: {why}" if doing else f"[{method}] {why}"

    def check_queue_call(self, method: str, principal: Any, request: Any, queues: dict[str, Any]) -> None:
        """A deferred method's authorization, as Armada's submit and event servers do it."""
        if not self.deferred(method) or "authz-allows-everyone" in self.faults:
            return
        if method in WATCHING:
            field, words = WATCHING[method]
            queue = queues.get(request.queue if method == "GetJobSetEvents" else request.name)
            if queue is not None:
                self._check_watch(principal, words.format(queue=queue.name, id=getattr(request, field)), queue)
            return
        rule = self.rule(method)
        assert rule is not None
        queue_name = getattr(request, rule.queue_field, "")
        queue = queues.get(queue_name)
        if queue is None:
            raise ApiError(self._raw_code(method), f'could not find queue "{queue_name}"')
        if self.holds(principal, rule.permission) or _queue_grants(queue, principal, rule.verb):
            return
        action = f"{rule.verb} for queue {queue_name}" if method == "SubmitJobs" else f"/api.Submit/{method}"
        text = f"{principal.name} lacks permission {rule.verb} required for action {action}"
        if self.flavour.has("lacks_permission_message"):
            text += (
                f"; user {principal.name} cannot perform action {rule.verb} on queue {queue_name} as they are "
                f"neither explicitly permissioned on the queue or a member of {rule.permission} group"
            )
        raise ApiError(self._raw_code(method), text)

    def _raw_code(self, method: str) -> grpc.StatusCode:
        if method == "SubmitJobs" and self.flavour.has("submit_denies_absent_queue"):
            return grpc.StatusCode.PERMISSION_DENIED
        return grpc.StatusCode.UNKNOWN

    def _check_watch(self, principal: Any, where: str, queue: Any) -> None:
        """A read by the watch rule: PERMISSION_DENIED with the release's words, or return."""
        if self.holds(principal, "watch_all_events"):
            return
        needs_global = self.flavour.has("watch_needs_global")
        global_ok = not needs_global or self.holds(principal, "watch_events")
        if global_ok and _queue_grants(queue, principal, "watch"):
            return
        if needs_global:
            missing = "watch_events" if not global_ok else "watch"
            who = f'"{principal.name}"'
            why = f"{who} does not have permission watch_all_events, {who} does not have permission {missing}"
            raise denied(f"{where}: {why}")
        why = (
            f"{principal.name} lacks permission watch required for action watch for queue {queue.name}; "
            f"user {principal.name} cannot perform action watch on queue {queue.name} as they are neither "
            "explicitly permissioned on the queue or a member of watch_all_events group"
        )
        raise denied(f"{where}: {why}")


def _queue_grants(queue: Any, principal: Any, verb: str | None) -> bool:
    if principal.name in queue.user_owners or principal.groups & set(queue.group_owners):
        return True
    for permission in queue.permissions:
        if verb not in permission.verbs:
            continue
        for subject in permission.subjects:
            if (subject.kind == "User" and subject.name == principal.name) or (
                subject.kind == "Group" and subject.name in principal.groups
            ):
                return True
    return False
