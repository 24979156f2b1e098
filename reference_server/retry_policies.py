"""api.RetryPolicyService: named retry policies, validated and kept as Armada keeps them.

The rules are those of current Armada (``shared/armada-api-more.md``): a policy name is
a DNS label (1-63 lowercase alphanumerics and '-', alphanumeric at both ends); the
default action and every rule's action are Fail or Retry; every rule names the failure
category it applies to; a resource bump sets exactly one of a positive quantity
(``static``) or a factor above 1. Update and Get of an absent policy are NOT_FOUND;
Delete always succeeds and detaches the policy from every queue naming it. A create of
an existing name answers ``duplicate_code`` (ALREADY_EXISTS by the contract), or where the
release ``replaces`` (Armada's ``retrypolicy/repository.go``: "matching CreateQueue")
writes over it and answers OK.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import grpc

import protos
from reference_server.errors import ApiError, invalid, not_found
from reference_server.faults import Faults

RetryPolicy = protos.message_class("api.RetryPolicy")
RetryAction = protos.pool().FindEnumTypeByName("api.RetryAction")
ACTIONS = frozenset(
    {RetryAction.values_by_name["RETRY_ACTION_FAIL"].number, RetryAction.values_by_name["RETRY_ACTION_RETRY"].number}
)
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_QUANTITY = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")
_Empty = protos.message_class("google.protobuf.Empty")


def name_problem(name: str) -> str:
    """Why ``name`` cannot name a policy, or "" when it can."""
    if not name:
        return "name is required"
    if len(name) > 63:
        return f"name {name[:20]!r}... is {len(name)} characters; at most 63 are allowed"
    if not _NAME.match(name):
        return (
            f"name {name!r} is invalid: use lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return ""


def _bump_problem(where: str, bump: Any) -> str:
    has_static, has_factor = bool(bump.static), bump.factor != 0
    if has_static == has_factor:
        return f"{where}: set exactly one of static and factor"
    if has_static:
        match = _QUANTITY.match(bump.static)
        if match is None or float(match.group(1)) <= 0:
            return f"{where}.static {bump.static!r} is not a positive quantity"
    elif not bump.factor > 1.0:
        return f"{where}.factor must be greater than 1.0, got {bump.factor}"
    return ""


def _rule_problem(n: int, rule: Any) -> str:
    where = f"rules[{n}]"
    if rule.action not in ACTIONS:
        return f"{where}.action must be Fail or Retry"
    if not rule.on_category:
        return f"{where}.onCategory is required"
    if rule.mutate.HasField("resources") and rule.mutate.resources.HasField("memory"):
        return _bump_problem(f"{where}.mutate.resources.memory", rule.mutate.resources.memory)
    return ""


def policy_problem(policy: Any) -> str:
    """Why ``policy`` is invalid, or "" when it is valid (the first problem found)."""
    checks: list[Callable[[], str]] = [
        lambda: name_problem(policy.name),
        lambda: "" if policy.default_action in ACTIONS else "defaultAction must be Fail or Retry",
        *(lambda n=n, rule=rule: _rule_problem(n, rule) for n, rule in enumerate(policy.rules)),
    ]
    for check in checks:
        if problem := check():
            return problem
    return ""


class RetryPolicyBook:
    """The policies a server holds, by name."""

    def __init__(self, faults: Faults, duplicate_code: grpc.StatusCode = grpc.StatusCode.ALREADY_EXISTS) -> None:
        self.faults = faults
        self.duplicate_code = duplicate_code
        self.replaces = False  # a create of an existing name overwrites it (real Armada)
        self.policies: dict[str, Any] = {}

    def _validate(self, policy: Any) -> None:
        problem = policy_problem(policy)
        if problem and "retry-policy-unvalidated" not in self.faults:
            raise invalid(f"retry policy: {problem}")

    def create(self, policy: Any) -> None:
        self._validate(policy)
        duplicate_ok = self.replaces or "retry-policy-duplicate-accepted" in self.faults
        if policy.name in self.policies and not duplicate_ok:
            raise ApiError(self.duplicate_code, f"retry policy {policy.name!r} already exists")
        self.policies[policy.name] = _copy(policy)

    def update(self, policy: Any) -> None:
        self._validate(policy)
        if "retry-policy-update-upserts" not in self.faults:
            self.require(policy.name)
        if "retry-policy-update-ignored" not in self.faults:
            self.policies[policy.name] = _copy(policy)

    def delete(self, name: str, queues: dict[str, Any]) -> None:
        """Delete (an absent name included) and detach from every queue that names the policy."""
        if not name:
            raise invalid("name is required: name the retry policy to delete")
        if name not in self.policies and "retry-policy-delete-absent-not-found" in self.faults:
            raise not_found(f"retry policy {name!r} does not exist")
        self.policies.pop(name, None)
        if "retry-policy-delete-keeps-queue-refs" in self.faults:
            return
        for queue in queues.values():
            if name in queue.retry_policies:
                kept = [p for p in queue.retry_policies if p != name]
                del queue.retry_policies[:]
                queue.retry_policies.extend(kept)

    def require(self, name: str) -> Any:
        if not name:
            raise invalid("name is required: name the retry policy")
        try:
            return self.policies[name]
        except KeyError:
            raise not_found(f"retry policy {name!r} does not exist") from None


def _copy(policy: Any) -> Any:
    stored = RetryPolicy()
    stored.CopyFrom(policy)
    return stored


class RetryPolicyMethods:
    """The RPCs of api.RetryPolicyService, mixed into ``Services`` (which has ``store``)."""

    store: Any

    async def CreateRetryPolicy(self, request: Any, principal: Any) -> Any:
        self.store.retry_policies.create(request)
        return _Empty()

    async def UpdateRetryPolicy(self, request: Any, principal: Any) -> Any:
        self.store.retry_policies.update(request)
        return _Empty()

    async def DeleteRetryPolicy(self, request: Any, principal: Any) -> Any:
        self.store.retry_policies.delete(request.name, self.store.queues)
        return _Empty()

    async def GetRetryPolicy(self, request: Any, principal: Any) -> Any:
        return self.store.retry_policies.require(request.name)

    async def GetRetryPolicies(self, request: Any, principal: Any) -> Any:
        book = self.store.retry_policies.policies
        return protos.message_class("api.RetryPolicyList")(retry_policies=[book[n] for n in sorted(book)])
