"""What the suite takes from a server, bounded: time, bytes, JSON depth, and where it goes.

The suite is pointed at deployments it does not control, so a broken or hostile
server must not be able to hang a run, fill the machine's memory or crash the
parser. Every answer is read incrementally under an overall deadline (``requests``'
own timeout is per read: a server trickling a byte a second would never time out),
with a cap on the bytes kept; JSON is refused past a nesting depth before any
recursive code walks it; and only ``http(s)`` URLs are fetched, never following a
redirect (a redirect is an answer, reported with where it pointed).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

MiB = 1024 * 1024
MAX_BODY_BYTES = 64 * MiB  # a unary REST answer (as the gRPC client's largest message)
MAX_STREAM_BYTES = 64 * MiB  # the lines of one REST stream, or the messages of one gRPC stream, kept
MAX_STREAM_MESSAGES = 100_000  # messages of one stream kept
MAX_LINE_BYTES = 16 * MiB  # one line of a REST stream (a line without end is cut here)
MAX_DOCUMENT_BYTES = 32 * MiB  # a swagger document (Armada's is ~0.2 MiB)
MAX_KEY_DOCUMENT_BYTES = 1 * MiB  # an OpenID discovery document or a JWKS
MAX_JSON_DEPTH = 100  # as the reference server's limit; Armada's answers nest a dozen levels, its swagger ~20
CHUNK = 64 * 1024


class Refused(ValueError):
    """An answer the suite will not take: too big, too slow, too deep, or from a URL it does not fetch."""


def check_depth(value: Any, limit: int = MAX_JSON_DEPTH) -> Any:
    """``value`` if its containers nest at most ``limit`` deep; walked with a stack, not recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            raise Refused(f"JSON nested deeper than {limit} levels")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return value


def parse_json(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that refuses absurd nesting with ``Refused`` (a ``ValueError``), never a RecursionError."""
    try:
        return check_depth(json.loads(text), limit)
    except RecursionError:
        raise Refused(f"JSON nested deeper than {limit} levels") from None


def json_or_none(text: str | bytes) -> Any:
    """The parsed JSON, or None when it is not JSON or is nested absurdly deep."""
    try:
        return parse_json(text)
    except ValueError:
        return None


def chunks(response: requests.Response, deadline: float) -> Iterator[bytes]:
    """The body as it arrives, until ``deadline`` (``time.monotonic()``): then ``Refused``.

    ``read1`` gives whatever has arrived (``iter_content`` would wait for a whole
    chunk, so a server trickling bytes would never reach the deadline check).
    """
    return arrived(response.raw, deadline)


def arrived(raw: Any, deadline: float) -> Iterator[bytes]:
    """What a urllib3 response (``preload_content=False``) delivers, until ``deadline``."""
    while True:
        try:
            chunk = raw.read1(CHUNK, decode_content=True)  # gzip answers inflated, at most CHUNK at a time
        except Exception as exc:  # urllib3's ReadTimeoutError, ProtocolError...: the answer broke off
            raise Refused(f"the answer broke off: {type(exc).__name__}") from None
        if not chunk:
            return
        yield chunk
        if time.monotonic() > deadline:
            raise Refused("the answer took longer than the call's deadline")


def read_body(response: requests.Response, deadline: float, max_bytes: int) -> tuple[bytes, str]:
    """The body, and why it was cut ("" when whole): at ``max_bytes`` or at the deadline."""
    return read_raw(response.raw, deadline, max_bytes)


def read_raw(raw: Any, deadline: float, max_bytes: int) -> tuple[bytes, str]:
    """``read_body`` of a urllib3 response."""
    kept = bytearray()
    try:
        for chunk in arrived(raw, deadline):
            kept += chunk
            if len(kept) > max_bytes:
                return bytes(kept[:max_bytes]), f"answer cut at {max_bytes} bytes (the suite's limit)"
    except Refused as exc:
        return bytes(kept), f"{exc} ({len(kept)} bytes read)"
    return bytes(kept), ""


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL: what a credential is bound to."""
    parsed = urlsplit(url)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.scheme.lower(), (parsed.hostname or "").lower(), port


def require_http(url: str, what: str) -> None:
    """Only ``http(s)`` URLs are fetched: a ``file://`` (or any other) one is refused."""
    if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
        raise Refused(f"{what} {str(url)[:120]!r} is not an http(s) URL: not fetched")


def fetch_json(
    url: str,
    what: str,
    *,
    timeout: float,
    max_bytes: int = MAX_KEY_DOCUMENT_BYTES,
    headers: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
) -> Any:
    """GET a JSON document within ``timeout`` overall and ``max_bytes``; redirects are not followed.

    Raises ``Refused`` (a ``ValueError``) saying why there is no document: not http(s),
    a redirect (with where it pointed), an HTTP error, too big, too slow, not JSON, too deep.
    """
    require_http(url, what)
    deadline = time.monotonic() + timeout
    own = session is None
    session = session or requests.Session()
    try:
        with session.get(url, headers=dict(headers or {}), timeout=timeout, stream=True, allow_redirects=False) as got:
            if got.is_redirect:
                raise Refused(f"{what} {url} redirected to {got.headers.get('Location', '?')[:200]} (not followed)")
            if got.status_code != 200:
                raise Refused(f"{what} {url} answered HTTP {got.status_code}")
            body, cut = read_body(got, deadline, max_bytes)
    except requests.RequestException as exc:
        raise Refused(f"{what} {url} did not answer: {type(exc).__name__}") from None
    finally:
        if own:
            session.close()
    if cut:
        raise Refused(f"{what} {url}: {cut}")
    return parse_json(body)
