"""Proof: against each flavour of the reference server, the suite fails exactly what its shipped file predicts.

The same whole run per flavour also proves the run leaves nothing on the server
(what tests/cleanup proves for interrupted runs), and for the contract flavour it is the
healthy run of the fault matrix (tests/faults): every check passes on the healthy server.

The reference server can be the published contract or a real Armada era
(``--flavour``, ``reference_server/flavours.py``). Judged against its era, a stock
era fails exactly the checks of ``conformance/known/<era>.toml``, each for the reason
given there, passes everything else, and the gate is green with that file. The
contract flavour passes everything with no file. So the shipped files are neither
stale (a listed check that passes is "fixed") nor short (an unlisted failure).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from leftovers import NOTHING, leftovers

from conformance.checks import catalogue, select
from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.embedded import EmbeddedEnvironment
from conformance.options import RunOptions
from conformance.report.gate import apply_known_failures, exit_code, load_known_failures
from conformance.results import CheckResult, Outcome, RunReport
from conformance.runner import Listener, conclude, open_run, prepare, run_checks

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


@dataclass
class WholeRun:
    """One whole run of the suite against a flavour, through the runner as the CLI does it."""

    report: RunReport
    sent_creating_requests: bool  # the ledger held something before cleanup: the leftovers proof proves something
    ledger_after_cleanup: bool
    leftovers: dict[str, list[str]]


def _run(flavour: str, era: str, realm: KerberosRealm, provider: OpenIDProvider) -> WholeRun:
    kerberos = flavour != "armada-2026"  # Kerberos is not of the current era: its server refuses the set-up
    with EmbeddedEnvironment(
        flavour=flavour,
        kerberos=kerberos,
        realm=realm if kerberos else None,
        provider=provider,
        server={"queue_cache_s": QUEUE_CACHE_S},
    ) as environment:
        plan = prepare(environment.target(era), RunOptions(report_dir=None, **SMALL))
        results: list[CheckResult] = []
        with open_run(plan) as opened:
            run_checks(plan, opened.ctx, Listener(), results)
            sent = bool(opened.ctx.ledger)
        report = conclude(plan, results, target=opened.target, cleanup_problems=opened.ctx.cleanup_problems)
        assert environment.server is not None
        left = leftovers(environment.server.server.store)
    return WholeRun(report, sent, bool(opened.ctx.ledger), left)


@pytest.mark.parametrize("flavour", sorted(PROOF))
def test_a_flavour_fails_exactly_what_its_shipped_file_predicts_and_the_run_leaves_nothing(
    flavour: str, kerberos_realm: KerberosRealm, openid_provider: OpenIDProvider
) -> None:
    """One whole run per flavour proves both (it is the suite's costliest run, so it is made once)."""
    era, shipped = PROOF[flavour]
    run = _run(flavour, era, kerberos_realm, openid_provider)
    _predicted_by_the_shipped_file(flavour, era, shipped, run.report)
    # The run leaves nothing (tests/cleanup): the server holds none of what it made, and cleanup says so.
    assert run.sent_creating_requests, "the run sent nothing that could create: the proof proves nothing"
    assert run.leftovers == NOTHING
    assert run.report.cleanup_problems == [] and not run.ledger_after_cleanup


def _predicted_by_the_shipped_file(flavour: str, era: str, shipped: str | None, report: RunReport) -> None:
    known = load_known_failures(shipped) if shipped else []
    assert report.profile == era
    outcomes = {r.id: r for r in report.results}
    assert set(outcomes) == {c.id for c in select(catalogue(), era)}  # every check of the era ran
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
    if not known:  # the contract: the healthy server of the fault matrix, the gate green with no file at all
        assert report.verdict == "pass" and set(outcomes) == {c.id for c in catalogue()}
