"""The run's ledger: recorded before the request leaves, removed at the end, foreign names never touched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.context import RunContext
from conformance.embedded import EmbeddedEnvironment
from conformance.ledger import ForeignName, Ledger
from conformance.runner import Interrupted
from conformance.transport.grpc_client import GrpcClient
from reference_server.store import Store


@pytest.fixture
def environment() -> Iterator[EmbeddedEnvironment]:
    with EmbeddedEnvironment(kerberos=False, oidc=False) as running:
        yield running


@pytest.fixture
def ctx(environment: EmbeddedEnvironment) -> Iterator[RunContext]:
    context = RunContext(environment.target())
    yield context
    context.close()


def store(environment: EmbeddedEnvironment) -> Store:
    return environment.server.server.store


def test_a_request_cut_short_by_a_signal_is_already_in_the_ledger(
    ctx: RunContext, environment: EmbeddedEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server made the queue, the answer never reached the run: cleanup still deletes it."""
    sent = GrpcClient.call

    def answer_lost(self: GrpcClient, *args: object, **kwargs: object) -> object:
        sent(self, *args, **kwargs)  # type: ignore[arg-type]
        raise Interrupted("SIGINT")

    name = ctx.name("q")
    monkeypatch.setattr(GrpcClient, "call", answer_lost)
    with pytest.raises(Interrupted):
        ctx.call("Submit/CreateQueue", {"name": name, "priorityFactor": 1})
    monkeypatch.undo()
    assert name in store(environment).queues and ctx.ledger.queues == [name]
    assert not ctx.ledger.created("queue", name)
    assert ctx.cleanup() == []
    assert store(environment).queues == {} and not ctx.ledger


def test_every_creating_request_is_recorded_whatever_its_answer(ctx: RunContext) -> None:
    absent = ctx.name("absent")
    refused = ctx.call("Submit/UpdateQueue", {"name": absent, "priorityFactor": 1})  # an upsert from v0.4.48
    assert not refused.ok and ctx.ledger.queues == [absent]
    ctx.call("Submit/SubmitJobs", {"queue": absent, "jobSetId": f"{absent}-js", "jobRequestItems": []})
    policy = f"{ctx.ledger.owned_prefixes[1]}rp-1"
    ctx.call("RetryPolicyService/CreateRetryPolicy", {"name": policy, "defaultAction": "RETRY_ACTION_FAIL"})
    assert ctx.ledger.job_sets == [(absent, f"{absent}-js")] and ctx.ledger.retry_policies == [policy]
    assert ctx.ledger.created("retry_policy", policy) and not ctx.ledger.created("queue", absent)


def test_cleanup_reports_no_probe_that_was_refused(ctx: RunContext, environment: EmbeddedEnvironment) -> None:
    ctx.call("Submit/UpdateQueue", {"name": ctx.name("absent"), "priorityFactor": 1})
    ctx.ledger.job_set(ctx.name("absent"), "js")
    kept = ctx.create_queue()
    ctx.submit(kept, ctx.name("js"))
    assert ctx.cleanup() == [] and not ctx.ledger
    assert store(environment).queues == {}


def test_a_name_the_target_already_has_and_the_run_does_not_own_is_never_written(
    ctx: RunContext, environment: EmbeddedEnvironment
) -> None:
    other = GrpcClient(environment.target().grpc)
    try:
        admin = ctx.metadata()
        assert other.call("api.Submit/CreateQueue", {"name": "team-a", "priorityFactor": 2}, metadata=admin).ok
        with pytest.raises(ForeignName, match="'team-a'"):
            ctx.call("Submit/UpdateQueue", {"name": "team-a", "priorityFactor": 1})
        assert store(environment).queues["team-a"].priority_factor == 2
        assert ctx.cleanup() == [] and "team-a" in store(environment).queues
        ctx.call("Submit/CreateQueue", {"name": "team-b", "priorityFactor": 1})  # absent before: the run's own
        assert ctx.cleanup() == [] and "team-b" not in store(environment).queues
    finally:
        other.close()


def test_the_ledger_keeps_order_and_marks_what_answers_confirmed() -> None:
    ledger = Ledger(("p-1-",))
    sent = ledger.record("api.Submit/CreateQueues", {"queues": [{"name": "p-1-a"}, {"name": "p-1-b"}]})
    ledger.confirm(sent)
    assert ledger.queues == ["p-1-a", "p-1-b"] and not ledger.created("queue", "p-1-a")  # a batch: looked for
    ledger.confirm(ledger.record("QueueService/CreateQueue", {"name": "p-1-c"}))
    assert ledger.created("queue", "p-1-c") and ledger.owns("p-1-c") and not ledger.owns("p-2-c")
