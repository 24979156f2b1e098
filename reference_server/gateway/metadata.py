"""HTTP headers <-> gRPC metadata, as grpc-gateway v1 maps them.

Inbound: ``Authorization`` and ``Grpc-Metadata-<key>`` headers become metadata,
``Grpc-Timeout`` a deadline. Outbound: response metadata comes back as
``Grpc-Metadata-<key>`` headers, ``WWW-Authenticate`` under its own name.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from aiohttp import web

from reference_server.json_codec import BadRequest

_METADATA_PREFIX = "grpc-metadata-"
_METADATA_KEY = re.compile(r"^[0-9a-z_.-]+$")
_TIMEOUT = re.compile(r"^(\d{1,8})([HMSmun])$")
_TIMEOUT_UNITS = {"H": 3600.0, "M": 60.0, "S": 1.0, "m": 1e-3, "u": 1e-6, "n": 1e-9}


def outgoing_metadata(request: web.Request) -> list[tuple[str, str | bytes]]:
    """The gRPC metadata grpc-gateway v1 derives from an HTTP request's headers."""
    metadata: list[tuple[str, str | bytes]] = []
    for key, value in request.headers.items():
        lower = key.lower()
        if lower == "authorization":
            metadata.append(("authorization", _authorization_value(value)))
        elif lower.startswith(_METADATA_PREFIX):
            name = lower[len(_METADATA_PREFIX) :]
            if not _METADATA_KEY.match(name) or name.startswith("grpc-"):
                raise BadRequest(f"header {key}: {name!r} is not a valid gRPC metadata key")
            metadata.append((name, _binary_value(key, value) if name.endswith("-bin") else _ascii_value(key, value)))
    if request.remote:
        metadata.append(("x-forwarded-for", request.remote))
    if request.host:
        metadata.append(("x-forwarded-host", _ascii_value("Host", request.host)))
    return metadata


def _authorization_value(value: str) -> str:
    """The value as metadata; one gRPC cannot carry (raw non-ASCII) becomes one no scheme accepts.

    The caller then gets the 401 and challenge the chain gives over gRPC, not a 400 of
    the gateway's own: the same answer on both transports. The scheme word is kept when
    it is one, so the refusal names the scheme that was tried.
    """
    if all(" " <= ch <= "~" for ch in value):
        return value
    word = value.strip().partition(" ")[0]
    return f"{word if word.isascii() and word.isalnum() else 'Invalid'} !not-ascii!"


def _ascii_value(key: str, value: str) -> str:
    if not all(" " <= ch <= "~" for ch in value):
        raise BadRequest(f"header {key}: value must be printable ASCII to travel as gRPC metadata")
    return value


def _binary_value(key: str, value: str) -> bytes:
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"header {key}: a -bin metadata value must be base64") from None


def incoming_headers(*metadata_sets: Any) -> dict[str, str]:
    """HTTP headers for gRPC response metadata: ``Grpc-Metadata-<key>``, WWW-Authenticate as is."""
    headers: dict[str, str] = {}
    for metadata in metadata_sets:
        for key, value in metadata or ():
            text = base64.b64encode(value).decode() if isinstance(value, bytes) else str(value)
            if key.lower() == "www-authenticate":
                headers["WWW-Authenticate"] = text
            else:
                headers[f"Grpc-Metadata-{key}"] = text
    return headers


def request_timeout(request: web.Request) -> float | None:
    """The deadline a client asked for with ``Grpc-Timeout`` (grpc-gateway honours it)."""
    raw = request.headers.get("Grpc-Timeout")
    if raw is None:
        return None
    match = _TIMEOUT.match(raw.strip())
    if not match:
        raise BadRequest(f"header Grpc-Timeout: {raw!r} is not a gRPC timeout such as 10S or 500m")
    return int(match.group(1)) * _TIMEOUT_UNITS[match.group(2)]
