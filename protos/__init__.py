"""Armada API descriptors, compiled from the ``.proto`` files beside this module.

The protos are compiled once per process with ``grpc_tools.protoc`` into a *private*
descriptor pool. Private, because the official ``armada-client`` and
``googleapis-common-protos`` register messages of the same names (``api.Queue``,
``google.api.http``) in protobuf's default pool, and two registrations of one name
in one pool are an import error. Everything else (the gRPC handlers, the REST
gateway, the swagger, the conformance clients) reads its routes and types from here,
so the ``.proto`` files are the single source of truth.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, message_factory

PROTO_DIR = Path(__file__).resolve().parent
# Every public service, in declaration order. api.Jobs and api.RetryPolicyService are served by
# current (armada-2026) releases only; which era offers what is decided by the caller, not here.
SERVICES = ("api.Submit", "api.QueueService", "api.Event", "api.Jobs", "api.RetryPolicyService")


# A message of a class built at run time from the private pool (``message_class``): its
# fields exist only in the descriptors, so a type checker cannot see them and the value
# is typed Any rather than ``google.protobuf.message.Message``.
DynamicMessage: TypeAlias = Any

_PATH_PARAM = re.compile(r"\{([^}=]+)(?:=[^}]*)?\}")


@dataclass(frozen=True)
class HttpBinding:
    """One ``google.api.http`` rule: how a gRPC method is reached over REST."""

    verb: str
    path: str
    body: str

    @property
    def path_params(self) -> list[str]:
        """The request fields the path template binds, e.g. ``["queue", "id"]``."""
        return _PATH_PARAM.findall(self.path)


@dataclass(frozen=True)
class HttpRoute:
    """A bound gRPC method and its ``google.api.http`` rule: the one route type of the project."""

    service: descriptor.ServiceDescriptor
    method: descriptor.MethodDescriptor
    binding: HttpBinding

    @property
    def verb(self) -> str:
        return self.binding.verb

    @property
    def path(self) -> str:
        return self.binding.path

    @property
    def body(self) -> str:
        return self.binding.body

    @property
    def path_params(self) -> list[str]:
        return self.binding.path_params

    @property
    def grpc_path(self) -> str:
        return f"/{self.service.full_name}/{self.method.name}"


def _proto_files() -> list[str]:
    return sorted(str(p.relative_to(PROTO_DIR)) for p in PROTO_DIR.rglob("*.proto"))


@functools.cache
def file_descriptor_set() -> descriptor_pb2.FileDescriptorSet:
    """Compile every ``.proto`` here (with imports and comments) into one descriptor set."""
    from grpc_tools import protoc  # imported late: only needed once per process

    well_known = Path(protoc.__file__).resolve().parent / "_proto"
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "api.pb")
        args = [
            "protoc",
            f"-I{PROTO_DIR}",
            f"-I{well_known}",
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *_proto_files(),
        ]
        if protoc.main(args) != 0:
            raise RuntimeError(f"protoc failed to compile the protos in {PROTO_DIR}")
        return descriptor_pb2.FileDescriptorSet.FromString(Path(out).read_bytes())


@functools.cache
def pool() -> descriptor_pool.DescriptorPool:
    """The private pool holding Armada's API and its imports."""
    result = descriptor_pool.DescriptorPool()
    for file_proto in file_descriptor_set().file:
        result.Add(file_proto)
    return result


@functools.cache
def message_class(full_name: str) -> type[DynamicMessage]:
    """The Python class of a message, e.g. ``message_class("api.Queue")``."""
    return message_factory.GetMessageClass(pool().FindMessageTypeByName(full_name))


def field_by_path(desc: descriptor.Descriptor, dotted: str) -> descriptor.FieldDescriptor | None:
    """The field a dotted path names (``"a.b"``: field ``b`` of message field ``a``), or None."""
    found: descriptor.FieldDescriptor | None = None
    current: descriptor.Descriptor | None = desc
    for part in dotted.split("."):
        if current is None:
            return None
        found = current.fields_by_name.get(part)
        if found is None:
            return None
        current = found.message_type
    return found


def message_type_of(field: descriptor.FieldDescriptor) -> descriptor.Descriptor:
    """The message type of a message (or map) field: a TypeError for a field of any other type.

    Protobuf's ``message_type`` is None on scalar fields, so callers that already know the
    field holds a message ask here instead of checking for None at every use.
    """
    if field.message_type is None:
        raise TypeError(f"field {field.full_name} is not a message field")
    return field.message_type


def enum_type_of(field: descriptor.FieldDescriptor) -> descriptor.EnumDescriptor:
    """The enum type of an enum field: a TypeError for a field of any other type."""
    if field.enum_type is None:
        raise TypeError(f"field {field.full_name} is not an enum field")
    return field.enum_type


def service(full_name: str) -> descriptor.ServiceDescriptor:
    return pool().FindServiceByName(full_name)


def method(service_name: str, method_name: str) -> descriptor.MethodDescriptor:
    return service(service_name).methods_by_name[method_name]


@functools.cache
def _method_options_class() -> type[DynamicMessage]:
    return message_class("google.protobuf.MethodOptions")


def http_binding(method_desc: descriptor.MethodDescriptor) -> HttpBinding | None:
    """The method's ``google.api.http`` rule, or None when it has no REST binding.

    The option is an extension defined in our private pool, so the default pool's
    ``MethodOptions`` sees it only as unknown bytes; re-parsing those bytes with the
    private pool's ``MethodOptions`` class makes the extension readable.
    """
    raw = method_desc.GetOptions().SerializeToString()
    if not raw:
        return None
    options = _method_options_class().FromString(raw)
    extension = pool().FindExtensionByName("google.api.http")
    if not options.HasExtension(extension):
        return None
    rule = options.Extensions[extension]
    verb = rule.WhichOneof("pattern")
    return HttpBinding(verb=verb.upper(), path=getattr(rule, verb), body=rule.body)


def http_routes(services: tuple[str, ...] = SERVICES) -> list[HttpRoute]:
    """Every method of ``services`` that has an HTTP rule, in declaration order."""
    found = []
    for service_name in services:
        service_desc = service(service_name)
        for method_desc in service_desc.methods:
            rule = http_binding(method_desc)
            if rule is not None:
                found.append(HttpRoute(service_desc, method_desc, rule))
    return found
