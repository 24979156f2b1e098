"""The eras of real Armada a target is judged against (the ``profile`` of a target file).

Armada's API changed under the same names: which methods a server has, which auth
schemes, how its gateway writes a Timestamp, what its swagger documents. A check
asks the era, never the reference server, what to expect. The facts are those of
``shared/real-armada.md``:

- ``armada-2023`` (alias ``seed``; 2021 to mid-2024): ``api.Submit`` still has
  ``GetQueueInfo``, Kerberos is offered, Timestamps are RFC 3339 strings. Judged on
  the six methods the project's mission names, all of which the era serves.
- ``armada-2026`` (alias ``current``; from mid-2024): no ``GetQueueInfo`` (UNIMPLEMENTED
  before any authentication), no Kerberos, queue methods also on ``api.QueueService``,
  Timestamps as ``{"seconds", "nanos"}``, a 10 s queue cache. Judged on every method
  of our protos: what the era no longer has (``GONE_BY_2026``) a stock server answers
  with UNIMPLEMENTED or the gateway's plain 404, which the checks report as "not offered".
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import protos

SEED_METHODS = (
    "Submit/SubmitJobs",
    "Submit/CancelJobs",
    "Submit/CreateQueue",
    "Submit/DeleteQueue",
    "Submit/GetQueueInfo",
    "Event/GetJobSetEvents",
)
# Methods our protos have that the current era no longer serves (its checks report "not offered").
GONE_BY_2026 = frozenset({"Submit/GetQueueInfo"})
# Fields of api.* messages our protos have that an armada-2023 swagger does not document yet.
ADDED_AFTER_2023 = frozenset(
    {
        "api.ServiceConfig.name",
        "api.Queue.cordoned",
        "api.Queue.labels",
        "api.Queue.retry_policies",
    }
)


def all_methods() -> list[str]:
    """``Service/Method`` for every method in the protos, services in declaration order."""
    return [
        f"{service.split('.')[-1]}/{m.name}" for service in protos.SERVICES for m in protos.service(service).methods
    ]


@functools.cache
def _current_methods() -> tuple[str, ...]:
    return tuple(all_methods())


@dataclass(frozen=True)
class Era:
    name: str
    alias: str
    methods_of: Callable[[], tuple[str, ...]]  # the methods judged (read lazily: protos)
    lacks: frozenset[str]  # judged methods a stock server of the era does not have: "not offered"
    auth_probe: str  # a harmless read every server of the era has, for refusal checks
    missing_fields: frozenset[str]  # api.* fields the era's swagger predates
    queue_cache: bool  # a new queue is refused for a while (submit, event streams)
    auth_schemes: frozenset[str]  # schemes a server of the era can offer (of those the suite checks)
    summary: str

    @property
    def methods(self) -> tuple[str, ...]:
        return self.methods_of()

    def has(self, method: str) -> bool:
        return method in self.methods


ERAS: dict[str, Era] = {
    e.name: e
    for e in (
        Era(
            "armada-2023",
            "seed",
            lambda: SEED_METHODS,
            frozenset(),
            "Submit/GetQueueInfo",
            ADDED_AFTER_2023,
            False,
            frozenset({"anonymous", "basic", "oidc", "kerberos"}),
            "armada-2023: GetQueueInfo and Kerberos, RFC 3339 Timestamps; the six mission methods",
        ),
        Era(
            "armada-2026",
            "current",
            _current_methods,
            GONE_BY_2026,
            "Submit/GetQueue",
            frozenset(),
            True,
            frozenset({"anonymous", "basic", "oidc"}),  # Kerberos went in 2024 (its Kubernetes scheme is not checked)
            "armada-2026: QueueService, no GetQueueInfo, no Kerberos, a 10 s queue cache",
        ),
    )
}
ALIASES = {e.alias: e.name for e in ERAS.values()}
NAMES = tuple(ERAS)


def canonical(name: str) -> str:
    """The era a profile name stands for (an alias resolved; an unknown name unchanged)."""
    return ALIASES.get(name, name)


def choices() -> tuple[str, ...]:
    """Every name a user may give as a profile: eras and their aliases."""
    return (*NAMES, *ALIASES)


def era(name: str) -> Era:
    """The era of a profile name or alias (KeyError names the choices)."""
    found = ERAS.get(canonical(name))
    if found is None:
        raise KeyError(f"unknown profile {name!r}; one of {', '.join(choices())}")
    return found


def methods(profile: str) -> list[str]:
    return list(era(profile).methods)


def profiles_of(method: str) -> list[str]:
    """The eras whose targets must serve ``method`` (a check's ``profiles``)."""
    return [name for name in NAMES if era(name).has(method)]


def wire(method: str) -> str:
    """``Submit/GetQueue`` (the suite's one spelling of a method) as the transports name it: ``api.Submit/GetQueue``."""
    return f"api.{method}"


def descriptor_of(method: str) -> Any:
    """The method's descriptor in our protos."""
    service, name = method.split("/")
    return protos.method(f"api.{service}", name)


def rest_bound(method: str) -> bool:
    return protos.http_binding(descriptor_of(method)) is not None


def is_streaming(method: str) -> bool:
    return bool(descriptor_of(method).server_streaming)
