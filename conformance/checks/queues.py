"""SEMANTICS of queue writes, as the judged release decides them.

Armada's queue store changed under the API (``shared/armada-semantics.md``): up to
v0.4.47 queues live in Redis and CreateQueue of an existing name is ALREADY_EXISTS
(``internal/armada/repository/queue.go``); from v0.4.48 they live in Postgres and both
CreateQueue and UpdateQueue are upserts (``internal/server/queue/queue_repository.go``,
feature ``queue_upsert``). No release validates a queue's name; the one refusal of
every release is a priority factor below 1 (``pkg/client/queue/priority_factor.go``).
GetQueue never returns ``userOwners`` / ``groupOwners``: they are folded into a
permissions entry (``pkg/client/queue/queue.go``, feature ``owners_folded``).

Every name these checks write is in the run's ledger before it is sent (an empty name
too: it is written only if the target lacks it, and deleted at the end).
"""

from __future__ import annotations

from collections.abc import Set

from conformance import cases
from conformance.checks import CheckFailed, NotOffered, family
from conformance.context import RunContext

QUEUE_SOURCE = "pkg/client/queue/queue.go"


def expect_code(result_code: str, expected: Set[str], what: str, evidence: dict) -> None:
    if result_code == "UNIMPLEMENTED" and "UNIMPLEMENTED" not in expected:
        raise NotOffered(f"{what}: the target answered UNIMPLEMENTED")
    if result_code not in expected:
        raise CheckFailed(
            f"{what}: expected {' or '.join(sorted(expected))}, got {result_code}", {**evidence, "code": result_code}
        )


@family(
    "SEMANTICS-QueueCreateDelete",
    "SEMANTICS",
    "CreateQueue then a CreateQueue of the same name: ALREADY_EXISTS (from v0.4.48, queue_upsert: OK, and "
    "the queue is updated); DeleteQueue OK; a second DeleteQueue OK (as every Armada release answers) or NOT_FOUND",
    mutating=True,
    source="internal/server/queue/queue_repository.go internal/armada/repository/queue.go",
)
def queue_create_delete(ctx: RunContext) -> None:
    name = ctx.create_queue()
    create, get = ctx.queue_service("CreateQueue"), ctx.queue_service("GetQueue")
    again = ctx.call(create, {"name": name, "priorityFactor": 2})
    evidence = {"queue": name, "details": again.details}
    if ctx.release.has("queue_upsert"):
        expect_code(again.code, {"OK"}, f"creating an existing queue ({ctx.release.name} upserts)", evidence)
        got = ctx.call(get, {"name": name})
        if not got.ok or got.response.priority_factor != 2:
            raise CheckFailed(
                "a CreateQueue of an existing queue answered OK but did not update it (priorityFactor 2)",
                {"code": got.code, "got": str(got.response)},
            )
    else:
        expect_code(again.code, {"ALREADY_EXISTS"}, "creating an existing queue", evidence)
    deleted = ctx.call(ctx.queue_service("DeleteQueue"), {"name": name})
    expect_code(deleted.code, {"OK"}, "deleting the queue", {"queue": name, "details": deleted.details})
    twice = ctx.call(ctx.queue_service("DeleteQueue"), {"name": name})
    expect_code(twice.code, {"OK", "NOT_FOUND"}, "deleting a deleted queue", {"queue": name, "details": twice.details})


@family(
    "SEMANTICS-QueueRoundTrip",
    "SEMANTICS",
    "a created queue reads back as written via GetQueue (its userOwners too, except where a release folds "
    "owners into permissions), UpdateQueue changes it, and after DeleteQueue GetQueue answers NOT_FOUND",
    mutating=True,
    source="pkg/client/queue/queue.go",
)
def queue_round_trip(ctx: RunContext) -> None:
    name = ctx.create_queue(userOwners=["conformance-owner"])
    get, update = ctx.queue_service("GetQueue"), ctx.queue_service("UpdateQueue")
    got = ctx.call(get, {"name": name})
    expect_code(got.code, {"OK"}, "GetQueue of a created queue", {"queue": name, "details": got.details})
    owners_kept = not ctx.release.has("owners_folded")
    if (
        got.response.name != name
        or got.response.priority_factor != 1
        or (owners_kept and list(got.response.user_owners) != ["conformance-owner"])
    ):
        raise CheckFailed("GetQueue does not return the queue as created", {"got": str(got.response)})
    updated = ctx.call(update, {"name": name, "priorityFactor": 3, "userOwners": ["conformance-owner"]})
    expect_code(updated.code, {"OK"}, "UpdateQueue", {"details": updated.details})
    got = ctx.call(get, {"name": name})
    if not got.ok or got.response.priority_factor != 3:
        raise CheckFailed(
            "GetQueue after UpdateQueue does not show the new priorityFactor 3",
            {"code": got.code, "got": str(got.response)},
        )
    ctx.call(ctx.queue_service("DeleteQueue"), {"name": name})
    gone = ctx.call(get, {"name": name})
    expect_code(gone.code, {"NOT_FOUND"}, "GetQueue of a deleted queue", {"details": gone.details})


@family(
    "SEMANTICS-QueueNotFound",
    "SEMANTICS",
    "GetQueue of a queue that does not exist answers NOT_FOUND",
    source="internal/server/queue/queue_repository.go",
)
def queue_not_found(ctx: RunContext) -> None:
    result = ctx.call(ctx.queue_service("GetQueue"), cases.refused("Submit/GetQueue", ctx.name("absent")))
    expect_code(result.code, {"NOT_FOUND"}, "GetQueue of an absent queue", {"details": result.details})


@family(
    "SEMANTICS-QueueInvalid",
    "SEMANTICS",
    f"CreateQueue with a priorityFactor below 1 ({cases.BAD_PRIORITY_FACTOR}) answers INVALID_ARGUMENT and "
    "creates nothing (the refusal every release makes)",
    mutating=True,
    source="pkg/client/queue/priority_factor.go",
)
def queue_invalid(ctx: RunContext) -> None:
    ctx.require_mutation()
    name = ctx.name("invalid")
    result = ctx.call(ctx.queue_service("CreateQueue"), cases.refused("Submit/CreateQueue", name))
    expect_code(
        result.code,
        {"INVALID_ARGUMENT"},
        f"CreateQueue with priorityFactor {cases.BAD_PRIORITY_FACTOR}",
        {"details": result.details},
    )
    if ctx.call(ctx.queue_service("GetQueue"), {"name": name}).ok:
        raise CheckFailed(f"the refused CreateQueue created the queue {name!r} anyway", {"queue": name})


@family(
    "SEMANTICS-QueueEmptyName",
    "SEMANTICS",
    "CreateQueue with an empty name answers INVALID_ARGUMENT (the contract; no Armada release validates queue "
    f"names: {QUEUE_SOURCE} checks only the priority factor and labels)",
    mutating=True,
    source="contract",
)
def queue_empty_name(ctx: RunContext) -> None:
    ctx.require_mutation()
    result = ctx.call(ctx.queue_service("CreateQueue"), {"name": "", "priorityFactor": 1})
    expect_code(result.code, {"INVALID_ARGUMENT"}, "CreateQueue with an empty name", {"details": result.details})
