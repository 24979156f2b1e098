"""What every request to a target carries beyond the call itself: extra headers and an authority.

Some deployments sit behind a gateway that routes or admits by a header
(``x-tenant``, an API-gateway key) or by the name the client asks for (the
``:authority`` / ``Host`` and the TLS server name), e.g. when the suite must
connect by IP address to a server whose certificate names its DNS name. Both
travel on every gRPC call and every REST request alike.

Headers the suite itself owns are refused with a reason rather than silently
fighting the checks: ``authorization`` (the AUTH checks send their own; configure
``[auth.*]``), ``host`` and pseudo-headers (use ``authority``), and gRPC's
reserved names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_NAME = re.compile(r"^[0-9a-z_.-]+$")
# Lower-case header name -> why it cannot be an extra header.
RESERVED: Mapping[str, str] = {
    "authorization": "credentials go in the target file's [auth.*] tables (the AUTH checks send their own)",
    "host": "use authority (--authority) to set the name the target is asked for",
    "content-type": "the transport sets it per call",
    "content-length": "the transport sets it per call",
    "te": "HTTP/2 reserves it",
    "connection": "HTTP/2 forbids it",
    "user-agent": "the transport sets it",
}


class HeaderError(ValueError):
    """An extra header that cannot be sent; the message names it and says why."""


@dataclass(frozen=True)
class Connection:
    """Extra headers (lower-case names, in order) and an authority override for every request."""

    headers: tuple[tuple[str, str], ...] = ()
    authority: str | None = None
    follow_redirects: bool = False  # REST: follow 3xx (never carrying headers or credentials to another origin)

    @property
    def server_name(self) -> str | None:
        """The TLS server name (SNI, and the name the certificate must carry): the authority's host."""
        return host_of(self.authority) if self.authority else None

    def merged(self, call_metadata: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """A call's own metadata plus the extra headers it does not set itself."""
        own = list(call_metadata)
        names = {name.lower() for name, _ in own}
        return own + [(n, v) for n, v in self.headers if n not in names]


def host_of(authority: str) -> str:
    """``armada.example.com`` of ``armada.example.com:443`` (and ``::1`` of ``[::1]:443``)."""
    if authority.startswith("["):
        return authority[1 : authority.index("]")]
    return authority.rsplit(":", 1)[0] if authority.count(":") == 1 else authority


def check_header(name: str, value: str) -> tuple[str, str]:
    """A valid extra header, its name lower-cased (gRPC metadata keys are lower case)."""
    key = name.strip().lower()
    if not key:
        raise HeaderError(f"header {name!r}: the name is empty")
    if key.startswith(":") or key.startswith("grpc-"):
        raise HeaderError(f"header {key!r}: pseudo-headers and grpc-* names are reserved by the protocol")
    if key in RESERVED:
        raise HeaderError(f"header {key!r} cannot be an extra header: {RESERVED[key]}")
    if not _NAME.match(key):
        raise HeaderError(f"header {key!r}: names may use only letters, digits and - _ .")
    if key.endswith("-bin"):
        raise HeaderError(f"header {key!r}: binary (-bin) metadata cannot be given as text")
    if any(c in value for c in "\r\n\0") or not value.isprintable():
        raise HeaderError(f"header {key!r}: the value must be printable text on one line")
    return key, value.strip()


def parse_header(text: str) -> tuple[str, str]:
    """``"x-tenant: blue"`` (curl's ``-H`` form) -> ``("x-tenant", "blue")``."""
    lead = ":" if text.startswith(":") else ""  # a pseudo-header's own colon is part of its name
    name, colon, value = text[len(lead) :].partition(":")
    name = lead + name
    if not colon:
        raise HeaderError(f'header {text!r}: expected "name: value"')
    return check_header(name, value)


def check_authority(authority: str) -> str:
    """``host`` or ``host:port``: what ``:authority`` / ``Host`` may hold."""
    text = authority.strip()
    if not text or any(c in text for c in "/ @\r\n"):
        raise HeaderError(f"authority {authority!r}: expected host or host:port")
    return text


def connection_from(
    table: Mapping[str, Any], flag_headers: Iterable[str] = (), flag_authority: str | None = None
) -> Connection:
    """A target file's ``headers`` and ``authority``, then the flags (-H, later ones winning; --authority)."""
    given = table.get("headers", {})
    if isinstance(given, dict):
        pairs = [check_header(str(k), str(v)) for k, v in given.items()]
    elif isinstance(given, list):
        pairs = [parse_header(str(h)) for h in given]
    else:
        raise HeaderError('headers must be a table ({ "x-tenant" = "blue" }) or a list of "name: value"')
    headers = dict(pairs + [parse_header(h) for h in flag_headers])
    authority = flag_authority or table.get("authority")
    follow = table.get("follow_redirects", False)
    if not isinstance(follow, bool):
        raise HeaderError("follow_redirects must be true or false")
    return Connection(tuple(headers.items()), check_authority(str(authority)) if authority else None, follow)
