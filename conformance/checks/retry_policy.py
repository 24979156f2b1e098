"""SEMANTICS of api.RetryPolicyService, as current Armada behaves (``shared/armada-api-more.md``).

A round trip (create, get, update, list, delete, get -> NOT_FOUND), each validation rule
refused with INVALID_ARGUMENT, absent policies (Get and Update NOT_FOUND, Delete OK),
delete detaching the policy from the queues naming it, and a duplicate create judged
against the contract's ALREADY_EXISTS (current releases answer UNAVAILABLE; the shipped
armada-2026 known-failures file lists that). Every policy these checks create is the
run's own (``conformance/retry_policies.py``) and deleted at the end.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import json_format

import protos
from conformance.checks import CheckFailed, family
from conformance.context import RunContext
from conformance.dialects import as_dict
from conformance.retry_policies import create, policy_name, valid_policy

SERVICE = "RetryPolicyService"


def _canonical(policy: dict[str, Any]) -> dict[str, Any]:
    return as_dict(
        json_format.ParseDict(policy, protos.message_class("api.RetryPolicy")(), descriptor_pool=protos.pool())
    )


def _expect(result: Any, code: str, what: str, **evidence: Any) -> None:
    if result.code != code:
        raise CheckFailed(f"{what}: expected {code}, got {result.code}", {**evidence, "details": result.details})


def _start(ctx: RunContext) -> None:
    ctx.require_mutation()
    ctx.require_offered(f"{SERVICE}/GetRetryPolicies")


@family(
    "SEMANTICS-RetryPolicyRoundTrip",
    "SEMANTICS",
    "a created retry policy reads back as written (GetRetryPolicy), UpdateRetryPolicy changes it, "
    "GetRetryPolicies lists it, and after DeleteRetryPolicy GetRetryPolicy answers NOT_FOUND",
    mutating=True,
    methods=(f"{SERVICE}/CreateRetryPolicy",),
    source="internal/server/retrypolicy/repository.go",
)
def round_trip(ctx: RunContext) -> None:
    _start(ctx)
    name = create(ctx, "rt")
    got = ctx.call(f"{SERVICE}/GetRetryPolicy", {"name": name})
    _expect(got, "OK", "GetRetryPolicy of a created policy", name=name)
    if as_dict(got.response) != _canonical(valid_policy(name)):
        raise CheckFailed(
            "GetRetryPolicy does not return the policy as created",
            {"written": _canonical(valid_policy(name)), "read": as_dict(got.response)},
        )
    changed = valid_policy(name, retryLimit=5, defaultAction="RETRY_ACTION_RETRY")
    _expect(ctx.call(f"{SERVICE}/UpdateRetryPolicy", changed), "OK", "UpdateRetryPolicy", name=name)
    got = ctx.call(f"{SERVICE}/GetRetryPolicy", {"name": name})
    if not got.ok or as_dict(got.response) != _canonical(changed):
        raise CheckFailed(
            "GetRetryPolicy after UpdateRetryPolicy does not show the update",
            {
                "code": got.code,
                "written": _canonical(changed),
                "read": as_dict(got.response) if got.ok else got.details,
            },
        )
    listed = ctx.call(f"{SERVICE}/GetRetryPolicies", {})
    _expect(listed, "OK", "GetRetryPolicies")
    if name not in [p.name for p in listed.response.retry_policies]:
        raise CheckFailed("GetRetryPolicies does not list the created policy", {"name": name})
    _expect(ctx.call(f"{SERVICE}/DeleteRetryPolicy", {"name": name}), "OK", "DeleteRetryPolicy", name=name)
    _expect(
        ctx.call(f"{SERVICE}/GetRetryPolicy", {"name": name}),
        "NOT_FOUND",
        "GetRetryPolicy of a deleted policy",
        name=name,
    )


def _rule(**fields: Any) -> dict[str, Any]:
    return {"action": "RETRY_ACTION_RETRY", "onCategory": "conformance-oom", **fields}


def _bump(**memory: Any) -> list[dict[str, Any]]:
    return [_rule(mutate={"resources": {"memory": memory}})]


# Each rule of Armada's validation: (ID part, what it breaks, the change to a valid policy named ``n``).
INVALID: list[tuple[str, str, Any]] = [
    ("EmptyName", "an empty name", lambda n: {"name": ""}),
    ("UppercaseName", "a name with uppercase letters", lambda n: {"name": n.upper()}),
    ("NameTooLong", "a name of 64 characters", lambda n: {"name": (n + "-" + "a" * 64)[:64]}),
    ("NameEndsWithDash", "a name ending in '-'", lambda n: {"name": n + "-"}),
    ("NoDefaultAction", "defaultAction unspecified", lambda n: {"defaultAction": "RETRY_ACTION_UNSPECIFIED"}),
    ("RuleWithoutAction", "a rule without an action", lambda n: {"rules": [_rule(action="RETRY_ACTION_UNSPECIFIED")]}),
    ("RuleWithoutCategory", "a rule without onCategory", lambda n: {"rules": [_rule(onCategory="")]}),
    (
        "BumpStaticAndFactor",
        "a resource bump setting both static and factor",
        lambda n: {"rules": _bump(static="1Gi", factor=2.0)},
    ),
    ("BumpNeither", "a resource bump setting neither static nor factor", lambda n: {"rules": _bump()}),
    ("FactorNotAboveOne", "a resource bump factor of 1.0", lambda n: {"rules": _bump(factor=1.0)}),
    ("StaticNotPositive", "a resource bump static of 0Mi", lambda n: {"rules": _bump(static="0Mi")}),
]


@family(
    "SEMANTICS-RetryPolicyInvalid-{rule}",
    "SEMANTICS",
    "CreateRetryPolicy of a policy with {what} is refused with INVALID_ARGUMENT",
    [{"rule": r, "what": w} for r, w, _ in INVALID],
    mutating=True,
    methods=(f"{SERVICE}/CreateRetryPolicy",),
    source="internal/server/retrypolicy/validation.go",
)
def invalid_refused(ctx: RunContext, rule: str, what: str) -> None:
    _start(ctx)
    change = next(c for r, _, c in INVALID if r == rule)
    request = {**valid_policy(policy_name(ctx, "inv")), **change(policy_name(ctx, "inv"))}
    result = ctx.call(f"{SERVICE}/CreateRetryPolicy", request)
    _expect(result, "INVALID_ARGUMENT", f"CreateRetryPolicy of a policy with {what}", request=request)


def _expect_absent(ctx: RunContext, name: str) -> None:
    """GetRetryPolicy of ``name`` answers NOT_FOUND (a server answering OK to everything proves nothing)."""
    _expect(
        ctx.call(f"{SERVICE}/GetRetryPolicy", {"name": name}),
        "NOT_FOUND",
        "GetRetryPolicy of an absent policy",
        name=name,
    )


@family(
    "SEMANTICS-RetryPolicyAbsent",
    "SEMANTICS",
    "GetRetryPolicy and UpdateRetryPolicy of a policy that does not exist answer NOT_FOUND",
    mutating=True,
    methods=(f"{SERVICE}/CreateRetryPolicy",),
    source="internal/server/retrypolicy/repository.go",
)
def absent_not_found(ctx: RunContext) -> None:
    _start(ctx)
    name = policy_name(ctx, "absent")
    _expect_absent(ctx, name)
    updated = ctx.call(f"{SERVICE}/UpdateRetryPolicy", valid_policy(name))
    _expect(updated, "NOT_FOUND", "UpdateRetryPolicy of an absent policy", name=name)


@family(
    "SEMANTICS-RetryPolicyDeleteAbsent",
    "SEMANTICS",
    "DeleteRetryPolicy of a policy that does not exist answers OK (Armada's delete is idempotent)",
    mutating=True,
    methods=(f"{SERVICE}/CreateRetryPolicy",),
    source="internal/server/retrypolicy/repository.go",
)
def delete_absent(ctx: RunContext) -> None:
    _start(ctx)
    name = policy_name(ctx, "absent")
    # first make sure the name is absent (a server answering OK to everything proves nothing here)
    _expect_absent(ctx, name)
    _expect(
        ctx.call(f"{SERVICE}/DeleteRetryPolicy", {"name": name}),
        "OK",
        "DeleteRetryPolicy of an absent policy",
        name=name,
    )


@family(
    "SEMANTICS-RetryPolicyDetach",
    "SEMANTICS",
    "DeleteRetryPolicy detaches the policy from a queue naming it in retryPolicies",
    mutating=True,
    methods=(f"{SERVICE}/CreateRetryPolicy",),
    source="internal/server/retrypolicy/repository.go",
)
def delete_detaches(ctx: RunContext) -> None:
    _start(ctx)
    name = create(ctx, "detach")
    queue = ctx.create_queue(retryPolicies=[name])
    before = ctx.call("Submit/GetQueue", {"name": queue})
    if not before.ok or name not in before.response.retry_policies:  # nothing attached: nothing to detach
        raise CheckFailed(
            "the queue created naming the policy does not read back with it in retryPolicies",
            {"queue": queue, "code": before.code},
        )
    _expect(ctx.call(f"{SERVICE}/DeleteRetryPolicy", {"name": name}), "OK", "DeleteRetryPolicy", name=name)
    got = ctx.call("Submit/GetQueue", {"name": queue})
    _expect(got, "OK", "GetQueue of the run's queue", queue=queue)
    if name in got.response.retry_policies:
        raise CheckFailed(
            "the queue still names the deleted retry policy",
            {"queue": queue, "retryPolicies": list(got.response.retry_policies)},
        )


@family(
    "SEMANTICS-RetryPolicyDuplicate",
    "SEMANTICS",
    "CreateRetryPolicy of a name that exists is refused with ALREADY_EXISTS, the contract's code (Armada "
    "replaces the policy and answers OK, internal/server/retrypolicy/repository.go: a known deviation)",
    mutating=True,
    methods=(f"{SERVICE}/CreateRetryPolicy",),
    source="contract",
)
def duplicate_refused(ctx: RunContext) -> None:
    _start(ctx)
    name = create(ctx, "dup")
    again = ctx.call(f"{SERVICE}/CreateRetryPolicy", valid_policy(name, retryLimit=7))
    if again.code == "ALREADY_EXISTS":
        return
    got = ctx.call(f"{SERVICE}/GetRetryPolicy", {"name": name})
    replaced = got.ok and got.response.retry_limit == 7
    raise CheckFailed(
        f"a duplicate CreateRetryPolicy answered {again.code}; the contract's code is ALREADY_EXISTS"
        + ("; and the existing policy was replaced" if replaced else ""),
        {"name": name, "code": again.code, "details": again.details},
    )
