"""What the reference server is: the published contract, or a real Armada release.

A flavour is derived from one ``Release`` of ``conformance/releases.py`` (the table of
server features, each with the first release that has it): ``--flavour v0.8.7``,
``contract``, or a preset (``armada-2023`` = v0.3.103, ``armada-2026`` = the newest
release in the table). Every field below is read from the release's features, so the
server and the suite cannot disagree about a release. The gateway, the swagger, the
services and the auth set-up read their behaviour from here and nowhere else; code that
needs a fact the fields do not carry asks ``flavour.has("feature")``.

- ``contract``: the published API as documented (proto3 JSON, enums as names, the
  published swagger), fixed where the document is wrong about the wire: quantities
  are JSON strings, a stream that fails before its first message answers the mapped
  status with one stream error line.
- a release: what that Armada release puts on the wire (Go ``encoding/json``, its
  Timestamp form, ``text/plain`` routing errors, the swagger as Armada ships it, an
  idempotent DeleteQueue, a queue cache from v0.4.48, ...).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from typing import Any

from conformance.releases import CONTRACT, FIELD_FEATURES, PRESET_NAMES, SERVICE_FEATURES, Release, needs, release

ARMADA_2023, ARMADA_2026 = PRESET_NAMES
DEFAULT = CONTRACT
ALL_SCHEMES = frozenset({"basic", "oidc", "kerberos", "anonymous"})
# How long a new queue stays invisible to submit and event streams in a queue-cache flavour:
# Armada's is 10 s; ours is shortened (but real) so tests can watch it pass.
DEFAULT_QUEUE_CACHE_S = 2.0


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
    """Every way one flavour differs from another, each field derived from ``release`` (see ``of``)."""

    name: str
    summary: str
    release: Release
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

    @property
    def features(self) -> frozenset[str]:
        """The server features (``conformance/releases.py`` names) of the release this flavour is."""
        return self.release.features

    def has(self, feature: str) -> bool:
        """Whether the release this flavour is has ``feature`` (conformance.releases.FEATURES)."""
        return self.release.has(feature)

    def offers(self, service: str, method: str | None = None) -> bool:
        """Whether ``service`` (and ``service.method``) is served at all."""
        if service in self.services_absent:
            return False
        return method is None or f"{service}.{method}" not in self.methods_absent

    def offers_rest(self, service: str, method: str) -> bool:
        """Whether the REST route of ``service.method`` is served (api.Jobs had no routes before v0.4.40)."""
        return self.offers(service, method) and self.release.serves(f"{service.split('.')[-1]}/{method}", "rest")

    def strip(self, message: Any) -> Any:
        """``message`` without the fields the release does not have (``swagger_missing_fields``).

        A server built from older protos drops fields it does not know on the way in, so it
        never stores or answers them: v0.3.103 has no queue labels, on either transport.
        """
        if self.swagger_missing_fields:
            _strip(message, self.swagger_missing_fields)
        return message

    @classmethod
    def of(cls, name: str, judged: Release) -> Flavour:
        """The flavour of a release: each field read from its features."""
        has = judged.has
        armada_swagger = has("swagger_armada_form")
        return cls(
            name,
            _summary(name, judged),
            judged,
            services_absent=frozenset(
                f"api.{s}" for s, wanted in SERVICE_FEATURES.items() if not all(map(has, wanted))
            ),
            methods_absent=frozenset(f"api.{m.replace('/', '.')}" for m in _methods() if not judged.serves(m)),
            json=JsonDialect.GO if has("go_json") else JsonDialect.PROTO3,
            timestamps=_timestamps(judged),
            quantity_object_accepted=has("quantity_object_read"),
            stream_error_newline=has("stream_error_newline"),
            plain_routing_errors=has("plain_routing_errors"),
            forwards_content_type=has("forwards_grpc_content_type"),
            swagger=SwaggerForm.ARMADA if armada_swagger else SwaggerForm.CONTRACT,
            swagger_paths=("/swagger.json", "/api/swagger.json")
            if armada_swagger
            else ("/api/swagger.json", "/swagger.json"),
            swagger_missing_fields=frozenset(f for f, feature in FIELD_FEATURES.items() if not has(feature)),
            delete_absent_queue_ok=has("delete_absent_queue_ok"),
            queue_cache=has("queue_cache"),
            auth_schemes=ALL_SCHEMES if has("kerberos") else ALL_SCHEMES - {"kerberos"},
        )


def _strip(message: Any, absent: frozenset[str]) -> None:
    for field, value in message.ListFields():
        if field.full_name in absent:
            message.ClearField(field.name)
        elif field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                values = value.values() if field.message_type.fields_by_name["value"].message_type else ()
            else:
                values = value if field.is_repeated else (value,)
            for item in values:
                _strip(item, absent)


def _timestamps(judged: Release) -> TimestampForm:
    if judged.has("timestamp_object"):
        return TimestampForm.OBJECT
    return TimestampForm.GO_TIME if judged.has("go_json") else TimestampForm.PROTO3


def _summary(name: str, judged: Release) -> str:
    if judged.is_contract:
        return "the published contract (proto3 JSON, published swagger), quantities as strings"
    shown = f"{name} = {judged.name}" if name != judged.name else name
    return f"Armada {shown}: {len(judged.features)} features of conformance/releases.py"


@functools.cache
def _methods() -> tuple[str, ...]:
    """Every method of our protos that some release lacks ("Service/Method")."""
    import protos  # late: the table itself needs no compiled protos

    every = [f"{s.split('.')[-1]}/{m.name}" for s in protos.SERVICES for m in protos.service(s).methods]
    return tuple(m for m in every if needs(m))


NAMES = (CONTRACT, *PRESET_NAMES)  # the named flavours; any release number is one too


@functools.cache
def flavour(name: str) -> Flavour:
    """The flavour of that name (``contract``, a preset, ``v0.8.7``); ValueError naming the choices otherwise."""
    try:
        judged = release(name)
    except ValueError as exc:
        raise ValueError(f"unknown flavour {name!r}: {exc}") from None
    return Flavour.of(name, judged)


def named() -> dict[str, Flavour]:
    """The named flavours (``--flavour`` also takes any release number of the table)."""
    return {name: flavour(name) for name in NAMES}


def offered_routes(chosen: Flavour) -> list[Any]:
    """The REST routes (``protos.HttpRoute``) a flavour serves: its services' bound methods, minus absent ones."""
    import protos  # late: the table itself needs no compiled protos

    return [route for route in protos.http_routes() if chosen.offers_rest(route.service.full_name, route.method.name)]
