"""The official ``armada-client`` (PyPI) used unchanged against the reference server.

armada-client 0.3.1 calls every queue method on ``api.Submit`` (not ``api.QueueService``),
events on ``api.Event``, and builds pod specs with its own Kubernetes protos. Setup it
cannot do itself (cordoning a queue, to hold jobs still) goes through our own client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import grpc
import pytest

armada_client = pytest.importorskip("armada_client.client")
from armada_client.asyncio_client import ArmadaAsyncIOClient  # noqa: E402
from armada_client.k8s.io.api.core.v1 import generated_pb2 as core_v1  # noqa: E402
from armada_client.k8s.io.apimachinery.pkg.api.resource import generated_pb2 as resource  # noqa: E402
from armada_client.typings import JobState  # noqa: E402
from server_kit import LIFE, QUEUES, ok  # noqa: E402

from conformance.transport.grpc_client import GrpcClient  # noqa: E402
from reference_server.background import BackgroundServer  # noqa: E402

Names = Callable[[str], str]


@pytest.fixture
def armada(server: BackgroundServer) -> Iterator[armada_client.ArmadaClient]:
    with grpc.insecure_channel(server.grpc_target) as channel:
        yield armada_client.ArmadaClient(channel)


def pod_spec() -> core_v1.PodSpec:
    quantity = resource.Quantity(string="100m")
    return core_v1.PodSpec(
        restartPolicy="Never",
        containers=[
            core_v1.Container(
                name="main",
                image="busybox:1.36",
                args=["sleep", "1"],
                resources=core_v1.ResourceRequirements(
                    requests={"cpu": quantity, "memory": resource.Quantity(string="64Mi")},
                    limits={"cpu": quantity, "memory": resource.Quantity(string="64Mi")},
                ),
            )
        ],
    )


def read_until(stream: object, done: Callable[[list], bool]) -> list:
    """Read the client's resilient (watching) stream until ``done``; then hang up."""
    received = []
    try:
        for message in stream:
            received.append(armada_client.ArmadaClient.unmarshal_event_response(message))
            if done(received):
                break
    finally:
        armada_client.ArmadaClient.unwatch_events(stream)
    return received


def test_health_on_both_services(armada: armada_client.ArmadaClient) -> None:
    assert armada.submit_health().status == 1
    assert armada.event_health().status == 1


def test_queue_life_with_the_official_client(armada: armada_client.ArmadaClient, new_name: Names) -> None:
    name = new_name("official")
    armada.create_queue(armada.create_queue_request(name, priority_factor=2.0, user_owners=["alice"]))
    queue = armada.get_queue(name)
    assert (queue.name, queue.priority_factor, list(queue.user_owners)) == (name, 2.0, ["alice"])
    armada.update_queue(armada.create_queue_request(name, priority_factor=3.0))
    assert armada.get_queue(name).priority_factor == 3.0
    other = new_name("official")
    failed = armada.create_queues(
        [armada.create_queue_request(other, 1.0), armada.create_queue_request(name, 1.0)]
    ).failed_queues
    assert [f.queue.name for f in failed] == [name]
    assert not armada.update_queues([armada.create_queue_request(other, 5.0)]).failed_queues
    armada.delete_queue(other)
    armada.delete_queue(name)
    with pytest.raises(grpc.RpcError) as raised:
        armada.get_queue(name)
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND


def test_submit_and_watch_jobs_run_to_success(armada: armada_client.ArmadaClient, new_name: Names) -> None:
    name, job_set = new_name("official"), new_name("set")
    armada.create_queue(armada.create_queue_request(name, 1.0))
    items = [
        armada.create_job_request_item(
            priority=1, pod_spec=pod_spec(), namespace="default", labels={"via": "armada-client"}
        )
        for _ in range(3)
    ]
    response = armada.submit_jobs(name, job_set, items)
    job_ids = [i.job_id for i in response.job_response_items]
    assert len(set(job_ids)) == 3 and all(not i.error for i in response.job_response_items)
    received = read_until(
        armada.get_job_events_stream(name, job_set), lambda got: sum(e.type.value == "succeeded" for e in got) == 3
    )
    for job in job_ids:
        assert [e.type.value for e in received if e.message.job_id == job] == LIFE
    assert [int(e.id) for e in received] == list(range(1, len(received) + 1))
    submitted = next(e for e in received if e.type.value == "submitted").message.job
    assert submitted.owner == "anonymous" and submitted.pod_spec.containers[0].image == "busybox:1.36"
    resumed = read_until(
        armada.get_job_events_stream(name, job_set, from_message_id=received[5].id),
        lambda got: len(got) == len(received) - 6,
    )
    assert [e.id for e in resumed] == [e.id for e in received[6:]]
    armada.delete_queue(name)


def test_cancel_reprioritize_and_preempt(
    armada: armada_client.ArmadaClient, client: GrpcClient, new_name: Names
) -> None:
    name, job_set = new_name("official"), new_name("set")
    armada.create_queue(armada.create_queue_request(name, 1.0))
    ok(client.call(f"{QUEUES}/CordonQueue", {"name": name}))
    items = [armada.create_job_request_item(pod_spec=pod_spec()) for _ in range(4)]
    first, second, third, fourth = (i.job_id for i in armada.submit_jobs(name, job_set, items).job_response_items)
    assert list(armada.cancel_jobs(name, job_set, first).cancelled_ids) == [first]
    assert dict(armada.reprioritize_jobs(5.0, [second], job_set, name).reprioritization_results) == {second: ""}
    armada.preempt_jobs(name, job_set, third)  # 0.3.1 reads the answer as Empty: extra fields are ignored
    armada.cancel_jobset(name, job_set, [JobState.QUEUED])
    kinds = [
        (e.message.job_id, e.type.value)
        for e in read_until(armada.get_job_events_stream(name, job_set), lambda got: len(got) == 18)
    ]
    assert (first, "cancelled") in kinds and (second, "reprioritized") in kinds
    assert (third, "preempted") in kinds and (fourth, "cancelled") in kinds and (second, "cancelled") in kinds
    armada.delete_queue(name)


def test_asyncio_client(server: BackgroundServer, new_name: Names) -> None:
    async def scenario() -> list[str]:
        async with grpc.aio.insecure_channel(server.grpc_target) as channel:
            armada = ArmadaAsyncIOClient(channel)
            name, job_set = new_name("official"), new_name("set")
            await armada.create_queue(armada.create_queue_request(name, 1.0))
            await armada.submit_jobs(name, job_set, [armada.create_job_request_item(pod_spec=pod_spec())])
            stream = await armada.get_job_events_stream(name, job_set)
            kinds = []
            async for message in stream:
                kinds.append(armada.unmarshal_event_response(message).type.value)
                if kinds[-1] == "succeeded":
                    break
            stream.cancel()
            await armada.delete_queue(name)
            return kinds

    assert asyncio.run(asyncio.wait_for(scenario(), 30)) == LIFE


def test_submit_sleep_job_and_cancel_by_id(armada: armada_client.ArmadaClient, new_name: Names) -> None:
    """Armada's own ``client/python/tests/integration/test_no_auth.py`` shape: a job sleeping 10 s is
    cancelled by id while it runs, and the answer names it."""
    name, job_set = new_name("official"), new_name("set")
    armada.create_queue(armada.create_queue_request(name, priority_factor=1))
    sleeper = pod_spec()
    sleeper.containers[0].args[:] = ["sleep", "10s"]
    item = armada.create_job_request_item(priority=0, namespace="default", pod_spec=sleeper)
    [job] = armada.submit_jobs(queue=name, job_set_id=job_set, job_request_items=[item]).job_response_items
    read_until(armada.get_job_events_stream(name, job_set), lambda got: any(e.type.value == "running" for e in got))
    cancelled = armada.cancel_jobs(queue=name, job_set_id=job_set, job_id=job.job_id)
    assert list(cancelled.cancelled_ids) == [job.job_id]
    kinds = [e.type.value for e in read_until(armada.get_job_events_stream(name, job_set), lambda got: len(got) == 7)]
    assert kinds[-2:] == ["cancelling", "cancelled"] and "succeeded" not in kinds
    armada.delete_queue(name)
