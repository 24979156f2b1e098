"""A REST client for Armada's grpc-gateway API, driven by the ``google.api.http`` rules.

Given a method name and a request in proto JSON form, it builds the call exactly as
a grpc-gateway client must: path template fields filled from the request, the rest
in the JSON body (``body: "*"``) or the query string (GET, DELETE). Streams are read
line by line as the gateway writes them: ``{"result": ...}`` per message, maybe a
final ``{"error": ...}``.

Bounded against any server (``transport.bounds``): every call has an overall
deadline (its timeout), answers and streams are read incrementally with a cap on
what is kept, and JSON past a nesting depth is not parsed. A limit reached is noted
in ``notes`` (the runner puts them in the check's evidence). Redirects are not
followed: a 3xx is the answer, noted with where it pointed. A target may opt in
(``follow_redirects``); even then no configured header, ``Authorization`` or cookie
is sent to another origin.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter

import protos
from conformance.transport.bounds import (
    MAX_BODY_BYTES,
    MAX_LINE_BYTES,
    MAX_STREAM_BYTES,
    MAX_STREAM_MESSAGES,
    Refused,
    chunks,
    json_or_none,
    origin,
    read_body,
)
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
    cut: str = ""  # why the suite stopped reading early (a limit or the deadline), "" when read whole

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


_PRIVATE_HEADERS = ("Authorization", "Proxy-Authorization", "Cookie")


class OriginBoundSession(requests.Session):
    """A session whose configured headers and credentials never follow a redirect to another origin.

    ``requests`` itself drops only ``Authorization`` on a change of host, and keeps it
    from http to https on the same host; here any change of scheme, host or port
    drops every configured extra header, ``Authorization``, ``Proxy-Authorization``
    and ``Cookie`` too.
    """

    def __init__(self, private: Iterable[str] = (), follow_redirects: bool = False) -> None:
        super().__init__()
        self.private = tuple(private)
        self.follow_redirects = follow_redirects
        self.max_redirects = 5

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        """Every use of the session (schemathesis' too): redirects as the target allows, answers bounded.

        A call not asking to stream is read here under its timeout as an overall deadline
        and ``MAX_BODY_BYTES``, rather than by ``requests`` for as long as the server trickles.
        """
        if not self.follow_redirects:
            kwargs["allow_redirects"] = False
        if kwargs.get("stream"):
            return super().request(method, url, *args, **kwargs)
        kwargs["stream"] = True
        response = super().request(method, url, *args, **kwargs)
        timeout = kwargs.get("timeout")
        limit = sum(timeout) if isinstance(timeout, tuple) else float(timeout or 60.0)
        with response:
            body, _ = read_body(response, time.monotonic() + limit, MAX_BODY_BYTES)
        response._content = body  # what requests' own read would set
        response._content_consumed = True  # type: ignore[attr-defined]
        return response

    def rebuild_auth(self, prepared_request: requests.PreparedRequest, response: requests.Response) -> None:
        if origin(str(prepared_request.url)) != origin(str(response.request.url)):
            for name in (*_PRIVATE_HEADERS, *self.private):
                prepared_request.headers.pop(name, None)


class RestClient:
    def __init__(
        self, base_url: str, tls: TlsSettings | None = None, timeout: float = 10.0, connection: Connection | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        connection = connection or Connection()
        self.follow_redirects = connection.follow_redirects
        self.session: requests.Session = OriginBoundSession(
            (name for name, _ in connection.headers), connection.follow_redirects
        )
        self.notes: list[str] = []  # limits reached and redirects met, for the running check's evidence
        if tls is not None:
            # Passed again on every request: a session's own verify loses to REQUESTS_CA_BUNDLE otherwise.
            self.session.verify = tls.ca_file or not tls.insecure
            if tls.cert_file:
                self.session.cert = (tls.cert_file, tls.key_file) if tls.key_file else tls.cert_file
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
        limit = timeout or self.timeout
        deadline = time.monotonic() + limit
        with self._send(
            verb,
            self.base_url + path,
            params=query or None,
            headers=dict(headers or {}),
            json=json_body if data is None and json_body is not None else None,
            data=data,
            timeout=limit,
        ) as response:
            body, cut = read_body(response, deadline, MAX_BODY_BYTES)
            return self._unary_result(response, body, cut)

    def _send(self, verb: str, url: str, **kwargs: Any) -> requests.Response:
        """One request, read as a stream (the caller bounds it), redirects as the target allows."""
        response = self.session.request(
            verb, url, stream=True, allow_redirects=self.follow_redirects, verify=self.session.verify, **kwargs
        )
        if response.is_redirect:
            where = response.headers.get("Location", "?")[:200]
            self.note(f"{verb} {url} answered HTTP {response.status_code} redirecting to {where} (not followed)")
        return response

    def note(self, text: str) -> None:
        """A limit reached or a redirect met, once, for the running check's evidence."""
        if text not in self.notes:
            self.notes.append(text)

    def take_notes(self) -> list[str]:
        notes, self.notes = self.notes, []
        return notes

    def _unary_result(self, response: requests.Response, body: bytes, cut: str) -> RestResult:
        if cut:
            self.note(f"{response.request.method} {response.url}: {cut}")
        text = body.decode(response.encoding or "utf-8", errors="replace")
        return RestResult(
            response.status_code,
            body=json_or_none(text),
            text=text,
            headers=dict(response.headers),
            url=response.url,
            cut=cut,
        )

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
        limit_s = timeout or self.timeout
        deadline = time.monotonic() + limit_s
        with self._send(
            r.verb,
            self.base_url + r.url,
            params=r.query or None,
            json=r.body,
            headers=dict(headers or {}),
            timeout=limit_s,
        ) as response:
            if response.status_code != 200:
                body, cut = read_body(response, deadline, MAX_BODY_BYTES)
                return self._unary_result(response, body, cut)
            result = RestResult(response.status_code, headers=dict(response.headers), url=response.url)
            result.cut = _read_lines(response, deadline, result, limit)
            if result.cut:
                self.note(f"{r.verb} {response.url}: {result.cut}")
            return result


def _read_lines(response: requests.Response, deadline: float, result: RestResult, limit: int | None) -> str:
    """Parse the stream's lines into ``result.lines``; why reading stopped early ("" at the stream's end)."""
    buffered, kept = bytearray(), 0
    try:
        for chunk in chunks(response, deadline):
            buffered += chunk
            if b"\n" not in chunk:  # no line ended: nothing to parse (and no copy of a growing line)
                if len(buffered) > MAX_LINE_BYTES:
                    return f"stream cut: a line longer than {MAX_LINE_BYTES} bytes (the suite's limit)"
                continue
            *complete, rest = bytes(buffered).split(b"\n")
            buffered = bytearray(rest)
            for line in complete:
                if line.strip():
                    result.lines.append(json_or_none(line))
                    kept += len(line)
            if limit is not None and len(result.results) >= limit:
                return ""
            if len(result.lines) >= MAX_STREAM_MESSAGES or kept >= MAX_STREAM_BYTES:
                return f"stream cut after {len(result.lines)} lines, {kept} bytes (the suite's limit)"
            if len(buffered) > MAX_LINE_BYTES:
                return f"stream cut: a line longer than {MAX_LINE_BYTES} bytes (the suite's limit)"
    except Refused as exc:
        return f"{exc}: stream cut after {len(result.lines)} lines"
    if buffered.strip():  # the last line (real gateways write no newline after an error line)
        result.lines.append(json_or_none(bytes(buffered)))
    return ""
