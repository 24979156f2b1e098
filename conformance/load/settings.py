"""The plan of one load run, shared by the command, the Locust master and every worker.

The command (or the locustfile's own set-up, for users who run ``locust`` themselves)
makes the plan: the run id, the run-named queues and job sets, who watches what, how
fast to submit. It travels to the workers as a Locust custom argument (``--armada-plan``,
JSON): Locust forwards a master's custom arguments with every spawn message, so a worker
on another machine needs only the target file (for its credentials) and the master's host.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

TRANSPORTS = ("grpc", "rest")
SUBMITS_PER_SUBMITTER = 10.0  # SubmitJobs per second of one submitter (each call waits for its answer)


class PlanError(ValueError):
    """A load setting is unusable; the message is the one line the user sees."""


@dataclass
class LoadPlan:
    run_id: str
    target_file: str  # the target file every Locust process reads (its credentials come from the environment)
    job_sets: list[tuple[str, str]]  # (queue, job set id) the watchers watch, the submitters fill
    watchers: int
    submitters: int = 0
    jobs_per_second: float = 0.0  # the whole run's submit rate (0: none, --read-only)
    transports: dict[str, int] = field(default_factory=lambda: {"grpc": 1})  # watcher mix, by weight
    read_only: bool = False
    consecutive_ids: bool = False  # the reference server numbers each job set's events 1, 2, 3, ...
    strict_jobs: bool = True  # our own job sets: every job's first event must be `submitted`
    hold: bool = False  # no cordon in the release: the jobs are the template's long-running job (they run on)
    job: dict[str, Any] = field(default_factory=dict)  # the item every submitter sends (the target's [jobs])
    submit_for_s: float = 0.0  # submitters stop this long after the test started (the rest drains)
    expected_workers: int = 1
    call_timeout: float = 10.0
    queues: list[str] = field(default_factory=list)  # created by the run (deleted at its end)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LoadPlan:
        data = json.loads(text)
        data["job_sets"] = [tuple(pair) for pair in data["job_sets"]]
        return cls(**data)

    @property
    def users(self) -> int:
        """Locust's -u: every watcher and submitter."""
        return self.watchers + self.submitters

    def transport_of(self, index: int) -> str:
        """The transport of watcher ``index``: the mix dealt out in turn (grpc=3,rest=1: g g g r g g g r ...)."""
        cycle = [name for name in TRANSPORTS for _ in range(self.transports.get(name, 0))]
        return cycle[index % len(cycle)]

    def job_set_of(self, index: int) -> tuple[str, str]:
        return self.job_sets[index % len(self.job_sets)]


def parse_mix(text: str) -> dict[str, int]:
    """``grpc=3,rest=1`` (or ``grpc``, ``rest``): the watchers' transports by weight."""
    mix: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        name, _, weight = part.partition("=")
        if name not in TRANSPORTS:
            raise PlanError(f"--transport-mix: unknown transport {name!r} (known: {', '.join(TRANSPORTS)})")
        try:
            mix[name] = int(weight) if weight else 1
        except ValueError:
            raise PlanError(f"--transport-mix: weight {weight!r} of {name} is not a whole number") from None
        if not 0 <= mix[name] <= 100:
            raise PlanError(f"--transport-mix: weight {mix[name]} of {name} is outside 0..100")
    if not any(mix.values()):
        raise PlanError(f"--transport-mix {text!r} gives no watcher a transport")
    return mix


def job_set_count(watchers: int, per_job_set: int) -> int:
    return max(1, math.ceil(watchers / per_job_set))


def submitters_for(jobs_per_second: float) -> int:
    return max(1, math.ceil(jobs_per_second / SUBMITS_PER_SUBMITTER)) if jobs_per_second > 0 else 0


def drain_s(run_time_s: float) -> float:
    """How long before the end the submitters stop, so every watcher can catch up."""
    return max(2.0, min(5.0, run_time_s * 0.2))


def parse_duration(text: str) -> float:
    """Locust's run-time forms: ``30``, ``30s``, ``2m``, ``1h30m``."""
    text = str(text).strip().lower()
    if not text:
        raise PlanError("--run-time is empty")
    if text.replace(".", "", 1).isdigit():
        return float(text)
    total, number = 0.0, ""
    for char in text:
        if char.isdigit() or char == ".":
            number += char
        elif char in "hms" and number:
            total += float(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise PlanError(f"--run-time {text!r} is not a duration such as 30s, 2m or 1h30m")
    if number:
        raise PlanError(f"--run-time {text!r}: a number without a unit at the end")
    return total


def as_dict(plan: LoadPlan) -> dict[str, Any]:
    return asdict(plan)
