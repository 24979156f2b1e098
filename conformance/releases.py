"""What each Armada release serves and does: one table of server features, and nothing else.

A team knows its release (``v0.19.3``), not an era: Armada changed release by release,
and "2023" and "2026" are only the two ends. Every fact the suite and the reference
server hold about a release is a row of ``FEATURES`` here, with the first release that
has it (``since``) or the first that no longer has it (``until``), the upstream commit
that made the change and the file the fact is read from. Each ``since``/``until`` is the
first release tag containing that commit (``git tag --contains <commit> --sort=creatordate``
on github.com/armadaproject/armada). A check, a flavour of the reference server or a
report asks a ``Release`` whether it ``has`` a feature; no list of eras is written anywhere
else. Adding a row is adding a fact.

Pure data and tiny helpers: the reference server imports this too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True, order=True)
class Version:
    """A release number; ``-patchN`` / ``-rc-...`` suffixes are judged as their release."""

    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        """``v0.19.3``, ``0.19.3`` or ``0.19`` (= ``v0.19.0``); ValueError saying what is expected."""
        found = _VERSION.match(text.strip())
        if found is None:
            raise ValueError(f"not a release: {text!r} (expected e.g. v0.19.3 or 0.19)")
        major, minor, patch = found.groups()
        return cls(int(major), int(minor), int(patch or 0))

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class Feature:
    """One way a server may behave, and the releases that behave so (``since <= v < until``)."""

    name: str
    summary: str
    since: Version | None
    until: Version | None
    contract: bool
    commit: str
    source: str

    def at(self, version: Version) -> bool:
        """Whether a server of ``version`` has it."""
        return (self.since is None or self.since <= version) and (self.until is None or version < self.until)

    @property
    def span(self) -> str:
        """``from v0.9.8``, ``until v0.4.20`` (exclusive), ``every release`` or ``no release``."""
        if self.until == NO_RELEASE:
            return "no release (contract only)" if self.contract else "no release"
        parts = [f"from {self.since}" if self.since else "", f"before {self.until}" if self.until else ""]
        return " ".join(p for p in parts if p) or "every release"


NO_RELEASE = Version(0, 0, 0)  # ``until`` of a feature no release has (only the contract)
OLDEST = "v0.3.91"  # the oldest release the table's facts were read at (c3d5889, 2023-08-31)
NEWEST = "v0.22.7"  # the newest release in the table (207cc9e, 2026-08-21, is v0.22.7 + 2 commits)


def _row(
    name: str, summary: str, since: str = "", until: str = "", *, contract: bool, commit: str = "", source: str
) -> Feature:
    return Feature(
        name,
        summary,
        Version.parse(since) if since else None,
        Version.parse(until) if until else None,
        contract,
        commit,
        source,
    )


# fmt: off
FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        # Methods and services offered (see METHOD_FEATURES for which method needs which).
        _row("get_queues", "Submit/GetQueues streams the queues", "v0.3.100", contract=True,
             commit="b19de2def", source="pkg/api/submit.proto"),
        _row("get_queue_info", "Submit/GetQueueInfo is served", until="v0.4.20", contract=True,
             commit="59554325", source="pkg/api/submit.proto"),
        _row("jobs_api", "api.Jobs GetJobStatus / GetJobDetails / GetJobRunDetails (gRPC)", "v0.4.24", contract=True,
             commit="b2db64e8", source="pkg/api/job.proto"),
        _row("jobs_rest", "api.Jobs is bound on REST (/v1/job/status, ...)", "v0.4.40", contract=True,
             commit="294cd1a3b", source="pkg/api/job.proto"),
        _row("preempt_jobs", "Submit/PreemptJobs", "v0.4.41", contract=True,
             commit="3054f5aa", source="pkg/api/submit.proto"),
        _row("queue_service", "api.QueueService (queue methods beside api.Submit's)", "v0.7.0", contract=True,
             commit="1a4365bd", source="pkg/api/submit.proto"),
        _row("cordon", "QueueService/CordonQueue and UncordonQueue; a cordoned queue's jobs are never scheduled",
             "v0.9.8", contract=True, commit="e41e8144", source="internal/scheduler/constraints/constraints.go"),
        _row("queue_labels", "api.Queue has labels", "v0.9.8", contract=True,
             commit="e41e8144", source="pkg/api/submit.proto"),
        _row("job_errors", "Jobs/GetJobErrors and Jobs/GetJobStatusUsingExternalJobUri", "v0.15.0", contract=True,
             commit="6271a5886", source="pkg/api/job.proto"),
        _row("queue_preempt_cancel", "QueueService/PreemptOnQueue and CancelOnQueue", "v0.15.4", contract=True,
             commit="72753442e", source="pkg/api/submit.proto"),
        _row("service_name", "api.ServiceConfig has name", "v0.16.10", contract=True,
             commit="fb3fc91e8", source="pkg/api/submit.proto"),
        _row("get_active_queues", "Jobs/GetActiveQueues", "v0.18.0", contract=True,
             commit="d5124a7f", source="internal/server/queryapi/query_api.go"),
        _row("retry_policies", "api.RetryPolicyService (named retry policies)",
             "v0.22.3", contract=True, commit="0a714d1a", source="internal/server/retrypolicy/repository.go"),
        _row("retry_policy_create_replaces", "CreateRetryPolicy of an existing name replaces it and answers OK "
             "(the contract: ALREADY_EXISTS)", "v0.22.3", contract=False, commit="0a714d1a",
             source="internal/server/retrypolicy/repository.go"),
        _row("retry_action_short_names", "REST writes RetryAction as \"Fail\" / \"Retry\" / \"Unspecified\"",
             "v0.22.3", contract=False, commit="0a714d1a", source="pkg/api/deserialize.go"),
        # Authentication and permissions.
        _row("kerberos", "the Kerberos (SPNEGO) scheme exists", until="v0.4.20", contract=True,
             commit="4920dc07", source="internal/common/auth/authorization/kerberos.go"),
        _row("anonymous_before_kerberos", "with anonymous on, any call no earlier scheme claims is anonymous "
             "before Kerberos sees it (Kerberos cannot be judged)", until="v0.4.20", contract=False,
             commit="4920dc07", source="internal/common/auth/setup.go"),
        _row("anonymous_admits_any", "with anonymous on, every call no earlier scheme claims is admitted as "
             "anonymous, whatever Authorization it carries (the contract: only a call without one)",
             contract=False, source="internal/common/auth/anonymous.go"),
        _row("kerberos_unparsable_no_challenge", "a Negotiate token that cannot be decoded or unmarshalled is "
             "refused without WWW-Authenticate", until="v0.4.20", contract=False,
             commit="4920dc07", source="internal/common/auth/authorization/kerberos.go"),
        _row("watch_needs_global", "job-set events need watch_all_events, or global watch_events AND the "
             "queue's watch verb", until="v0.4.5", contract=False,
             commit="5797e545d", source="internal/armada/server/event.go"),
        _row("lacks_permission_message", "refusals read \"<user> lacks permission <perm>\" (before: "
             "\"<user>\" does not have permission <perm>)", "v0.4.5", contract=False,
             commit="5797e545d", source="internal/common/armadaerrors/errors.go"),
        _row("preempt_any_jobs_permission", "PreemptJobs and PreemptOnQueue need the global preempt_any_jobs "
             "(the contract: cancel_any_jobs)", "v0.4.41", contract=False,
             commit="3054f5aa", source="internal/server/permissions/permissions.go"),
        _row("cordon_queue_permission", "CordonQueue and UncordonQueue need the global cordon_queue (the "
             "contract: create_queue)", "v0.9.8", contract=False,
             commit="e41e8144", source="internal/server/queue/queue_service.go"),
        _row("basic_nocolon_crashes", "a Basic value without a colon crashes the process (auth runs before "
             "panic recovery); before: INTERNAL", "v0.16.0", contract=False,
             commit="640df2c90", source="internal/common/grpc/grpc.go"),
        # Submitting and scheduling.
        _row("sync_submit_check", "SubmitJobs refuses a job no node can fit, at submit", until="v0.4.50",
             contract=False, commit="12c3e082e", source="internal/armada/server/submit_to_log.go"),
        _row("unschedulable_unknown", "the submit check's refusal is UNKNOWN \"job <id> unschedulable\" (from "
             "v0.4.20 INVALID_ARGUMENT \"at least one job or gang is unschedulable\")", until="v0.4.20",
             contract=False, commit="59554325", source="internal/armada/server/submit_to_log.go"),
        _row("scheduler_rejects", "a job no node can fit is accepted, then failed by the scheduler (failed "
             "event, cause Rejected; api.Jobs REJECTED)", "v0.4.50", contract=False,
             commit="12c3e082e", source="internal/scheduler/scheduler.go"),
        _row("cordon_skips_submit_check", "jobs in a cordoned queue are not submit-checked (even one no node "
             "can fit stays queued)", "v0.20.40", contract=False,
             commit="4b4e44639", source="internal/scheduler/scheduler.go"),
        _row("submit_checks_containers", "SubmitJobs refuses a pod spec with no containers (or a container without "
             "an image); from v0.4.44 it is accepted and the pod Kubernetes refuses fails the job", until="v0.4.44",
             contract=True, commit="08b966734", source="internal/common/validation/podspec.go"),
        _row("submit_denies_absent_queue", "SubmitJobs to an absent queue: PERMISSION_DENIED (before: UNKNOWN, "
             "the raw queue-not-found error)", "v0.4.44", contract=False,
             commit="08b966734", source="internal/armada/submit/submit.go"),
        _row("cancel_echoes_ids", "CancelJobs echoes every id it is given, unchecked (before: a lone jobId is "
             "looked up, unknown: NOT_FOUND; jobIds were always echoed)", "v0.4.52", contract=False,
             commit="07a5c20b3", source="internal/armada/submit/submit.go"),
        _row("cancel_job_ids_echoed", "CancelJobs echoes the jobIds it is given, unchecked; with no ids at all it "
             "is a CancelJobSet answering cancelledIds [\"\"]", contract=False, commit="80ced9891",
             source="internal/armada/server/submit_to_log.go"),
        _row("reason_limit", "a cancel or preempt reason over 50 bytes is INVALID_ARGUMENT", "v0.22.3",
             contract=False, commit="648652ca9", source="internal/server/submit/validation/job_set.go"),
        _row("raw_errors_unknown", "errors that are not gRPC statuses (queue-cache \"not found\", "
             "ErrUnauthorized) become UNKNOWN / HTTP 500", contract=False,
             source="internal/common/armadaerrors/errors.go"),
        # Queues.
        _row("queue_upsert", "CreateQueue of an existing queue updates it (OK); UpdateQueue of an absent one "
             "creates it", "v0.4.48", contract=False,
             commit="1782a5bf", source="internal/armada/queue/queue_repository.go"),
        _row("queue_cache", "submit and event services read queues from a cache refreshed every ~10 s",
             "v0.4.48", contract=False, commit="1782a5bf", source="internal/armada/server.go"),
        _row("owners_folded", "GetQueue never returns userOwners/groupOwners (folded into permissions)",
             contract=False, source="pkg/client/queue/queue.go"),
        _row("queue_name_validated", "an empty queue name is refused", until=str(NO_RELEASE), contract=True,
             source="pkg/client/queue/queue.go"),
        _row("delete_queue_refuses_active", "DeleteQueue of a queue with active jobs is FAILED_PRECONDITION (from "
             "v0.4.20 the queue is deleted)", until="v0.4.20", contract=True, commit="59554325",
             source="internal/armada/server/submit.go"),
        _row("delete_absent_queue_ok", "DeleteQueue of an absent queue answers OK", contract=False,
             source="internal/armada/repository/queue.go"),
        # The wire: JSON, routing, Timestamps, swagger.
        _row("go_json", "REST speaks Go encoding/json over the generated structs (enums as numbers, ...)",
             contract=False, source="internal/common/grpc/gateway.go"),
        _row("timestamp_object", "REST writes Timestamps as {\"seconds\", \"nanos\"} (before: Go time, RFC 3339)",
             "v0.8.7", contract=False, commit="3dbdb28e", source="pkg/api/submit.proto"),
        _row("plain_routing_errors", "unknown routes answer text/plain 404/405 (Go's http.Error)", contract=False,
             source="internal/common/grpc/gateway.go"),
        _row("forwards_grpc_content_type", "REST answers carry Grpc-Metadata-Content-Type: application/grpc",
             contract=False, source="internal/common/grpc/gateway.go"),
        _row("stream_error_newline", "a stream that fails ends its error line with a newline", until=str(NO_RELEASE),
             contract=True, source="contract"),
        _row("quantity_object_read", "a Quantity is also read in the proto-JSON form {\"string\": \"100m\"}",
             until=str(NO_RELEASE), contract=True, source="contract"),
        _row("swagger_armada_form", "swagger at /swagger.json as Armada's build ships it (type: file streams, ...)",
             contract=False, source="pkg/api/api.swagger.json"),
        _row("null_array_element_drops", "a JSON array element null (\"permissions\": [null]) drops the connection "
             "(the generated marshaller panics)", contract=False, source="pkg/api/submit.pb.go"),
    )
}
# fmt: on

# Which features a method needs (methods not named here exist on every release), and on REST also REST_FEATURES.
METHOD_FEATURES: dict[str, tuple[str, ...]] = {
    "Submit/GetQueues": ("get_queues",),
    "Submit/GetQueueInfo": ("get_queue_info",),
    "Submit/PreemptJobs": ("preempt_jobs",),
    "QueueService/CordonQueue": ("queue_service", "cordon"),
    "QueueService/UncordonQueue": ("queue_service", "cordon"),
    "QueueService/PreemptOnQueue": ("queue_service", "queue_preempt_cancel"),
    "QueueService/CancelOnQueue": ("queue_service", "queue_preempt_cancel"),
    "Jobs/GetJobErrors": ("jobs_api", "job_errors"),
    "Jobs/GetJobStatusUsingExternalJobUri": ("jobs_api", "job_errors"),
    "Jobs/GetActiveQueues": ("jobs_api", "get_active_queues"),
}
SERVICE_FEATURES: dict[str, tuple[str, ...]] = {
    "QueueService": ("queue_service",),
    "Jobs": ("jobs_api",),
    "RetryPolicyService": ("retry_policies",),
}
REST_FEATURES: dict[str, tuple[str, ...]] = {"Jobs": ("jobs_rest",)}
# api.* message fields our protos have that a release's swagger documents only with the feature.
FIELD_FEATURES: dict[str, str] = {
    "api.ServiceConfig.name": "service_name",
    "api.Queue.cordoned": "cordon",
    "api.Queue.labels": "queue_labels",
    "api.Queue.retry_policies": "retry_policies",
}


def needs(method: str, transport: str = "grpc") -> tuple[str, ...]:
    """The features a server needs to serve ``method`` ("Service/Method") over ``transport``."""
    service = method.partition("/")[0]
    wanted = SERVICE_FEATURES.get(service, ()) + METHOD_FEATURES.get(method, ())
    if transport == "rest":
        wanted += REST_FEATURES.get(service, ())
    return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True)
class Release:
    """A server judged: the release it runs and the features it has (after ``[target.features]``)."""

    name: str
    version: Version | None
    features: frozenset[str]
    note: str = field(default="", compare=False)
    overrides: tuple[tuple[str, bool], ...] = field(default=(), compare=False)

    def has(self, feature: str) -> bool:
        if feature not in FEATURES:
            raise KeyError(f"unknown feature {feature!r}")
        return feature in self.features

    def serves(self, method: str, transport: str = "grpc") -> bool:
        """Whether a stock server of the release serves ``method`` over ``transport``."""
        return all(self.has(f) for f in needs(method, transport))

    def missing(self, method: str, transport: str = "grpc") -> tuple[Feature, ...]:
        """The features ``method`` needs that the release lacks (why it is "not offered")."""
        return tuple(FEATURES[f] for f in needs(method, transport) if not self.has(f))

    @property
    def is_contract(self) -> bool:
        return self.version is None

    def describe(self) -> str:
        """One line for report headers: the release, its note and overrides."""
        parts = [self.name]
        if self.overrides:
            parts.append("(features " + ", ".join(f"{'+' if on else '-'}{n}" for n, on in self.overrides) + ")")
        if self.note:
            parts.append(f"[{self.note}]")
        return " ".join(parts)


PRESETS: dict[str, str] = {"armada-2023": "v0.3.103", "seed": "v0.3.103", "armada-2026": NEWEST, "current": NEWEST}
ALIASES: dict[str, str] = {"seed": "armada-2023", "current": "armada-2026"}  # a preset's other name
PRESET_NAMES = tuple(p for p in PRESETS if p not in ALIASES)
CONTRACT = "contract"


def features_at(version: Version) -> frozenset[str]:
    """The features a stock server of ``version`` has."""
    return frozenset(f.name for f in FEATURES.values() if f.at(version))


def _checked(overrides: Mapping[str, bool]) -> tuple[tuple[str, bool], ...]:
    unknown = sorted(set(overrides) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(sorted(FEATURES))}")
    wrong = sorted(n for n, v in overrides.items() if not isinstance(v, bool))
    if wrong:
        raise ValueError(f"feature override(s) {', '.join(wrong)} must be true or false")
    return tuple(sorted(overrides.items()))


def _apply(base: frozenset[str], overrides: tuple[tuple[str, bool], ...]) -> frozenset[str]:
    on = {n for n, v in overrides if v}
    off = {n for n, v in overrides if not v}
    return frozenset((base | on) - off)


def contract(overrides: Mapping[str, bool] = {}) -> Release:
    """The published contract (the reference server's ``contract`` flavour)."""
    chosen = _checked(overrides)
    base = frozenset(f.name for f in FEATURES.values() if f.contract)
    return Release(CONTRACT, None, _apply(base, chosen), "the published contract", chosen)


def release(name: str, overrides: Mapping[str, bool] = {}) -> Release:
    """The release ``name`` stands for: ``v0.19.3``, ``0.19``, a preset (``armada-2023``...) or ``contract``.

    A release newer than the table is judged as ``NEWEST`` and its note says so; one older than
    ``OLDEST`` is refused (the table's facts do not reach back there). ValueError names the choices.
    """
    text = name.strip()
    if text == CONTRACT:
        return contract(overrides)
    chosen = _checked(overrides)
    preset = PRESETS.get(text)
    try:
        version = Version.parse(preset or text)
    except ValueError:
        raise ValueError(
            f"unknown release {name!r}: give a release (e.g. v0.19.3, 0.19) or one of {', '.join(choices())}"
        ) from None
    note = f"{text} = {preset}" if preset else ""
    if version > Version.parse(NEWEST):
        note = f"{version} is newer than the table: judged as {NEWEST}"
        version = Version.parse(NEWEST)
    elif version < Version.parse(OLDEST):
        raise ValueError(f"release {version} is older than the table ({OLDEST} is the oldest it knows)")
    return Release(str(version), version, _apply(features_at(version), chosen), note, chosen)


def choices() -> tuple[str, ...]:
    """The names besides a release number: presets and ``contract``."""
    return (*PRESETS, CONTRACT)


def changes() -> list[str]:
    """Every release at which some feature comes or goes, oldest first, with ``OLDEST`` and ``NEWEST``:
    judging these covers every combination of features the table can give."""
    found = {Version.parse(OLDEST), Version.parse(NEWEST)}
    for f in FEATURES.values():
        found.update(v for v in (f.since, f.until) if v is not None and v != NO_RELEASE)
    return [str(v) for v in sorted(found)]
