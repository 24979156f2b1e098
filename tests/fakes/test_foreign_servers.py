"""No check passes against something that is not an Armada server.

The whole catalogue runs, through the runner, against small foreign servers written
for this test (``http_fakes``, ``grpc_fakes``): an HTTP server answering ``404 page not
found`` to everything, a gRPC server answering every method with an empty message
(a stream: one empty message), echo servers returning each request as the answer, and
a gRPC server serving nothing. With anonymous access promised and refused, and under
--read-only. The only checks allowed to pass are listed in ``ALLOWED`` with the reason
such a server truly meets their requirement.
"""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import jwt
import pytest

from conformance.options import RunOptions
from conformance.results import Outcome, RunReport
from conformance.runner import run_suite
from conformance.target import Identity, SchemeSettings, Target, basic_header
from fakes.grpc_fakes import BareGrpcServer, EchoGrpcServer, EmptyGrpcServer
from fakes.http_fakes import EchoServer, NotFoundServer

Runner = Callable[["Scenario"], RunReport]

# Checks a foreign server may pass, and why its answers truly meet their requirement.
ALLOWED: dict[str, str] = {
    "SURFACE-*-GRPC": "SURFACE over gRPC asks only for a definite gRPC status, and an OK with an empty (or "
    "echoed, still parseable) message is one; Armada itself answers OK with an empty message "
    "to several probes (DeleteQueue of an absent queue, empty batches). Streams and Health, "
    "which Armada never answers empty, are failed; what each answer says is judged by "
    "SEMANTICS, PARITY and AUTH, which all fail or are not offered here.",
    "SURFACE-Jobs.GetActiveQueues-REST": "its probe is the empty request {}, and an echo of {} is exactly the "
    "gateway's answer when no queue is active: no server could tell them apart",
}


@dataclass(frozen=True)
class Scenario:
    name: str
    grpc: str  # "empty", "echo" or "bare"
    rest: str | None  # "not-found", "echo" or None
    anonymous: str  # what the target file promises
    read_only: bool = False


SCENARIOS = [
    Scenario("404-rest-empty-grpc", "empty", "not-found", "refused"),
    Scenario("404-rest-empty-grpc-read-only", "empty", "not-found", "allowed", read_only=True),
    Scenario("echo-both", "echo", "echo", "allowed"),
    Scenario("echo-both-read-only", "echo", "echo", "refused", read_only=True),
    Scenario("empty-grpc-only", "empty", None, "allowed"),
    Scenario("bare-grpc-404-rest-read-only", "bare", "not-found", "allowed", read_only=True),
]


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {
            "grpc:empty": stack.enter_context(EmptyGrpcServer()).target,
            "grpc:echo": stack.enter_context(EchoGrpcServer()).target,
            "grpc:bare": stack.enter_context(BareGrpcServer()).target,
            "rest:not-found": stack.enter_context(NotFoundServer()).url,
            "rest:echo": stack.enter_context(EchoServer()).url,
        }


def foreign_target(grpc: str, rest: str | None, anonymous: str) -> Target:
    """A target file's worth of claims: Basic and OpenID credentials, anonymous as promised."""
    target = Target(name="foreign", grpc=grpc, rest=rest, profile="current", timeout=2.0, anonymous_expect=anonymous)
    target.schemes["basic"] = SchemeSettings(
        "basic",
        Identity("basic", "alice", lambda: basic_header("alice", "secret")),
        Identity("basic", "carol", lambda: basic_header("carol", "guest")),
        extras={"username": "alice", "password": "secret"},
        secrets=["secret", "guest"],
    )
    key = "k" * 32
    token = jwt.encode({"sub": "alice", "exp": int(time.time()) + 3600}, key, algorithm="HS256")
    expired = jwt.encode({"sub": "alice", "exp": int(time.time()) - 3600}, key, algorithm="HS256")
    target.schemes["oidc"] = SchemeSettings(
        "oidc",
        Identity("oidc", "alice", lambda: f"Bearer {token}"),
        extras={"expired_token": expired},
        secrets=[token, expired],
    )
    return target


@pytest.fixture(scope="module")
def run_against(servers: dict[str, str]) -> Callable[[Scenario], RunReport]:
    """The report of a scenario, each run once per module (several tests read the same run)."""
    done: dict[Scenario, RunReport] = {}

    def run(scenario: Scenario) -> RunReport:
        if scenario not in done:
            rest = servers[f"rest:{scenario.rest}"] if scenario.rest else None
            target = foreign_target(servers[f"grpc:{scenario.grpc}"], rest, scenario.anonymous)
            done[scenario] = run_suite(
                target,
                RunOptions(read_only=scenario.read_only, report_dir=None, events=20, jobs=5, watchers=2, batch_size=5),
            )
        return done[scenario]

    return run


def allowed(check_id: str) -> bool:
    return any(fnmatch.fnmatchcase(check_id, pattern) for pattern in ALLOWED)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_no_check_passes_against_a_foreign_server(run_against: Runner, scenario: Scenario) -> None:
    report = run_against(scenario)
    passed = sorted(r.id for r in report.results if r.outcome is Outcome.PASSED)
    assert [i for i in passed if not allowed(i)] == []
    assert report.verdict == "fail"


def test_surface_rest_against_404_everywhere_is_not_offered(run_against: Runner) -> None:
    """A REST base answering `404 page not found` to every route serves none of the methods."""
    report = run_against(SCENARIOS[0])
    rest = {r.id: r.outcome for r in report.results if r.id.startswith("SURFACE-") and r.id.endswith("-REST")}
    assert rest and set(rest.values()) == {Outcome.NOT_OFFERED}


def test_watch_false_needs_the_stored_events(run_against: Runner) -> None:
    """An event stream of one empty message does not show that watch=false ends after the stored events."""
    outcomes = {r.id: r for r in run_against(SCENARIOS[0]).results}
    assert outcomes["SEMANTICS-WatchFalseEnds"].outcome is Outcome.FAILED


def test_anonymous_over_a_missing_rest_url_is_not_configured(run_against: Runner) -> None:
    outcomes = {r.id: r.outcome for r in run_against(SCENARIOS[4]).results}
    assert outcomes["AUTH-ANONYMOUS-REST"] is Outcome.NOT_CONFIGURED


def test_unimplemented_is_not_offered_in_every_category(run_against: Runner) -> None:
    """A gRPC server serving nothing: AUTH probes never reach authentication, SEMANTICS has nothing to judge."""
    report = run_against(Scenario("bare", "bare", None, "allowed"))
    outcomes = {r.id: r.outcome for r in report.results}
    assert outcomes["AUTH-ANONYMOUS-GRPC"] is Outcome.NOT_OFFERED
    assert outcomes["SEMANTICS-QueueNotFound"] is Outcome.NOT_OFFERED
    assert outcomes["SEMANTICS-CancelJobs"] is Outcome.NOT_OFFERED
    failed = sorted(r.id for r in report.results if r.outcome is Outcome.FAILED)
    assert [i for i in failed if i.startswith(("SEMANTICS-", "AUTH-", "SURFACE-"))] == []
