"""The command-line options a CI user reaches for (issue 15), each shown to do what its help says.

Runs go through ``conformance.cli.main`` in this process against the embedded
reference server, with a fault switched on where a failure is needed; what does
not need a run (selection, validation, the report command) is checked without one.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib.metadata import version
from pathlib import Path

import pytest

from conformance import cli
from conformance.options import RunOptions
from conformance.progress import RESULT_FIELDS
from conformance.report import load_report, parse_known_failures, report_to_json
from conformance.results import CheckResult, Outcome, RunReport, Severity
from conformance.runner import ConfigError, prepare
from conformance.settings import FuzzSettings

FAULT = "notfound-wrong-code"  # fails SEMANTICS-QueueNotFound and -SubmitUnknownQueue, not -QueueInvalid
TRIO = "SEMANTICS-QueueInvalid,SEMANTICS-QueueNotFound,SEMANTICS-SubmitUnknownQueue"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


def test_version_names_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"armada-conformance {version('armada-conformance')}"


def test_a_run_stops_at_the_first_failure_and_writes_fixed_paths_json_lines_and_a_known_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status, stdout, stderr = run_cli(
        capsys,
        "run",
        "--only",
        TRIO,
        "--fault",
        FAULT,
        "-x",
        "--report-dir",
        str(tmp_path / "reports"),
        "--junit-xml",
        str(out / "junit.xml"),
        "--json",
        str(out / "report.json"),
        "--html",
        str(out / "r.html"),
        "--summary",
        str(out / "summary.md"),
        "--output",
        "json",
        "--known-failures-update",
        str(tmp_path / "k.toml"),
    )
    assert status == 1
    lines = [json.loads(line) for line in stdout.splitlines()]  # stdout: only JSON, one per check
    assert all(list(line) == list(RESULT_FIELDS) for line in lines)  # docs/ci.md lists these fields
    assert [(c["id"], c["outcome"]) for c in lines] == [
        ("SEMANTICS-QueueInvalid", "passed"),
        ("SEMANTICS-QueueNotFound", "failed"),
        ("SEMANTICS-SubmitUnknownQueue", "skipped"),
    ]
    assert lines[2]["message"].startswith("not run: the run stopped after 1 failed required check(s) (-x)")
    assert "FAIL: SEMANTICS-QueueNotFound failed (required)" in stderr
    report = load_report(out / "report.json")
    assert [r.id for r in report.results] == [c["id"] for c in lines]
    cases = ET.parse(out / "junit.xml").getroot().iter("testcase")
    assert [c.get("name") for c in cases] == [c["id"] for c in lines]
    assert "SEMANTICS-QueueNotFound" in (out / "summary.md").read_text()
    assert (out / "r.html").read_text().startswith("<!DOCTYPE html>")
    [folder] = (tmp_path / "reports").iterdir()  # the run's folder is still written
    assert (folder / "report.json").read_text() == (out / "report.json").read_text()
    known = parse_known_failures((tmp_path / "k.toml").read_text())
    assert [k.id for k in known] == ["SEMANTICS-QueueNotFound"] and known[0].reason.startswith("TODO:")


def test_max_failures_lets_that_many_fail_and_the_known_list_turns_the_run_green(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stdout, _ = run_cli(
        capsys,
        "run",
        "--only",
        TRIO,
        "--fault",
        FAULT,
        "--max-failures",
        "2",
        "--report-dir",
        str(tmp_path / "a"),
        "--known-failures-update",
        str(tmp_path / "k.toml"),
    )
    assert status == 1
    assert "2 failed" in stdout and "skipped" not in stdout
    status, stdout, _ = run_cli(
        capsys,
        "run",
        "--only",
        TRIO,
        "--fault",
        FAULT,
        "--report-dir",
        str(tmp_path / "b"),
        "--known-failures",
        str(tmp_path / "k.toml"),
    )
    assert status == 0, stdout
    assert stdout.startswith("PASS: every required check passed — 1 passed, 2 expected failure")


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--junit-xml", "."], "--junit-xml .: not a file path that can be written (it is a folder)"),
        (["--max-failures", "0"], "--max-failures 0 must be 1 or more"),
        (["--exclude", "NOPE"], "--exclude: no check matches NOPE"),
        (["--only", "SEMANTICS", "--exclude", "SEMANTICS"], "--exclude leaves no check of the selection to run"),
        (["--grpc", "h:1", "-H", "authorization: Bearer x"], "authorization"),
        (["--grpc", "h:1", "--authority", "a/b"], "host or host:port"),
        (["--max-examples", "0"], "--max-examples 0 must be 1 or more"),
        (["--fuzz-budget", "0"], "--fuzz-budget 0 must be a positive number"),
    ],
)
def test_unusable_options_are_exit_2_before_anything_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], problem: str
) -> None:
    status, stdout, stderr = run_cli(capsys, "run", "--report-dir", str(tmp_path), *args)
    assert status == 2 and stdout == ""
    assert problem in stderr and len(stderr.strip().splitlines()) == 1
    assert not any(tmp_path.iterdir())


def test_exclude_leaves_out_a_category_and_connection_flags_reach_the_target(tmp_path: Path) -> None:
    plan = prepare(None, RunOptions(exclude=("THROUGHPUT",)))
    assert plan.checks and not any(c.category == "THROUGHPUT" for c in plan.checks)
    assert any(c.category == "AUTH" for c in plan.checks)
    cert = tmp_path / "c.pem"
    cert.write_text("not checked before the handshake")
    plan = prepare(
        None,
        RunOptions(
            grpc="127.0.0.1:1",
            headers=("x-tenant: blue", "X-Zone: eu"),
            authority="armada.test:443",
            client_cert=str(cert),
        ),
    )
    assert plan.target is not None
    assert plan.target.connection.headers == (("x-tenant", "blue"), ("x-zone", "eu"))
    assert plan.target.connection.authority == "armada.test:443"
    assert plan.target.tls is not None and plan.target.tls.cert_file == str(cert)
    with pytest.raises(ConfigError, match="--exclude"):
        prepare(None, RunOptions(exclude=("AUHT",)))


def test_list_checks_only_and_its_json_dimensions(capsys: pytest.CaptureFixture[str]) -> None:
    status, stdout, _ = run_cli(capsys, "list-checks", "--only", "AUTH-BASIC-BADPW-*,PARITY-GetQueue", "--json")
    assert status == 0
    rows = {r["id"]: r for r in json.loads(stdout)}
    assert set(rows) == {"AUTH-BASIC-BADPW-GRPC", "AUTH-BASIC-BADPW-REST", "PARITY-GetQueue"}
    assert {k: rows["AUTH-BASIC-BADPW-REST"][k] for k in ("transport", "scheme", "severity")} == {
        "transport": "rest",
        "scheme": "basic",
        "severity": "required",
    }
    assert rows["PARITY-GetQueue"]["method"] == "Submit/GetQueue"
    status, stdout, _ = run_cli(capsys, "list-checks", "--exclude", "SURFACE,SEMANTICS,PARITY,SWAGGER,AUTH")
    assert status == 0 and {line.split()[0].split("-")[0] for line in stdout.splitlines()} == {"THROUGHPUT"}
    status, _, stderr = run_cli(capsys, "list-checks", "--only", "NOPE")
    assert status == 2 and "NOPE" in stderr


def _stored(path: Path, **outcomes: Outcome) -> Path:
    results = [
        CheckResult(i, "SEMANTICS", "r", Severity.REQUIRED, o, message=f"{i} broke") for i, o in outcomes.items()
    ]
    report = RunReport(
        target={"name": "t"},
        profile="current",
        suite_version="0",
        started="2026-01-01T00:00:00Z",
        finished="2026-01-01T00:01:00Z",
        machine={},
        results=results,
    )
    path.write_text(report_to_json(report))
    return path


def test_report_gates_against_a_baseline_and_applies_known_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _stored(tmp_path / "base.json", A=Outcome.PASSED, B=Outcome.PASSED)
    now = _stored(tmp_path / "now.json", A=Outcome.PASSED, B=Outcome.FAILED)
    status, stdout, _ = run_cli(capsys, "report", str(base), "--out", str(tmp_path / "r0"))
    assert status == 0 and stdout.startswith("PASS")
    status, stdout, _ = run_cli(
        capsys,
        "report",
        str(now),
        "--baseline",
        str(base),
        "--out",
        str(tmp_path / "r1"),
        "--junit-xml",
        str(tmp_path / "fixed" / "junit.xml"),
        "--known-failures-update",
        str(tmp_path / "k.toml"),
    )
    assert status == 1 and stdout.startswith("FAIL: B failed (required)")
    assert (tmp_path / "fixed" / "junit.xml").exists()
    status, stdout, _ = run_cli(
        capsys,
        "report",
        str(now),
        "--baseline",
        str(base),
        "--out",
        str(tmp_path / "r2"),
        "--known-failures",
        str(tmp_path / "k.toml"),
    )
    assert status == 0 and "1 expected failure" in stdout
    assert json.loads((tmp_path / "r2" / "report.json").read_text())["verdict"] == "pass"
    status, _, stderr = run_cli(capsys, "report", str(now), "--known-failures", str(tmp_path / "missing.toml"))
    assert status == 2 and "missing.toml" in stderr
    status, _, stderr = run_cli(
        capsys, "report", str(now), "--out", str(tmp_path / "r3"), "--known-failures-update", str(tmp_path)
    )  # a folder, not a file
    assert status == 2 and "--known-failures-update" in stderr and "Traceback" not in stderr


def test_schemathesis_settings_reach_the_run_context() -> None:
    plan = prepare(None, RunOptions(max_examples=3, seed=7, fuzz_budget=5.0, events=100))
    assert plan.settings.fuzz == FuzzSettings(max_examples=3, seed=7, budget_s=5.0)
    assert plan.settings.workload.events == 100
    assert prepare(None, RunOptions()).settings.fuzz == FuzzSettings()  # the defaults: nothing given


def test_a_passing_check_can_say_what_limited_it() -> None:
    from conformance.checks import Check
    from conformance.runner import run_check

    noted = Check("X-Noted", "SWAGGER", "r", function=lambda ctx: "time budget of 20 s reached")
    quiet = Check("X-Quiet", "SWAGGER", "r", function=lambda ctx: None)

    from conformance.context import RunContext
    from conformance.target import Target

    ctx = RunContext(Target(name="unreached", grpc="127.0.0.1:1", rest=None))  # neither check calls it
    try:
        assert (run_check(noted, ctx).outcome, run_check(noted, ctx).message) == (
            Outcome.PASSED,
            "time budget of 20 s reached",
        )
        assert run_check(quiet, ctx).message == ""
    finally:
        ctx.close()


def test_help_strings_name_the_defaults_the_run_uses() -> None:
    """Each workload flag's help carries its defaults from ``throughput.settings``, not a hand copy."""
    from conformance.options import FLAGS
    from conformance.throughput.settings import DEPLOYMENT_DEFAULTS, EMBEDDED_DEFAULTS

    helps = {flag.name: flag.help for flag in FLAGS}
    for name, embedded in EMBEDDED_DEFAULTS.items():
        assert f"default {embedded:g}" in helps[name], name
        if DEPLOYMENT_DEFAULTS[name] != embedded:
            assert f"{DEPLOYMENT_DEFAULTS[name]:g} against a deployment" in helps[name], name
    assert f"default: {RunOptions().report_dir}" in helps["report_dir"]
