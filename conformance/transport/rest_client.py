"""A REST client for Armada's grpc-gateway API, driven by the ``google.api.http`` rules.

Given a method name and a request in proto JSON form, it builds the call exactly as
a grpc-gateway client must: path template fields filled from the request, the rest
in the JSON body (``body: "*"``) or the query string (GET, DELETE). Streams are read
line by line as the gateway writes them: ``{"result": ...}`` per message, maybe a
final ``{"error": ...}``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

import protos
from conformance.transport.connection import Connection
from conformance.transport.grpc_client import TlsSettings


@dataclass
class RestResult:
    status: int
    body: Any = None  # parsed JSON of a unary response (None if not JSON)
    text: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    lines: list[Any] = field(default_factory=list)  # parsed lines of a stream
    url: str = ""

    @property
    def results(self) -> list[Any]:
        return [line["result"] for line in self.lines if isinstance(line, dict) and "result" in line]

    @property
    def stream_error(self) -> Any:
        for line in self.lines:
            if isinstance(line, dict) and "error" in line:
                return line["error"]
        return None


@dataclass(frozen=True)
class PlannedCall:
    """One REST call as the HTTP rule (``protos.HttpBinding``) lays a request out: verb, URL, body, query."""

    verb: str
    url: str
    body: Any  # JSON body, or None
    query: list[tuple[str, str]]


def plan(full_method: str, request: Mapping[str, Any]) -> PlannedCall:
    """Where and how a request travels over REST, per the method's HTTP rule."""
    service, name = full_method.rsplit("/", 1)
    binding = protos.http_binding(protos.method(service, name))
    if binding is None:
        raise ValueError(f"{full_method} has no REST binding")
    remaining = dict(request)
    path = binding.path
    for template_field in binding.path_params:
        value = _pop_field(remaining, template_field)
        path = re.sub(r"\{" + re.escape(template_field) + r"(=[^}]*)?\}", quote(str(value), safe=""), path, count=1)
    if binding.body == "*":
        return PlannedCall(binding.verb, path, remaining, [])
    return PlannedCall(binding.verb, path, None, list(_flatten(remaining)))


def _pop_field(request: dict[str, Any], proto_name: str) -> Any:
    """Take a path field out of the request, under its proto or JSON name ("" if absent)."""
    json_name = re.sub(r"_([a-z])", lambda m: m.group(1).upper(), proto_name)
    for key in (proto_name, json_name):
        if key in request:
            return request.pop(key)
    return ""


def _flatten(value: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, Mapping):
            pairs.extend(_flatten(item, name + "."))
        elif isinstance(item, list):
            pairs.extend((name, _scalar(v)) for v in item)
        else:
            pairs.append((name, _scalar(item)))
    return pairs


def _scalar(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


class ServerNameAdapter(HTTPAdapter):
    """HTTPS asking for (SNI) and verifying the certificate against ``server_name``, not the URL's host."""

    def __init__(self, server_name: str) -> None:
        self.server_name = server_name
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.update(server_hostname=self.server_name, assert_hostname=self.server_name)
        super().init_poolmanager(*args, **kwargs)


class RestClient:
    def __init__(
        self, base_url: str, tls: TlsSettings | None = None, timeout: float = 10.0, connection: Connection | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if tls is not None:
            # Passed again on every request: a session's own verify loses to REQUESTS_CA_BUNDLE otherwise.
            self.session.verify = tls.ca_file or not tls.insecure
            if tls.cert_file:
                self.session.cert = (tls.cert_file, tls.key_file) if tls.key_file else tls.cert_file
        connection = connection or Connection()
        self.session.headers.update(dict(connection.headers))  # a call's own headers win (requests merges)
        if connection.authority:
            self.session.headers["Host"] = connection.authority
            self.session.mount("https://", ServerNameAdapter(connection.server_name or connection.authority))

    def close(self) -> None:
        self.session.close()

    def call(
        self,
        full_method: str,
        request: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> RestResult:
        r = plan(full_method, request or {})
        return self.raw(r.verb, r.url, json_body=r.body, query=r.query, headers=headers, timeout=timeout)

    def raw(
        self,
        verb: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | str | None = None,
        query: list[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> RestResult:
        """Any HTTP request to the gateway (checks also send malformed ones on purpose)."""
        response = self.session.request(
            verb,
            self.base_url + path,
            params=query or None,
            headers=dict(headers or {}),
            json=json_body if data is None and json_body is not None else None,
            data=data,
            timeout=timeout or self.timeout,
            verify=self.session.verify,
        )
        return _unary_result(response)

    def stream(
        self,
        full_method: str,
        request: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        limit: int | None = None,
    ) -> RestResult:
        """Read a streaming method's response line by line (``limit`` results, then disconnect)."""
        r = plan(full_method, request or {})
        with self.session.request(
            r.verb,
            self.base_url + r.url,
            params=r.query or None,
            json=r.body,
            headers=dict(headers or {}),
            stream=True,
            timeout=timeout or self.timeout,
            verify=self.session.verify,
        ) as response:
            result = RestResult(response.status_code, headers=dict(response.headers), url=response.url)
            if response.status_code != 200:
                result.text = response.text
                result.body = _json_or_none(result.text)
                return result
            buffered = b""
            for chunk in response.iter_content(chunk_size=None):
                buffered += chunk
                *complete, buffered = buffered.split(b"\n")
                result.lines.extend(_json_or_none(line.decode()) for line in complete if line.strip())
                if limit is not None and len(result.results) >= limit:
                    return result
            if buffered.strip():  # the last line (real gateways write no newline after an error line)
                result.lines.append(_json_or_none(buffered.decode()))
            return result


def _unary_result(response: requests.Response) -> RestResult:
    return RestResult(
        response.status_code,
        body=_json_or_none(response.text),
        text=response.text,
        headers=dict(response.headers),
        url=response.url,
    )


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
