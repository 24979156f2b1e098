"""Issue 13 item 14: checks that can take a server down are intrusive, opt-in on real targets.

A target that is not the embedded server runs them only with ``--intrusive``; the
catalogue (list-checks JSON and Markdown) and the report say which they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from grpc_kit import PASSWORD, basic_server

from conformance import cli
from conformance.checks import catalogue
from conformance.options import RunOptions
from conformance.results import Outcome
from conformance.runner import run_suite
from conformance.target import Identity, SchemeSettings, Target, basic_header

INTRUSIVE = ("AUTH-BASIC-NOCOLON-GRPC", "AUTH-BASIC-NOCOLON-REST", "AUTH-OVERSIZE-GRPC", "AUTH-OVERSIZE-REST")


@pytest.fixture(scope="module")
def real_target() -> Iterator[Target]:
    """The reference server described as a deployment would be: not embedded, not intrusive."""
    with basic_server() as server:
        target = Target(name="a deployment", grpc=server.grpc_target, rest=server.rest_url, profile="current")
        identity = Identity("basic", "alice", lambda: basic_header("alice", PASSWORD))
        target.schemes["basic"] = SchemeSettings("basic", identity, extras={"username": "alice"}, secrets=[PASSWORD])
        yield target


def test_the_probes_that_can_crash_a_server_are_intrusive() -> None:
    intrusive = {check.id for check in catalogue() if check.intrusive}
    assert intrusive == set(INTRUSIVE)


def test_list_checks_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["list-checks", "--json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)}
    assert all(rows[i]["intrusive"] for i in INTRUSIVE)
    assert not rows["AUTH-BASIC-BADPW-GRPC"]["intrusive"]
    assert cli.main(["list-checks", "--markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "| intrusive |" in markdown
    assert any(line.startswith("| `AUTH-OVERSIZE-REST`") and "| yes |" in line for line in markdown.splitlines())


def test_a_real_target_skips_them_unless_asked(real_target: Target) -> None:
    report = run_suite(real_target, RunOptions(only=("AUTH-BASIC-NOCOLON-*", "AUTH-OVERSIZE-*"), report_dir=None))
    assert {r.id: r.outcome for r in report.results} == dict.fromkeys(INTRUSIVE, Outcome.SKIPPED)
    assert all("--intrusive" in r.message for r in report.results)
    assert report.target["intrusive_checks"] is False


def test_intrusive_runs_them(real_target: Target) -> None:
    report = run_suite(
        real_target, RunOptions(only=("AUTH-BASIC-NOCOLON-*", "AUTH-OVERSIZE-*"), intrusive=True, report_dir=None)
    )
    assert {r.id: r.outcome for r in report.results} == dict.fromkeys(INTRUSIVE, Outcome.PASSED), [
        r.message for r in report.results
    ]
    assert report.target["intrusive_checks"] is True
    real_target.intrusive = False  # the run marked this (shared) target; put it back
