"""AUTH for api.RetryPolicyService: a caller without the permission cannot change policies.

Current Armada guards the three mutating methods with global permissions
(``create_retry_policy``, ``update_retry_policy``, ``delete_retry_policy``) and answers
PERMISSION_DENIED naming the verb (``shared/armada-api-more.md``). Each row calls one
method as the target's low-privilege identity on a run-owned policy: Update and Delete
address a policy the run created first (so a refusal cannot be a NOT_FOUND in
disguise), Create a fresh run-owned name. Whatever a wrongly allowed call leaves
behind is the run's own and deleted at the end.
"""

from __future__ import annotations

from typing import Any

from conformance.checks import CheckFailed, NotConfigured, family
from conformance.checks.auth import TRANSPORTS, send
from conformance.checks.auth_schemes import configured
from conformance.context import RunContext
from conformance.retry_policies import create, policy_name, valid_policy

METHODS = (
    ("CreateRetryPolicy", "create_retry_policy"),
    ("UpdateRetryPolicy", "update_retry_policy"),
    ("DeleteRetryPolicy", "delete_retry_policy"),
)
SCHEMES = ("basic", "oidc")  # the schemes the suite speaks of the releases with this service (from v0.22.3)


def _rows() -> list[dict[str, Any]]:
    return [
        {
            "scheme": scheme,
            "S": scheme.upper(),
            "transport": transport,
            "T": t,
            "method": f"RetryPolicyService/{m}",
            "name": m,
            "verb": verb,
        }
        for scheme in SCHEMES
        for m, verb in METHODS
        for transport, t in TRANSPORTS
    ]


@family(
    "AUTH-{S}-LOWPRIV-{name}-{T}",
    "AUTH",
    "{name} over {transport} by the low-privilege {scheme} identity is "
    "refused with PERMISSION_DENIED / 403 naming the missing permission {verb}",
    _rows(),
    mutating=True,
    source="internal/server/permissions/permissions.go",
)
def low_privilege_refused(
    ctx: RunContext, scheme: str, S: str, transport: str, T: str, method: str, name: str, verb: str
) -> None:
    settings, _ = configured(ctx, scheme)
    low = settings.low_privilege
    if low is None:
        raise NotConfigured(f"the target file names no low-privilege identity for {scheme} (low_privilege)")
    ctx.require_mutation()
    ctx.require_offered(method)
    policy = policy_name(ctx, "lowpriv") if name == "CreateRetryPolicy" else create(ctx, "lowpriv")
    request = {"name": policy} if name == "DeleteRetryPolicy" else valid_policy(policy)
    reply = send(ctx, transport, method, request, low.header())
    if not reply.denied:
        raise CheckFailed(
            f"{name} as the low-privilege {low.principal!r}: expected PERMISSION_DENIED / 403, got {reply.status}",
            reply.evidence(),
        )
    if verb not in reply.message.lower():
        raise CheckFailed(f"the refusal does not name the missing permission {verb!r}", reply.evidence())
