"""The pytest plugin: options, the run's context, catalogue parametrization and reports.

Loaded by ``pytest -p conformance`` (its entry point) or by the ``armada-conformance``
command. It is inert unless the suite module ``conformance.suite`` is collected: only
then does it start anything or write a report.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import catalogue, select
from conformance.context import RunContext
from conformance.results import CheckResult, Outcome, RunReport
from conformance.target import Target, TargetError, load_target

_RESULTS = pytest.StashKey[list[CheckResult]]()
_KNOWN = pytest.StashKey[dict[str, Any]]()
_CONTEXT = pytest.StashKey[RunContext]()
_STARTED = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("armada-conformance", "Armada API conformance suite")
    group.addoption("--target", dest="armada_target", metavar="FILE",
                    help="target TOML file; without it the embedded reference server is checked")
    group.addoption("--grpc", dest="armada_grpc", metavar="HOST:PORT", help="gRPC address (overrides the file)")
    group.addoption("--rest", dest="armada_rest", metavar="URL", help="REST base URL (overrides the file)")
    group.addoption("--profile", dest="armada_profile", choices=("seed", "current"),
                    help="seed: the six mission methods; current: every method (default: the target's, else seed)")
    group.addoption("--only", dest="armada_only", default="", metavar="IDS",
                    help="comma-separated check IDs, ID patterns (PARITY-*) or categories (AUTH)")
    group.addoption("--read-only", dest="armada_read_only", action="store_true",
                    help="skip every check that creates, changes or deletes anything")
    group.addoption("--known-failures", dest="armada_known_failures", metavar="FILE",
                    help="TOML file of check IDs expected to fail, each with a reason")
    group.addoption("--baseline", dest="armada_baseline", metavar="REPORT",
                    help="a previous report.json: list new failures, fixed checks and throughput regressions")
    group.addoption("--report-dir", dest="armada_report_dir", default="reports", metavar="DIR",
                    help="where reports are written (default: reports)")
    group.addoption("--prefix", dest="armada_prefix", metavar="NAME",
                    help="prefix of every queue and job set the run creates (default: conformance)")
    group.addoption("--call-timeout", dest="armada_timeout", type=float, metavar="SECONDS",
                    help="deadline of each call (default 10)")
    group.addoption("--fault", dest="armada_faults", action="append", default=[], metavar="NAME",
                    help="embedded server only: switch on a reference-server fault (to see checks fail)")
    _add_throughput_options(group.addoption)


# THROUGHPUT workload and gates: (option, type, help); each becomes ctx.options[<name with _>].
THROUGHPUT_OPTIONS: list[tuple[str, type, str]] = [
    ("--events", int, "replay: events per job set (default 6000 embedded, 2000 against a deployment)"),
    ("--replay-job-set", str, "replay: measure this existing job set (QUEUE/ID) instead of creating one; creates "
                              "nothing, so it runs under --read-only too"),
    ("--jobs", int, "live: tiny jobs submitted while watching (default 400 embedded, 50 against a deployment)"),
    ("--watchers", int, "fan-out: concurrent watchers of one job set (default 8 embedded, 4 deployment)"),
    ("--batch-size", int, "live: jobs per SubmitJobs call (default 4 embedded, 10 deployment)"),
    ("--processes", int, "consumer processes; replay reads one job set per process (default 1)"),
    ("--submit-interval-ms", float, "live: pause between SubmitJobs calls (default 5 embedded, 20 deployment)"),
    ("--min-events-per-second", float, "gate: replay and fan-out events/s must reach this"),
    ("--max-p99-ms", float, "gate: live submit-to-event latency p99 must stay within this"),
    ("--max-regression", float, "gate: no figure may be this fraction worse than in --baseline (0.2: 20%%)"),
]


def _add_throughput_options(add: Any) -> None:
    for flag, kind, text in THROUGHPUT_OPTIONS:
        add(flag, dest="armada_" + flag[2:].replace("-", "_"), type=kind, default=None, help=text)


def throughput_options(config: pytest.Config) -> dict[str, Any]:
    """The THROUGHPUT options that were given, keyed as ``ctx.options`` expects; the baseline too."""
    options = {flag[2:].replace("-", "_"): config.getoption("armada_" + flag[2:].replace("-", "_"))
               for flag, _, _ in THROUGHPUT_OPTIONS}
    options["baseline"] = config.getoption("armada_baseline")
    return {k: v for k, v in options.items() if v is not None}


def _is_suite_run(config: pytest.Config) -> bool:
    return any("conformance.suite" in str(arg) or "conformance/suite" in str(arg) for arg in config.args)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_RESULTS] = []
    config.stash[_KNOWN] = {}
    config.stash[_STARTED] = _now()
    path = config.getoption("armada_known_failures", None)
    if path and _is_suite_run(config):
        from conformance.report.gate import KnownFailuresError, load_known_failures

        try:
            config.stash[_KNOWN] = {k.id: k for k in load_known_failures(Path(path))}
        except (KnownFailuresError, OSError) as exc:
            raise pytest.UsageError(f"armada-conformance: {exc}") from None


def _profile(config: pytest.Config) -> str:
    chosen = config.getoption("armada_profile", None)
    if chosen:
        return chosen
    path = config.getoption("armada_target", None)
    if path:
        try:
            return load_target(path, _overrides(config)).profile
        except TargetError:
            return "seed"  # the fixture reports the error properly
    return "current"  # the embedded server serves everything


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "check" not in metafunc.fixturenames:
        return
    only = [w for w in (metafunc.config.getoption("armada_only") or "").split(",") if w.strip()]
    checks = select(catalogue(), _profile(metafunc.config), only)
    metafunc.parametrize("check", checks, ids=[c.id for c in checks])


def _overrides(config: pytest.Config) -> dict[str, Any]:
    return {"grpc": config.getoption("armada_grpc"), "rest": config.getoption("armada_rest"),
            "profile": config.getoption("armada_profile"), "prefix": config.getoption("armada_prefix"),
            "timeout": config.getoption("armada_timeout")}


@pytest.fixture(scope="session")
def armada_context(pytestconfig: pytest.Config) -> Iterator[RunContext]:
    """The run's context: the target (embedded unless --target/--grpc), its clients, and cleanup."""
    from conformance.preflight import check_target

    path, overrides = pytestconfig.getoption("armada_target"), _overrides(pytestconfig)
    environment = None
    try:
        if path or overrides["grpc"]:
            target = load_target(path, overrides)
        else:
            environment, target = _embedded(pytestconfig)
        check_target(target)
    except TargetError as exc:
        if environment is not None:
            environment.__exit__(None, None, None)
        pytest.exit(f"armada-conformance: {exc}", returncode=2)
    ctx = RunContext(target, read_only=pytestconfig.getoption("armada_read_only"),
                     options=throughput_options(pytestconfig))
    pytestconfig.stash[_CONTEXT] = ctx
    try:
        yield ctx
    finally:
        problems = ctx.cleanup()
        for problem in problems:
            sys.stderr.write(f"armada-conformance: cleanup: {problem}\n")
        ctx.close()
        if environment is not None:
            environment.__exit__(None, None, None)


def _embedded(config: pytest.Config) -> tuple[Any, Target]:
    from conformance.embedded import EmbeddedEnvironment

    environment = EmbeddedEnvironment(faults=tuple(config.getoption("armada_faults") or ()))
    environment.__enter__()
    profile = config.getoption("armada_profile") or "current"
    target = environment.target(profile)
    for name in ("prefix", "timeout"):
        value = _overrides(config)[name]
        if value is not None:
            setattr(target, name, value)
    return environment, target


def record(config: pytest.Config, result: CheckResult) -> str | None:
    """Keep a check's result for the report; return the known-failure reason if it is listed."""
    known = config.stash[_KNOWN].get(result.id)
    config.stash[_RESULTS].append(result)
    return known.reason if known is not None else None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    results = config.stash.get(_RESULTS, [])
    ctx = config.stash.get(_CONTEXT, None)
    if not results or ctx is None:
        return
    from conformance.report import write_reports
    from conformance.report.gate import apply_known_failures, compare_to_baseline, exit_code
    from conformance.report.json_report import load_report

    report = RunReport(target=ctx.target.describe(), profile=ctx.target.profile, suite_version=_version(),
                       started=config.stash[_STARTED], finished=_now(), machine=_machine(),
                       server_version=_version() if ctx.target.embedded else "", results=results,
                       figures=list(getattr(ctx, "figures", [])))
    known = config.stash[_KNOWN]
    if known:
        report = apply_known_failures(report, known.values()).report
    baseline_path = config.getoption("armada_baseline")
    comparison = compare_to_baseline(report, load_report(Path(baseline_path))) if baseline_path else None
    folder = write_reports(report, Path(config.getoption("armada_report_dir")), comparison,
                           known_secrets=ctx.target.secrets())
    config.stash[_REPORT_DIR] = folder
    session.exitstatus = exit_code(report, comparison)


_REPORT_DIR = pytest.StashKey[Path]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    folder = config.stash.get(_REPORT_DIR, None)
    if folder is None:
        return
    results = config.stash[_RESULTS]
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
    failed = [r for r in results if r.outcome is Outcome.FAILED]
    terminalreporter.write_sep("=", "armada conformance")
    terminalreporter.write_line(", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
    for result in failed[:20]:
        terminalreporter.write_line(f"FAILED {result.id}: {result.message[:160]}")
    terminalreporter.write_line(f"reports: {folder}")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _version() -> str:
    from reference_server.app import version

    return version()


def _machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "hostname": platform.node()}
