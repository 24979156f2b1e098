"""The simulated cluster's submit check: whether a job could ever be scheduled, and the words for no.

Armada checks every new job against the nodes it knows; what happens to one that no
node can fit depends on the release (``shared/armada-semantics.md``):

- ``sync_submit_check`` (before v0.4.50): SubmitJobs refuses the whole request; with
  ``unschedulable_unknown`` (the legacy scheduler, before v0.4.20) with a plain error
  (UNKNOWN), ``job <id> unschedulable: ...`` (``internal/armada/server/submit_to_log.go``
  ``assignScheduler``), after it INVALID_ARGUMENT ``at least one job or gang is
  unschedulable``;
- ``scheduler_rejects`` (current): SubmitJobs accepts it and the scheduler's submit check
  fails it, a ``failed`` event with cause Rejected and state REJECTED
  (``internal/scheduler/scheduler.go`` ``submitCheck``); with ``cordon_skips_submit_check``
  jobs of a cordoned queue are not checked until it is uncordoned;
- the contract has neither: such a job stays queued, as unschedulable.

The simulated cluster is one node of ``CLUSTER_CPU`` cores; only CPU decides.
"""

from __future__ import annotations

import grpc

from reference_server.errors import ApiError

CLUSTER = "reference-cluster"
CLUSTER_CPU = 1024.0  # cores; a job asking for more can never be leased
NODE = "reference-node"
POOL = "default"


class Unschedulable(ApiError):
    """The submit check's refusal, already in the code the release gives it (never re-coded as raw)."""


def fits(cpu: float) -> bool:
    return cpu <= CLUSTER_CPU


def _excluded(cpu: float) -> str:
    return f"1: insufficient cpu (requested {cpu:g}, at most {CLUSTER_CPU:g} on any node)"


def refused_at_submit(job_id: str, cpu: float, legacy: bool) -> ApiError:
    """The submit server's refusal of a job no node can fit (``legacy``: a raw error, UNKNOWN)."""
    if not legacy:
        return Unschedulable(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"at least one job or gang is unschedulable:\n{rejection_reason(cpu)}",
        )
    return Unschedulable(
        grpc.StatusCode.UNKNOWN,
        f"job {job_id} unschedulable: failed to schedule onto legacy scheduler because 0-th job unschedulable:\n"
        f"{CLUSTER}:\n{_excluded(cpu)}\n---\n",
    )


def rejection_reason(cpu: float) -> str:
    """The scheduler's JobRejected message (``submitcheck.go`` ``getSchedulingResult``)."""
    return f"pool {POOL}:\nNode: none\nNumber of nodes in cluster: 1\nExcluded nodes:\n {_excluded(cpu)}\n\n---\n"
