"""The runner's side of the gate: ERROR apart from FAILED, plain reasons, and the run's record.

A check the suite could not set up (its queue refused) used to read as the server failing
it, with a Python exception name in the message; a report did not say how its run was made.
"""

from __future__ import annotations

import types
import xml.etree.ElementTree as ET
from pathlib import Path

from conformance.checks import Check, SetupError
from conformance.options import RunOptions
from conformance.results import Outcome
from conformance.runner import exit_status, run_check, run_suite
from conformance.target import Target
from reference_server.background import BackgroundServer
from reference_server.config import DEVELOPMENT_AUTH, GLOBAL_PERMISSIONS, ServerConfig

CTX = types.SimpleNamespace(read_only=False, intrusive=False, secrets=(), take_notes=list)


def _check(function: object) -> Check:
    return Check("SEMANTICS-Probe", "SEMANTICS", "r", function)  # type: ignore[arg-type]


def test_a_setup_error_is_error_and_no_message_names_a_python_exception() -> None:
    def cannot_set_up(ctx: object) -> None:
        raise SetupError("could not create a queue for the check: UNAVAILABLE")

    def crashes(ctx: object) -> None:
        raise KeyError("jobId")

    errored = run_check(_check(cannot_set_up), CTX)
    assert errored.outcome is Outcome.ERROR and "not a finding about the server" in errored.message
    crashed = run_check(_check(crashes), CTX)
    assert crashed.outcome is Outcome.FAILED and crashed.message == "the check could not complete: missing 'jobId'"
    for result in (errored, crashed):
        assert "Error" not in result.message and result.evidence["exception"]


def test_a_queue_the_target_refuses_makes_the_check_an_error_not_a_failure(tmp_path: Path) -> None:
    """A target that lets the run read but not create queues: the suite could not set the check up."""
    permissions = {p: ["everyone"] for p in GLOBAL_PERMISSIONS if p != "create_queue"}
    config = ServerConfig.from_dict({"auth": DEVELOPMENT_AUTH, "authorization": {"permissions": permissions}})
    with BackgroundServer(config) as server:
        target = Target(
            name="no-create", grpc=server.grpc_target, rest=None, profile="current", anonymous_expect="allowed"
        )
        report = run_suite(target, RunOptions(only=("SEMANTICS-CancelJobs",), report_dir=str(tmp_path)))
    [result] = report.results
    assert result.outcome is Outcome.ERROR and "PERMISSION_DENIED" in result.message
    assert report.verdict == "error" and exit_status(report) == 1
    assert report.cleanup_problems == []  # nothing was created, so nothing is reported left behind
    suite = ET.parse(next(tmp_path.glob("*/junit.xml"))).getroot()
    assert suite.get("errors") == "1" and suite.get("failures") == "0"


def test_the_report_records_how_the_run_was_made(tmp_path: Path) -> None:
    report = run_suite(
        None,
        RunOptions(
            only=("SEMANTICS-QueueNotFound",),
            read_only=True,
            seed=7,
            known_failures="armada-2026",
            report_dir=str(tmp_path),
        ),
    )
    run = report.run
    assert run["selection"] == {
        "only": ["SEMANTICS-QueueNotFound"],
        "exclude": [],
        "checks": 1,
        "stop_after_failures": None,
    }
    assert run["read_only"] is True and run["seed"] == 7 and run["baseline"] is None
    assert run["known_failures"].startswith("armada-2026 (shipped: conformance/known/armada-2026.toml)")
    assert run["profile"] == report.profile and run["suite_version"] == report.suite_version
    assert run["interrupted"] == "" and run["gated"]["by"] == "run"
    folder = next(tmp_path.iterdir())
    properties = {p.get("name"): p.get("value") for p in ET.parse(folder / "junit.xml").getroot().iter("property")}
    assert properties["read_only"] == "yes" and properties["seed"] == "7" and properties["interrupted"] == "no"
    summary = (folder / "summary.md").read_text()
    assert "Read-only: yes" in summary and "Known failures: armada-2026" in summary
    assert "Read-only" in (folder / "report.html").read_text()
