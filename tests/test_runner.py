"""run_suite: everything validated before anything is sent, the run's own tolerance, what the report keeps.

Each test pins one way a gate used to lie (issue 10): a selection of nothing, a typo in
a target or known-failures file, an unreadable baseline, a workload option read as a
target failure, a tolerance the gate ignored, unlisted cleanup problems, a check that
passed without sending anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.checks import catalogue
from conformance.options import RunOptions
from conformance.report.json_report import write_json
from conformance.results import CheckResult, Figure, Outcome, RunReport, Severity
from conformance.runner import ConfigError, conclude, exit_status, prepare, run_suite
from conformance.target import Target
from reference_server.background import BackgroundServer
from reference_server.config import DEVELOPMENT_AUTH, GLOBAL_PERMISSIONS, ServerConfig


def problem(options: RunOptions, target: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        prepare(target, options)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("only", "named"),
    [
        (("AUHT",), "AUHT"),
        (("SEMANTICS", "SEMANTICS-NoSuchCheck", "PARITY-Nope*"), "SEMANTICS-NoSuchCheck, PARITY-Nope*"),
    ],
)
def test_a_selection_matching_nothing_is_a_configuration_error(only: tuple[str, ...], named: str) -> None:
    assert named in problem(RunOptions(only=only))


def test_a_selection_its_release_does_not_offer_says_why() -> None:
    message = problem(RunOptions(only=("SEMANTICS-QueueInfoCounts",), profile="current"))
    assert "SEMANTICS-QueueInfoCounts" in message and "lacks get_queue_info" in message and "before v0.4.20" in message


def test_a_category_in_any_case_selects_it() -> None:
    plan = prepare(None, RunOptions(only=("auth",)))
    assert plan.checks and {c.category for c in plan.checks} == {"AUTH"}


@pytest.mark.parametrize(("line", "key"), [('profil = "current"', "profil"), ("timout = 3", "timout")])
def test_unknown_keys_in_a_target_file_are_named(tmp_path: Path, line: str, key: str) -> None:
    path = tmp_path / "t.toml"
    path.write_text(f'[target]\ngrpc = "127.0.0.1:1"\n{line}\n')
    message = problem(RunOptions(target=str(path)))
    assert repr(key) in message and str(path) in message


def test_unknown_keys_in_a_known_failures_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "known.toml"
    path.write_text('[[known_failure]]\nid = "SEMANTICS-CancelJobs"\nreason = "x"\nticket = "T-1"\n')
    message = problem(RunOptions(known_failures=str(path)))
    assert "ticket" in message and str(path) in message


@pytest.mark.parametrize(
    ("content", "words"), [(None, "does not exist"), ("{}", "baseline"), ("not json", "not valid JSON")]
)
def test_an_unusable_baseline_is_one_line_before_anything_runs(tmp_path: Path, content: str | None, words: str) -> None:
    path = tmp_path / "baseline.json"
    if content is not None:
        path.write_text(content)
    assert words in problem(RunOptions(baseline=str(path)))


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (RunOptions(events=1), "--events"),
        (RunOptions(watchers=0), "--watchers"),
        (RunOptions(max_regression=-0.1), "--max-regression"),
        (RunOptions(max_p99_ms=0), "--max-p99-ms"),
        (RunOptions(faults=("no-such-fault",)), "no-such-fault"),
    ],
)
def test_workload_gate_and_fault_options_are_checked_up_front(options: RunOptions, words: str) -> None:
    assert words in problem(options)


def test_a_fault_needs_the_embedded_server() -> None:
    assert "--fault" in problem(RunOptions(grpc="127.0.0.1:1", faults=("all-internal",)))


def _baseline(tmp_path: Path, value: float) -> str:
    report = RunReport(
        target={},
        profile="current",
        suite_version="0",
        started="2026-01-01T00:00:00Z",
        finished="2026-01-01T00:01:00Z",
        machine={},
        verdict="pass",
        figures=[Figure("THROUGHPUT-Replay-GRPC", "replay", value, "events/s", "grpc")],
    )
    return str(write_json(report, tmp_path / "baseline.json"))


@pytest.mark.parametrize(("tolerance", "verdict"), [(None, "fail"), (0.5, "pass")])
def test_the_gate_uses_the_runs_own_regression_tolerance(tmp_path: Path, tolerance: float | None, verdict: str) -> None:
    """40 % slower than the baseline: a regression at the default 20 %, not with --max-regression 0.5."""
    plan = prepare(
        None,
        RunOptions(
            only=("SEMANTICS-QueueNotFound",),
            baseline=_baseline(tmp_path, 1000.0),
            max_regression=tolerance,
            report_dir=None,
        ),
    )
    passed = CheckResult("SEMANTICS-QueueNotFound", "SEMANTICS", "r", Severity.REQUIRED, Outcome.PASSED)
    report = conclude(
        plan,
        [passed],
        target=None,
        figures=[Figure("THROUGHPUT-Replay-GRPC", "replay", 600.0, "events/s", "grpc", rounds=[590.0, 600.0, 610.0])],
    )
    assert report.verdict == verdict
    regressed = [r for r in report.results if r.id == "BASELINE-THROUGHPUT-Replay-GRPC"]
    assert [r.outcome for r in regressed] == ([Outcome.FAILED] if verdict == "fail" else [])
    if verdict == "fail":  # a record naming the baseline and the tolerance it was judged with
        [record] = report.regressions
        assert record["baseline"] == plan.options.baseline and record["tolerance"] == 0.2
        assert report.run["baseline"] == {
            "path": plan.options.baseline,
            "started": "2026-01-01T00:00:00Z",
            "tolerance": 0.2,
        }


def test_known_failures_take_patterns_and_unmatched_entries_are_reported(tmp_path: Path) -> None:
    known = tmp_path / "known.toml"
    known.write_text(
        '[[known_failure]]\nid = "SEMANTICS-Cancel*"\nreason = "tracked"\n\n'
        '[[known_failure]]\nid = "AUTH-NOSUCH-*"\nreason = "typo"\n'
    )
    report = run_suite(
        None,
        RunOptions(
            only=("SEMANTICS-CancelJobs",),
            faults=("no-cancelled-event",),
            known_failures=str(known),
            report_dir=str(tmp_path / "r"),
            call_timeout=3,
        ),
    )
    assert [r.outcome for r in report.results] == [Outcome.EXPECTED_FAILURE]
    assert report.unmatched_known_failures == ["AUTH-NOSUCH-*"]
    assert report.verdict == "pass" and exit_status(report) == 0
    stored = next((tmp_path / "r").glob("*/report.json")).read_text()
    assert '"AUTH-NOSUCH-*"' in stored


def test_cleanup_problems_are_in_the_report() -> None:
    """A target that lets the run create a queue but not delete it: the leftover is reported, not hidden."""
    permissions = {p: ["everyone"] for p in GLOBAL_PERMISSIONS if p != "delete_queue"}
    config = ServerConfig.from_dict({"auth": DEVELOPMENT_AUTH, "authorization": {"permissions": permissions}})
    with BackgroundServer(config) as server:
        target = Target(
            name="no-delete",
            grpc=server.grpc_target,
            rest=server.rest_url,
            profile="current",
            anonymous_expect="allowed",
        )
        report = run_suite(target, RunOptions(only=("SEMANTICS-CancelJobs",), report_dir=None))
    assert len(report.cleanup_problems) == 1 and "PERMISSION_DENIED" in report.cleanup_problems[0]


def test_a_malformed_check_that_sent_nothing_does_not_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """No value of the scheme could be sent: nothing was judged, so the check is skipped, not passed."""
    import conformance.checks.auth as auth

    monkeypatch.setattr(auth, "malformed_authorization_values", lambda: [])
    report = run_suite(None, RunOptions(only=("AUTH-BASIC-MALFORMED-GRPC",), report_dir=None))
    assert [r.outcome for r in report.results] == [Outcome.SKIPPED]


def test_every_check_that_creates_something_is_mutating() -> None:
    """The catalogue's side of --read-only (the recording-server test proves the wire side)."""
    by_id = {c.id: c for c in catalogue()}
    assert by_id["SEMANTICS-SubmitUnknownQueue"].mutating
    assert by_id["SURFACE-Submit.SubmitJobs-GRPC"].mutating and not by_id["SURFACE-Submit.GetQueue-GRPC"].mutating
    assert by_id["PARITY-CreateQueue-ERROR"].mutating and not by_id["PARITY-GetQueue-ERROR"].mutating


def test_the_target_is_built_once_with_every_override_and_the_run_uses_it_unchanged(tmp_path: Path) -> None:
    """--intrusive, --prefix and --call-timeout are in the plan's Target; open_run neither copies nor changes it."""
    from conformance.runner import open_run

    with BackgroundServer(ServerConfig(grpc_port=0, http_port=0)) as server:
        path = tmp_path / "t.toml"
        path.write_text(f'[target]\ngrpc = "{server.grpc_target}"\nprofile = "current"\nconsecutive_ids = true\n')
        options = RunOptions(
            target=str(path), intrusive=True, prefix="mine", call_timeout=3.0, only=("SURFACE",), report_dir=None
        )
        plan = prepare(None, options)
        assert plan.target is not None
        built = (plan.target.intrusive, plan.target.prefix, plan.target.timeout, plan.target.consecutive_ids)
        assert built == (True, "mine", 3.0, True)
        with open_run(plan) as opened:
            assert opened.target is plan.target and opened.ctx.target is plan.target
            assert opened.ctx.intrusive and opened.ctx.settings is plan.settings
        assert (plan.target.intrusive, plan.target.prefix, plan.target.timeout) == built[:3]


def test_the_embedded_target_is_built_with_the_overrides() -> None:
    from conformance.runner import open_run

    plan = prepare(None, RunOptions(prefix="mine", call_timeout=3.0, only=("SURFACE",), report_dir=None))
    with open_run(plan) as opened:
        target = opened.target
        assert (target.prefix, target.timeout, target.intrusive, target.consecutive_ids) == ("mine", 3.0, True, True)
