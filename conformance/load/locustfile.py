"""The locustfile of ``armada-conformance load``: watchers and submitters (``users``) wired to Locust's events.

``armada-conformance load`` runs it for you. To run Locust yourself::

    locust -f $(python -c 'import conformance.load.locustfile as m; print(m.__file__)') \\
        --headless -u 60 -r 20 -t 1m --armada-target staging.toml

With ``--armada-target`` and no ``--armada-plan``, the master (or the lone local process)
sets the run up itself (run-named cordoned queues, in a helper process: grpcio and gevent
do not share a process) and removes it all when Locust quits. Workers need only
``--worker --master-host H`` and, for their credentials, the target file in
``ARMADA_CONFORMANCE_TARGET`` (else the path the plan names): the plan reaches them with
Locust's spawn message.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

import gevent
import locust.runners
from locust import events
from locust.runners import STATE_MISSING, MasterRunner, WorkerRunner

from conformance.load.collect import SUMMARY_MESSAGE, start_clock, worker_summary, write_result
from conformance.load.settings import LoadPlan
from conformance.load.users import Submitter, Watcher, drop_state, start_state

__all__ = ["Submitter", "Watcher"]

# A worker that misses heartbeats for HEARTBEAT_LIVENESS seconds is "missing" to Locust, which then
# deals its users out again mid-run (a watcher restarted elsewhere re-reads its job set: the accounts
# no longer add up). Locust's 3 s is short on a machine whose CPUs other processes hold: a starved
# worker is slow, not dead. ARMADA_LOAD_WORKER_LIVENESS_S (default 10) sets it.
locust.runners.HEARTBEAT_LIVENESS = int(os.environ.get("ARMADA_LOAD_WORKER_LIVENESS_S", "10"))
SUMMARY_WAIT_S = 15.0  # how long the master waits for the workers' accounts after stopping them
_MASTER: dict[str, Any] = {"summaries": {}, "started": time.time(), "own_setup": False}


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("armada-conformance")
    group.add_argument(
        "--armada-plan", default=os.environ.get("ARMADA_LOAD_PLAN", ""), help="the run's plan (JSON), from the command"
    )
    group.add_argument("--armada-target", default="", help="target file: set the run up here when no plan is given")
    group.add_argument("--armada-result", default="", help="where the master writes its result (JSON)")
    group.add_argument("--armada-watchers-per-job-set", type=int, default=10, help="own set-up: watchers per job set")
    group.add_argument("--armada-jobs-per-second", type=float, default=0.0, help="own set-up: submit rate (0: auto)")


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        return  # the plan comes with the master's spawn message
    options = environment.parsed_options
    if options is not None and not options.armada_plan and options.armada_target:
        options.armada_plan = _own_setup(options)
        _MASTER["own_setup"] = True
    if options is None or not options.armada_plan:
        raise SystemExit("armada-conformance locustfile: give --armada-target FILE (or --armada-plan from the command)")
    plan = LoadPlan.from_json(options.armada_plan)
    Submitter.fixed_count = plan.submitters
    if not plan.submitters:
        environment.user_classes[:] = [Watcher]
    if isinstance(runner, MasterRunner):
        runner.register_message(SUMMARY_MESSAGE, _received)
    # The run time is ours: Locust's own ends a headless run with "quit", which gives workers
    # half a second to report; we stop them first ("stop"), so every account arrives.
    _MASTER["run_time"], options.run_time = options.run_time, None


def _received(environment: Any, msg: Any, **_: Any) -> None:
    _MASTER["summaries"][msg.data["node"]] = msg.data


@events.test_start.add_listener
def _test_start(environment: Any, **_: Any) -> None:
    _MASTER["started"] = time.time()
    if _MASTER.get("run_time") and not isinstance(environment.runner, WorkerRunner):
        gevent.spawn_later(_MASTER["run_time"], _finish, environment)
    if isinstance(environment.runner, MasterRunner):
        return
    state = start_state(environment, LoadPlan.from_json(environment.parsed_options.armada_plan))
    start_clock(state)


@events.test_stop.add_listener
def _test_stop(environment: Any, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        return
    state = drop_state(environment)
    if state is None:
        return
    if isinstance(runner, WorkerRunner):
        summary = worker_summary(state, runner.client_id)
        runner._send_stats()  # Locust's final stats first, so the master has them before this summary
        runner.send_message(SUMMARY_MESSAGE, summary)
    else:
        _MASTER["summaries"]["local"] = worker_summary(state, "local")


def _finish(environment: Any) -> None:
    """Stop the users everywhere, wait (bounded) for every worker's account, then quit: the run's end."""
    if _MASTER.get("finished"):
        return
    _MASTER["finished"] = True
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        runner.stop()  # returns once every live worker stopped; each sent its account before saying so
        deadline = time.monotonic() + SUMMARY_WAIT_S
        while time.monotonic() < deadline and any(
            c.id not in _MASTER["summaries"] for c in runner.clients.all if c.state != STATE_MISSING
        ):
            gevent.sleep(0.1)  # a worker that never ran users (joined late) has no account: bounded
    else:
        runner.stop()
    runner.quit()


@events.quitting.add_listener
def _quitting(environment: Any, **_: Any) -> None:
    """Ctrl-C or SIGTERM (Locust's shutdown): the same orderly end, so the accounts still arrive."""
    if not isinstance(environment.runner, WorkerRunner) and not _MASTER.get("finished"):
        _finish(environment)


@events.quit.add_listener
def _quit(**_: Any) -> None:
    environment = _ENVIRONMENT.get("env")
    if environment is None or isinstance(environment.runner, WorkerRunner):
        return
    options = environment.parsed_options
    plan = LoadPlan.from_json(options.armada_plan)
    if options.armada_result:
        summaries = list(_MASTER["summaries"].values())
        write_result(options.armada_result, plan, summaries, environment.runner.stats, _MASTER["started"])
    if _MASTER["own_setup"]:
        _helper(["cleanup", options.armada_target], plan.to_json())


_ENVIRONMENT: dict[str, Any] = {}


@events.init.add_listener
def _remember(environment: Any, **_: Any) -> None:
    _ENVIRONMENT["env"] = environment


def _own_setup(options: Any) -> str:
    """The plan, made by the command's own set-up code in a helper process (it speaks grpcio)."""
    users = int(getattr(options, "num_users", 0) or 10)
    arguments = [
        "setup",
        options.armada_target,
        "--users",
        str(users),
        "--watchers-per-job-set",
        str(options.armada_watchers_per_job_set),
        "--jobs-per-second",
        str(options.armada_jobs_per_second),
        "--run-time",
        str(getattr(options, "run_time", None) or 60),
    ]
    return _helper(arguments, "")


def _helper(arguments: list[str], stdin: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "conformance.load.resources", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"armada-conformance load {arguments[0]}: {done.stderr.strip() or done.returncode}")
    return done.stdout.strip()
