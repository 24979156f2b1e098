"""The pytest plugin behaves like one: prefixed options, inert in unrelated sessions, checks as items.

Each test runs a real pytest in a subprocess (the plugin is loaded through its entry
point, as in any environment that installs the suite).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

FAST = "SEMANTICS-QueueNotFound,SEMANTICS-CancelJobs,PARITY-GetQueue,SURFACE-Submit.GetQueue-GRPC"


def pytest_run(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CI": "true"},
    )


def test_every_option_is_prefixed() -> None:
    import argparse

    from conformance.plugin import pytest_addoption

    seen: list[str] = []

    class Group:
        def addoption(self, *names: str, **kwargs: object) -> None:
            seen.extend(names)

    class Parser:
        def getgroup(self, *args: object) -> Group:
            return Group()

    pytest_addoption(Parser())  # type: ignore[arg-type]
    assert seen and all(name.startswith("--armada-") for name in seen), seen
    argparse.ArgumentParser().add_argument("--profile")  # what pytest-profiling adds: no clash any more
    assert "--profile" not in seen


def test_an_unrelated_session_sees_nothing_but_the_options(tmp_path: Path) -> None:
    """A project's own tests, with a conftest adding --profile (as pytest-profiling does), run unaffected."""
    (tmp_path / "conftest.py").write_text(
        "def pytest_addoption(parser):\n    parser.addoption('--profile', action='store_true')\n"
    )
    (tmp_path / "test_mine.py").write_text("def test_one():\n    assert True\n")
    with_plugin = pytest_run("-q", "--fixtures", "--markers", cwd=tmp_path)
    without = pytest_run("-q", "-p", "no:conformance", "--fixtures", "--markers", cwd=tmp_path)
    assert with_plugin.returncode == without.returncode == 0, with_plugin.stdout + with_plugin.stderr
    # Only the suite's markers are added (registered always, as pytest users expect of a plugin).
    ours = [line for line in with_plugin.stdout.splitlines() if "armada-conformance" in line]
    rest = [line for line in with_plugin.stdout.splitlines() if line not in ours and line]
    assert rest == [line for line in without.stdout.splitlines() if line]
    assert len(ours) == 15 and "@pytest.mark.grpc: armada-conformance checks over GRPC" in with_plugin.stdout
    done = pytest_run("-q", "--profile", cwd=tmp_path)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    assert not (tmp_path / "reports").exists()


def test_checks_are_items_named_by_id_with_category_markers(tmp_path: Path) -> None:
    listed = pytest_run(
        "--pyargs", "conformance", "--collect-only", "-q", "-m", "semantics", "-k", "Queue", cwd=tmp_path
    )
    names = [line.rsplit("::", 1)[-1] for line in listed.stdout.splitlines() if "::" in line]
    assert names and all(n.startswith("SEMANTICS-") and "Queue" in n for n in names), listed.stdout
    assert "armada-conformance::SEMANTICS-QueueNotFound" in listed.stdout
    auth = pytest_run("--armada-only", "AUTH", "--collect-only", "-q", "-m", "auth", cwd=tmp_path)
    assert "AUTH-BASIC-BADPW-GRPC" in auth.stdout and "SEMANTICS-" not in auth.stdout
    assert not (tmp_path / "reports").exists()  # collecting runs nothing and writes nothing


def test_a_target_file_runs_the_suite_into_one_report(tmp_path: Path) -> None:
    from reference_server.background import BackgroundServer
    from reference_server.config import ServerConfig

    with BackgroundServer(ServerConfig()) as server:
        target = tmp_path / "t.toml"
        target.write_text(
            f'[target]\ngrpc = "{server.grpc_target}"\nrest = "{server.rest_url}"\n'
            'profile = "current"\n[auth.anonymous]\nexpect = "allowed"\n'
        )
        done = pytest_run(
            "--armada-target", str(target), "--armada-only", FAST, "--armada-report-dir", "r", cwd=tmp_path
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "armada conformance: PASS" in done.stdout
    [report] = [json.loads(p.read_text()) for p in (tmp_path / "r").glob("*/report.json")]
    assert sorted(r["id"] for r in report["results"]) == sorted(FAST.split(","))
    assert report["target"]["grpc"] == server.grpc_target


def test_a_configuration_error_is_a_usage_error(tmp_path: Path) -> None:
    done = pytest_run("--armada-only", "AUHT", cwd=tmp_path)
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "AUHT" in done.stderr


def test_xdist_workers_merge_into_one_report(tmp_path: Path) -> None:
    known = tmp_path / "known.toml"
    known.write_text('[[known_failure]]\nid = "SEMANTICS-CancelJobs"\nreason = "the fault"\n')
    done = pytest_run(
        "-n",
        "2",
        "--armada-only",
        FAST,
        "--armada-fault",
        "no-cancelled-event",
        "--armada-call-timeout",  # SEMANTICS-CancelJobs waits this long for the event the fault withholds
        "2",
        "--armada-known-failures",
        str(known),
        "--armada-report-dir",
        "r",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    reports = list((tmp_path / "r").glob("*/report.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    outcomes = {r["id"]: r["outcome"] for r in report["results"]}
    assert outcomes == {**{i: "passed" for i in FAST.split(",")}, "SEMANTICS-CancelJobs": "expected failure"}
    assert report["verdict"] == "pass" and report["target"]["embedded"] is True


def test_counts_collect_only_markers_and_nothing_in_the_working_directory(tmp_path: Path) -> None:
    """`-m auth -k BASIC` once printed "-234 selected"; --collect-only "no tests collected"; pytest-asyncio
    warned; .benchmarks/ and .hypothesis/ appeared in the working directory."""
    cache = tmp_path / "cache"
    env = {**os.environ, "CI": "true", "XDG_CACHE_HOME": str(cache)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--pyargs",
            "conformance",
            "--collect-only",
            "-m",
            "auth and not grpc",
            "-k",
            "BASIC",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    names = re.findall(r"<CheckItem (\S+)>", done.stdout)
    assert names and all(n.startswith("AUTH-BASIC-") and n.endswith("-REST") for n in names)
    summary = done.stdout.strip().splitlines()[-1]
    assert f"{len(names)}/" in summary and "tests collected" in summary and "-" not in summary.split("tests")[0]
    assert "Deprecation" not in done.stdout + done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache"]
