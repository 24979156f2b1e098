"""``armada-conformance``: run the suite, list its checks, serve the reference set-up, re-render reports.

Exit status of ``run``: 0 when every required check passes (and nothing regressed
against a baseline), 1 when one fails or regresses, 2 when the target, the
configuration or the selection is unusable (one line on stderr says why, before
anything is sent), 130 / 143 when SIGINT / SIGTERM stopped the run (after cleanup,
with a report marked interrupted).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from conformance import eras
from conformance.catalogue_doc import catalogue_markdown  # docs/checks.md; importable from here too

EPILOG = """examples:
  armada-conformance run                                 # the embedded reference server, all four auth schemes
  armada-conformance run --target staging.toml --read-only
  armada-conformance run --only PARITY,SEMANTICS-CancelJobs --known-failures known.toml
  armada-conformance list-checks --json
  armada-conformance serve                               # a reference set-up to point other tools at
  armada-conformance load --users 200 --run-time 1m      # 200 watchers on Locust (workers: load --worker)
  armada-conformance report reports/<run>/report.json --out rendered/   # the stored verdict, re-rendered
"""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not getattr(args, "command", None):
        _parser().print_help()
        return 2
    try:
        return args.handler(args)
    except BrokenPipeError:  # e.g. `list-checks | head`: the reader left, which is fine
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="armada-conformance",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
        description="Check an Armada API endpoint: gRPC/REST parity, swagger truth, authentication schemes, "
        "API semantics and event-stream throughput; write JSON, JUnit, Markdown and HTML reports.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"armada-conformance {_version()}",
        help="print the suite's version and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run the suite (default target: the embedded reference server)")
    from conformance.options import FLAGS

    for flag in FLAGS:  # the same options as the pytest plugin's --armada-* ones
        run.add_argument(*flag.cli_names, **flag.argparse_kwargs())
    run.add_argument(
        "--output",
        choices=("text", "json"),
        default="text",
        help="stdout: text (the verdict) or json (one JSON object per check as it finishes, the "
        "verdict on stderr) (default: text)",
    )
    run.add_argument(
        "--known-failures-update",
        metavar="FILE",
        help="after the run, write its failures as a known-failures file to start from (default: off)",
    )
    run.add_argument(
        "--verbose", action="store_true", help="one plain line per check with its message, no live line (default: off)"
    )
    run.set_defaults(handler=_run)

    listing = commands.add_parser("list-checks", help="print the check catalogue")
    listing.add_argument(
        "--json",
        action="store_true",
        help="as JSON, with transport, scheme, method and severity (default: a text table)",
    )
    listing.add_argument(
        "--markdown", action="store_true", help="as the Markdown table of docs/checks.md (default: a text table)"
    )
    listing.add_argument(
        "--profile",
        metavar="RELEASE",
        type=_release_arg,
        help="say for each check whether a server of this release offers what it judges, or why not "
        f"(a release such as v0.12.0, or {', '.join(eras.choices())}; default: every check, its needs)",
    )
    listing.add_argument(
        "--only", metavar="IDS", help="only these check IDs, ID patterns or categories, comma-separated (default: all)"
    )
    listing.add_argument(
        "--exclude", metavar="IDS", help="leave out these check IDs, ID patterns or categories (default: none)"
    )
    listing.set_defaults(handler=_list_checks)

    serve = commands.add_parser("serve", help="run the reference server with the embedded auth set-up")
    serve.add_argument(
        "--write-target",
        default="embedded-target.toml",
        metavar="FILE",
        help="where to write a target file for it (default: embedded-target.toml)",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="switch on a reference-server fault, repeatable (default: none)",
    )
    serve.add_argument(
        "--flavour",
        default="contract",
        type=_flavour_arg,
        metavar="RELEASE",
        help="what the reference server is: the contract, a real Armada release (v0.8.7) or a preset "
        "(armada-2023, armada-2026); the target file it writes names that release (default: contract)",
    )
    serve.set_defaults(handler=_serve)

    report = commands.add_parser(
        "report",
        help="re-render a stored report.json in every format (its verdict kept, or --regate)",
        description="Re-render a stored run's report.json into a new folder; the stored run is never "
        "overwritten. The verdict is the stored one unless --regate, --baseline or --known-failures asks "
        "to judge it again (the new report records what it was gated with). Exit status: the verdict's "
        "(0 pass, 1 fail or error, 130/143 interrupted), 2 unusable input.",
    )
    report.add_argument("report_json", metavar="REPORT.json")
    report.add_argument(
        "--out",
        metavar="DIR",
        help="output folder, new or without a report.json (default: a new folder <run folder>-report beside the run's)",
    )
    report.add_argument(
        "--regate",
        action="store_true",
        help="judge the stored results again (implied by --baseline and --known-failures; default: keep "
        "the stored verdict)",
    )
    report.add_argument(
        "--baseline",
        metavar="REPORT",
        help="re-gate against a previous report.json: new failures and regressions exit 1 (default: none)",
    )
    report.add_argument(
        "--max-regression",
        type=float,
        metavar="FRACTION",
        help="with --baseline: how much worse a figure may be (default 0.2: 20%%)",
    )
    report.add_argument(
        "--known-failures",
        metavar="FILE|ERA",
        help="re-gate with this TOML list of check IDs expected to fail, or a release's shipped list (default: none)",
    )
    report.add_argument(
        "--known-failures-update",
        metavar="FILE",
        help="write the report's failures as a known-failures file to start from (default: off)",
    )
    for path_flag in ("--junit-xml", "--json", "--html", "--summary"):
        report.add_argument(
            path_flag,
            metavar="PATH",
            help=f"also write {_FILE_OF[path_flag]} to this fixed path (default: only in --out)",
        )
    report.set_defaults(handler=_report)

    from conformance.load.command import add_parser as add_load

    add_load(commands)  # `load`: event-stream load on Locust (conformance/load/)
    return parser


def _run(args: argparse.Namespace) -> int:
    from conformance.options import options_from
    from conformance.storage import keep_hypothesis_out_of_cwd

    keep_hypothesis_out_of_cwd()  # nothing in the working directory but the reports asked for
    from conformance.progress import ConsoleListener, Progress
    from conformance.runner import ConfigError, exit_status, run_suite

    listener = ConsoleListener(Progress(verbose=args.verbose), json_lines=args.output == "json")
    try:
        report = run_suite(None, options_from(lambda name: getattr(args, name)), listener)
    except ConfigError as exc:
        print(f"armada-conformance: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.known_failures_update and not _update_known_failures(report, args.known_failures_update):
        return 2
    return exit_status(report)


_FILE_OF = {"--junit-xml": "junit.xml", "--json": "report.json", "--html": "report.html", "--summary": "summary.md"}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("armada-conformance")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _update_known_failures(report: Any, path: str) -> bool:
    """Write the starting known-failures file; False (and one line on stderr) when it cannot be written."""
    from conformance.report.known_update import write_known_failures

    try:
        count = write_known_failures(report, path)
    except OSError as exc:
        print(f"armada-conformance: --known-failures-update {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    print(f"armada-conformance: wrote {count} known failure(s) to {path}", file=sys.stderr)
    return True


def _listed(checks: list[Any], args: argparse.Namespace) -> list[Any]:
    """The catalogue narrowed by --only and --exclude (words as ``run`` takes them)."""
    from conformance.checks import SelectionError, select

    chosen = {c.id for c in select(checks, None, _words(args.only), "--only")}
    excluded = _words(args.exclude)
    dropped = {c.id for c in select(checks, None, excluded, "--exclude")} if excluded else set()
    listed = [c for c in checks if c.id in chosen and c.id not in dropped]
    if not listed:  # as `run` refuses it: an empty list would read as "no such checks exist"
        raise SelectionError("--exclude leaves no check of the selection to list")
    return listed


def _flavour_arg(text: str) -> str:
    """--flavour of serve: a name the reference server knows (argparse reports a bad one)."""
    from reference_server.flavours import flavour

    try:
        flavour(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _release_arg(text: str) -> Any:
    """--profile of list-checks: a release, a preset or ``contract`` (argparse reports a bad one)."""
    try:
        return eras.judged(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _words(text: str | None) -> list[str]:
    return [w.strip() for w in (text or "").split(",") if w.strip()]


def _list_checks(args: argparse.Namespace) -> int:
    from conformance.checks import SelectionError, catalogue

    checks = catalogue()
    try:
        checks = _listed(checks, args)
    except SelectionError as exc:
        print(f"armada-conformance: {exc}", file=sys.stderr)
        return 2
    rows = [
        {
            "id": c.id,
            "category": c.category,
            "requirement": c.requirement,
            "severity": c.severity.value,
            "transport": c.transport,
            "scheme": c.scheme,
            "method": c.method,
            "needs": list(c.needs()),
            "excluded": list(c.excluded),
            "mutating": c.mutating,
            "intrusive": c.intrusive,
            "source": c.source,
            **({"not_offered": c.not_offered(args.profile)} if args.profile else {}),
        }
        for c in checks
    ]
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
    elif args.markdown:
        print(catalogue_markdown(rows), end="")
    else:
        _print_table(rows, args.profile)
    return 0


def _print_table(rows: list[dict], judged: Any) -> None:
    """One line a check; with --profile, whether the release offers it and why not."""
    width = max(len(r["id"]) for r in rows)
    if judged is None:
        for r in rows:
            print(f"{r['id']:{width}}  {r['severity']:11}  {r['requirement']}")
        return
    print(f"release {judged.describe()}: {len(judged.features)} features")
    for r in rows:
        print(f"{r['id']:{width}}  {'not offered: ' + r['not_offered'] if r['not_offered'] else 'applies'}")
    offered = sum(1 for r in rows if not r["not_offered"])
    print(f"{offered} of {len(rows)} checks apply to {judged.name}; the others are reported not offered")


def _serve(args: argparse.Namespace) -> int:
    from conformance.embedded import EmbeddedEnvironment

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        environment = EmbeddedEnvironment(faults=tuple(args.fault), flavour=args.flavour).__enter__()
    except Exception as exc:
        print(f"armada-conformance: cannot start the embedded set-up: {exc}", file=sys.stderr)
        return 2
    try:
        Path(args.write_target).write_text(environment.target_file())
        for line in environment.credentials_lines():
            print(line)
        print(f"target file: {args.write_target} (the exports above provide its secrets)")
        server = environment.server
        assert server is not None  # started by __enter__
        print(f"ready: gRPC {server.grpc_target}, REST {server.rest_url}; Ctrl-C stops", flush=True)
        stop.wait()
    finally:
        environment.__exit__(None, None, None)
        print("stopped")
    return 0


def _report(args: argparse.Namespace) -> int:
    """Re-render a stored run into a new folder, its verdict kept unless re-gated; exit as the verdict says."""
    from conformance.progress import verdict_line
    from conformance.report.gate import KnownFailuresError
    from conformance.report.json_report import ReportFormatError
    from conformance.report.regate import RegateError, rerender
    from conformance.report.verdict import verdict_of

    outputs = {
        _FILE_OF[f"--{k.replace('_', '-')}"]: v
        for k, v in (("junit_xml", args.junit_xml), ("json", args.json), ("html", args.html), ("summary", args.summary))
        if v
    }
    try:
        report, folder, unmatched = rerender(
            Path(args.report_json),
            out=Path(args.out) if args.out else None,
            regate=args.regate,
            baseline=args.baseline,
            tolerance=args.max_regression,
            known_failures=args.known_failures,
            outputs=outputs,
        )
    except (ReportFormatError, KnownFailuresError, RegateError, OSError) as exc:
        print(f"armada-conformance: {exc}", file=sys.stderr)
        return 2
    for entry in unmatched:
        print(f"armada-conformance: known failure {entry!r} matches no check of the report", file=sys.stderr)
    if args.known_failures_update and not _update_known_failures(report, args.known_failures_update):
        return 2
    print(verdict_line(report))
    print(f"rendered into {folder}")
    return verdict_of(report).exit_status


if __name__ == "__main__":
    sys.exit(main())
