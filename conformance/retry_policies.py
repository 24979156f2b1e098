"""Retry policies a run creates: names only this run can have, and their removal at the end.

Safety on real deployments: a retry policy is shared, cluster-wide configuration, so
the run may only touch policies it made. Every policy it creates is named
``<prefix>-<run id>-<what>-<n>`` made a valid policy name (lowercase alphanumerics and
'-', at most 63 characters) and is in the run's ledger (``conformance.ledger``) before
the request is sent; at the end the run deletes exactly those, plus any policy whose
name starts with this run's own ``<prefix>-<run id>-`` (a confined schemathesis case
may have created one): the run id is fresh per run, so no other run or person can own
such a name. Nothing else is ever updated or deleted.
"""

from __future__ import annotations

import re
from typing import Any

MAX_NAME = 63
_INVALID = re.compile(r"[^a-z0-9-]+")


def run_base(ctx: Any) -> str:
    """``<prefix>-<run id>`` as it may start a policy name (lowercased, other characters as '-')."""
    return policy_base(ctx.target.prefix, ctx.run_id)


def policy_base(prefix: str, run_id: str) -> str:
    clean = _INVALID.sub("-", prefix.lower()).strip("-")[:30] or "conformance"
    return f"{clean}-{run_id}"


def policy_name(ctx: Any, what: str) -> str:
    """A fresh, valid policy name owned by this run (the ledger records it when a request names it)."""
    ctx._counter += 1
    tail = f"-{ctx._counter}"
    what = _INVALID.sub("-", what.lower()).strip("-")
    name = f"{run_base(ctx)}-{what}"[: MAX_NAME - len(tail)].rstrip("-")
    return name + tail


def valid_policy(name: str, **fields: Any) -> dict[str, Any]:
    """A policy every Armada accepts: fail by default, retry OOMs with 1.5x memory."""
    return {
        "name": name,
        "retryLimit": 2,
        "defaultAction": "RETRY_ACTION_FAIL",
        "rules": [
            {
                "action": "RETRY_ACTION_RETRY",
                "onCategory": "conformance-oom",
                "mutate": {"resources": {"memory": {"factor": 1.5}}},
            }
        ],
        **fields,
    }


def create(ctx: Any, what: str = "rp", **fields: Any) -> str:
    """Create a valid run-owned policy (deleted at the end); raise when the target refuses."""
    ctx.require_mutation()
    name = policy_name(ctx, what)
    result = ctx.call("RetryPolicyService/CreateRetryPolicy", valid_policy(name, **fields))
    if not result.ok:
        raise RuntimeError(f"could not create a retry policy for the check: {result.code} {result.details}")
    return name


def remove_run_policies(ctx: Any) -> list[str]:
    """Delete the policies of the ledger and the run-named ones listed; return problems (never raise)."""
    ledger = ctx.ledger
    owned = ledger.retry_policies
    listed = ctx.call("RetryPolicyService/GetRetryPolicies", {}) if owned or not ctx.read_only else None
    present: set[str] = set()
    if listed is not None and listed.ok:
        present = {p.name for p in listed.response.retry_policies}
        owned += sorted(p for p in present if ledger.owns(p) and p not in owned)
    problems = []
    for name in owned:
        result = ctx.call("RetryPolicyService/DeleteRetryPolicy", {"name": name})
        if not result.ok and result.code != "NOT_FOUND" and (ledger.created("retry_policy", name) or name in present):
            problems.append(f"retry policy {name!r}: {result.code} {result.details}")
        ledger.removed("retry_policy", name)
    return problems
