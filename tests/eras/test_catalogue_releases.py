"""Every release of the table, every check: it applies, or it says which feature it lacks and since when.

The checks declare what they need (methods over transports, scheme, features); the
catalogue derives the rest. Walking the releases at which the table changes covers every
combination of features a release can have.
"""

from __future__ import annotations

import pytest

from conformance.checks import REGISTRY, Check, Registry, catalogue, family, offered, select
from conformance.checks.parity import PARITY, ParityTable
from conformance.releases import FEATURES, NEWEST, changes, contract, release


def _never_offered() -> set[str]:
    judged = [release(r) for r in changes()]
    return {c.id for c in catalogue() if all(c.not_offered(j) for j in judged)}


@pytest.mark.parametrize("name", changes())
def test_each_check_applies_or_says_why_not(name: str) -> None:
    judged = release(name)
    for check in catalogue():
        why = check.not_offered(judged)
        if why:
            missing = [f for f in check.needs() if not judged.has(f)] or [f for f in check.excluded if judged.has(f)]
            assert missing, (check.id, why)
            feature = FEATURES[missing[0]]
            assert feature.name in why and feature.span in why, (check.id, why)
    assert len(offered(catalogue(), judged)) >= 100, name  # most of the suite judges any release


def test_the_contract_offers_every_check_and_every_check_some_release() -> None:
    assert offered(catalogue(), contract()) == catalogue()
    assert _never_offered() == set()


def test_releases_differ_exactly_where_the_table_says() -> None:
    by_id = {c.id: c for c in catalogue()}
    assert "cordon" in by_id["SURFACE-QueueService.CordonQueue-GRPC"].needs()
    assert by_id["SURFACE-QueueService.CordonQueue-GRPC"].not_offered(release("v0.9.7"))
    assert not by_id["SURFACE-QueueService.CordonQueue-GRPC"].not_offered(release("v0.9.8"))
    assert "jobs_rest" in by_id["SURFACE-Jobs.GetJobStatus-REST"].needs()
    assert "jobs_rest" not in by_id["SURFACE-Jobs.GetJobStatus-GRPC"].needs()
    assert by_id["AUTH-KERBEROS-MISSING-GRPC"].needs() == ("kerberos",)
    assert not by_id["SURFACE-Submit.SubmitJobs-GRPC"].needs()  # every release


def test_select_narrows_to_a_release_only_when_asked() -> None:
    everything = select(catalogue(), None, ["SURFACE"])
    newest = select(catalogue(), NEWEST, ["SURFACE"])
    assert {c.id for c in everything} - {c.id for c in newest} == {
        "SURFACE-Submit.GetQueueInfo-GRPC",
        "SURFACE-Submit.GetQueueInfo-REST",
    }


def _noop(ctx: object) -> None:
    return None


def test_the_registry_registers_refuses_duplicates_and_unregisters() -> None:
    registry = Registry()
    family("X-One", "SEMANTICS", "r", features=("cordon",), registry=registry)(_noop)
    assert "X-One" in registry and len(registry) == 1 and registry.get("X-One") is not None
    with pytest.raises(ValueError, match="duplicate check ID X-One"):
        family("X-One", "SEMANTICS", "r", registry=registry)(_noop)
    with pytest.raises(ValueError, match="unknown feature"):
        registry.register(Check("X-Two", "SEMANTICS", "r", function=_noop, features=("cordonning",)))
    assert registry.unregister("X-One").id == "X-One" and len(registry) == 0


def test_a_test_check_joins_the_catalogue_and_leaves_it() -> None:
    check = REGISTRY.register(Check("SEMANTICS-ZZ-TestOnly", "SEMANTICS", "r", function=_noop))
    try:
        assert check in catalogue()
    finally:
        REGISTRY.unregister(check.id)
    assert check not in catalogue()


def test_one_parity_table_fed_by_both_modules() -> None:
    assert (
        "Submit/GetQueue" in PARITY and "Jobs/GetJobStatus" in PARITY and "RetryPolicyService/GetRetryPolicy" in PARITY
    )
    ids = {c.id for c in catalogue() if c.category == "PARITY" and not c.id.endswith("-ERROR")}
    assert ids == {f"PARITY-{m.split('/')[1]}" for m in PARITY}
    table = ParityTable(Registry())
    with pytest.raises(ValueError, match="fed twice"):
        table.feed({"Submit/GetQueue": PARITY.scenario("Submit/GetQueue")})
        table.feed({"Submit/GetQueue": PARITY.scenario("Submit/GetQueue")})


def test_list_checks_says_per_release_what_applies_and_why(capsys: pytest.CaptureFixture[str]) -> None:
    from conformance.cli import main

    assert main(["list-checks", "--profile", "v0.12.0", "--only", "SURFACE-Jobs.*"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("release v0.12.0:")
    assert "SURFACE-Jobs.GetJobStatus-GRPC" in out and "applies" in out
    assert "not offered: v0.12.0 lacks get_active_queues (Jobs/GetActiveQueues): from v0.18.0" in out
    assert "checks apply to v0.12.0; the others are reported not offered" in out
    assert main(["list-checks", "--json", "--profile", "0.12", "--only", "SURFACE-Jobs.GetActiveQueues-REST"]) == 0
    [row] = __import__("json").loads(capsys.readouterr().out)
    assert (
        row["needs"] == ["jobs_api", "get_active_queues", "jobs_rest"]
        and "lacks get_active_queues" in row["not_offered"]
    )
    with pytest.raises(SystemExit) as refused:
        main(["list-checks", "--profile", "armada-2028"])
    assert refused.value.code == 2 and "unknown release 'armada-2028'" in capsys.readouterr().err
