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

EPILOG = """examples:
  armada-conformance run                                 # the embedded reference server, all four auth schemes
  armada-conformance run --target staging.toml --read-only
  armada-conformance run --only PARITY,SEMANTICS-CancelJobs --known-failures known.toml
  armada-conformance list-checks --json
  armada-conformance serve                               # a reference set-up to point other tools at
  armada-conformance report reports/<run>/report.json --out rendered/
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
        prog="armada-conformance", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Check an Armada API endpoint: gRPC/REST parity, swagger truth, authentication schemes, "
                    "API semantics and event-stream throughput; write JSON, JUnit, Markdown and HTML reports.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run the suite (default target: the embedded reference server)")
    from conformance.options import FLAGS, FLAVOURS

    for flag in FLAGS:  # the same options as the pytest plugin's --armada-* ones
        run.add_argument(flag.flag, **flag.argparse_kwargs())
    run.add_argument("--verbose", action="store_true", help="one line per check with its message")
    run.set_defaults(handler=_run)

    listing = commands.add_parser("list-checks", help="print the check catalogue")
    listing.add_argument("--json", action="store_true", help="as JSON")
    listing.add_argument("--markdown", action="store_true", help="as the Markdown table of docs/checks.md")
    listing.add_argument("--profile", choices=eras.choices(), help="only the checks of this era")
    listing.set_defaults(handler=_list_checks)

    serve = commands.add_parser("serve", help="run the reference server with the embedded auth set-up")
    serve.add_argument("--write-target", default="embedded-target.toml", metavar="FILE",
                       help="where to write a target file for it (default: embedded-target.toml)")
    serve.add_argument("--fault", action="append", default=[], metavar="NAME", help="switch on a fault")
    serve.add_argument("--flavour", default="contract", choices=FLAVOURS,
                       help="what the reference server is: the contract or a real Armada era")
    serve.set_defaults(handler=_serve)

    report = commands.add_parser("report", help="re-render a stored report.json in every format")
    report.add_argument("report_json", metavar="REPORT.json")
    report.add_argument("--out", metavar="DIR", help="output folder (default: beside the report)")
    report.add_argument("--baseline", metavar="REPORT", help="a previous report.json to compare with")
    report.set_defaults(handler=_report)
    return parser


def _run(args: argparse.Namespace) -> int:
    from conformance.options import options_from
    from conformance.runner import ConfigError, exit_status, run_suite

    try:
        report = run_suite(None, options_from(lambda name: getattr(args, name)), _verdict_listener(args.verbose))
    except ConfigError as exc:
        print(f"armada-conformance: {exc}", file=sys.stderr)
        return exc.exit_code
    return exit_status(report)


def _verdict_listener(verbose: bool) -> Any:
    """Progress lines while the run goes, then THIS run's verdict (never a report read back from disk)."""
    from conformance.progress import Progress
    from conformance.runner import reasons

    class Verdict(Progress):
        def run_finished(self, report: Any, comparison: Any, folder: Path | None) -> None:
            super().run_finished(report, comparison, folder)
            for entry in report.unmatched_known_failures:
                print(f"armada-conformance: known failure {entry!r} matches no check of this run", file=sys.stderr)
            for problem in report.cleanup_problems:
                print(f"armada-conformance: cleanup: {problem}", file=sys.stderr)
            counts: dict[str, int] = {}
            for result in report.results:
                counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
            word = {"pass": "✅ PASS", "fail": "❌ FAIL", "interrupted": "⚠️ INTERRUPTED"}[report.verdict]
            tally = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no check ran"
            print(f"## {word} — Armada conformance ({tally})")
            for reason in reasons(report, comparison)[:20]:
                print(f"- {reason}")
            if folder is not None:
                print(f"reports: {folder}")
            sys.stdout.flush()

    return Verdict(verbose=verbose)


def _list_checks(args: argparse.Namespace) -> int:
    from conformance.checks import catalogue, select

    checks = catalogue()
    if args.profile:
        checks = select(checks, args.profile)
    rows = [{"id": c.id, "category": c.category, "requirement": c.requirement, "severity": c.severity.value,
             "profiles": sorted(c.profiles), "mutating": c.mutating, "intrusive": c.intrusive} for c in checks]
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
    elif args.markdown:
        print(catalogue_markdown(rows), end="")
    else:
        width = max(len(r["id"]) for r in rows)
        for r in rows:
            print(f"{r['id']:{width}}  {r['severity']:11}  {r['requirement']}")
    return 0


def catalogue_markdown(rows: list[dict]) -> str:
    """docs/checks.md: generated from the catalogue, so the documentation cannot drift from the code."""
    lines = ["# Check catalogue", "",
             "Generated by `armada-conformance list-checks --markdown`; a test keeps it in step with the code.", "",
             f"{len(rows)} checks. *Profiles* are eras of Armada: `armada-2023` (alias `seed`: the six mission "
             "methods) and `armada-2026` (alias `current`: every method but GetQueueInfo). "
             "*Mutating* checks create things (their own, cleaned up) and are skipped under `--read-only`.",
             "*Intrusive* checks may upset or crash a real server: they run against the embedded server, and "
             "against a real target only with `--intrusive`.", ""]
    category = None
    for row in rows:
        if row["category"] != category:
            category = row["category"]
            lines += ["", f"## {category}", "", "| ID | severity | profiles | mutating | intrusive | requirement |",
                      "|---|---|---|---|---|---|"]
        lines.append(f"| `{row['id']}` | {row['severity']} | {', '.join(row['profiles'])} | "
                     f"{'yes' if row['mutating'] else ''} | {'yes' if row.get('intrusive') else ''} | "
                     f"{row['requirement'].replace('|', '/')} |")
    return "\n".join(lines) + "\n"


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
        print(f"ready: gRPC {environment.server.grpc_target}, REST {environment.server.rest_url}; Ctrl-C stops",
              flush=True)
        stop.wait()
    finally:
        environment.__exit__(None, None, None)
        print("stopped")
    return 0


def _report(args: argparse.Namespace) -> int:
    from conformance.report import load_report
    from conformance.report.gate import compare_to_baseline
    from conformance.report.json_report import ReportFormatError
    from conformance.report.writer import render_all

    try:
        comparison = (compare_to_baseline(load_report(args.report_json), load_report(args.baseline))
                      if args.baseline else None)
        folder = render_all(args.report_json, args.out or Path(args.report_json).parent, comparison)
    except (ReportFormatError, OSError) as exc:
        print(f"armada-conformance: {exc}", file=sys.stderr)
        return 2
    print(f"rendered into {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
