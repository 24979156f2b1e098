"""Queue writes as the flavour's release decides them: validation, upserts, owners.

The contract validates the queue name and refuses a create of an existing queue
(ALREADY_EXISTS) and an update of an absent one (NOT_FOUND). Real Armada differs
release by release (``shared/armada-semantics.md``, Armada's
``pkg/client/queue/queue.go`` and ``internal/server/queue/queue_repository.go``):

- no release validates the name (``""`` is a queue);
- a priority factor below 1 is INVALID_ARGUMENT everywhere, and in a release also an
  unset (0) one, since ``NewPriorityFactor`` sees 0;
- ``owners_folded``: ``userOwners`` / ``groupOwners`` become one permissions entry with
  every verb, and a CreateQueue naming no user owner gets the caller as owner;
- ``queue_upsert`` (Postgres, v0.4.48 on): CreateQueue and UpdateQueue both write the
  queue, whether it exists or not.
"""

from __future__ import annotations

import math
import re
from typing import Any

import grpc

import protos
from reference_server.errors import ApiError, invalid
from reference_server.faults import Faults
from reference_server.flavours import Flavour

Queue = protos.message_class("api.Queue")
QUEUE_VERBS = frozenset({"submit", "cancel", "preempt", "reprioritize", "watch"})
SUBJECT_KINDS = frozenset({"User", "Group"})
_QUEUE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")


def owner_verbs(chosen: Flavour) -> list[str]:
    """``AllPermissionVerbs``: the verbs an owner holds (``preempt`` only where PreemptJobs exists)."""
    verbs = ["submit", "cancel", "preempt", "reprioritize", "watch"]
    return verbs if chosen.has("preempt_jobs") else [v for v in verbs if v != "preempt"]


def validate(queue: Any, chosen: Flavour, faults: Faults | None = None) -> None:
    """INVALID_ARGUMENT naming what is wrong with ``queue``, as the release words it (``faults`` bend it)."""
    faults = faults or Faults()
    if chosen.has("queue_name_validated") and not (queue.name == "" and "queue-name-unvalidated" in faults):
        if not queue.name:
            raise invalid("queue name is required")
        if not _QUEUE_NAME.match(queue.name):
            raise invalid(
                f"queue name {queue.name!r} is invalid: use 1-63 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
    factor = queue.priority_factor
    contract = chosen.has("queue_name_validated")  # the contract reads an unset (0) factor as the default 1
    unchecked = "priority-factor-unchecked" in faults and 0 < factor < 1
    if not math.isfinite(factor) or (factor < 1 and not (contract and factor == 0) and not unchecked):
        if contract:
            raise invalid(f"priority_factor must be at least 1 (or unset), got {factor}")
        raise invalid(
            f"error validating queue: failed to map priority factor. "
            f"priority factor cannot be lower than 1.0. Value: {factor:f}"
        )
    for n, permission in enumerate(queue.permissions):
        for subject in permission.subjects:
            if subject.kind not in SUBJECT_KINDS:
                raise invalid(
                    f"error validating queue: failed to map permission with index: {n}. failed to map subjects. "
                    f"invalid kind value: {subject.kind}"
                )
            if not subject.name and chosen.has("queue_name_validated"):
                raise invalid(f"permissions[{n}] subject name is required")
        unknown = sorted(set(permission.verbs) - QUEUE_VERBS)
        if unknown:
            raise invalid(
                f"permissions[{n}]: unknown verb(s) {', '.join(unknown)}; known: {', '.join(sorted(QUEUE_VERBS))}"
            )


def stored(queue: Any, chosen: Flavour, caller: str | None = None) -> Any:
    """The copy the server keeps: owners folded where the release folds them (``caller`` on a create)."""
    kept = Queue()
    kept.CopyFrom(queue)
    if kept.priority_factor == 0:
        kept.priority_factor = 1.0
    if not chosen.has("owners_folded"):
        return kept
    users = list(kept.user_owners) or ([caller] if caller is not None else [])
    groups = list(kept.group_owners)
    del kept.user_owners[:]
    del kept.group_owners[:]
    others = list(kept.permissions)
    del kept.permissions[:]
    if users or groups:
        entry = kept.permissions.add(verbs=owner_verbs(chosen))
        for user in users:
            entry.subjects.add(kind="User", name=user)
        for group in groups:
            entry.subjects.add(kind="Group", name=group)
    kept.permissions.extend(others)
    return kept


def refuse_existing(name: str, chosen: Flavour) -> None:
    """A create of an existing queue: ALREADY_EXISTS where queues are not upserts."""
    if not chosen.has("queue_upsert"):
        raise ApiError(grpc.StatusCode.ALREADY_EXISTS, f"queue {name!r} already exists")


def absent_on_update(name: str, chosen: Flavour) -> bool:
    """Whether an update of an absent queue is refused (NOT_FOUND) rather than creating it."""
    return not chosen.has("queue_upsert")
