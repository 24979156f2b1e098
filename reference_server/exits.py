"""How a simulated container ends: read from the command a job asks to run.

The reference server runs nothing, yet the conformance suite needs jobs that fail
and jobs that stay running, and it must get them the same way on a real cluster.
So the simulated executor honours the few commands a real ``busybox`` container
would turn into those outcomes: ``false`` and ``sh -c "exit N"`` fail with their
exit code; ``sleep N`` (also under ``sh -c``) for a minute or more keeps the job
running for N seconds. Shorter work is compressed to nothing (the project's tests and
benchmarks submit ``sleep 1`` and expect it done at once); any other command succeeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_EXIT = re.compile(r"^\s*exit\s+(\d{1,3})\s*$")
_SLEEP = re.compile(r"^\s*sleep\s+(\d+(?:\.\d+)?)\s*$")
LONG_RUNNING_S = 60.0  # a sleep at least this long keeps the simulated job running


@dataclass(frozen=True)
class Ending:
    exit_code: int = 0  # non-zero: the job fails with this code
    runs_for: float = 0.0  # seconds the container keeps running before it ends


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
    if (match := _SLEEP.match(script)) and float(match.group(1)) >= LONG_RUNNING_S:
        return Ending(runs_for=float(match.group(1)))
    return Ending()


def ending(job: Any) -> Ending:
    """The job's ending: the first failing container decides it, else the longest running one."""
    specs = [job.pod_spec] if job.HasField("pod_spec") else list(job.pod_specs)
    found = Ending()
    for spec in specs:
        for container in spec.containers:
            this = _container_ending(container)
            if this.exit_code:
                return this
            if this.runs_for > found.runs_for:
                found = this
    return found
