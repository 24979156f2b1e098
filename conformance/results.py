"""What a conformance run produces: one result per check, plus throughput figures.

This is the data model that every report format (JSON, JUnit XML, Markdown, HTML)
renders, and that ``report.json`` stores. Changing a field here is a change of
the report schema: bump ``SCHEMA_VERSION`` and say so in docs/report-schema.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

SCHEMA_VERSION = "1.3"


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    # The suite or its environment could not set the check up (e.g. could not create its queue):
    # no finding about the server, but nothing was verified either, so it fails the gate (schema 1.3).
    ERROR = "error"
    EXPECTED_FAILURE = "expected failure"  # listed in a known-failures file and did fail
    NOT_OFFERED = "not offered"  # the target answered UNIMPLEMENTED
    NOT_CONFIGURED = "not configured"  # e.g. an auth scheme the target file leaves out
    SKIPPED = "skipped"  # e.g. a mutating check under --read-only


class Severity(StrEnum):
    REQUIRED = "required"
    RECOMMENDED = "recommended"


@dataclass
class CheckResult:
    id: str  # stable, e.g. "PARITY-SubmitJobs" or "AUTH-BASIC-BADPW-REST"
    category: str  # SURFACE, SEMANTICS, PARITY, SWAGGER, AUTH, THROUGHPUT
    requirement: str  # one line: what the check verifies
    severity: Severity
    outcome: Outcome
    transport: str = ""  # "grpc", "rest", "both" or ""
    scheme: str = ""  # auth scheme: anonymous, basic, oidc, kerberos, or ""
    method: str = ""  # API method the check is about, when there is one
    message: str = ""  # why it failed / was skipped, one paragraph at most
    evidence: dict[str, Any] = field(default_factory=dict)  # request/response excerpts, secrets redacted
    duration_s: float = 0.0
    intrusive: bool = False  # a probe that could upset a real server (runs only with --intrusive there)


@dataclass
class Figure:
    """One throughput or latency measurement."""

    id: str  # e.g. "THROUGHPUT-REPLAY-GRPC"
    name: str  # human label
    value: float
    unit: str  # "events/s", "ms"
    transport: str = ""
    client_bound: bool = False  # close to the client's own decode capacity: a lower bound
    details: dict[str, Any] = field(default_factory=dict)
    # The figure's value in each round measured (schema 1.3): its spread says whether a change
    # against a baseline is a regression or noise. Empty or one round: the spread is unknown.
    rounds: list[float] = field(default_factory=list)


@dataclass
class RunReport:
    target: dict[str, Any]  # description of the target, secrets redacted
    profile: str  # the release judged, as named: "v0.19.3", "armada-2026", "contract" (conformance.releases)
    suite_version: str
    started: str  # RFC 3339
    finished: str
    machine: dict[str, Any]
    server_version: str = ""
    results: list[CheckResult] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    schema_version: str = SCHEMA_VERSION
    # What happened to the run itself (schema 1.1): a verdict is only as good as the run behind it.
    verdict: str = ""  # "pass", "fail", "error" or "interrupted"; empty until the gate has judged the run
    interrupted: str = ""  # the signal that stopped the run ("SIGINT", "SIGTERM"), empty when it ran through
    cleanup_problems: list[str] = field(default_factory=list)  # what the run could not remove
    unmatched_known_failures: list[str] = field(default_factory=list)  # listed IDs matching no selected check
    # Schema 1.3: the verdict's reasons as judged once (conformance.report.verdict), how the run was
    # made (selection, read-only, baseline and tolerance, known failures, seed, ...; and a re-gate),
    # and one record per regression against the baseline.
    verdict_reasons: list[str] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    regressions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunReport:
        data = dict(data)
        results = [
            CheckResult(**{**r, "severity": Severity(r["severity"]), "outcome": Outcome(r["outcome"])})
            for r in data.pop("results", [])
        ]
        figures = [Figure(**f) for f in data.pop("figures", [])]
        return cls(**data, results=results, figures=figures)

    def failures(self) -> list[CheckResult]:
        """Required checks that failed: what makes the gate red."""
        return [r for r in self.results if r.outcome is Outcome.FAILED and r.severity is Severity.REQUIRED]

    def errors(self) -> list[CheckResult]:
        """Required checks the suite could not set up: they fail the gate too, as the suite's problem."""
        return [r for r in self.results if r.outcome is Outcome.ERROR and r.severity is Severity.REQUIRED]
