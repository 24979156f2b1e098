"""What the reference server is: the published contract, or a real Armada era.

One row per flavour, one field per difference; the gateway, the swagger, the
services and the auth set-up read their behaviour from here and nowhere else, so
"what does armada-2026 do about X" has one answer. The facts are those of
``shared/real-armada.md`` (the eras) and ``shared/armada-api.md`` (the contract):

- ``contract``: the published API as documented (proto3 JSON, enums as names, the
  published swagger), fixed where the document is wrong about the wire: quantities
  are JSON strings, a stream that fails before its first message answers the mapped
  status with one stream error line.
- ``armada-2023`` and ``armada-2026``: what those Armada releases put on the wire
  (Go ``encoding/json``, their Timestamp forms, ``text/plain`` routing errors, the
  swagger as Armada ships it, an idempotent DeleteQueue; 2026 also a queue cache).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

CONTRACT, ARMADA_2023, ARMADA_2026 = "contract", "armada-2023", "armada-2026"
DEFAULT = CONTRACT

# Services Armada added after the 2023 era (api.Jobs / api.RetryPolicyService: once our protos have them).
SERVICES_AFTER_2023 = frozenset({"api.QueueService", "api.Jobs", "api.RetryPolicyService"})
ALL_SCHEMES = frozenset({"basic", "oidc", "kerberos", "anonymous"})
# Fields of api.* messages our protos have that a 2023 swagger does not document yet.
ADDED_AFTER_2023 = frozenset(
    {"api.ServiceConfig.name", "api.Queue.cordoned", "api.Queue.labels", "api.Queue.retry_policies"}
)


class JsonDialect(Enum):
    PROTO3 = "proto3"  # the contract: enums as names, proto3 oneofs
    GO = "go"  # Go encoding/json over the generated structs


class TimestampForm(Enum):
    PROTO3 = "proto3"  # protobuf's RFC 3339 (0, 3, 6 or 9 fraction digits)
    GO_TIME = "go-time"  # Go time.Time: RFC 3339 with nanoseconds, trailing zeros trimmed
    OBJECT = "object"  # a plain struct: {"seconds": n, "nanos": n}, zero members left out


class SwaggerForm(Enum):
    CONTRACT = "contract"  # the published contract, generated from our protos
    ARMADA = "armada"  # protoc-gen-swagger v1 as post-processed by Armada's build


@dataclass(frozen=True)
class Flavour:
    """Every way one flavour differs from another; see the module docstring for the why."""

    name: str
    summary: str
    services_absent: frozenset[str]  # gRPC services not served (UNIMPLEMENTED "unknown service", no routes)
    methods_absent: frozenset[str]  # "api.Submit.GetQueueInfo": UNIMPLEMENTED before auth, no REST route
    json: JsonDialect
    timestamps: TimestampForm
    quantity_object_accepted: bool  # also read the proto-JSON form {"string": "100m"} of a Quantity
    stream_error_newline: bool  # a newline after the stream error line
    plain_routing_errors: bool  # 404/405 as text/plain without Allow (Go's http.Error)
    forwards_content_type: bool  # Grpc-Metadata-Content-Type: application/grpc on gRPC answers
    swagger: SwaggerForm
    swagger_paths: tuple[str, ...]
    swagger_missing_fields: frozenset[str]
    delete_absent_queue_ok: bool
    queue_cache: bool  # submit / event streams see queues only after a cache refresh
    auth_schemes: frozenset[str]  # schemes a config may enable
    # The code of a CreateRetryPolicy of an existing name where the release refuses it (the contract);
    # real Armada replaces the policy instead (feature retry_policy_create_replaces).
    retry_policy_duplicate: str = "ALREADY_EXISTS"
    # The server features (``conformance/releases.py`` names) of the release this flavour is.
    features: frozenset[str] = frozenset()

    def has(self, feature: str) -> bool:
        """Whether the release this flavour is has ``feature`` (a ``conformance/releases.py`` name)."""
        return feature in self.features

    def offers(self, service: str, method: str | None = None) -> bool:
        """Whether ``service`` (and ``service.method``) is served at all."""
        if service in self.services_absent:
            return False
        return method is None or f"{service}.{method}" not in self.methods_absent


_CONTRACT = Flavour(
    CONTRACT,
    "the published contract (proto3 JSON, published swagger), quantities as strings",
    services_absent=frozenset(),
    methods_absent=frozenset(),
    json=JsonDialect.PROTO3,
    timestamps=TimestampForm.PROTO3,
    quantity_object_accepted=True,
    stream_error_newline=True,
    plain_routing_errors=False,
    forwards_content_type=False,
    swagger=SwaggerForm.CONTRACT,
    swagger_paths=("/api/swagger.json", "/swagger.json"),
    swagger_missing_fields=frozenset(),
    delete_absent_queue_ok=False,
    queue_cache=False,
    auth_schemes=ALL_SCHEMES,
)
_ARMADA_2023 = Flavour(
    ARMADA_2023,
    "Armada 2021 to mid-2024: GetQueueInfo, Kerberos, RFC 3339 Timestamps",
    services_absent=SERVICES_AFTER_2023,
    methods_absent=frozenset(),
    json=JsonDialect.GO,
    timestamps=TimestampForm.GO_TIME,
    quantity_object_accepted=False,
    stream_error_newline=False,
    plain_routing_errors=True,
    forwards_content_type=True,
    swagger=SwaggerForm.ARMADA,
    swagger_paths=("/swagger.json", "/api/swagger.json"),
    swagger_missing_fields=ADDED_AFTER_2023,
    delete_absent_queue_ok=True,
    queue_cache=False,
    auth_schemes=ALL_SCHEMES,
)
# armada-2026 is armada-2023 with these differences:
_ARMADA_2026 = replace(
    _ARMADA_2023,
    name=ARMADA_2026,
    summary="Armada from mid-2024: QueueService, no GetQueueInfo, no Kerberos, a queue cache",
    services_absent=frozenset(),
    methods_absent=frozenset({"api.Submit.GetQueueInfo"}),
    timestamps=TimestampForm.OBJECT,
    swagger_missing_fields=frozenset(),
    queue_cache=True,
    auth_schemes=ALL_SCHEMES - {"kerberos"},
)


def _features(name: str) -> frozenset[str]:
    """The features of the release the flavour is, from the one table (``conformance/releases.py``)."""
    from conformance import releases  # pure data: no cycle, nothing heavy

    return (releases.contract() if name == CONTRACT else releases.release(name)).features


_CONTRACT, _ARMADA_2023, _ARMADA_2026 = (
    replace(f, features=_features(f.name)) for f in (_CONTRACT, _ARMADA_2023, _ARMADA_2026)
)
FLAVOURS: dict[str, Flavour] = {f.name: f for f in (_CONTRACT, _ARMADA_2023, _ARMADA_2026)}
NAMES = tuple(FLAVOURS)
# How long a new queue stays invisible to submit and event streams in a queue-cache flavour:
# Armada's is 10 s; ours is shortened (but real) so tests can watch it pass.
DEFAULT_QUEUE_CACHE_S = 2.0


def flavour(name: str) -> Flavour:
    """The flavour of that name; ValueError naming the choices otherwise."""
    try:
        return FLAVOURS[name]
    except KeyError:
        raise ValueError(f"unknown flavour {name!r}; one of {', '.join(NAMES)}") from None


def offered_routes(chosen: Flavour) -> list[Any]:
    """The REST routes (``protos.HttpRoute``) a flavour serves: its services' bound methods, minus absent ones."""
    import protos  # late: the table itself needs no compiled protos

    return [route for route in protos.http_routes() if chosen.offers(route.service.full_name, route.method.name)]
