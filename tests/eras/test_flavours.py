"""Proof: against each flavour of the reference server, the suite fails exactly what its shipped file predicts.

The reference server can be the published contract or a real Armada era
(``--flavour``, ``reference_server/flavours.py``). Judged against its era, a stock
era fails exactly the checks of ``conformance/known/<era>.toml``, each for the reason
given there, passes everything else, and the gate is green with that file. The
contract flavour passes everything with no file. So the shipped files are neither
stale (a listed check that passes is "fixed") nor short (an unlisted failure).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import ADMIN, LOW, EmbeddedEnvironment
from conformance.report.gate import apply_known_failures, exit_code, load_known_failures
from conformance.results import Outcome, RunReport
from conformance.runner import run_check
from conformance.settings import RunSettings

# flavour -> (the era it is judged as, the shipped known-failures file or None)
PROOF = {
    "contract": ("armada-2026", None),
    "armada-2023": ("armada-2023", "armada-2023"),
    "armada-2026": ("armada-2026", "armada-2026"),
}
# What each shipped reason says, as the failure message shows it ("fails for the listed reason").
SHOWN_BY = {
    "SWAGGER-Valid": "type: file",
    "SWAGGER-EnumsAsNames": "writes the enum",
    "SEMANTICS-RetryPolicyDuplicate": "UNAVAILABLE",
}
SMALL = {"events": 200, "jobs": 20, "watchers": 2, "batch_size": 5}
# armada-2026's queue cache, refreshed faster than the flavour's default (still a real delay the suite waits out).
QUEUE_CACHE_S = 0.4
ALWAYS_NOT_OFFERED = {"SURFACE-Event.Watch-GRPC"}  # deprecated: every flavour answers UNIMPLEMENTED
# The checks of the methods an era lacks (eras.Era.lacks): "not offered", never failed.
LACKED = {
    "armada-2026": {
        "SURFACE-Submit.GetQueueInfo-GRPC",
        "SURFACE-Submit.GetQueueInfo-REST",
        "PARITY-GetQueueInfo",
        "PARITY-GetQueueInfo-ERROR",
        "SEMANTICS-QueueInfoCounts",
        "SWAGGER-Documents-GetQueueInfo",
    }
}


@pytest.fixture(scope="module")
def realm() -> Iterator[KerberosRealm]:
    with KerberosRealm(users=(ADMIN, LOW)) as running:
        yield running


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider() as running:
        yield running


def _run(flavour: str, era: str, realm: KerberosRealm, provider: OpenIDProvider) -> RunReport:
    kerberos = flavour != "armada-2026"  # Kerberos is not of the current era: its server refuses the set-up
    with EmbeddedEnvironment(
        flavour=flavour,
        kerberos=kerberos,
        realm=realm if kerberos else None,
        provider=provider,
        server={"queue_cache_s": QUEUE_CACHE_S},
    ) as environment:
        target = environment.target(era)
        ctx = RunContext(target, settings=RunSettings.given(**SMALL))
        try:
            results = [run_check(check, ctx) for check in select(catalogue(), era)]
        finally:
            ctx.cleanup()
            ctx.close()
    return RunReport(
        target=target.describe(),
        profile=target.profile,
        suite_version="test",
        started="",
        finished="",
        machine={},
        results=results,
    )


@pytest.mark.parametrize("flavour", sorted(PROOF))
def test_a_flavour_fails_exactly_what_its_shipped_file_predicts(
    flavour: str, realm: KerberosRealm, provider: OpenIDProvider
) -> None:
    era, shipped = PROOF[flavour]
    known = load_known_failures(shipped) if shipped else []
    report = _run(flavour, era, realm, provider)
    assert report.profile == era
    outcomes = {r.id: r for r in report.results}
    failed = {i for i, r in outcomes.items() if r.outcome is Outcome.FAILED}
    assert sorted(failed) == sorted(k.id for k in known), {i: outcomes[i].message for i in failed}
    for entry in known:
        assert SHOWN_BY[entry.id] in outcomes[entry.id].message, (entry.id, outcomes[entry.id].message)
    unjudged = {i: r.outcome for i, r in outcomes.items() if r.outcome not in (Outcome.PASSED, Outcome.FAILED)}
    allowed_unconfigured = (
        ("THROUGHPUT-Threshold-", "AUTH-KERBEROS-") if flavour == "armada-2026" else ("THROUGHPUT-Threshold-",)
    )
    not_offered = {i for i, o in unjudged.items() if o is Outcome.NOT_OFFERED}
    assert not_offered == (ALWAYS_NOT_OFFERED | LACKED.get(flavour, set())) & set(outcomes)
    for check_id, outcome in unjudged.items():
        if outcome is not Outcome.NOT_OFFERED:
            assert outcome is Outcome.NOT_CONFIGURED and check_id.startswith(allowed_unconfigured), (check_id, outcome)
    applied = apply_known_failures(report, known)
    assert applied.fixed == [] and applied.unmatched == []
    assert exit_code(applied.report) == 0
