"""Workload sizes and gates of the THROUGHPUT checks, read from the run's options.

The defaults finish in seconds against the reference server. Against a real
deployment the defaults are ten times smaller (the run creates every job it
measures, and a shared cluster should not notice a conformance run); an explicit
``--events``/``--jobs``/``--watchers``/... is the way to go bigger, and is used as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Embedded: sized so the whole THROUGHPUT category takes seconds on a shared 2-core machine
# (the reference server streams ~10-20k events/s over grpc.aio); go bigger with the options.
# Live: one job per SubmitJobs every 2 ms (two events each in the cordoned queue), so each latency
# sample is one job's, not the last of a batch waiting behind the others' per-message writes.
EMBEDDED_DEFAULTS = {
    "events": 4000,
    "jobs": 400,
    "watchers": 8,
    "batch_size": 1,
    "processes": 1,
    "submit_interval_ms": 2.0,
}
DEPLOYMENT_DEFAULTS = {
    "events": 2000,
    "jobs": 50,
    "watchers": 4,
    "batch_size": 10,
    "processes": 1,
    "submit_interval_ms": 20.0,
}
LIMITS = {
    "events": (2, 10_000_000),
    "jobs": (1, 1_000_000),
    "watchers": (1, 1024),
    "batch_size": (1, 10_000),
    "processes": (1, 64),
    "submit_interval_ms": (0.0, 60_000.0),
}


@dataclass(frozen=True)
class Workload:
    events: int  # replay: events stored in each replayed job set
    jobs: int  # live: tiny jobs submitted while watching
    watchers: int  # fan-out: concurrent watchers of one job set
    batch_size: int  # live: jobs per SubmitJobs call
    processes: int  # consumer processes (replay: one job set each)
    submit_interval_ms: float  # live: pause between two SubmitJobs calls (the pace)

    @classmethod
    def from_options(cls, options: Mapping[str, Any], embedded: bool) -> Workload:
        defaults = EMBEDDED_DEFAULTS if embedded else DEPLOYMENT_DEFAULTS
        values: dict[str, Any] = {}
        for name, default in defaults.items():
            raw = options.get(name)
            value = type(default)(raw) if raw is not None else default
            low, high = LIMITS[name]
            if not low <= value <= high:
                raise ValueError(f"--{name.replace('_', '-')} {value} is outside {low}..{high}")
            values[name] = value
        return cls(**values)


@dataclass(frozen=True)
class Gates:
    """Optional thresholds chosen by the user; None means "not set" (the check is not configured).

    The baseline they compare with is the run's (``RunSettings.baseline``), loaded once by the plan.
    """

    min_events_per_second: float | None = None
    max_p99_ms: float | None = None
    max_regression: float | None = None  # a figure may be this fraction worse than the baseline (0.2: 20 %)
