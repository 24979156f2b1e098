"""Fault switches: deliberate, named misbehaviours of the reference server.

Every conformance check must be able to fail. Each fault below breaks one piece of
behaviour on purpose and declares, beside its switch, which checks it breaks
(``breaks``: check-ID patterns, minus ``spares``) and which it turns "not offered".
The project's tests run the suite against the server with each fault on and assert
exactly those checks fail, and that every check is broken by some fault. Code that
implements a behaviour asks ``"<fault name>" in faults`` at the one place the fault
bends it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    description: str
    breaks: tuple[str, ...] = ()  # fnmatch patterns of the check IDs that must fail with the fault on
    spares: tuple[str, ...] = ()  # patterns carved out of ``breaks``
    not_offered: tuple[str, ...] = ()  # patterns of checks that must report "not offered" instead


_STREAMS = ("THROUGHPUT-Replay-*", "THROUGHPUT-Live-*", "THROUGHPUT-FanOut-*", "THROUGHPUT-Resume-*")

CATALOGUE: dict[str, Fault] = {
    f.name: f
    for f in [
        Fault(
            "notfound-wrong-code",
            "Every lookup of an unknown queue (GetQueue, SubmitJobs, DeleteQueue, event streams, ...) answers "
            "INTERNAL instead of NOT_FOUND.",
            (
                "SEMANTICS-QueueCreateDelete",
                "SEMANTICS-QueueRoundTrip",
                "SEMANTICS-QueueNotFound",
                "SEMANTICS-SubmitUnknownQueue",
                "SEMANTICS-AbsentQueue-*",
                "SURFACE-*.DeleteQueue-*",
                "SURFACE-*.GetQueue-*",
                "SURFACE-QueueService.PreemptOnQueue-*",
                "SURFACE-QueueService.CancelOnQueue-*",
                "SURFACE-Event.GetJobSetEvents-*",
                "PARITY-DeleteQueue",
                "SWAGGER-Schemathesis",
            ),
        ),
        Fault(
            "resume-duplicates-event",
            "GetJobSetEvents from_message_id re-sends the message it resumes after.",
            ("SEMANTICS-ResumeFromMessageId", "THROUGHPUT-Resume-*"),
        ),
        Fault(
            "resume-drops-event",
            "GetJobSetEvents from_message_id skips the first message after the resume point.",
            ("SEMANTICS-ResumeFromMessageId", "THROUGHPUT-Resume-*"),
        ),
        Fault(
            "watch-false-hangs",
            "GetJobSetEvents with watch=false keeps the stream open instead of ending.",
            (
                "SEMANTICS-WatchFalseEnds",
                "SEMANTICS-ResumeFromMessageId",
                "THROUGHPUT-Replay-*",
                "THROUGHPUT-FanOut-*",
                "THROUGHPUT-Resume-*",
                "PARITY-CancelJobSet",
                "PARITY-GetJobSetEvents",
                "SEMANTICS-JobStatusFollowsEvents",
                "SEMANTICS-JobDetailsAgree",
                "SEMANTICS-JobErrors",
                "PARITY-GetJobErrors",
                "PARITY-GetJobRunDetails",
            ),
        ),
        Fault(
            "no-error-if-missing",
            "GetJobSetEvents ignores errorIfMissing for an unknown job set.",
            ("SEMANTICS-ErrorIfMissing",),
        ),
        Fault(
            "no-cancelled-event",
            "Cancelling a job emits cancelling but never cancelled.",
            ("SEMANTICS-CancelJobs", "SEMANTICS-JobStatusFollowsEvents", "SEMANTICS-JobDetailsAgree"),
        ),
        Fault(
            "queue-info-wrong-counts",
            "GetQueueInfo swaps the queued and leased counts of each job set.",
            ("SEMANTICS-QueueInfoCounts",),
        ),
        Fault(
            "all-internal",
            "Every authenticated call answers INTERNAL: a server that is up but broken.",
            (
                *_STREAMS,
                "SURFACE-*",
                "SEMANTICS-*",
                "PARITY-*",
                "AUTH-*-VALID-*",
                "AUTH-*-MISSING-*",
                "AUTH-ANONYMOUS-*",
                "SWAGGER-ResponsesMatch",
                "SWAGGER-EnumsAsNames",
                "SWAGGER-Schemathesis",
                "AUTH-*-LOWPRIV-UpdateRetryPolicy-*",
                "AUTH-*-LOWPRIV-DeleteRetryPolicy-*",
            ),
            spares=("SURFACE-Event.Watch-*", "PARITY-*-ERROR"),
        ),
        Fault(
            "wrong-owner",
            "Submitted jobs are owned by 'nobody' instead of the calling principal.",
            ("SEMANTICS-SubmitEvents", "AUTH-*-VALID-*", "AUTH-*-MISSING-*", "AUTH-ANONYMOUS-*"),
        ),
        Fault(
            "accept-empty-podspec",
            "SubmitJobs accepts a job whose pod spec has no containers.",
            ("SEMANTICS-SubmitInvalid",),
        ),
        Fault(
            "priority-factor-unchecked",
            "CreateQueue and UpdateQueue accept a priorityFactor below 1 (every Armada release refuses it).",
            ("SEMANTICS-QueueInvalid", "PARITY-CreateQueue-ERROR", "PARITY-UpdateQueues"),
        ),
        Fault(
            "queue-name-unvalidated",
            "CreateQueue accepts an empty queue name (as every Armada release does; the contract refuses it).",
            ("SEMANTICS-QueueEmptyName",),
        ),
        Fault(
            "duplicate-queue-accepted",
            "CreateQueue of an existing name succeeds instead of ALREADY_EXISTS.",
            ("SEMANTICS-QueueCreateDelete",),
        ),
        Fault(
            "unimplemented-queue-info",
            "GetQueueInfo answers UNIMPLEMENTED.",
            not_offered=(
                "SEMANTICS-QueueInfoCounts",
                "SEMANTICS-AbsentQueue-GetQueueInfo",
                "SURFACE-Submit.GetQueueInfo-*",
                "PARITY-GetQueueInfo*",
            ),
        ),
        Fault(
            "rest-error-body-no-code",
            "REST error bodies leave out the numeric gRPC code (`code` of unary "
            "bodies, `grpc_code` of stream error lines).",
            ("PARITY-*-ERROR",),
        ),
        Fault(
            "swagger-path-missing",
            "The swagger leaves out GetQueueInfo's path /v1/queue/{name}/info.",
            ("SWAGGER-Documents-GetQueueInfo",),
        ),
        Fault(
            "rest-enum-as-number",
            "REST responses write enums as numbers instead of their names.",
            ("SWAGGER-EnumsAsNames",),
        ),
        Fault(
            "swagger-not-served",
            "GET /api/swagger.json answers 404: the REST contract is not published.",
            ("SWAGGER-*",),
        ),
        Fault(
            "swagger-invalid", "The swagger is not valid Swagger 2.0 (info.version is left out).", ("SWAGGER-Valid",)
        ),
        Fault(
            "swagger-wrong-type",
            "The swagger documents JobSubmitResponseItem.jobId as an integer, not a string.",
            ("SWAGGER-Definitions", "SWAGGER-ResponsesMatch"),
        ),
        Fault(
            "rest-500-on-bad-input",
            "The REST gateway answers HTTP 500 instead of 400 to a malformed JSON body.",
            ("SWAGGER-Schemathesis",),
        ),
        Fault(
            "rest-grpc-differ", "REST GetQueue answers a priorityFactor different from gRPC's.", ("PARITY-GetQueue",)
        ),
        Fault(
            "rest-stream-error-line",
            "The REST event stream ends with an error line under 200 after the first events.",
            ("PARITY-GetJobSetEvents", "THROUGHPUT-*-REST"),
        ),
        Fault(
            "rest-wrong-status",
            "REST maps NOT_FOUND to HTTP 500 instead of 404.",
            ("PARITY-*-ERROR", "SURFACE-*-REST", "SWAGGER-Schemathesis"),
            spares=(
                "PARITY-CreateQueue-ERROR",
                "PARITY-UpdateQueue-ERROR",  # refused for its priority factor: INVALID_ARGUMENT, not NOT_FOUND
                "SURFACE-Submit.UpdateQueue-REST",
                # probed on a run-owned queue (SURFACE's ON_RUN_QUEUE): answered OK
                "SURFACE-Submit.CancelJobSet-REST",
                "SURFACE-Submit.CancelJobs-REST",
                "SURFACE-Submit.GetQueueInfo-REST",
                "SURFACE-Submit.ReprioritizeJobs-REST",
                "SURFACE-Submit.SubmitJobs-REST",
                "SURFACE-Submit.CreateQueue*",
                "SURFACE-Submit.GetQueues-REST",
                "SURFACE-Submit.UpdateQueues-REST",
                "PARITY-CreateRetryPolicy-ERROR",
                "SURFACE-Jobs.*-REST",
                "SURFACE-RetryPolicyService.CreateRetryPolicy-REST",
                "SURFACE-RetryPolicyService.DeleteRetryPolicy-REST",
                "SURFACE-RetryPolicyService.GetRetryPolicies-REST",
            ),
        ),
        Fault(
            "basic-accepts-any-password",
            "Basic auth admits a known user name with any password.",
            ("AUTH-BASIC-BADPW-*",),
        ),
        Fault(
            "oidc-skips-signature",
            "Bearer tokens are accepted without verifying their signature.",
            ("AUTH-OIDC-BADSIG-*", "AUTH-OIDC-FOREIGNKEY-*"),
        ),
        Fault(
            "oidc-accepts-alg-none",
            "Bearer tokens with alg none are accepted without any signature.",
            ("AUTH-OIDC-ALGNONE-*",),
        ),
        Fault(
            "oidc-key-confusion",
            "HS256 bearer tokens are verified with the issuer's public key (PEM) as the HMAC secret.",
            ("AUTH-OIDC-KEYCONFUSION-*",),
        ),
        Fault(
            "oidc-any-issuer",
            "Bearer tokens are accepted whatever their iss (signed by a trusted key).",
            ("AUTH-OIDC-WRONGISS-*",),
        ),
        Fault(
            "oidc-any-audience",
            "Bearer tokens are accepted whatever their aud, although a client id is set.",
            ("AUTH-OIDC-WRONGAUD-*",),
        ),
        Fault("oidc-ignores-nbf", "Bearer tokens are accepted before their nbf time.", ("AUTH-OIDC-NOTYET-*",)),
        Fault(
            "oidc-exp-optional",
            "Bearer tokens without an expiry (exp null or absent) never expire.",
            ("AUTH-OIDC-NOEXP-*",),
        ),
        Fault(
            "basic-no-colon-panics",
            "A Basic value without a colon crashes the call (UNKNOWN / HTTP 500), as armada-2026's authenticator "
            "panics outside its recovery.",
            ("AUTH-BASIC-NOCOLON-*",),
        ),
        Fault(
            "oversize-authorization-crashes",
            "An Authorization value over the server's limit crashes the call (UNKNOWN / HTTP 500) instead of 401.",
            ("AUTH-OVERSIZE-*",),
        ),
        Fault(
            "several-credentials-last-wins",
            "A call with several Authorization values is judged by the last one instead of being refused.",
            ("AUTH-MULTIPLE-*",),
        ),
        Fault("oidc-accepts-expired", "Bearer tokens are accepted after their exp time.", ("AUTH-OIDC-EXPIRED-*",)),
        Fault(
            "negotiate-replay-accepted",
            "A replayed SPNEGO token is accepted (accepted tokens are remembered).",
            ("AUTH-KERBEROS-REPLAY-*", "AUTH-KERBEROS-CHALLENGE-*"),  # CHALLENGE provokes its challenge by a replay
        ),
        Fault(
            "negotiate-no-www-authenticate",
            "Refused Negotiate credentials get no WWW-Authenticate challenge.",
            ("AUTH-KERBEROS-CHALLENGE-*",),
        ),
        Fault(
            "no-reply-token",
            "Kerberos calls get no mutual-auth reply token (WWW-Authenticate: Negotiate <token>).",
            ("AUTH-KERBEROS-MUTUAL-*",),
        ),
        Fault(
            "wrong-principal",
            "Kerberos principals keep their realm (alice@REALM instead of alice).",
            ("AUTH-KERBEROS-VALID-*",),
        ),
        Fault(
            "anonymous-always-refused",
            "Calls without credentials are refused even though anonymous is allowed.",
            ("AUTH-ANONYMOUS-*", "AUTH-*-MISSING-*"),
        ),
        Fault(
            "authz-allows-everyone",
            "Permissions are not enforced: every authenticated caller may call anything.",
            ("AUTH-*-LOWPRIV-*",),
        ),
        Fault(
            "auth-errors-are-internal",
            "Refused credentials crash the call (UNKNOWN / HTTP 500) instead of UNAUTHENTICATED / 401.",
            (
                "AUTH-BASIC-BADPW-*",
                "AUTH-OIDC-BADSIG-*",
                "AUTH-KERBEROS-BADTOKEN-*",
                "AUTH-*-MALFORMED-*",
                "AUTH-*-EXPIRED-*",
                "AUTH-KERBEROS-REPLAY-*",
                "AUTH-KERBEROS-CHALLENGE-*",
                "AUTH-OIDC-ALGNONE-*",
                "AUTH-OIDC-KEYCONFUSION-*",
                "AUTH-OIDC-FOREIGNKEY-*",
                "AUTH-OIDC-WRONGISS-*",
                "AUTH-OIDC-WRONGAUD-*",
                "AUTH-OIDC-NOTYET-*",
                "AUTH-OIDC-NOEXP-*",
                "AUTH-MULTIPLE-*",
                "AUTH-BASIC-NOCOLON-*",
                "AUTH-OVERSIZE-*",
            ),
        ),
        Fault(
            "events-lost-under-load",
            "Every 20th job of a job set gets no submitted event: big job sets lose events.",
            _STREAMS,
        ),
        Fault(
            "job-status-stale",
            "GetJobStatus (and the state in GetJobDetails) answers QUEUED for every known job.",
            ("SEMANTICS-JobStatusFollowsEvents", "SEMANTICS-JobDetailsAgree"),
        ),
        Fault(
            "unknown-job-not-found",
            "GetJobStatus answers NOT_FOUND for an id it does not know instead of UNKNOWN.",
            ("SEMANTICS-JobStatusUnknownId", "SEMANTICS-JobQueryLimit"),
        ),
        Fault(
            "query-limit-ignored",
            "api.Jobs answers any number of ids, however far over its max_query_items.",
            ("SEMANTICS-JobQueryLimit",),
        ),
        Fault(
            "job-runs-wrong-state",
            "GetJobDetails and GetJobRunDetails report every run as RUN_STATE_RUNNING.",
            ("SEMANTICS-JobDetailsAgree",),
        ),
        Fault("job-errors-missing", "GetJobErrors leaves out the error of a failed job.", ("SEMANTICS-JobErrors",)),
        Fault(
            "retry-policy-unvalidated",
            "Create/UpdateRetryPolicy store invalid policies instead of INVALID_ARGUMENT.",
            ("SEMANTICS-RetryPolicyInvalid-*",),
        ),
        Fault(
            "retry-policy-duplicate-accepted",
            "CreateRetryPolicy of an existing name succeeds (and replaces it).",
            ("SEMANTICS-RetryPolicyDuplicate",),
        ),
        Fault(
            "retry-policy-update-ignored",
            "UpdateRetryPolicy answers OK but keeps the old policy.",
            ("SEMANTICS-RetryPolicyRoundTrip",),
        ),
        Fault(
            "retry-policy-delete-absent-not-found",
            "DeleteRetryPolicy of a name that does not exist answers NOT_FOUND instead of OK.",
            ("SEMANTICS-RetryPolicyDeleteAbsent",),
        ),
        Fault(
            "retry-policy-update-upserts",
            "UpdateRetryPolicy of an absent name creates it instead of NOT_FOUND.",
            ("SEMANTICS-RetryPolicyAbsent",),
        ),
        Fault(
            "retry-policy-delete-keeps-queue-refs",
            "DeleteRetryPolicy leaves the deleted name in the retryPolicies of the queues naming it.",
            ("SEMANTICS-RetryPolicyDetach",),
        ),
        Fault(
            "slow-event-stream",
            "GetJobSetEvents sends at most 16 events per 20 ms and delays each new event by 20 ms.",
            ("THROUGHPUT-Threshold-*",),
        ),
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

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._names))

    def __bool__(self) -> bool:
        return bool(self._names)
