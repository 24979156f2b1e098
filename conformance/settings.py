"""What the checks read of a run's options, typed and validated once: ``RunSettings``.

``conformance.plan.prepare`` builds it from ``RunOptions`` (a bad value is a
``ConfigError`` there, before anything is sent) and the ``RunContext`` carries it,
so a check reads ``ctx.settings.workload.events`` or ``ctx.settings.fuzz.seed``:
typed fields, never a dictionary re-read and re-validated by each check.

Kept apart from ``plan`` and ``context`` so both, and the checks, can import it
without importing each other. ``FuzzSettings`` lives here (not in the schemathesis
check) for the same reason; ``conformance.checks.swagger.fuzz`` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from conformance.throughput.settings import Gates, Workload

if TYPE_CHECKING:
    from conformance.options import RunOptions
    from conformance.results import RunReport

# SWAGGER-Schemathesis: examples per operation and mode, and a wall-clock budget.
FUZZ_EXAMPLES = {"positive": 5, "negative": 4}
FUZZ_HEAVY = {"SubmitJobs": 2}  # one pod-spec case takes about a second to generate
FUZZ_BUDGET_S = 20.0


@dataclass(frozen=True)
class FuzzSettings:
    """The run's --max-examples / --seed / --fuzz-budget, defaults above."""

    max_examples: int | None = None
    seed: int | None = None
    budget_s: float = FUZZ_BUDGET_S

    def examples(self, mode: str, op_id: str) -> int:
        """Cases per operation and mode: as asked, else the default caps."""
        return self.max_examples or min(FUZZ_EXAMPLES[mode], FUZZ_HEAVY.get(op_id, FUZZ_EXAMPLES[mode]))


@dataclass(frozen=True)
class RunSettings:
    """Workload, gates, schemathesis settings, the replayed job set and the baseline of one run."""

    workload: Workload
    gates: Gates = field(default_factory=Gates)
    fuzz: FuzzSettings = field(default_factory=FuzzSettings)
    replay_job_set: tuple[str, str] | None = None  # --replay-job-set QUEUE/ID: measured, never created
    baseline: RunReport | None = None  # --baseline, loaded by the plan

    @classmethod
    def of(cls, options: RunOptions, embedded: bool, baseline: RunReport | None = None) -> RunSettings:
        """Typed from the options; ``embedded`` picks the workload defaults. ValueError: a bad value."""
        return cls(
            workload=Workload.from_options(options.throughput(), embedded),
            gates=Gates(options.min_events_per_second, options.max_p99_ms, options.max_regression),
            fuzz=FuzzSettings(
                options.max_examples,
                options.seed,
                FUZZ_BUDGET_S if options.fuzz_budget is None else float(options.fuzz_budget),
            ),
            replay_job_set=replay_job_set(options.replay_job_set),
            baseline=baseline,
        )

    @classmethod
    def given(cls, embedded: bool = True, **options: Any) -> RunSettings:
        """The settings of these ``RunOptions`` fields (``events=200, max_examples=2``), as ``prepare`` makes them."""
        from conformance.options import RunOptions

        return cls.of(RunOptions(**options), embedded)

    @classmethod
    def defaults(cls, embedded: bool) -> RunSettings:
        """Every default: what a ``RunContext`` made without settings uses."""
        return cls(Workload.from_options({}, embedded))


def replay_job_set(value: str | None) -> tuple[str, str] | None:
    """``QUEUE/ID`` of --replay-job-set (the job set id may itself contain slashes)."""
    if not value:
        return None
    queue, _, job_set = value.partition("/")
    if not queue or not job_set:
        raise ValueError(f"--replay-job-set {value!r} is not QUEUE/ID (a queue name, a slash, a job set id)")
    return queue, job_set
