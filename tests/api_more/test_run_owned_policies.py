"""Retry policies on a real deployment: the run names its own and deletes only those.

Against a live reference server (real sockets): names are valid policy names whatever
the prefix; cleanup deletes what the run created and what carries its run id, and
leaves a policy someone else made, even one sharing the prefix, untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from conformance.context import RunContext
from conformance.retry_policies import create, policy_name, remove_run_policies, valid_policy
from conformance.target import Target
from reference_server.background import BackgroundServer
from reference_server.config import ServerConfig

VALID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@pytest.fixture(scope="module")
def server() -> Iterator[BackgroundServer]:
    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as running:
        yield running


def context(server: BackgroundServer, prefix: str = "conformance", read_only: bool = False) -> RunContext:
    return RunContext(
        Target("t", server.grpc_target, server.rest_url, profile="current", prefix=prefix), read_only=read_only
    )


@pytest.mark.parametrize("prefix", ["conformance", "Team_A.ci", "x" * 80, "--", "ünïcode"])
def test_names_are_valid_policy_names_and_carry_the_run(server: BackgroundServer, prefix: str) -> None:
    ctx = context(server, prefix)
    names = {policy_name(ctx, what) for what in ("rt", "A_long what " * 8, "inv")}
    assert len(names) == 3
    for name in names:
        assert VALID.match(name), name
        assert ctx.run_id in name
    ctx.close()


def test_cleanup_deletes_only_what_the_run_owns(server: BackgroundServer) -> None:
    ctx, other = context(server), context(server)
    mine = create(ctx, "mine")
    theirs = create(other, "theirs")
    lookalike = f"conformance-{other.run_id}-x-1"  # same prefix, another run
    assert other.call("RetryPolicyService/CreateRetryPolicy", valid_policy(lookalike)).ok
    stray = policy_name(ctx, "fz")  # e.g. made by a confined schemathesis case, not in the ledger
    assert other.call("RetryPolicyService/CreateRetryPolicy", valid_policy(stray)).ok
    assert remove_run_policies(ctx) == []
    listed = {p.name for p in ctx.call("RetryPolicyService/GetRetryPolicies", {}).response.retry_policies}
    assert mine not in listed and stray not in listed
    assert {theirs, lookalike} <= listed
    assert remove_run_policies(other) == []
    ctx.close()
    other.close()


def test_read_only_runs_touch_nothing(server: BackgroundServer) -> None:
    ctx = context(server, read_only=True)
    ctx.created_retry_policies.append("would-be")
    assert remove_run_policies(ctx) == []
    ctx.close()
