"""Which methods a target is expected to serve.

``seed``: the six methods the project's mission names (what every Armada release
has served). ``current``: every method of ``api.Submit``, ``api.QueueService`` and
``api.Event`` in our protos, i.e. what current releases expose (a target may still
lack some: those are reported "not offered").
"""

from __future__ import annotations

import protos

SEED_METHODS = (
    "Submit/SubmitJobs", "Submit/CancelJobs", "Submit/CreateQueue",
    "Submit/DeleteQueue", "Submit/GetQueueInfo", "Event/GetJobSetEvents",
)


def all_methods() -> list[str]:
    """``Service/Method`` for every method in the protos, services in declaration order."""
    return [f"{service.split('.')[-1]}/{m.name}" for service in protos.SERVICES
            for m in protos.service(service).methods]


def methods(profile: str) -> list[str]:
    return list(SEED_METHODS) if profile == "seed" else all_methods()


def profiles_of(method: str) -> list[str]:
    return ["seed", "current"] if method in SEED_METHODS else ["current"]


def rest_bound(method: str) -> bool:
    service, name = method.split("/")
    return protos.http_binding(protos.method(f"api.{service}", name)) is not None


def is_streaming(method: str) -> bool:
    service, name = method.split("/")
    return protos.method(f"api.{service}", name).server_streaming
