"""The pytest plugin: the conformance checks as pytest items, judged by the same runner as the CLI.

Loaded in every pytest session of an environment that installs the suite (entry point
``conformance``), it adds its ``--armada-*`` options and nothing else until a run asks
for it: ``pytest --armada-target t.toml``, any other ``--armada-*`` option, or
``pytest --pyargs conformance``. Then it replaces collection by the catalogue: one
item per check, named by its ID, marked with its category (``-m auth``, ``-k PARITY``),
and the items' outcomes go into the runner's ``RunReport`` (known failures, baseline,
reports). Under pytest-xdist each worker runs its share against its own context, and
the controller merges the workers' results, figures and cleanup problems into one report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from conformance.checks import CATEGORIES, Check
from conformance.options import FLAGS, RunOptions, options_from
from conformance.results import CheckResult, Figure, Outcome, RunReport, Severity

PREFIX = "armada_"
TRANSPORT_MARKERS = ("grpc", "rest")
SCHEME_MARKERS = ("anonymous", "basic", "oidc", "kerberos")
_STATE = pytest.StashKey["ArmadaRun"]()
_PACKAGE = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("armada", "Armada API conformance suite (armada-conformance)")
    for flag in FLAGS:
        if flag.plugin:  # CLI-only ones (-x, --max-failures) are pytest's own -x / --maxfail here
            group.addoption("--armada-" + flag.flag[2:], **flag.argparse_kwargs(dest_prefix=PREFIX))


def _options(config: pytest.Config) -> RunOptions:
    return options_from(lambda name: config.getoption(PREFIX + name, None))


def _asked_for(config: pytest.Config) -> bool:
    """Any --armada-* option given, or the conformance package named as what to test."""
    given = dataclasses.asdict(_options(config)) != dataclasses.asdict(RunOptions())
    return given or any(_names_the_package(str(arg)) for arg in config.args)


def _names_the_package(arg: str) -> bool:
    if arg.split("::")[0] in ("conformance", "conformance.checks"):
        return True
    path = Path(arg.split("::")[0])
    return path.exists() and (path.resolve() == _PACKAGE or _PACKAGE in path.resolve().parents)


# Markers every item may carry, registered in every session so `pytest --markers` lists them.
MARKERS = {
    **{category.lower(): f"armada-conformance {category} checks" for category in CATEGORIES},
    "mutating": "armada-conformance checks that create things (skipped under --armada-read-only)",
    "intrusive": "armada-conformance checks that may upset a real server",
    **{t: f"armada-conformance checks over {t.upper() if t == 'grpc' else 'REST'}" for t in TRANSPORT_MARKERS},
    "both": "armada-conformance checks comparing gRPC and REST (also marked grpc and rest)",
    **{scheme: f"armada-conformance checks of the {scheme} auth scheme" for scheme in SCHEME_MARKERS},
}


@pytest.hookimpl(tryfirst=True)  # before pytest-asyncio and pytest-benchmark read their settings
def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    if not _asked_for(config):
        return
    _quiet_neighbours(config)
    from conformance.runner import ConfigError, prepare

    try:
        plan = prepare(None, _options(config))
    except ConfigError as exc:
        raise pytest.UsageError(f"armada-conformance: {exc}") from None
    run = ArmadaRun(plan)
    config.stash[_STATE] = run
    config.pluginmanager.register(run, "armada-conformance-run")


def _quiet_neighbours(config: pytest.Config) -> None:
    """A conformance session writes nothing to the working directory and warns of nothing it did not cause.

    pytest-benchmark's ``.benchmarks/`` and hypothesis' ``.hypothesis/`` go to the user's cache
    (``conformance.storage``); pytest-asyncio's "asyncio_default_fixture_loop_scope is unset"
    warning is about a setting the suite's items never use, so it is set for the session.
    """
    from conformance.storage import keep_benchmarks_out_of_cwd, keep_hypothesis_out_of_cwd

    keep_hypothesis_out_of_cwd()
    keep_benchmarks_out_of_cwd(config.option)
    with contextlib.suppress(ValueError, AttributeError):  # pytest-asyncio absent, or pytest's cache renamed
        if not config.getini(_LOOP_SCOPE):
            config._inicache[_LOOP_SCOPE] = "function"  # getini's cache: no public setter for a plugin


_LOOP_SCOPE = "asyncio_default_fixture_loop_scope"


def _is_xdist_controller(config: pytest.Config) -> bool:
    return config.pluginmanager.has_plugin("dsession")


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


class ArmadaRun:
    """One run inside a pytest session, registered as a plugin only when a run was asked for.

    Holds the plan, the context (opened at the first check, so --collect-only starts
    nothing), and the results as reported (in one process, or from every xdist worker).
    """

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        self.results: list[CheckResult] = []
        self.figures: list[Figure] = []
        self.cleanup_problems: list[str] = []
        self.target: Any = None  # the Target, once opened in this process
        self.target_description: dict[str, Any] | None = None  # its description (xdist: a worker's)
        self.server_version = ""
        self.report: RunReport | None = None
        self.folder: Path | None = None
        self.reasons: list[str] = []
        self._stack = contextlib.ExitStack()
        self._opened: Any = None
        self._figures_sent = 0

    # ---- the context of this process ---------------------------------------------------

    def context(self) -> Any:
        from conformance.runner import ConfigError, open_run

        if self._opened is None:
            try:
                self._opened = self._stack.enter_context(open_run(self.plan))
            except ConfigError as exc:
                pytest.exit(f"armada-conformance: {exc}", returncode=2)
            self.target = self._opened.target
            self.target_description = self.target.describe()
            self.server_version = self._opened.server_version
        return self._opened.ctx

    def new_figures(self) -> list[Figure]:
        figures = self._opened.ctx.figures[self._figures_sent :]
        self._figures_sent += len(figures)
        return list(figures)

    def close(self) -> None:
        """Clean up what the run created (always) and keep what could not be removed."""
        opened, self._opened = self._opened, None
        self._stack.close()
        if opened is not None:
            self.cleanup_problems += opened.ctx.cleanup_problems

    # ---- hooks ---------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        """Collect the catalogue instead of files (the xdist controller collects nothing: its workers do)."""
        config = session.config
        if _is_xdist_controller(config):
            return None
        suite = ArmadaSuite.from_parent(session, name="armada-conformance", nodeid="armada-conformance")
        config.hook.pytest_collectstart(collector=suite)
        items = suite.collect()
        # The terminal counts what collect reports say (else "collected 0 items / 234 deselected / -234 selected").
        config.hook.pytest_collectreport(report=pytest.CollectReport(suite.nodeid, "passed", None, list(items)))
        for item in items:
            config.hook.pytest_itemcollected(item=item)
        config.hook.pytest_collection_modifyitems(session=session, config=config, items=items)
        session.items = items
        config.hook.pytest_collection_finish(session=session)
        session.testscollected = len(items)
        return True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Results reach the report from here: in one process, and on the xdist controller from every worker."""
        properties = dict(report.user_properties)
        if report.when != "call" or "armada_result" not in properties:
            return
        data = json.loads(str(properties["armada_result"]))
        self.results.append(
            CheckResult(**{**data, "severity": Severity(data["severity"]), "outcome": Outcome(data["outcome"])})
        )
        self.figures += [Figure(**f) for f in json.loads(str(properties.get("armada_figures", "[]")))]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: a worker finished; take its cleanup problems and target description."""
        output = getattr(node, "workeroutput", None) or {}
        if "armada" in output:
            worker = json.loads(output["armada"])
            self.cleanup_problems += worker["cleanup_problems"]
            self.target_description = self.target_description or worker["target"]
            self.server_version = self.server_version or worker["server_version"]

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.close()
        config = session.config
        if _is_xdist_worker(config):
            # pytest-xdist sets workeroutput on a worker's config; pytest's Config does not declare it.
            output: dict[str, Any] = config.workeroutput  # type: ignore[attr-defined]
            output["armada"] = json.dumps(
                {
                    "cleanup_problems": self.cleanup_problems,
                    "target": self.target_description,
                    "server_version": self.server_version,
                }
            )
            return
        if not config.option.collectonly:
            self._conclude(session, exitstatus)

    def _conclude(self, session: pytest.Session, exitstatus: int) -> None:
        from conformance.runner import conclude

        interrupted = "SIGINT" if exitstatus == pytest.ExitCode.INTERRUPTED else ""
        order = {c.id: n for n, c in enumerate(self.plan.checks)}
        results = sorted(self.results, key=lambda r: order.get(r.id, len(order)))
        conclude(
            self.plan,
            results,
            target=self.target or self.plan.target,
            description=self.target_description,
            figures=self.figures,
            cleanup_problems=self.cleanup_problems,
            interrupted=interrupted,
            server_version=self.server_version,
            listener=self,
        )
        if self.report is not None and self.report.verdict in ("fail", "error") and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # e.g. a regression against the baseline

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is None:
            return
        terminalreporter.write_sep("=", f"armada conformance: {self.report.verdict.upper()}")
        for reason in self.reasons[:20]:
            terminalreporter.write_line(f"- {reason}")
        for entry in self.report.unmatched_known_failures:
            terminalreporter.write_line(f"known failure {entry!r} matches no check of this run")
        for problem in self.report.cleanup_problems:
            terminalreporter.write_line(f"cleanup: {problem}")
        if self.folder is not None:
            terminalreporter.write_line(f"reports: {self.folder}")

    # ---- the runner's Listener interface (conclude tells us the report) -------------------

    def run_started(self, checks: Any) -> None: ...

    def check_started(self, check: Check, done: int, total: int) -> None: ...

    def check_finished(self, result: CheckResult, done: int, total: int) -> None: ...

    def run_finished(self, report: RunReport, comparison: Any, folder: Path | None) -> None:
        from conformance.runner import reasons

        self.report, self.folder, self.reasons = report, folder, reasons(report, comparison)


class ArmadaSuite(pytest.Collector):
    """The catalogue as a collector (no file behind it)."""

    def collect(self) -> list[pytest.Item]:
        plan = self.config.stash[_STATE].plan
        items: list[pytest.Item] = []
        for check in plan.checks:
            item = CheckItem.from_parent(self, name=check.id, check=check)
            for marker in markers_of(check):
                item.add_marker(marker)
            if check.mutating:
                item.add_marker("mutating")
            if check.intrusive:
                item.add_marker("intrusive")
            items.append(item)
        return items


def markers_of(check: Check) -> list[str]:
    """Category, transport (a parity check is both, grpc and rest) and scheme: `-m "auth and not grpc"`."""
    markers = [check.category.lower()]
    if check.transport == "both":
        markers += ["both", *TRANSPORT_MARKERS]
    elif check.transport in TRANSPORT_MARKERS:
        markers.append(check.transport)
    if check.scheme in SCHEME_MARKERS:
        markers.append(check.scheme)
    return markers


class CheckFailure(Exception):
    """A check failed: reported as its one-line reason, not a traceback."""


class CheckItem(pytest.Item):
    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    def runtest(self) -> None:
        from conformance.report.gate import mark_known
        from conformance.runner import run_check

        run = self.config.stash[_STATE]
        result = mark_known(run_check(self.check, run.context()), run.plan.known)
        self.user_properties.append(("armada_result", json.dumps(_result_data(result))))
        self.user_properties.append(("armada_figures", json.dumps([dataclasses.asdict(f) for f in run.new_figures()])))
        if result.outcome is Outcome.FAILED:
            raise CheckFailure(f"{result.id}: {result.message}")
        if result.outcome is Outcome.ERROR:  # fails the session too, saying whose problem it is
            raise CheckFailure(f"{result.id}: error, {result.message}")
        if result.outcome is Outcome.EXPECTED_FAILURE:
            pytest.xfail(result.message)
        if result.outcome is not Outcome.PASSED:
            pytest.skip(f"{result.outcome.value}: {result.message}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[str, int | None, str]:
        return "armada-conformance", None, self.check.id


def _result_data(result: CheckResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["severity"], data["outcome"] = str(result.severity), str(result.outcome)
    return data
