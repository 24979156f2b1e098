"""Proof: against each flavour of the reference server, the suite fails exactly what its shipped file predicts.

The reference server can be the published contract or a real Armada release
(``--flavour``, ``reference_server/flavours.py``, derived from ``conformance/releases.py``).
Judged as the release it is, a stock release fails exactly its shipped deviations
(``conformance/known/<preset>.toml``, found for any release by ``conformance.known_failures``),
each for the reason given there, reports "not offered" exactly what its checks'
declarations say it lacks, passes everything else, and the gate is green with that file.
The contract flavour passes everything with no file. So the shipped files are neither
stale (a listed check that passes is "fixed") nor short (an unlisted failure).

The same whole run per flavour, made once (it is the costliest run of the tests), also
proves the run leaves nothing on the server (tests/cleanup proves it for interrupted
runs) and, for the contract, is the healthy run of the fault matrix (tests/faults).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from leftovers import NOTHING, leftovers

from conformance import eras
from conformance.checks import REGISTRY, catalogue
from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import EmbeddedEnvironment
from conformance.known_failures import known_failures
from conformance.options import RunOptions
from conformance.releases import Release, release
from conformance.report.gate import apply_known_failures, exit_code
from conformance.results import CheckResult, Outcome, RunReport
from conformance.runner import Listener, conclude, open_run, prepare, run_checks

# The flavours proved: the contract, the two presets and releases between them (each judged as itself).
PROOF = ("contract", "armada-2023", "v0.4.30", "v0.8.7", "armada-2026")
# What each shipped reason says, as the failure message shows it ("fails for the listed reason").
SHOWN_BY: dict[str, str | tuple[str, ...]] = {
    "SWAGGER-Valid": "type: file",
    "SWAGGER-EnumsAsNames": "writes the enum",
    "SEMANTICS-RetryPolicyDuplicate": "the existing policy was replaced",
    "SEMANTICS-QueueEmptyName": "CreateQueue with an empty name",
    "SEMANTICS-SubmitInvalid": "no containers was accepted",
    "SWAGGER-Schemathesis": ("Server error [500]", "Connection aborted"),
}
SMALL = {"events": 200, "jobs": 20, "watchers": 2, "batch_size": 5}
# The queue cache, refreshed much faster than the flavour's default: still a real delay the suite waits out
# (each new queue is refused until the next refresh), but a run creates ~100 queues and waits for each.
QUEUE_CACHE_S = 0.1
ALWAYS_NOT_OFFERED = {"SURFACE-Event.Watch-GRPC"}  # deprecated: every flavour answers UNIMPLEMENTED


@dataclass
class WholeRun:
    """One whole run of the suite against a flavour, through the runner's steps as the CLI takes them."""

    report: RunReport
    sent_creating_requests: bool  # the ledger held something before cleanup: the leftovers proof proves something
    ledger_after_cleanup: bool
    leftovers: dict[str, list[str]]  # what the server still holds (tests/leftovers.py)


def _run(flavour: str, realm: KerberosRealm, provider: OpenIDProvider) -> WholeRun:
    kerberos = release(flavour).has("kerberos")  # a release without it: its server refuses the set-up
    with EmbeddedEnvironment(
        flavour=flavour,
        kerberos=kerberos,
        realm=realm if kerberos else None,
        provider=provider,
        server={"queue_cache_s": QUEUE_CACHE_S},
    ) as environment:
        plan = prepare(environment.target(), RunOptions(report_dir=None, **SMALL))
        results: list[CheckResult] = []
        with open_run(plan) as opened:
            run_checks(plan, opened.ctx, Listener(), results)
            sent = bool(opened.ctx.ledger)
        report = conclude(plan, results, target=opened.target, cleanup_problems=opened.ctx.cleanup_problems)
        assert environment.server is not None
        left = leftovers(environment.server.server.store)
    return WholeRun(report, sent, bool(opened.ctx.ledger), left)


@pytest.mark.parametrize("flavour", PROOF)
def test_a_flavour_fails_exactly_what_its_shipped_file_predicts_and_the_run_leaves_nothing(
    flavour: str, kerberos_realm: KerberosRealm, openid_provider: OpenIDProvider
) -> None:
    run = _run(flavour, kerberos_realm, openid_provider)
    _predicted_by_the_shipped_file(flavour, run.report)
    # The run leaves nothing (tests/cleanup): the server holds none of what it made, and cleanup says so.
    assert run.sent_creating_requests, "the run sent nothing that could create: the proof proves nothing"
    assert run.leftovers == NOTHING
    assert run.report.cleanup_problems == [] and not run.ledger_after_cleanup


def _predicted_by_the_shipped_file(flavour: str, report: RunReport) -> None:
    judged = release(flavour)
    known = known_failures(flavour)
    assert report.profile == eras.canonical(flavour) and report.target["release"].startswith(judged.name)
    outcomes = {r.id: r for r in report.results}
    failed = {i for i, r in outcomes.items() if r.outcome is Outcome.FAILED}
    assert sorted(failed) == sorted(k.id for k in known if k.id in outcomes and not _lacked(k.id, judged)), {
        i: outcomes[i].message for i in failed
    }
    for entry in known:
        if entry.id in failed:
            shown = SHOWN_BY[entry.id]
            words = (shown,) if isinstance(shown, str) else shown
            assert any(w in outcomes[entry.id].message for w in words), (entry.id, outcomes[entry.id].message)
    unjudged = {i: r.outcome for i, r in outcomes.items() if r.outcome not in (Outcome.PASSED, Outcome.FAILED)}
    not_offered = {i for i, o in unjudged.items() if o is Outcome.NOT_OFFERED}
    assert not_offered == ALWAYS_NOT_OFFERED | {i for i in outcomes if _lacked(i, judged)}
    for check_id, outcome in unjudged.items():
        if outcome is not Outcome.NOT_OFFERED:
            assert outcome is Outcome.NOT_CONFIGURED and check_id.startswith("THROUGHPUT-Threshold-"), check_id
    applied = apply_known_failures(report, known)
    assert applied.fixed == [] and applied.unmatched == []
    assert exit_code(applied.report) == 0
    assert set(outcomes) == {c.id for c in catalogue()}  # every check ran
    if flavour == "contract":  # the healthy server of the fault matrix: the gate green with no file at all
        assert known == [] and report.verdict == "pass"


def _lacked(check_id: str, judged: Release) -> bool:
    """Whether the check's declarations say the release does not offer it."""
    check = REGISTRY.get(check_id)
    return check is not None and bool(check.not_offered(judged))
