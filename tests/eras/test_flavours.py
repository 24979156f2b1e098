"""Proof: against each flavour of the reference server, the suite fails exactly what its shipped file predicts.

The reference server can be the published contract or a real Armada release
(``--flavour``, ``reference_server/flavours.py``, derived from ``conformance/releases.py``).
Judged as the release it is, a stock release fails exactly its shipped deviations
(``conformance/known/<preset>.toml``, found for any release by ``conformance.known_failures``),
each for the reason given there, reports "not offered" exactly what its checks'
declarations say it lacks, passes everything else, and the gate is green with that file.
The contract flavour passes everything with no file. So the shipped files are neither
stale (a listed check that passes is "fixed") nor short (an unlisted failure).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance import eras
from conformance.checks import REGISTRY, catalogue
from conformance.context import RunContext
from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import ADMIN, LOW, EmbeddedEnvironment
from conformance.known_failures import known_failures
from conformance.releases import Release, release
from conformance.report.gate import apply_known_failures, exit_code
from conformance.results import Outcome, RunReport
from conformance.runner import run_check
from conformance.settings import RunSettings

# The flavours proved: the contract, the two presets and releases between them (each judged as itself).
PROOF = ("contract", "armada-2023", "v0.4.30", "v0.8.7", "armada-2026")
# What each shipped reason says, as the failure message shows it ("fails for the listed reason").
SHOWN_BY = {
    "SWAGGER-Valid": "type: file",
    "SWAGGER-EnumsAsNames": "writes the enum",
    "SEMANTICS-RetryPolicyDuplicate": "UNAVAILABLE",
}
SMALL = {"events": 200, "jobs": 20, "watchers": 2, "batch_size": 5}
# The queue cache, refreshed faster than the flavour's default (still a real delay the suite waits out).
QUEUE_CACHE_S = 0.4
ALWAYS_NOT_OFFERED = {"SURFACE-Event.Watch-GRPC"}  # deprecated: every flavour answers UNIMPLEMENTED


@pytest.fixture(scope="module")
def realm() -> Iterator[KerberosRealm]:
    with KerberosRealm(users=(ADMIN, LOW)) as running:
        yield running


@pytest.fixture(scope="module")
def provider() -> Iterator[OpenIDProvider]:
    with OpenIDProvider() as running:
        yield running


def _run(flavour: str, realm: KerberosRealm, provider: OpenIDProvider) -> RunReport:
    kerberos = release(flavour).has("kerberos")  # a release without it: its server refuses the set-up
    with EmbeddedEnvironment(
        flavour=flavour,
        kerberos=kerberos,
        realm=realm if kerberos else None,
        provider=provider,
        server={"queue_cache_s": QUEUE_CACHE_S},
    ) as environment:
        target = environment.target()
        ctx = RunContext(target, settings=RunSettings.given(**SMALL))
        try:
            results = [run_check(check, ctx) for check in catalogue()]
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


@pytest.mark.parametrize("flavour", PROOF)
def test_a_flavour_fails_exactly_what_its_shipped_file_predicts(
    flavour: str, realm: KerberosRealm, provider: OpenIDProvider
) -> None:
    judged = release(flavour)
    known = known_failures(flavour)
    report = _run(flavour, realm, provider)
    assert report.profile == eras.canonical(flavour) and report.target["release"].startswith(judged.name)
    outcomes = {r.id: r for r in report.results}
    failed = {i for i, r in outcomes.items() if r.outcome is Outcome.FAILED}
    assert sorted(failed) == sorted(k.id for k in known if k.id in outcomes and not _lacked(k.id, judged)), {
        i: outcomes[i].message for i in failed
    }
    for entry in known:
        if entry.id in failed:
            assert SHOWN_BY[entry.id] in outcomes[entry.id].message, (entry.id, outcomes[entry.id].message)
    unjudged = {i: r.outcome for i, r in outcomes.items() if r.outcome not in (Outcome.PASSED, Outcome.FAILED)}
    not_offered = {i for i, o in unjudged.items() if o is Outcome.NOT_OFFERED}
    assert not_offered == ALWAYS_NOT_OFFERED | {i for i in outcomes if _lacked(i, judged)}
    for check_id, outcome in unjudged.items():
        if outcome is not Outcome.NOT_OFFERED:
            assert outcome is Outcome.NOT_CONFIGURED and check_id.startswith("THROUGHPUT-Threshold-"), check_id
    applied = apply_known_failures(report, known)
    assert applied.fixed == [] and applied.unmatched == []
    assert exit_code(applied.report) == 0


def _lacked(check_id: str, judged: Release) -> bool:
    """Whether the check's declarations say the release does not offer it."""
    check = REGISTRY.get(check_id)
    return check is not None and bool(check.not_offered(judged))
