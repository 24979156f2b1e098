"""Request bodies within the limits, checked before any JSON or inflation work is wasted.

* ``Content-Encoding: gzip`` / ``deflate`` bodies are inflated here (aiohttp's own
  inflation is off, see ``http_server.py``) with the size limit enforced *while*
  inflating: a bomb costs at most the limit's worth of work, then 413.
* JSON nested deeper than ``MAX_JSON_DEPTH`` is refused 400 by a scan that stops
  at the first bracket too deep, before the parser could exhaust its stack (a
  RecursionError, which used to surface as a 500 with a traceback).
"""

from __future__ import annotations

import re
import zlib

from aiohttp import web

from reference_server.json_codec import BadRequest
from reference_server.limits import MAX_JSON_DEPTH

# zlib window bits per Content-Encoding: gzip wrapper, zlib wrapper (HTTP "deflate").
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_CHUNK = 64 * 1024
# A JSON string (skipped whole, in C) or one structural bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, inflated if encoded, at most ``limit`` bytes, and not nested too deep."""
    raw = await request.read()  # aiohttp refuses more than client_max_size (the same limit) with 413
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raw = inflate(raw, encoding, limit)
    check_depth(raw)
    return raw


def inflate(raw: bytes, encoding: str, limit: int) -> bytes:
    """``raw`` decoded per ``encoding``; 413 as soon as the output passes ``limit``, 415/400 when undecodable."""
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise web.HTTPUnsupportedMediaType(
            reason="Unsupported Content-Encoding",
            text=f"Content-Encoding {encoding[:40]!r} is not supported (use gzip, deflate or none)",
        )
    inflater = zlib.decompressobj(wbits)
    out = bytearray()
    data = raw
    try:
        while data:  # max_length: never more than one byte past the limit per step
            out += inflater.decompress(data, limit + 1 - len(out))
            _refuse_above(len(out), limit)
            data = inflater.unconsumed_tail
        out += inflater.flush(limit + 1 - len(out))
    except zlib.error:
        raise BadRequest(f"request body is not valid {encoding} data") from None
    _refuse_above(len(out), limit)
    return bytes(out)


def _refuse_above(size: int, limit: int) -> None:
    if size > limit:
        raise web.HTTPRequestEntityTooLarge(
            max_size=limit, actual_size=size, text=f"request body inflates to more than {limit} bytes"
        )


def check_depth(raw: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """BadRequest when brackets nest deeper than ``limit`` (strings are skipped, not parsed)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return  # cannot be deeper than the number of brackets
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                raise BadRequest(f"request body is nested more than {limit} levels deep")
        elif token in (b"]", b"}"):
            depth -= 1
