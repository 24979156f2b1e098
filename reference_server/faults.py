"""Fault switches: deliberate, named misbehaviours of the reference server.

Every conformance check must be able to fail. Each fault below breaks one piece of
behaviour on purpose, and the project's tests run the suite against the server with
that fault on and assert exactly the named checks fail. Code that implements a
behaviour asks ``"<fault name>" in faults`` at the one place the fault bends it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    description: str


CATALOGUE: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault("notfound-wrong-code", "GetQueue of an unknown queue answers INTERNAL instead of NOT_FOUND."),
        Fault("resume-duplicates-event", "GetJobSetEvents from_message_id re-sends the message it resumes after."),
        Fault("resume-drops-event", "GetJobSetEvents from_message_id skips the first message after the resume point."),
        Fault("watch-false-hangs", "GetJobSetEvents with watch=false keeps the stream open instead of ending."),
        Fault("no-error-if-missing", "GetJobSetEvents ignores errorIfMissing for an unknown job set."),
        Fault("no-cancelled-event", "Cancelling a job emits cancelling but never cancelled."),
        Fault("queue-info-wrong-counts", "GetQueueInfo swaps the queued and leased counts of each job set."),
        Fault("all-internal", "Every authenticated call answers INTERNAL: a server that is up but broken."),
        Fault("wrong-owner", "Submitted jobs are owned by 'nobody' instead of the calling principal."),
        Fault("accept-empty-podspec", "SubmitJobs accepts a job whose pod spec has no containers."),
        Fault("duplicate-queue-accepted", "CreateQueue of an existing name succeeds instead of ALREADY_EXISTS."),
        Fault("unimplemented-queue-info", "GetQueueInfo answers UNIMPLEMENTED."),
        Fault("rest-error-body-no-code", "REST error bodies leave out the numeric gRPC `code`."),
        Fault("swagger-path-missing", "The swagger leaves out GetQueueInfo's path /v1/queue/{name}/info."),
        Fault("rest-enum-as-number", "REST responses write enums as numbers instead of their names."),
        Fault("swagger-not-served", "GET /api/swagger.json answers 404: the REST contract is not published."),
        Fault("swagger-invalid", "The swagger is not valid Swagger 2.0 (info.version is left out)."),
        Fault("swagger-wrong-type", "The swagger documents JobSubmitResponseItem.jobId as an integer, not a string."),
        Fault("rest-500-on-bad-input", "The REST gateway answers HTTP 500 instead of 400 to a malformed JSON body."),
        Fault("rest-grpc-differ", "REST GetQueue answers a priorityFactor different from gRPC's."),
        Fault("rest-stream-error-line",
              "The REST event stream ends with an error line under 200 after the first events."),
        Fault("rest-wrong-status", "REST maps NOT_FOUND to HTTP 500 instead of 404."),
        Fault("basic-accepts-any-password", "Basic auth admits a known user name with any password."),
        Fault("oidc-skips-signature", "Bearer tokens are accepted without verifying their signature."),
        Fault("oidc-accepts-expired", "Bearer tokens are accepted after their exp time."),
        Fault("negotiate-replay-accepted", "A replayed SPNEGO token is accepted (accepted tokens are remembered)."),
        Fault("negotiate-no-www-authenticate", "Refused Negotiate credentials get no WWW-Authenticate challenge."),
        Fault("no-reply-token", "Kerberos calls get no mutual-auth reply token (WWW-Authenticate: Negotiate <token>)."),
        Fault("wrong-principal", "Kerberos principals keep their realm (alice@REALM instead of alice)."),
        Fault("anonymous-always-refused", "Calls without credentials are refused even though anonymous is allowed."),
        Fault("authz-allows-everyone", "Permissions are not enforced: every authenticated caller may call anything."),
        Fault("auth-errors-are-internal",
              "Refused credentials crash the call (UNKNOWN / HTTP 500) instead of UNAUTHENTICATED / 401."),
        Fault("events-lost-under-load",
              "Every 20th job of a job set gets no submitted event: big job sets lose events."),
        Fault("slow-event-stream",
              "GetJobSetEvents sends at most 16 events per 20 ms and delays each new event by 20 ms."),
    ]
}


class Faults:
    """The set of faults switched on for one server; empty means a healthy server."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        names = frozenset(names)
        unknown = sorted(names - CATALOGUE.keys())
        if unknown:
            raise ValueError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(sorted(CATALOGUE))}")
        self._names = names

    def __contains__(self, name: str) -> bool:
        if name not in CATALOGUE:  # a typo in a check must not silently disable a fault
            raise KeyError(f"fault {name!r} is not in the catalogue")
        return name in self._names

    def __iter__(self):
        return iter(sorted(self._names))

    def __bool__(self) -> bool:
        return bool(self._names)
