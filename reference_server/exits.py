"""How a simulated container ends: read from the command a job asks to run.

The reference server runs nothing, yet the conformance suite needs jobs that fail
and jobs that stay running, and it must get them the same way on a real cluster.
So the simulated executor honours the few commands a real ``busybox`` container
would turn into those outcomes: ``false`` and ``sh -c "exit N"`` fail with their
exit code; ``sleep`` (also under ``sh -c``) keeps the job running as long as busybox's
``sleep`` would: each argument a number (decimals allowed) with an optional ``s``, ``m``,
``h`` or ``d`` suffix, the arguments added up (``sleep 1m 30s``), ``inf...`` forever; an
argument busybox cannot read fails the job as its usage error does (exit 1). Sleeps
shorter than ``SHORT_S`` are compressed to nothing (a pod takes longer than that to
start on a real cluster, and the project's tests and benchmarks submit ``sleep 1`` and
expect it done at once); any other command succeeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_EXIT = re.compile(r"^\s*exit\s+(\d{1,3})\s*$")
_DURATION = re.compile(r"^(\d*\.?\d*)([smhd]?)$")
_SUFFIX_S = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
SHORT_S = 2.0  # a sleep at least this long keeps the simulated job running for real
FOREVER_S = float(2**31 - 1)  # busybox ``sleep inf`` sleeps INT_MAX seconds at a time, for ever


@dataclass(frozen=True)
class Ending:
    exit_code: int = 0  # non-zero: the job fails with this code
    runs_for: float = 0.0  # seconds the container keeps running before it ends
    pod_error: str = ""  # Kubernetes refuses the pod (a spec with no containers): the job fails when leased


def _script(container: Any) -> str:
    """The shell text a container runs: ``sh -c TEXT``, or its command and args joined."""
    words = [*container.command, *container.args]
    if len(words) >= 3 and words[0] in ("sh", "/bin/sh", "bash", "/bin/bash") and words[1] == "-c":
        return words[2]
    return " ".join(words)


def _container_ending(container: Any) -> Ending:
    script = _script(container)
    if script.strip() in ("false", "/bin/false"):
        return Ending(exit_code=1)
    if match := _EXIT.match(script):
        return Ending(exit_code=int(match.group(1)))
    words = script.split()
    if words and words[0] in ("sleep", "/bin/sleep"):
        seconds = sleep_seconds(words[1:])
        if seconds is None:
            return Ending(exit_code=1)  # busybox: usage error
        return Ending(runs_for=seconds) if seconds >= SHORT_S else Ending()
    return Ending()


def sleep_seconds(args: list[str]) -> float | None:
    """How long busybox ``sleep ARGS`` sleeps (``libbb/duration.c``), or None when it refuses them."""
    if not args:
        return None
    if args[0].lower().startswith("inf"):
        return FOREVER_S
    total = 0.0
    for arg in args:
        match = _DURATION.match(arg)
        if match is None or match.group(1) in ("", "."):
            return None
        number, suffix = match.groups()
        if "." not in number and not number.isdigit():
            return None
        total += float(number) * _SUFFIX_S[suffix]
    return total


def ending(job: Any) -> Ending:
    """The job's ending: the first failing container decides it, else the longest running one."""
    specs = [job.pod_spec] if job.HasField("pod_spec") else list(job.pod_specs)
    if not specs or any(not spec.containers for spec in specs):
        return Ending(pod_error="spec.containers: Required value")
    for spec in specs:
        missing = [n for n, container in enumerate(spec.containers) if not container.image]
        if missing:
            return Ending(pod_error=f"spec.containers[{missing[0]}].image: Required value")
    found = Ending()
    for spec in specs:
        for container in spec.containers:
            this = _container_ending(container)
            if this.exit_code:
                return this
            if this.runs_for > found.runs_for:
                found = this
    return found
