"""Per release: how a job is held, and when Kerberos cannot be judged."""

from __future__ import annotations

from conformance.checks import catalogue
from conformance.context import RunContext
from conformance.embedded import EmbeddedEnvironment
from conformance.results import Outcome
from conformance.runner import run_check


def test_a_release_that_cannot_cordon_holds_a_long_running_job() -> None:
    with EmbeddedEnvironment(flavour="v0.4.30", kerberos=False, oidc=False) as environment:
        ctx = RunContext(environment.target())
        try:
            assert not ctx.release.has("cordon")
            queue = ctx.holding_queue()
            assert not ctx.holds_queued(queue)
            [job_id] = ctx.submit(queue, ctx.name("js"), hold=True)
            [record] = [r for r in environment.server.server.store.jobs.values() if r.id == job_id]
            assert not record.terminal and record.runs_for >= 60  # sleep 600: runs until the run cancels it
        finally:
            assert ctx.cleanup() == []
            ctx.close()


def test_a_release_that_cordons_holds_a_queued_job_in_a_cordoned_queue() -> None:
    with EmbeddedEnvironment(kerberos=False, oidc=False) as environment:
        ctx = RunContext(environment.target())
        try:
            queue = ctx.holding_queue()
            assert ctx.holds_queued(queue) and environment.server.server.store.queues[queue].cordoned
            [job_id] = ctx.submit(queue, ctx.name("js"), hold=True)
            assert environment.server.server.store.jobs[job_id].state == "QUEUED"
        finally:
            assert ctx.cleanup() == []
            ctx.close()


def test_kerberos_cannot_be_judged_where_anonymous_comes_first() -> None:
    """v0.3.x tries anonymous before Kerberos: with anonymous on, its Kerberos checks say why they are not judged."""
    with EmbeddedEnvironment(flavour="armada-2023", oidc=False) as environment:
        target = environment.target()
        target.features.pop("anonymous_before_kerberos")  # as a stock v0.3.x server's default [auth] order
        ctx = RunContext(target)
        try:
            check = next(c for c in catalogue() if c.id == "AUTH-KERBEROS-VALID-GRPC")
            result = run_check(check, ctx)
        finally:
            ctx.cleanup()
            ctx.close()
    assert result.outcome is Outcome.NOT_OFFERED and "anonymous before Kerberos" in result.message
