"""Reports built in code with every outcome, hostile evidence and secrets to redact.

A module of its own (not conftest) so tests import it by a name no other test folder uses.
"""

from __future__ import annotations

import base64
from typing import Any

from conformance.results import CheckResult, Figure, Outcome, RunReport, Severity

HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'
BASIC_PASSWORD = "s3cr3t-pw"
BEARER = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz"
CLIENT_SECRET = "oidc-client-secret-123"
URL_PASSWORD = "hunter2url"
BASIC_HEADER = "Basic " + base64.b64encode(f"alice:{BASIC_PASSWORD}".encode()).decode()
SECRETS = (BASIC_PASSWORD, BEARER, CLIENT_SECRET, URL_PASSWORD, BASIC_HEADER.split()[1])


def check(
    check_id: str, outcome: Outcome, *, category: str = "SURFACE", severity: Severity = Severity.REQUIRED, **fields: Any
) -> CheckResult:
    return CheckResult(
        id=check_id,
        category=category,
        requirement=f"{check_id} behaves as specified",
        severity=severity,
        outcome=outcome,
        duration_s=fields.pop("duration_s", 0.05),
        **fields,
    )


def sample_results() -> list[CheckResult]:
    """A mix of every outcome over methods, transports and auth schemes."""
    o = Outcome
    results = [
        check("SURFACE-SubmitJobs-GRPC", o.PASSED, transport="grpc", method="SubmitJobs"),
        check("SURFACE-SubmitJobs-REST", o.PASSED, transport="rest", method="SubmitJobs"),
        check("SURFACE-CancelJobs-GRPC", o.PASSED, transport="grpc", method="CancelJobs"),
        check(
            "SURFACE-CancelJobs-REST",
            o.FAILED,
            transport="rest",
            method="CancelJobs",
            message="expected HTTP 200, got 500 Internal Server Error\nsecond line of detail",
            evidence={
                "request": {
                    "method": "POST",
                    "path": "/v1/job/cancel",
                    "headers": {"Authorization": BASIC_HEADER, "Accept": "application/json"},
                },
                "response": {"status": 500, "body": HOSTILE},
            },
        ),
        check(
            "SURFACE-GetQueue-GRPC",
            o.NOT_OFFERED,
            transport="grpc",
            method="GetQueue",
            message="target answered UNIMPLEMENTED",
        ),
        check("SURFACE-GetQueue-REST", o.PASSED, transport="rest", method="GetQueue"),
        check(
            "SEMANTICS-DeleteQueue-GRPC",
            o.SKIPPED,
            category="SEMANTICS",
            transport="grpc",
            method="DeleteQueue",
            message="mutating check under --read-only",
        ),
        check(
            "SEMANTICS-GetJobSetEvents-GRPC",
            o.EXPECTED_FAILURE,
            category="SEMANTICS",
            transport="grpc",
            method="GetJobSetEvents",
            message="Known failure: upstream bug #123",
        ),
        check(
            "PARITY-SubmitJobs",
            o.FAILED,
            category="PARITY",
            transport="both",
            method="SubmitJobs",
            severity=Severity.RECOMMENDED,
            message="REST omits field | jobIds order differs",
        ),
        check("SWAGGER-Document", o.PASSED, category="SWAGGER", transport="rest"),
        check("AUTH-ANON-REJECTED-GRPC", o.PASSED, category="AUTH", transport="grpc", scheme="anonymous"),
        check("AUTH-ANON-REJECTED-REST", o.PASSED, category="AUTH", transport="rest", scheme="anonymous"),
        check(
            "AUTH-BASIC-BADPW-REST",
            o.FAILED,
            category="AUTH",
            transport="rest",
            scheme="basic",
            message=f"server accepted password {BASIC_PASSWORD}x for alice; Authorization: {BASIC_HEADER}",
            evidence={"request": f"GET /v1/queue HTTP/1.1\r\nAuthorization: {BASIC_HEADER}\r\n", "status": 200},
        ),
        check("AUTH-BASIC-GOOD-GRPC", o.PASSED, category="AUTH", transport="grpc", scheme="basic"),
        check(
            "AUTH-OIDC-EXPIRED-GRPC",
            o.PASSED,
            category="AUTH",
            transport="grpc",
            scheme="oidc",
            evidence={"metadata": [["authorization", f"Bearer {BEARER}"], ["x-request-id", "abc"]]},
        ),
        check(
            "AUTH-OIDC-EXPIRED-REST",
            o.NOT_CONFIGURED,
            category="AUTH",
            transport="rest",
            scheme="oidc",
            message="no expired_token configured",
        ),
        check("AUTH-KERBEROS-GRPC", o.NOT_CONFIGURED, category="AUTH", transport="grpc", scheme="kerberos"),
        check("THROUGHPUT-REPLAY", o.PASSED, category="THROUGHPUT", transport="grpc"),
    ]
    return results


def rounds_of(value: float, spread: float = 0.02) -> list[float]:
    """Three rounds around ``value`` spread by ``spread`` (max - min over the median)."""
    return [value * (1 - spread / 2), value, value * (1 + spread / 2)]


def sample_figures() -> list[Figure]:
    """Figures as the workloads make them; each carries three steady rounds, so a baseline compares them."""
    figures = [
        Figure(
            "THROUGHPUT-REPLAY-GRPC", "Event replay (gRPC)", 48_000.0, "events/s", transport="grpc", client_bound=True
        ),
        Figure("THROUGHPUT-REPLAY-REST", "Event replay (REST)", 12_500.0, "events/s", transport="rest"),
        Figure("THROUGHPUT-SUBMIT-GRPC", "Job submission <fast>", 900.0, "jobs/s", transport="grpc"),
        Figure("LATENCY-SUBMIT-P99", "Submit latency p99", 42.0, "ms", transport="grpc", details={"samples": 500}),
    ]
    for figure in figures:
        figure.rounds = rounds_of(figure.value)
    return figures


def make_report(
    results: list[CheckResult] | None = None, figures: list[Figure] | None = None, **fields: Any
) -> RunReport:
    values: dict[str, Any] = {
        "target": {
            "name": "armada-staging",
            "grpc": "armada.example.com:50051",
            "rest": f"https://admin:{URL_PASSWORD}@armada.example.com/api",
            "auth": {
                "basic": {"username": "alice", "password": BASIC_PASSWORD, "password_env": "ARMADA_PW"},
                "oidc": {"token_endpoint": "https://idp.example.com/token", "client_secret": CLIENT_SECRET},
                "kerberos": {"keytab": "/etc/armada/client.keytab", "principal": "alice@EXAMPLE.COM"},
            },
        },
        "profile": "current",
        "suite_version": "0.1.0",
        "started": "2026-05-01T12:00:00+02:00",
        "finished": "2026-05-01T12:03:30+02:00",
        "machine": {"hostname": "ci-runner-7", "cpus": 2, "python": "3.11.9"},
        "server_version": "v0.20.1",
    }
    values.update(fields)
    return RunReport(
        **values,
        results=sample_results() if results is None else results,
        figures=sample_figures() if figures is None else figures,
    )


def full_run_report() -> RunReport:
    """A report the size of a real run: every check of the catalogue, and the figures a run measures.

    Figure names follow the throughput workloads' own wording (long, and alike up to
    their last word: "... latency p50" / "p95" / "p99"), which is what the page must show whole.
    """
    from conformance.checks import catalogue

    results = []
    for n, c in enumerate(catalogue()):
        outcome, message, evidence = Outcome.PASSED, "", {}
        if n % 37 == 5:
            outcome = Outcome.FAILED
            message = (
                "expected HTTP 200, got 503 Service Unavailable: upstream connect error or disconnect/reset "
                "before headers; reset reason: connection termination"
            )
            evidence = {
                "request": {"method": "POST", "path": "/v1/job/cancel"},
                "response": {"status": 503, "body": "x" * 400},
            }
        elif n % 41 == 7:
            outcome, message = Outcome.NOT_OFFERED, f"{c.method or c.id} answered UNIMPLEMENTED"
        results.append(
            CheckResult(
                id=c.id,
                category=c.category,
                requirement=c.requirement,
                severity=c.severity,
                outcome=outcome,
                transport=c.transport,
                scheme=c.scheme,
                method=c.method,
                message=message,
                evidence=evidence,
                duration_s=0.01 * (n % 7),
            )
        )
    return make_report(results=results, figures=run_figures())


def run_figures() -> list[Figure]:
    figures = []
    for transport in ("grpc", "rest"):
        t = transport.upper()
        figures += [
            Figure(
                f"THROUGHPUT-Replay-{t}",
                f"replay events/s over {transport} (watch=false, 2000 events)",
                26_000.0 if transport == "rest" else 8_000.0,
                "events/s",
                transport,
                client_bound=True,
            ),
            Figure(
                f"THROUGHPUT-FanOut-{t}",
                f"4 concurrent watchers over {transport}: events/s together",
                70_334.5,
                "events/s",
                transport,
            ),
            Figure(
                f"THROUGHPUT-FanOut-{t}-per-watcher",
                f"4 concurrent watchers over {transport}: events/s each",
                17_583.6,
                "events/s",
                transport,
            ),
            Figure(
                f"THROUGHPUT-Live-{t}",
                f"live over {transport}: events/s while submitting",
                4_372.2,
                "events/s",
                transport,
            ),
        ]
        figures += [
            Figure(
                f"THROUGHPUT-Live-{t}-p{q}",
                f"live over {transport}: submit-to-event latency p{q}",
                value,
                "ms",
                transport,
            )
            for q, value in ((50, 6.3), (95, 7.7), (99, 8.0))
        ]
        figures += [
            Figure(
                f"THROUGHPUT-Live-{t}-first-event",
                f"live over {transport}: first SubmitJobs to first event",
                3.5,
                "ms",
                transport,
            ),
            Figure(
                f"THROUGHPUT-Resume-{t}",
                f"reconnect over {transport} with from_message_id: time to first event",
                2.2,
                "ms",
                transport,
            ),
        ]
    return figures
