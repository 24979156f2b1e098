"""One load run on this machine as master (with local workers, or waiting for remote ones).

The order is what makes it safe: the target (the embedded server, or a reachable target
file), the plan (creates the run's queue), Locust (master and workers, in their own
sessions), the stored job sets read back (what every watcher must have seen), cleanup
(always, also after Ctrl-C or a dead master), then the report and the exit status.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from conformance.checks import NotOffered, Skip
from conformance.context import RunContext
from conformance.load.command import Scratch, free_port, locust, stop, worker_command
from conformance.load.outcome import Gates, checks, figures
from conformance.load.resources import LoadSettings, make_plan, remove
from conformance.load.settings import LoadPlan, PlanError, parse_duration, parse_mix
from conformance.plan import now_utc
from conformance.results import RunReport
from conformance.target import Target, TargetError

STARTUP_S = 120.0  # the master's allowance beyond --run-time: workers joining, spawning, final reports
JOIN_WAIT_S = {False: 120, True: 600}  # how long the master waits for its workers: local ones, or --master's
REPLAY_LIMIT = 200_000  # a stored job set larger than this is not read back (its order check is the watchers')


class LoadSession:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.received = ""  # the signal that stopped the run
        self.master: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.scratch = Scratch()
        self.run_time_s = parse_duration(args.run_time)

    def run(self) -> int:
        previous = {sig: signal.signal(sig, self._interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            with contextlib.ExitStack() as stack:
                stack.callback(self.scratch.close)
                try:
                    target, env = self._target(stack)
                except (TargetError, OSError, RuntimeError, ValueError) as exc:
                    print(f"armada-conformance load: {str(exc).splitlines()[0]}", file=sys.stderr)
                    return 2
                return self._with_target(target, env)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _interrupt(self, signum: int, frame: object) -> None:
        self.received = self.received or signal.Signals(signum).name
        if self.master is not None and self.master.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.master.send_signal(signal.SIGTERM)  # Locust's graceful stop: it still writes its result

    # ---- the target --------------------------------------------------------------------

    def _target(self, stack: contextlib.ExitStack) -> tuple[Target, dict[str, str]]:
        """The target and the environment its Locust processes need (the embedded server's passwords)."""
        args = self.args
        if args.target:
            from conformance.preflight import check_target
            from conformance.target import load_target

            target = load_target(args.target, {"prefix": args.prefix})
            try:
                check_target(target)
            except TargetError as exc:  # it may quote the server's answer: redacted as the suite's own run does
                from conformance.report.scrub import known_secrets, redact_problem

                raise TargetError(redact_problem(str(exc), known_secrets(target))) from None
            return target, {**os.environ, "ARMADA_CONFORMANCE_TARGET": str(Path(args.target).resolve())}
        from conformance.embedded import ADMIN, LOW, EmbeddedEnvironment

        environment = stack.enter_context(EmbeddedEnvironment(faults=tuple(args.fault), kerberos=False, oidc=False))
        target = environment.target(environment.profile)
        if args.prefix:
            target.prefix = args.prefix
        path = self.scratch.file("target.toml")
        path.write_text(environment.target_file())
        secrets = {"ARMADA_PW": environment.passwords[ADMIN], "ARMADA_GUEST_PW": environment.passwords[LOW]}
        return target, {**os.environ, **secrets, "ARMADA_CONFORMANCE_TARGET": str(path)}

    def _settings(self) -> LoadSettings:
        args = self.args
        workers = args.expect_workers if args.master else self._local_workers()
        return LoadSettings(
            watchers=args.users,
            watchers_per_job_set=args.watchers_per_job_set,
            jobs_per_second=args.jobs_per_second,
            run_time_s=self.run_time_s,
            transports=tuple(parse_mix(args.transport_mix).items()),
            read_only=args.read_only,
            replay_job_set=args.replay_job_set,
            expected_workers=workers,
        )

    def _local_workers(self) -> int:
        return self.args.processes or os.cpu_count() or 1

    # ---- the run -----------------------------------------------------------------------

    def _with_target(self, target: Target, env: dict[str, str]) -> int:
        started = now_utc()
        ctx = RunContext(target, read_only=self.args.read_only)
        plan: LoadPlan | None = None
        result: dict[str, Any] | None = None
        stored: dict[tuple[str, str], list[str]] = {}
        problems: list[str] = []
        try:
            try:
                plan = make_plan(ctx, self._settings(), env["ARMADA_CONFORMANCE_TARGET"])
            except (PlanError, RuntimeError, NotOffered, Skip) as exc:  # e.g. CreateQueue refused
                print(f"armada-conformance load: {str(exc).splitlines()[0]}", file=sys.stderr)
                return 2
            if "rest" in {t for t, w in plan.transports.items() if w} and not target.rest:
                print(
                    "armada-conformance load: --transport-mix has rest but the target has no REST URL", file=sys.stderr
                )
                return 2
            if not self.received:
                result = self._locust(plan, env)
                stored = self._stored(ctx, plan)
        finally:
            problems = remove(ctx, plan) if plan is not None else ctx.cleanup()  # the ledger: even a failed set-up
            ctx.close()
        return self._report(target, plan, result, stored, problems, started)

    def _locust(self, plan: LoadPlan, env: dict[str, str]) -> dict[str, Any] | None:
        """Run the master (and the local workers) to the end; the master's result, if it wrote one."""
        args, scratch = self.args, self.scratch
        port = args.master_bind_port if args.master else free_port()
        result_path = scratch.file("result.json")
        master = [
            *locust(),
            "--master",
            "--headless",
            "--master-bind-host",
            "*" if args.master else "127.0.0.1",
            "--master-bind-port",
            str(port),
            "--expect-workers",
            str(plan.expected_workers),
            "--expect-workers-max-wait",
            str(JOIN_WAIT_S[bool(args.master)]),
            "-u",
            str(plan.users),
            "-r",
            f"{args.spawn_rate:g}",
            "-t",
            f"{self.run_time_s:g}s",
            "--csv",
            str(scratch.file("locust")),
            "--html",
            str(scratch.file("locust.html")),
            "--armada-result",
            str(result_path),
            "--only-summary",
            "--loglevel",
            os.environ.get("ARMADA_LOAD_LOGLEVEL", "WARNING"),
        ]
        with open(scratch.file("master.log"), "wb") as log:
            self.master = subprocess.Popen(
                master,
                env={**env, "ARMADA_LOAD_PLAN": plan.to_json()},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            if args.master:
                print(f"armada-conformance load: master on port {port}, waiting for {plan.expected_workers} worker(s)")
            else:
                self._start_workers(port, env)
            try:
                self.master.wait(timeout=self.run_time_s + JOIN_WAIT_S[bool(args.master)] + STARTUP_S)
            except subprocess.TimeoutExpired:
                stop(self.master, 30)
            for worker in self.workers:
                stop(worker, 15)
        if result_path.exists():
            return dict(json.loads(result_path.read_text()))
        self._show_log("master.log")
        return None

    def _start_workers(self, port: int, env: dict[str, str]) -> None:
        for n in range(self._local_workers()):
            log = open(self.scratch.file(f"worker-{n}.log"), "wb")  # noqa: SIM115 - closed with the process
            self.workers.append(
                subprocess.Popen(
                    worker_command("127.0.0.1", port),
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()

    def _show_log(self, name: str) -> None:
        path = self.scratch.file(name)
        if path.exists():
            tail = path.read_text(errors="replace").strip().splitlines()[-15:]
            print("\n".join(f"  {line}" for line in tail), file=sys.stderr)

    def _stored(self, ctx: RunContext, plan: LoadPlan) -> dict[tuple[str, str], list[str]]:
        """Each job set's stored ids (watch=false), before cleanup adds its cancellations."""
        stored: dict[tuple[str, str], list[str]] = {}
        for queue, job_set in dict.fromkeys(plan.job_sets):
            answer = ctx.stream("Event/GetJobSetEvents", {"queue": queue, "id": job_set, "watch": False})
            if answer.ok and len(answer.messages) <= REPLAY_LIMIT:
                stored[(queue, job_set)] = [message.id for message in answer.messages]
        return stored

    # ---- the report ------------------------------------------------------------------------

    def _report(
        self,
        target: Target,
        plan: LoadPlan | None,
        result: dict[str, Any] | None,
        stored: dict[tuple[str, str], list[str]],
        problems: list[str],
        started: str,
    ) -> int:
        from conformance.progress import verdict_line
        from conformance.report.gate import compare_to_baseline, exit_code, gate_reasons, verdict
        from conformance.report.json_report import ReportFormatError, load_report
        from conformance.report.scrub import known_secrets, redact_problem, redact_result
        from conformance.report.writer import write_reports

        args = self.args
        secrets = known_secrets(target)  # redacted at the source, as in the suite's own runs
        mix = ",".join(f"{k}={v}" for k, v in (plan.transports if plan else {}).items())
        report = RunReport(
            target=target.describe(),
            profile=target.profile,
            suite_version=_version(),
            started=started,
            finished=now_utc(),
            machine={"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
            results=[
                redact_result(r, secrets)
                for r in checks(result, stored, Gates(args.min_events_per_second, args.max_p99_ms), args.read_only)
            ],
            figures=figures(result, mix) if result else [],
            interrupted=self.received,
            cleanup_problems=[redact_problem(p, secrets) for p in problems],
        )
        comparison = None
        if args.baseline:
            try:
                comparison = compare_to_baseline(report, load_report(args.baseline))
            except (ReportFormatError, OSError) as exc:
                print(f"armada-conformance load: baseline: {str(exc).splitlines()[0]}", file=sys.stderr)
                return 2
        report.verdict = verdict(report, comparison)
        folder = write_reports(report, Path(args.report_dir), comparison, known_secrets=target.secrets())
        self._keep_locust_files(folder, target.secrets())
        for figure in report.figures:
            bound = " (client-bound)" if figure.client_bound else ""
            print(f"  {figure.id}: {figure.value:,.2f} {figure.unit}{bound}")
        print(verdict_line(report, gate_reasons(report, comparison)))
        print(f"reports: {folder}")
        return exit_code(report, comparison)

    def _keep_locust_files(self, folder: Path, secrets: list[str]) -> None:
        """Locust's own CSV and HTML stats (and the processes' logs) beside the suite's reports, redacted.

        A failure's text is the server's answer, which may echo a credential: CSV and logs go
        through the reports' redaction; the HTML page (scripts and fonts inline) loses the
        target's known secrets, literally.
        """
        from conformance.report.redact import redact_text

        out = folder / "locust"
        out.mkdir(exist_ok=True)
        for path in self.scratch.path.iterdir():
            if not path.name.startswith(("locust", "master", "worker")):
                continue
            text = path.read_text(errors="replace")
            if path.suffix == ".html":
                for secret in (s for s in secrets if s):
                    text = text.replace(secret, "[redacted]")
            else:
                text = redact_text(text, secrets)
            (out / path.name).write_text(text)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("armada-conformance")
    except PackageNotFoundError:
        return "unknown (not installed)"
