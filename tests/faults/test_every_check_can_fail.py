"""Every conformance check can fail: each reference-server fault fails exactly its checks.

``EXPECTED`` is the contract between the fault switches and the check catalogue: for
each fault, the checks (fnmatch patterns over IDs, minus ``except``) that must fail
with the fault on, and those that must report "not offered". Every other check must
pass, the healthy server must pass everything, and every check ID must be named
by at least one fault, so a check that cannot fail is caught here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.checks import Check, catalogue
from conformance.context import RunContext
from conformance.embedded import EmbeddedEnvironment
from conformance.results import Figure, Outcome, RunReport
from conformance.runner import run_check
from reference_server.faults import CATALOGUE

# THROUGHPUT workload of every fault run: small, so each run stays quick.
THROUGHPUT_SMALL = {"events": 200, "jobs": 20, "watchers": 2, "batch_size": 5}
# A plausible healthy baseline that a throttled server falls far short of (regression gate).
SLOW_BASELINE = RunReport(target={}, profile="current", suite_version="", started="baseline", finished="",
                          machine={}, figures=[Figure(f"THROUGHPUT-Replay-{t}", "replay", 5000.0, "events/s", t.lower())
                                               for t in ("GRPC", "REST")])
_THROUGHPUT_STREAMS = ["THROUGHPUT-Replay-*", "THROUGHPUT-Live-*", "THROUGHPUT-FanOut-*", "THROUGHPUT-Resume-*"]

EXPECTED: dict[str, dict[str, Any]] = {
    "events-lost-under-load": {"fail": _THROUGHPUT_STREAMS},
    "slow-event-stream": {"fail": ["THROUGHPUT-Threshold-*"],
                          "options": {"min_events_per_second": 5000, "max_p99_ms": 15, "max_regression": 0.5,
                                      "baseline": SLOW_BASELINE}},
    "all-internal": {"fail": [*_THROUGHPUT_STREAMS, "SURFACE-*", "SEMANTICS-*", "PARITY-*",
                              "AUTH-*-VALID-*", "AUTH-*-MISSING-*", "AUTH-ANONYMOUS-*",
                              "SWAGGER-ResponsesMatch", "SWAGGER-EnumsAsNames", "SWAGGER-Schemathesis"],
                     "except": ["SURFACE-Event.Watch-*", "PARITY-*-ERROR"]},
    "rest-grpc-differ": {"fail": ["PARITY-GetQueue"]},
    "rest-error-body-no-code": {"fail": ["PARITY-*-ERROR"]},
    "rest-wrong-status": {"fail": ["PARITY-*-ERROR", "SURFACE-*-REST", "SWAGGER-Schemathesis"],
                          "except": ["PARITY-CreateQueue-ERROR", "SURFACE-Submit.CreateQueue*",
                                     "SURFACE-Submit.GetQueues-REST", "SURFACE-Submit.UpdateQueues-REST"]},
    "rest-stream-error-line": {"fail": ["PARITY-GetJobSetEvents", "THROUGHPUT-*-REST"]},
    "notfound-wrong-code": {"fail": ["SEMANTICS-QueueCreateDelete", "SEMANTICS-QueueRoundTrip",
                                     "SEMANTICS-QueueNotFound", "SEMANTICS-SubmitUnknownQueue",
                                     "SURFACE-Submit.SubmitJobs-*", "SURFACE-Submit.CancelJobs-*",
                                     "SURFACE-Submit.CancelJobSet-*", "SURFACE-Submit.ReprioritizeJobs-*",
                                     "SURFACE-Submit.PreemptJobs-*", "SURFACE-*.UpdateQueue-*",
                                     "SURFACE-*.DeleteQueue-*", "SURFACE-*.GetQueue-*", "SURFACE-*.GetQueueInfo-*",
                                     "SURFACE-QueueService.CordonQueue-*", "SURFACE-QueueService.UncordonQueue-*",
                                     "SURFACE-QueueService.PreemptOnQueue-*", "SURFACE-QueueService.CancelOnQueue-*",
                                     "SURFACE-Event.GetJobSetEvents-*", "PARITY-DeleteQueue",
                                     "SWAGGER-Schemathesis"]},
    "duplicate-queue-accepted": {"fail": ["SEMANTICS-QueueCreateDelete"]},
    "wrong-owner": {"fail": ["SEMANTICS-SubmitEvents",
                             "AUTH-*-VALID-*", "AUTH-*-MISSING-*", "AUTH-ANONYMOUS-*"]},
    "basic-accepts-any-password": {"fail": ["AUTH-BASIC-BADPW-*"]},
    "oidc-skips-signature": {"fail": ["AUTH-OIDC-BADSIG-*"]},
    "oidc-accepts-expired": {"fail": ["AUTH-OIDC-EXPIRED-*"]},
    "negotiate-replay-accepted": {"fail": ["AUTH-KERBEROS-REPLAY-*"]},
    "negotiate-no-www-authenticate": {"fail": ["AUTH-KERBEROS-CHALLENGE-*"]},
    "no-reply-token": {"fail": ["AUTH-KERBEROS-MUTUAL-*"]},
    "wrong-principal": {"fail": ["AUTH-KERBEROS-VALID-*"]},
    "anonymous-always-refused": {"fail": ["AUTH-ANONYMOUS-*", "AUTH-*-MISSING-*"]},
    "authz-allows-everyone": {"fail": ["AUTH-*-LOWPRIV-*"]},
    "auth-errors-are-internal": {"fail": ["AUTH-BASIC-BADPW-*", "AUTH-OIDC-BADSIG-*", "AUTH-KERBEROS-BADTOKEN-*",
                                          "AUTH-*-MALFORMED-*", "AUTH-*-EXPIRED-*", "AUTH-KERBEROS-REPLAY-*",
                                          "AUTH-KERBEROS-CHALLENGE-*"]},
    "accept-empty-podspec": {"fail": ["SEMANTICS-SubmitInvalid"]},
    "no-cancelled-event": {"fail": ["SEMANTICS-CancelJobs"]},
    "resume-duplicates-event": {"fail": ["SEMANTICS-ResumeFromMessageId", "THROUGHPUT-Resume-*"]},
    "resume-drops-event": {"fail": ["SEMANTICS-ResumeFromMessageId", "THROUGHPUT-Resume-*"]},
    "watch-false-hangs": {"fail": ["SEMANTICS-WatchFalseEnds", "SEMANTICS-ResumeFromMessageId",
                                   "THROUGHPUT-Replay-*", "THROUGHPUT-FanOut-*", "THROUGHPUT-Resume-*",
                                   "PARITY-CancelJobSet", "PARITY-GetJobSetEvents"]},
    "no-error-if-missing": {"fail": ["SEMANTICS-ErrorIfMissing"]},
    "queue-info-wrong-counts": {"fail": ["SEMANTICS-QueueInfoCounts"]},
    "unimplemented-queue-info": {"fail": [], "not_offered": ["SEMANTICS-QueueInfoCounts",
                                                             "SURFACE-Submit.GetQueueInfo-*", "PARITY-GetQueueInfo*"]},
    "swagger-not-served": {"fail": ["SWAGGER-*"]},
    "swagger-invalid": {"fail": ["SWAGGER-Valid"]},
    "swagger-path-missing": {"fail": ["SWAGGER-Documents-GetQueueInfo"]},
    "swagger-wrong-type": {"fail": ["SWAGGER-Definitions", "SWAGGER-ResponsesMatch"]},
    "rest-enum-as-number": {"fail": ["SWAGGER-EnumsAsNames"]},
    "rest-500-on-bad-input": {"fail": ["SWAGGER-Schemathesis"]},
}


def _matching(checks: list[Check], patterns: list[str], excluded: list[str] = ()) -> set[str]:
    return {c.id for c in checks if any(fnmatch.fnmatchcase(c.id, p) for p in patterns)
            and not any(fnmatch.fnmatchcase(c.id, p) for p in excluded)}


def _run_all(environment: EmbeddedEnvironment, options: dict[str, Any] | None = None) -> dict[str, Outcome]:
    target = environment.target("current")
    target.timeout = 4.0  # margin for a loaded CI machine; faults that hang cost this much per check
    ctx = RunContext(target, options={**THROUGHPUT_SMALL, **(options or {})})
    try:
        return {check.id: run_check(check, ctx).outcome for check in catalogue()}
    finally:
        ctx.cleanup()
        ctx.close()


@pytest.fixture
def environment_with(shared_realm, shared_provider) -> Iterator:  # type: ignore[no-untyped-def]
    started: list[EmbeddedEnvironment] = []

    def start(*faults: str) -> EmbeddedEnvironment:
        environment = EmbeddedEnvironment(faults=faults, realm=shared_realm, provider=shared_provider).__enter__()
        started.append(environment)
        return environment

    yield start
    for environment in started:
        environment.__exit__(None, None, None)


def test_the_healthy_server_passes_every_check(environment_with) -> None:  # type: ignore[no-untyped-def]
    outcomes = _run_all(environment_with())
    failed = sorted(i for i, o in outcomes.items() if o is Outcome.FAILED)
    assert failed == []
    assert {i for i, o in outcomes.items() if o is Outcome.NOT_OFFERED} == {"SURFACE-Event.Watch-GRPC"}


@pytest.mark.parametrize("fault", sorted(EXPECTED))
def test_a_fault_fails_exactly_its_checks(fault: str, environment_with) -> None:  # type: ignore[no-untyped-def]
    checks = catalogue()
    expected = EXPECTED[fault]
    should_fail = _matching(checks, expected["fail"], expected.get("except", []))
    should_not_offer = _matching(checks, expected.get("not_offered", [])) | {"SURFACE-Event.Watch-GRPC"}
    outcomes = _run_all(environment_with(fault), expected.get("options"))
    failed = {i for i, o in outcomes.items() if o is Outcome.FAILED}
    not_offered = {i for i, o in outcomes.items() if o is Outcome.NOT_OFFERED}
    assert sorted(failed - should_fail) == [], "checks failed that the fault should not break"
    assert sorted(should_fail - failed) == [], "checks passed although the fault breaks what they check"
    assert not_offered == should_not_offer


def test_every_fault_is_in_the_catalogue_and_names_checks() -> None:
    checks = catalogue()
    for fault, expected in EXPECTED.items():
        assert fault in CATALOGUE, f"{fault} is not a reference-server fault"
        assert _matching(checks, expected["fail"] + expected.get("not_offered", [])), f"{fault} names no check"


def test_every_check_is_failed_by_some_fault() -> None:
    checks = catalogue()
    covered = set().union(*(_matching(checks, e["fail"], e.get("except", [])) for e in EXPECTED.values()))
    uncovered = sorted({c.id for c in checks} - covered - {"SURFACE-Event.Watch-GRPC"})
    assert uncovered == [], f"checks that no fault makes fail: {uncovered}"
