"""Redaction at the source: a result or problem is made safe once, when it is created.

Reports were redacted when written, but the same text also reaches the console
progress lines, ``--output json``, pytest's failure messages and its own
``--junitxml``, and the exit-2 line, each a separate path that could forget.
So the runner redacts a ``CheckResult`` (message and evidence) and every cleanup
or preflight problem the moment it exists, with :func:`redact_result` /
:func:`redact_problem`, and nothing downstream ever holds the raw text.

The literal secrets of a target (:func:`known_secrets`) are more than the values
configured: a target that echoes what it received may write the Basic password
decoded from the header, ``user:password``, the base64 of it, a ``-H`` value or
the token inside ``Bearer <token>``, plain, percent-encoded or JSON-escaped.
Every such form is scrubbed, then the shape patterns of ``redact`` apply.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from conformance.report.redact import _redact, redact_text
from conformance.results import CheckResult

_SCHEME_VALUE = re.compile(r"\s*([A-Za-z][\w-]*)\s+(\S+)\s*")
_PURE_IDENTITIES = ("basic", "oidc")  # header() is a pure function; Kerberos' makes a single-use token


def known_secrets(target: Any) -> tuple[str, ...]:
    """Every literal form of the target's secrets: configured values, header values and their parts."""
    if target is None:
        return ()
    found: set[str] = set()
    for value in target.secrets():
        found |= _forms(str(value))
    for settings in getattr(target, "schemes", {}).values():
        if settings.name not in _PURE_IDENTITIES:
            continue
        for identity in (settings.identity, settings.low_privilege):
            if identity is not None:
                found |= _forms(identity.header() or "")
    return tuple(sorted((s for s in found if s.strip()), key=len, reverse=True))


def _forms(value: str) -> set[str]:
    """A secret and what an echoing server may make of it: its token, decoded Basic parts, encodings."""
    parts = {value}
    match = _SCHEME_VALUE.fullmatch(value)
    if match:
        parts.add(match.group(2))
        if match.group(1).lower() == "basic":
            parts |= _basic_parts(match.group(2))
    for part in list(parts):
        parts.add(quote(part, safe=""))
        parts.add(json.dumps(part)[1:-1])
        parts.add(base64.b64encode(part.encode()).decode())
    return parts


def _basic_parts(token: str) -> set[str]:
    """``user:password`` and the password of a Basic credential (the user name is no secret)."""
    try:
        decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return set()
    _user, colon, password = decoded.partition(":")
    return {decoded, password} if colon and password else set()


def redact_result(result: CheckResult, secrets: Iterable[str]) -> CheckResult:
    """``result`` with its message and evidence redacted: the only form anything else ever sees."""
    known = tuple(secrets)
    return dataclasses.replace(
        result, message=redact_text(result.message, known), evidence=_redact(result.evidence, known)
    )


def redact_problem(text: str, secrets: Iterable[str]) -> str:
    """A cleanup or preflight problem (it often quotes the server's own words) made safe to print."""
    return redact_text(text, tuple(secrets))
