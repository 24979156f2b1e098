"""The options of a conformance run: one dataclass, one table of flags for the CLI and the pytest plugin.

``RunOptions`` is what :func:`conformance.runner.run_suite` takes. ``FLAGS`` declares
each option once (flag, help, type); the CLI registers it as ``--<flag>`` and the
pytest plugin as ``--armada-<flag>``, so the two cannot drift apart. A new option is
a field here plus a row in ``FLAGS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from conformance.releases import NEWEST
from conformance.report.gate import DEFAULT_TOLERANCE
from conformance.settings import FUZZ_BUDGET_S, FUZZ_EXAMPLES, FUZZ_HEAVY
from conformance.target import DEFAULT_PREFIX, DEFAULT_TIMEOUT_S
from conformance.throughput.settings import DEPLOYMENT_DEFAULTS, EMBEDDED_DEFAULTS


@dataclass
class RunOptions:
    target: str | None = None  # target TOML file; None: --grpc, else the embedded reference server
    grpc: str | None = None  # overrides the file's [target] grpc
    rest: str | None = None  # overrides the file's [target] rest
    profile: str | None = None  # a release, preset or "contract" (conformance.releases); None: the target's
    only: tuple[str, ...] = ()  # check IDs, ID patterns with '*', or categories
    exclude: tuple[str, ...] = ()  # the same words: checks left out of the selection
    read_only: bool = False  # skip every check that creates, changes or deletes anything
    intrusive: bool = False  # run intrusive checks on a real target too (always on when embedded)
    known_failures: str | None = None  # TOML file of [[known_failure]] id/reason entries
    baseline: str | None = None  # a previous report.json to compare with
    report_dir: str | None = "reports"  # where the run's folder of reports goes; None: write no files
    prefix: str | None = None  # prefix of every queue and job set the run creates
    call_timeout: float | None = None  # deadline of each call, seconds
    faults: tuple[str, ...] = ()  # embedded target only: reference-server faults to switch on
    # The schemathesis check (SWAGGER-Schemathesis): examples per operation and mode, seed, time budget.
    max_examples: int | None = None
    seed: int | None = None
    fuzz_budget: float | None = None
    # Fixed output paths (besides the run's folder), for CI that should not glob timestamped folders.
    junit_xml: str | None = None
    json: str | None = None
    html: str | None = None
    summary: str | None = None
    # Stop early: after the first / N-th failed required check (the rest are reported skipped).
    exitfirst: bool = False
    max_failures: int | None = None
    # How to reach the target beyond its file: extra headers ("name: value"), authority, mTLS files.
    headers: tuple[str, ...] = ()
    authority: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    flavour: str | None = None  # embedded target only: contract, a release (v0.8.7) or a preset
    # THROUGHPUT workload and gates (None: the defaults of conformance.throughput.settings / not set).
    events: int | None = None
    replay_job_set: str | None = None  # QUEUE/ID: replay measures this existing job set and creates nothing
    jobs: int | None = None
    watchers: int | None = None
    batch_size: int | None = None
    processes: int | None = None
    submit_interval_ms: float | None = None
    min_events_per_second: float | None = None
    max_p99_ms: float | None = None
    max_regression: float | None = None

    def outputs(self) -> dict[str, str]:
        """Report format -> the fixed path it was asked for (``--junit-xml`` ...)."""
        paths = {
            "junit.xml": self.junit_xml,
            "report.json": self.json,
            "report.html": self.html,
            "summary.md": self.summary,
        }
        return {name: path for name, path in paths.items() if path}

    @property
    def failure_limit(self) -> int | None:
        """Failed required checks after which the run stops (``-x`` is 1); None: run everything."""
        return 1 if self.exitfirst else self.max_failures

    def throughput(self) -> dict[str, Any]:
        """The workload options that were given (``Workload.from_options`` types and bounds them)."""
        names = [f.name for f in fields(self) if f.name in THROUGHPUT_FIELDS]
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


THROUGHPUT_FIELDS = ("events", "jobs", "watchers", "batch_size", "processes", "submit_interval_ms")


@dataclass(frozen=True)
class Flag:
    """One command-line option of ``run`` (and, prefixed ``--armada-``, of the pytest plugin)."""

    name: str  # the RunOptions field
    help: str
    type: Callable[[str], Any] | None = str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    kind: str = "value"  # "value", "flag" (store_true), "list" (append), "words" (comma list)
    extra: dict[str, Any] = field(default_factory=dict)
    long: str | None = None  # the long option when it is not --<name> (--header for headers)
    short: str | None = None  # a one-letter alias of the CLI (-H, -x); never for the plugin
    plugin: bool = True  # False: CLI only (pytest's own -x/--maxfail do that job there)

    @property
    def flag(self) -> str:
        return self.long or "--" + self.name.replace("_", "-").replace("faults", "fault")

    @property
    def cli_names(self) -> tuple[str, ...]:
        return (self.short, self.flag) if self.short else (self.flag,)

    def argparse_kwargs(self, dest_prefix: str = "") -> dict[str, Any]:
        kwargs: dict[str, Any] = {"dest": dest_prefix + self.name, "help": self.help}
        if self.kind == "flag":
            return {**kwargs, "action": "store_true", "default": False}
        if self.kind == "list":
            return {**kwargs, "action": "append", "default": [], "metavar": self.metavar}
        kwargs.update(default=None, metavar=self.metavar, type=self.type)
        if self.choices:
            kwargs["choices"] = self.choices
        return kwargs


_DEFAULTS = RunOptions()


def _workload(name: str, what: str) -> str:
    """A workload flag's help with its defaults, read from ``conformance.throughput.settings``."""
    embedded, deployment = EMBEDDED_DEFAULTS[name], DEPLOYMENT_DEFAULTS[name]
    if embedded == deployment:
        return f"{what} (default {embedded:g})"
    return f"{what} (default {embedded:g} embedded, {deployment:g} against a deployment)"


# Help strings name their defaults from where those live, so the two cannot disagree.
FLAGS: tuple[Flag, ...] = (
    Flag(
        "target",
        "target TOML file (default: none: with no --grpc either, the embedded reference server is checked)",
        metavar="FILE",
    ),
    Flag("grpc", "gRPC address, overriding the target file's (default: the file's)", metavar="HOST:PORT"),
    Flag(
        "rest",
        "REST base URL, overriding the target file's (default: the file's; none: REST checks are not configured)",
        metavar="URL",
    ),
    Flag(
        "profile",
        "the release judged: v0.19.3, 0.19, a preset (armada-2023 alias seed = v0.3.103; armada-2026 alias "
        f"current = {NEWEST}) or contract (default: the target file's; none there: {NEWEST}; the embedded "
        "server: its flavour's)",
        metavar="RELEASE",
    ),
    Flag(
        "only",
        "check IDs, ID patterns (AUTH-BASIC-*) or categories (auth), comma-separated (default: every check)",
        metavar="IDS",
        kind="words",
    ),
    Flag(
        "exclude",
        "leave out these check IDs, ID patterns or categories, comma-separated (e.g. THROUGHPUT; default: none)",
        metavar="IDS",
        kind="words",
    ),
    Flag("read_only", "skip every check that creates, changes or deletes anything (default: off)", kind="flag"),
    Flag(
        "intrusive",
        "also run intrusive checks (probes that can upset or crash a real server); "
        "always on against the embedded server (default: off)",
        kind="flag",
    ),
    Flag(
        "known_failures",
        "TOML list of check IDs (or patterns) expected to fail, with reasons; or a release "
        "(v0.8.7, armada-2023, armada-2026) for the deviations shipped for it (default: none)",
        metavar="FILE|RELEASE",
    ),
    Flag(
        "baseline",
        "a previous report.json: new failures and throughput regressions fail the gate (default: none)",
        metavar="REPORT",
    ),
    Flag(
        "report_dir", f"where the run's folder of reports is written (default: {_DEFAULTS.report_dir})", metavar="DIR"
    ),
    Flag(
        "max_examples",
        "schemathesis: generated cases per operation and mode (default: "
        f"{FUZZ_EXAMPLES['positive']} positive, {FUZZ_EXAMPLES['negative']} negative, "
        + ", ".join(f"{n} for {op}" for op, n in FUZZ_HEAVY.items())
        + ")",
        int,
        "N",
    ),
    Flag(
        "seed",
        "schemathesis: random seed, to vary or reproduce the cases (default: none: the same "
        "derandomized cases every run)",
        int,
        "N",
    ),
    Flag(
        "fuzz_budget",
        "schemathesis: seconds before it stops starting operations; the check's message says "
        f"when the budget cut it short (default: {FUZZ_BUDGET_S:g})",
        float,
        "SECONDS",
    ),
    Flag("junit_xml", "also write junit.xml to this fixed path (default: only in the run's folder)", metavar="PATH"),
    Flag("json", "also write report.json to this fixed path (default: only in the run's folder)", metavar="PATH"),
    Flag("html", "also write report.html to this fixed path (default: only in the run's folder)", metavar="PATH"),
    Flag(
        "summary",
        "also write summary.md to this fixed path, e.g. $GITHUB_STEP_SUMMARY (default: only in the run's folder)",
        metavar="PATH",
    ),
    Flag(
        "exitfirst",
        "stop after the first failed required check; the rest are reported skipped (default: run all)",
        kind="flag",
        short="-x",
        plugin=False,
    ),
    Flag(
        "max_failures",
        "stop after N failed required checks; the rest are reported skipped (default: run all)",
        int,
        "N",
        plugin=False,
    ),
    Flag(
        "headers",
        "extra header sent on every gRPC call and REST request, repeatable, e.g. 'x-tenant: blue' (default: none)",
        metavar="'NAME: VALUE'",
        kind="list",
        long="--header",
        short="-H",
    ),
    Flag(
        "authority",
        "the :authority / Host and TLS server name to ask for (default: the address's host)",
        metavar="HOST[:PORT]",
    ),
    Flag(
        "client_cert",
        "client certificate (PEM) for mutual TLS; overrides the target file's tls cert_file (default: none)",
        metavar="FILE",
    ),
    Flag(
        "client_key",
        "private key (PEM) of --client-cert (default: none, or inside the certificate file)",
        metavar="FILE",
    ),
    Flag("prefix", f"prefix of the queues and job sets the run creates (default: {DEFAULT_PREFIX})", metavar="NAME"),
    Flag(
        "call_timeout",
        f"deadline of each call (default: the target file's timeout, else {DEFAULT_TIMEOUT_S:g})",
        type=float,
        metavar="SECONDS",
    ),
    Flag(
        "faults",
        "embedded target only: switch on a reference-server fault to watch checks fail, repeatable (default: none)",
        metavar="NAME",
        kind="list",
    ),
    Flag(
        "flavour",
        "embedded target only: what the reference server is: contract (default), a release (v0.8.7) or a "
        "preset (see armada-reference-server --help)",
        metavar="RELEASE",
    ),
    Flag("events", _workload("events", "replay: events per job set"), int, "N"),
    Flag(
        "replay_job_set",
        "replay: measure this existing job set instead of creating one; creates nothing, so "
        "it runs under --read-only too (default: none)",
        str,
        "QUEUE/ID",
    ),
    Flag("jobs", _workload("jobs", "live: tiny jobs submitted while watching"), int, "N"),
    Flag("watchers", _workload("watchers", "fan-out: concurrent watchers of one job set"), int, "N"),
    Flag("batch_size", _workload("batch_size", "live: jobs per SubmitJobs call"), int, "N"),
    Flag("processes", _workload("processes", "consumer processes; replay reads one job set per process"), int, "N"),
    Flag("submit_interval_ms", _workload("submit_interval_ms", "live: pause between SubmitJobs calls"), float, "MS"),
    Flag(
        "min_events_per_second",
        "gate: replay and fan-out events/s must reach this (default: no such gate)",
        float,
        "RATE",
    ),
    Flag(
        "max_p99_ms",
        "gate: live submit-to-event latency p99 must stay within this (default: no such gate)",
        float,
        "MS",
    ),
    Flag(
        "max_regression",
        f"gate: no figure may be this fraction worse than in --baseline (default {DEFAULT_TOLERANCE:g}: "
        f"{DEFAULT_TOLERANCE * 100:g}%%)",
        float,
        "FRACTION",
    ),
)


def options_from(values: Callable[[str], Any]) -> RunOptions:
    """Build RunOptions from parsed flags; ``values(field name)`` reads one (argparse or pytest)."""
    given: dict[str, Any] = {}
    for flag in FLAGS:
        value = values(flag.name)
        if flag.kind == "words":
            value = tuple(w.strip() for w in (value or "").split(",") if w.strip())
        elif flag.kind == "list":
            value = tuple(value or ())
        elif flag.kind == "flag":
            value = bool(value)
        elif value is None:
            continue
        given[flag.name] = value
    return RunOptions(**given)
