"""The Swagger 2.0 document of the REST API, generated from the compiled descriptors.

Generated, never hand-written, so it cannot drift from the gateway's routes: both
read the same ``google.api.http`` rules. The shape follows what grpc-gateway v1's
``protoc-gen-swagger`` emits for Armada (operationId = method name, tags = service
name, definitions named by the shortest unique suffix of the full name plus one
more component: ``apiQueue``, ``QueuePermissions``, ``v1PodSpec``,
``resourceQuantity``), with the type table of the wire-facts file (int64 as
``integer``/``int64``, enums as ``string`` with ``enum``). Properties use the JSON
names the gateway writes.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor, descriptor_pb2

import protos
from reference_server.faults import Faults
from reference_server.quantities import QUANTITY

FD = descriptor.FieldDescriptor
MISSING_PATH_METHOD = "api.Submit.GetQueueInfo"  # dropped by the swagger-path-missing fault
_TIMESTAMP = "google.protobuf.Timestamp"
_DURATION = "google.protobuf.Duration"
_EMPTY = "google.protobuf.Empty"

_SCALARS: dict[int, dict[str, str]] = {
    FD.TYPE_DOUBLE: {"type": "number", "format": "double"},
    FD.TYPE_FLOAT: {"type": "number", "format": "float"},
    FD.TYPE_INT64: {"type": "integer", "format": "int64"},
    FD.TYPE_SINT64: {"type": "integer", "format": "int64"},
    FD.TYPE_SFIXED64: {"type": "integer", "format": "int64"},
    FD.TYPE_UINT64: {"type": "integer", "format": "uint64"},
    FD.TYPE_FIXED64: {"type": "integer", "format": "uint64"},
    FD.TYPE_INT32: {"type": "integer", "format": "int32"},
    FD.TYPE_SINT32: {"type": "integer", "format": "int32"},
    FD.TYPE_SFIXED32: {"type": "integer", "format": "int32"},
    FD.TYPE_UINT32: {"type": "integer", "format": "int64"},
    FD.TYPE_FIXED32: {"type": "integer", "format": "int64"},
    FD.TYPE_BOOL: {"type": "boolean"},
    FD.TYPE_STRING: {"type": "string"},
    FD.TYPE_BYTES: {"type": "string", "format": "byte"},
}


Route = protos.HttpRoute


def routes() -> list[Route]:
    """Every method of ``protos.SERVICES`` that has an HTTP rule, in declaration order."""
    return protos.http_routes()


# ---- comments ---------------------------------------------------------------------


def _comments() -> dict[str, str]:
    """Leading comments of every message, field, enum, service and method, by full name."""
    found: dict[str, str] = {}
    for file_proto in protos.file_descriptor_set().file:
        by_path = {tuple(loc.path): loc.leading_comments for loc in file_proto.source_code_info.location}
        prefix = f"{file_proto.package}." if file_proto.package else ""
        for i, msg in enumerate(file_proto.message_type):
            _message_comments(found, by_path, (4, i), prefix + msg.name, msg)
        for i, enum in enumerate(file_proto.enum_type):
            _put(found, prefix + enum.name, by_path.get((5, i)))
        for i, svc in enumerate(file_proto.service):
            _put(found, prefix + svc.name, by_path.get((6, i)))
            for j, meth in enumerate(svc.method):
                _put(found, f"{prefix}{svc.name}.{meth.name}", by_path.get((6, i, 2, j)))
    return found


def _message_comments(
    found: dict[str, str],
    by_path: dict[tuple[int, ...], str],
    path: tuple[int, ...],
    name: str,
    msg: descriptor_pb2.DescriptorProto,
) -> None:
    _put(found, name, by_path.get(path))
    for k, field in enumerate(msg.field):
        _put(found, f"{name}.{field.name}", by_path.get((*path, 2, k)))
    for j, nested in enumerate(msg.nested_type):
        _message_comments(found, by_path, (*path, 3, j), f"{name}.{nested.name}", nested)
    for j, enum in enumerate(msg.enum_type):
        _put(found, f"{name}.{enum.name}", by_path.get((*path, 4, j)))


def _put(found: dict[str, str], name: str, comment: str | None) -> None:
    text = "\n".join(line.strip() for line in (comment or "").strip().splitlines()).strip()
    if text:
        found[name] = text


def _schema_docs(comment: str | None) -> dict[str, str]:
    """protoc-gen-swagger's rule: a first paragraph without a final period is a title."""
    if not comment:
        return {}
    first, _, rest = comment.partition("\n\n")
    if not first.endswith("."):
        docs = {"title": first.replace("\n", " ")}
        if rest.strip():
            docs["description"] = rest.strip()
        return docs
    return {"description": comment}


# ---- names ------------------------------------------------------------------------


def _reachable_types(found_routes: list[Route]) -> list[str]:
    """Full names of the messages and enums the routes' requests and responses reach."""
    seen: dict[str, None] = {}
    stack: list[descriptor.Descriptor | descriptor.EnumDescriptor] = []
    for route in found_routes:
        stack += [route.method.input_type, route.method.output_type]
    while stack:
        desc = stack.pop()
        if desc.full_name in seen:
            continue
        seen[desc.full_name] = None
        if isinstance(desc, descriptor.Descriptor):
            for field in desc.fields:
                stack.extend(t for t in (field.message_type, field.enum_type) if t is not None)
    return list(seen)


def definition_names(full_names: list[str] | None = None) -> dict[str, str]:
    """Full name -> definition name, by grpc-gateway v1's rule.

    A name is its shortest suffix that no other type shares, plus one more
    component, joined: ``api.Queue.Permissions`` -> ``QueuePermissions``. v1 weighs
    every type it loaded; we weigh the types the API reaches (default), because our
    trimmed Kubernetes protos hold placeholder types (``k8s.io.api.core.v1.Quantity``)
    that Armada's registry lacks and that would otherwise lengthen real names
    (``resourceQuantity`` into ``apiresourceQuantity``).
    """
    if full_names is None:
        full_names = _reachable_types(routes())
    parts = {n: ["", *n.split(".")] for n in full_names}
    suffix_counts: dict[tuple[str, ...], int] = {}
    for h in parts.values():
        for depth in range(1, len(h)):
            key = tuple(h[len(h) - depth :])
            suffix_counts[key] = suffix_counts.get(key, 0) + 1
    result = {}
    for name, h in parts.items():
        chosen = "".join(h)
        for depth in range(1, len(h) - 1):
            if suffix_counts[tuple(h[len(h) - depth :])] == 1:
                chosen = "".join(h[len(h) - depth - 1 :])
                break
        result[name] = chosen
    return result


# ---- schemas ----------------------------------------------------------------------


class _Builder:
    """Collects definitions while walking the types the routes reach."""

    def __init__(self) -> None:
        self.names = definition_names()
        self.comments = _comments()
        self.definitions: dict[str, Any] = {}

    def ref(self, full_name: str) -> dict[str, str]:
        return {"$ref": f"#/definitions/{self.names[full_name]}"}

    def message_ref(self, desc: descriptor.Descriptor) -> dict[str, Any]:
        if desc.full_name in (_TIMESTAMP,):
            return {"type": "string", "format": "date-time"}
        if desc.full_name == _DURATION:
            return {"type": "string"}
        if desc.full_name == _EMPTY:
            return {}
        name = self.names[desc.full_name]
        if desc.full_name == QUANTITY:  # a JSON string on the wire, as Armada's swagger documents it
            self.definitions[name] = {"type": "string"}
        elif name not in self.definitions:
            self.definitions[name] = {}  # placeholder first: recursive types terminate
            self.definitions[name] = self._message_schema(desc)
        return {"$ref": f"#/definitions/{name}"}

    def enum_ref(self, desc: descriptor.EnumDescriptor) -> dict[str, str]:
        name = self.names[desc.full_name]
        if name not in self.definitions:
            schema: dict[str, Any] = {"type": "string", "enum": [v.name for v in desc.values]}
            zero = desc.values_by_number.get(0)
            schema["default"] = (zero or desc.values[0]).name
            schema.update(_schema_docs(self.comments.get(desc.full_name)))
            self.definitions[name] = schema
        return {"$ref": f"#/definitions/{name}"}

    def _message_schema(self, desc: descriptor.Descriptor) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object"}
        properties = {f.json_name: self.field_schema(f) for f in desc.fields}
        if properties:
            schema["properties"] = properties
        schema.update(_schema_docs(self.comments.get(desc.full_name)))
        return schema

    def field_schema(self, field: FD) -> dict[str, Any]:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            value = field.message_type.fields_by_name["value"]
            return {"type": "object", "additionalProperties": self.single_schema(value)}
        single = self.single_schema(field)
        schema = {"type": "array", "items": single} if field.is_repeated else dict(single)
        if "$ref" not in schema:
            schema.update(_schema_docs(self.comments.get(field.full_name)))
        return schema

    def single_schema(self, field: FD) -> dict[str, Any]:
        if field.type in (FD.TYPE_MESSAGE, FD.TYPE_GROUP):
            return self.message_ref(protos.message_type_of(field))
        if field.type == FD.TYPE_ENUM:
            return self.enum_ref(protos.enum_type_of(field))
        return dict(_SCALARS[field.type])

    # ---- operations -------------------------------------------------------------

    def operation(self, route: Route) -> dict[str, Any]:
        method = route.method
        op: dict[str, Any] = {"operationId": method.name}
        comment = self.comments.get(method.full_name, "")
        summary, _, description = comment.partition("\n\n")
        if summary:
            op["summary"] = summary.replace("\n", " ")
        if description.strip():
            op["description"] = description.strip()
        op["responses"] = {
            "200": {"description": "A successful response.", "schema": self._response_schema(method)},
            "default": {
                "description": "An unexpected error response.",
                "schema": {"$ref": "#/definitions/runtimeError"},
            },
        }
        params = self._path_parameters(route)
        if route.body:
            params.append(self._body_parameter(route))
        elif route.verb in ("GET", "DELETE"):
            params.extend(self._query_parameters(method.input_type, set(route.path_params), ""))
        if params:
            op["parameters"] = params
        op["tags"] = [route.service.name]
        return op

    def _response_schema(self, method: descriptor.MethodDescriptor) -> dict[str, Any]:
        result = self.message_ref(method.output_type)
        if not method.server_streaming:
            return result
        name = self.names[method.output_type.full_name]
        return {
            "type": "object",
            "properties": {"result": result, "error": {"$ref": "#/definitions/runtimeStreamError"}},
            "title": f"Stream result of {name}",
        }

    def _path_parameters(self, route: Route) -> list[dict[str, Any]]:
        params = []
        for name in route.path_params:
            field = protos.field_by_path(route.method.input_type, name)
            scalar = self.single_schema(field) if field is not None else {"type": "string"}
            if "$ref" in scalar:  # an enum in the path: inline its values
                scalar = {
                    k: v for k, v in self.definitions[scalar["$ref"].rsplit("/", 1)[1]].items() if k in ("type", "enum")
                }
            params.append({"name": name, "in": "path", "required": True, **scalar})
        return params

    def _body_parameter(self, route: Route) -> dict[str, Any]:
        input_type = route.method.input_type
        if route.body == "*":
            schema = self.message_ref(input_type)
        else:
            schema = self.field_schema(input_type.fields_by_name[route.body])
        return {"name": "body", "in": "body", "required": True, "schema": schema}

    def _query_parameters(
        self, desc: descriptor.Descriptor, bound: set[str], prefix: str, depth: int = 0
    ) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = []
        for field in desc.fields:
            name = prefix + field.name
            if name in bound or depth > 4:
                continue
            if field.type == FD.TYPE_MESSAGE:
                nested = protos.message_type_of(field)
                if field.is_repeated or nested.full_name.startswith("google.protobuf."):
                    continue  # maps and repeated messages cannot travel in a query
                params.extend(self._query_parameters(nested, bound, name + ".", depth + 1))
                continue
            params.append(self._query_parameter(field, name))
        return params

    def _query_parameter(self, field: FD, name: str) -> dict[str, Any]:
        if field.type == FD.TYPE_ENUM:
            values = protos.enum_type_of(field).values
            single: dict[str, Any] = {"type": "string", "enum": [v.name for v in values]}
            if not field.is_repeated:
                single["default"] = values[0].name
        else:
            single = dict(_SCALARS[field.type])
        param: dict[str, Any] = {"name": name, "in": "query", "required": False}
        if field.is_repeated:
            param.update({"type": "array", "items": single, "collectionFormat": "multi"})
        else:
            param.update(single)
        docs = _schema_docs(self.comments.get(field.full_name))
        if docs:
            param["description"] = " ".join(docs.values())
        return param


def _error_definitions() -> dict[str, Any]:
    any_schema = {
        "type": "object",
        "properties": {"type_url": {"type": "string"}, "value": {"type": "string", "format": "byte"}},
    }
    details = {"type": "array", "items": {"$ref": "#/definitions/protobufAny"}}
    return {
        "protobufAny": any_schema,
        "runtimeError": {
            "type": "object",
            "properties": {
                "error": {"type": "string"},
                "code": {"type": "integer", "format": "int32"},
                "message": {"type": "string"},
                "details": details,
            },
        },
        "runtimeStreamError": {
            "type": "object",
            "properties": {
                "grpc_code": {"type": "integer", "format": "int32"},
                "http_code": {"type": "integer", "format": "int32"},
                "message": {"type": "string"},
                "http_status": {"type": "string"},
                "details": details,
            },
        },
    }


def build_swagger(faults: Faults | None = None, found_routes: list[Route] | None = None) -> dict[str, Any]:
    """The Swagger 2.0 document for ``found_routes`` (default: every HTTP-bound method of ``protos.SERVICES``)."""
    faults = faults or Faults()
    builder = _Builder()
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, dict[str, str]] = {}
    for route in routes() if found_routes is None else found_routes:
        if "swagger-path-missing" in faults and route.method.full_name == MISSING_PATH_METHOD:
            continue
        paths.setdefault(route.path, {})[route.verb.lower()] = builder.operation(route)
        tag = {"name": route.service.name}
        if builder.comments.get(route.service.full_name):
            tag["description"] = builder.comments[route.service.full_name]
        tags.setdefault(route.service.name, tag)
    definitions = dict(sorted(builder.definitions.items()))
    definitions.update(_error_definitions())
    if "swagger-wrong-type" in faults:
        definitions["apiJobSubmitResponseItem"]["properties"]["jobId"] = {"type": "integer", "format": "int64"}
    info = {"title": "Armada API (api/submit.proto, api/event.proto)", "version": "version not set"}
    if "swagger-invalid" in faults:
        del info["version"]  # Swagger 2.0 requires info.version
    return {
        "swagger": "2.0",
        "info": info,
        "tags": list(tags.values()),
        "consumes": ["application/json"],
        "produces": ["application/json"],
        "paths": paths,
        "definitions": definitions,
    }
