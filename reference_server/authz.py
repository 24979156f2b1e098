"""Authorization as Armada does it: global permissions held by groups, queue verbs per queue.

A call is allowed when the principal holds the method's global permission through
one of its groups (every principal is in ``everyone``), or when the method has a
queue verb and the target queue grants that verb to the principal: through
``Queue.permissions`` (a ``User`` subject naming it or a ``Group`` subject it is in)
or by owning the queue (``user_owners`` / ``group_owners``, Armada's older form).
Methods absent from ``RULES`` (reads and health) need only an authenticated caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reference_server.errors import denied
from reference_server.faults import Faults


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


class Authorizer:
    def __init__(self, authorization_table: dict[str, Any], faults: Faults | None = None) -> None:
        permissions = authorization_table.get("permissions", {})
        self.grants = {name: frozenset(groups) for name, groups in permissions.items()}
        self.faults = faults or Faults()

    def holds(self, principal: Any, permission: str) -> bool:
        return bool(self.grants.get(permission, frozenset()) & principal.groups)

    def check(self, method: str, principal: Any, request: Any, queues: dict[str, Any]) -> None:
        """Raise PERMISSION_DENIED naming what is missing, or return when the call may go on."""
        rule = RULES.get(method)
        if rule is None or self.holds(principal, rule.permission) or "authz-allows-everyone" in self.faults:
            return
        queue_name = getattr(request, rule.queue_field, "") if rule.verb else ""
        queue = queues.get(queue_name)
        if queue is not None and _queue_grants(queue, principal, rule.verb):
            return
        where = f" or the {rule.verb!r} verb on queue {queue_name!r}" if rule.verb else ""
        subject = f" on {rule.names} {getattr(request, 'name', '')!r}" if rule.names else ""
        raise denied(
            f"{principal.name} may not call {method}{subject}: it needs the global permission "
            f"{rule.permission!r}{where}"
        )


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
