"""A small synchronous REST client and helpers for the gateway tests.

Deliberately independent of the gateway's code: it speaks HTTP with ``requests``
and compares against protobuf's own ``json_format``, so a bug in our codec cannot
hide itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import requests
from google.protobuf import json_format, message

import protos

UI_ORIGIN = "https://ui.example.com"
REST_FAULTS = (
    "rest-error-body-no-code",
    "swagger-path-missing",
    "rest-enum-as-number",
    "rest-grpc-differ",
    "rest-stream-error-line",
    "rest-wrong-status",
)
POD: dict[str, Any] = {
    "containers": [
        {
            "name": "main",
            "image": "busybox:1.36",
            "command": ["sleep", "1"],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        }
    ],
    "restartPolicy": "Never",
    "terminationGracePeriodSeconds": 30,
}


def item(**fields: Any) -> dict[str, Any]:
    return {"priority": 1, "namespace": "default", "podSpec": POD, **fields}


class Rest:
    """``requests`` with the base URL applied and a default timeout."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url
        self.timeout = timeout
        self.session = requests.Session()

    def __enter__(self) -> Rest:
        return self

    def __exit__(self, *exc: object) -> None:
        self.session.close()

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, self.base_url + path, **kwargs)

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(method, path, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        return response.json()

    def lines(self, method: str, path: str, **kwargs: Any) -> tuple[requests.Response, list[Any]]:
        """A whole (finite) stream: the response and its JSON lines."""
        response = self.request(method, path, **kwargs)
        return response, [json.loads(line) for line in response.text.splitlines() if line.strip()]

    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[Any]:
        """Lines of a stream as they arrive (the caller closes the response)."""
        response = self.request(method, path, stream=True, **kwargs)
        assert response.status_code == 200, (response.status_code, response.text)
        for line in response.iter_lines():
            if line.strip():
                yield json.loads(line)


QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity"


def as_message(full_name: str, data: Any) -> message.Message:
    """REST JSON read back by protobuf's own parser (it accepts int64 as numbers).

    Quantities travel as JSON strings (as Kubernetes' Go type writes them); protobuf's
    parser wants its own object form, so they are wrapped first.
    """
    desc = protos.pool().FindMessageTypeByName(full_name)
    return json_format.ParseDict(_wrap_quantities(data, desc), protos.message_class(full_name)())


def _wrap_quantities(data: Any, desc: Any) -> Any:
    if desc.full_name == QUANTITY:
        return {"string": data} if isinstance(data, str) else data
    if not isinstance(data, dict) or desc.full_name.startswith("google.protobuf."):
        return data
    fields = {**{f.name: f for f in desc.fields}, **{f.json_name: f for f in desc.fields}}
    return {key: _wrap_field(fields.get(key), value) for key, value in data.items()}


def _wrap_field(field: Any, value: Any) -> Any:
    if field is None or field.message_type is None:
        return value
    if field.message_type.GetOptions().map_entry:
        value_type = field.message_type.fields_by_name["value"].message_type
        return {k: _wrap_quantities(v, value_type) for k, v in value.items()} if value_type else value
    if isinstance(value, list):
        return [_wrap_quantities(v, field.message_type) for v in value]
    return _wrap_quantities(value, field.message_type)


def error_code(full_name: str) -> int:
    import grpc

    return int(getattr(grpc.StatusCode, full_name).value[0])
