"""Releases between the flavours' two ends: a flavour carrying another release's features.

A flavour is any release of the table (``--flavour v0.4.30``); the code reads its
features, so a release in between the two ends (v0.4.30: the new scheduler's synchronous
submit check, submit errors not yet typed) behaves as that release does.
"""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

import protos
from reference_server.auth import Principal
from reference_server.errors import ApiError
from reference_server.executor import Executor
from reference_server.faults import Faults
from reference_server.flavours import flavour
from reference_server.services import Services
from reference_server.store import Store


def services_of(version: str) -> Services:
    chosen = flavour(version)
    store = Store(Faults(), chosen)
    return Services(store, Executor(store), chosen)


def submit_request(queue: str, cpu: str, containers: int = 1) -> Any:
    request = protos.message_class("api.JobSubmitRequest")(queue=queue, job_set_id="js")
    item = request.job_request_items.add(priority=1, namespace="default")
    for _ in range(containers):
        container = item.pod_spec.containers.add(name="main", image="busybox:1.36", command=["true"])
        container.resources.requests["cpu"].string = cpu
    return request


def run(services: Services, request: Any) -> ApiError:
    async def attempt() -> ApiError:
        services.store.create_queue(protos.message_class("api.Queue")(name="q", priority_factor=1))
        try:
            await services.SubmitJobs(request, Principal("alice", frozenset(), "basic"))
        except ApiError as exc:
            return exc
        raise AssertionError("accepted")

    return asyncio.run(attempt())


@pytest.mark.parametrize(
    "version, code, words",
    [
        ("v0.3.103", grpc.StatusCode.UNKNOWN, "unschedulable: failed to schedule onto legacy scheduler"),
        ("v0.4.30", grpc.StatusCode.INVALID_ARGUMENT, "at least one job or gang is unschedulable"),
    ],
)
def test_the_synchronous_submit_check_per_release(version: str, code: grpc.StatusCode, words: str) -> None:
    refused = run(services_of(version), submit_request("q", "100000"))
    assert refused.code == code and words in refused.message


def test_before_v0_4_44_submit_validation_is_raw_and_checks_containers() -> None:
    assert run(services_of("v0.4.30"), submit_request("q", "1", containers=0)).code == grpc.StatusCode.UNKNOWN
    with pytest.raises(AssertionError, match="accepted"):  # v0.4.44 on: no containers check at submit
        run(services_of("v0.4.50"), submit_request("q", "1", containers=0))
