"""Remove secrets from everything a report writes.

Reports end up as CI artefacts and pull-request comments that many people can
read, while the evidence they carry is raw request/response material from a
run that used real credentials. So every free-text part of a report (target
description, machine, check messages, evidence, figure details) passes through
:func:`redact_report` before any file is written. Four rules apply, from the
most to the least certain:

1. values under sensitive keys (password, token, secret, authorization, cookie,
   api key, private key, credentials, keytab contents) are replaced whole;
2. secret values found that way in the target description are scrubbed
   wherever else they appear verbatim (e.g. echoed back in an error message);
3. well-known credential shapes inside strings are masked: ``Basic``/``Bearer``
   /``Negotiate`` credentials (scheme name in any case), ``Authorization:`` header
   lines, JWTs (any three-segment token whose header decodes to JSON), SPNEGO and
   NTLM tokens and ``user:password`` base64 even without their scheme, any long
   base64 block (mixed case with digits or ``+/=``: random bytes, not a word, an
   ID or a path), the password in ``scheme://user:password@host``, ``token=...``
   style pairs and PEM private keys;
4. the output is made JSON-safe (bytes decoded, tuples to lists) so that the
   writers never see anything they could not serialise.

Over-redaction is preferred to a leak: a mangled word in a message costs a
reader a moment, a leaked token costs a credential rotation.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.results import RunReport

REDACTED = "<redacted>"

# Normalised (lower-case, alphanumerics only) fragments that make a key sensitive.
_SENSITIVE_KEY_PARTS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "authorization",
    "cookie",
    "apikey",
    "privatekey",
    "credential",
    "keytab",
    "sessionid",
)
# Keys that name *where* or *what kind of* secret, not the secret itself:
# ``token_endpoint``, ``keytab_path``, ``token_type``, ``password_env`` (the name of
# an environment variable) stay readable. ``*_command`` does not: a command line
# such as ``echo s3cret`` can hold the secret itself.
_HARMLESS_KEY_SUFFIXES = (
    "endpoint",
    "url",
    "uri",
    "path",
    "file",
    "env",
    "type",
    "count",
    "ttl",
    "expiry",
    "expiresin",
    "expiresat",
    "length",
    "name",
    "hint",
)
# Auth-params that may follow a scheme name in a WWW-Authenticate challenge.
_AUTH_PARAM_NAMES = frozenset(
    {
        "realm",
        "scope",
        "error",
        "error_description",
        "error_uri",
        "charset",
        "algorithm",
        "nonce",
        "opaque",
        "qop",
        "stale",
        "domain",
        "resource_metadata",
    }
)
_MIN_LITERAL_SECRET = 4

_PEM_PRIVATE_KEY = re.compile(r"-----BEGIN ([A-Z ]*)PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)", re.S)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
_AUTH_HEADER_LINE = re.compile(
    r"(?im)^([ \t]*(?:proxy-)?authorization[ \t]*:[ \t]*)([A-Za-z][\w-]*[ \t]+)?(\S.*?)[ \t]*$"
)
_COOKIE_HEADER_LINE = re.compile(r"(?im)^([ \t]*(?:set-)?cookie[ \t]*:[ \t]*)(\S.*?)[ \t]*$")
_SCHEME_CREDENTIAL = re.compile(r"(?i)\b(Bearer|Negotiate|Basic)([ \t]+)([A-Za-z0-9._~+/-]+=*)")
# Shapes that are credentials without any scheme word in front (see _mask_blob).
_JWT_SHAPED = re.compile(r"(?<![\w.-])([A-Za-z0-9_-]{8,})\.([A-Za-z0-9_-]{8,})\.([A-Za-z0-9_-]*)")
_BLOB = re.compile(r"(?<![\w+/=.~-])([A-Za-z0-9+/_~-]{8,}={0,2})(?![\w+/=.~-])")
_MIN_BLOB = 16
_URL_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]*:)([^\s/@]+)(@)")
_KEY_EQUALS_VALUE = re.compile(
    r"(?i)\b([\w.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|session[_-]?id)[\w.-]*=)"
    r"([^\s&\"',;]+)"
)
_JSON_KEY_VALUE = re.compile(
    r"(?i)(\"[\w.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|authorization)[\w.-]*\""
    r"\s*:\s*\")((?:[^\"\\]|\\.)*)(\")"
)


def is_sensitive_key(key: str) -> bool:
    """True when a value stored under ``key`` is itself a secret."""
    norm = re.sub(r"[^a-z0-9]", "", key.lower())
    if not any(part in norm for part in _SENSITIVE_KEY_PARTS):
        return False
    return not norm.endswith(_HARMLESS_KEY_SUFFIXES)


def _is_authorization_key(key: str) -> bool:
    return "authorization" in key.lower()


def _looks_like_path(value: str) -> bool:
    """A keytab given as a path is harmless; its contents are not."""
    return (
        len(value) < 1024
        and "\n" not in value
        and ("/" in value or "\\" in value)
        and re.fullmatch(r"[\w.~/\\: -]+", value) is not None
    )


def _redact_authorization_value(value: str) -> str:
    """Keep the scheme name (evidence of *which* scheme was sent), drop the credential."""
    match = re.fullmatch(r"\s*([A-Za-z][\w-]*)\s+\S.*", value, re.S)
    return f"{match.group(1)} {REDACTED}" if match else REDACTED


def _redact_sensitive_value(key: str, value: Any) -> Any:
    """Replace a value stored under a sensitive key, keeping harmless shapes."""
    if value is None or isinstance(value, bool) or value == "":
        return value  # says only whether something was set
    if isinstance(value, str):
        if "keytab" in key.lower() and _looks_like_path(value):
            return value
        if _is_authorization_key(key):
            return _redact_authorization_value(value)
    return REDACTED


def _is_basic_credential(token: str) -> bool:
    """Basic credentials decode to ``user:password``; prose like "Basic authentication" does not."""
    padded = token + "=" * (-len(token) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


def _looks_like_prose(token: str) -> bool:
    """Short, or a plain word: real bearer/SPNEGO tokens are long and mix in digits or symbols."""
    return len(token) < 8 or re.fullmatch(r"[A-Za-z]{1,24}[.]?", token) is not None


def _mask_scheme_credential(match: re.Match[str]) -> str:
    scheme, space, token = match.group(1), match.group(2), match.group(3)
    following = match.string[match.end() : match.end() + 1]
    if token.endswith("=") and token.rstrip("=").lower() in _AUTH_PARAM_NAMES:
        return match.group(0)  # a challenge parameter such as realm="armada"
    if token.lower() in _AUTH_PARAM_NAMES and following == "=":
        return match.group(0)
    if scheme.lower() == "basic" and not _is_basic_credential(token):
        return match.group(0)
    if scheme.lower() != "basic" and _looks_like_prose(token):
        return match.group(0)  # "Bearer token", "Negotiate required.": prose, not credentials
    return f"{scheme}{space}{REDACTED}"


def _b64_bytes(token: str) -> bytes | None:
    """``token`` decoded as base64 or base64url (padding optional), or None."""
    text = token.rstrip("=")
    alphabet = "-_" if ("-" in text or "_" in text) else "+/"
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=alphabet.encode(), validate=True)
    except (binascii.Error, ValueError):
        return None


def _mask_jwt_shaped(match: re.Match[str]) -> str:
    """Three dot-separated base64url segments whose first decodes to a JSON object: a JWT."""
    header = _b64_bytes(match.group(1))
    if header is not None and header.lstrip().startswith(b"{"):
        return REDACTED
    return match.group(0)


def _is_credential_blob(token: str) -> bool:
    """A scheme-less secret: SPNEGO/NTLM, ``user:password`` base64, or random-looking base64.

    Random base64 of 12+ bytes almost surely mixes cases and has a digit, ``+`` or ``=``;
    words, check IDs, queue names (lower case), job IDs (upper case), CamelCase names
    and paths do not, so they stay readable.
    """
    if token.startswith("/"):
        return False
    raw = _b64_bytes(token)
    if raw is not None and (raw.startswith((b"\x60", b"NTLMSSP\x00")) and len(token) >= 12):
        return True  # SPNEGO (an ASN.1 application tag) or NTLM
    if (
        raw is not None
        and b":" in raw
        and raw.isascii()
        and raw.decode("ascii").isprintable()
        and not raw.startswith(b":")
        and len(token) % 4 == 0
    ):
        return True  # user:password
    if len(token) < _MIN_BLOB or _is_identifier(token):
        return False
    mixed_case = re.search(r"[a-z]", token) is not None and re.search(r"[A-Z]", token) is not None
    # A digit, '+' or '=': not '/' alone, which method names carry ("Event/GetJobSetEvents").
    return mixed_case and re.search(r"[0-9+=]", token) is not None


_WORDISH = re.compile(r"[A-Z][a-z]+|[a-z]+|[A-Z]+|[a-z]*[0-9]+|[A-Z]+[0-9]+")


def _is_identifier(token: str) -> bool:
    """Words joined by ``-``/``_``/``.`` (``THROUGHPUT-Live-GRPC-p99``): a name the suite made, not random bytes."""
    parts = re.split(r"[-_.]", token)
    return len(parts) > 1 and all(_WORDISH.fullmatch(part) for part in parts)


def _mask_blob(match: re.Match[str]) -> str:
    return REDACTED if _is_credential_blob(match.group(1)) else match.group(0)


def _mask_auth_header_line(match: re.Match[str]) -> str:
    scheme = match.group(2) or ""
    return f"{match.group(1)}{scheme}{REDACTED}"


def redact_text(text: str, known_secrets: Iterable[str] = ()) -> str:
    """Mask credentials found inside free text (messages, raw request dumps)."""
    for secret in sorted({s for s in known_secrets if len(s) >= _MIN_LITERAL_SECRET}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _PEM_PRIVATE_KEY.sub(f"-----BEGIN \\1PRIVATE KEY----- {REDACTED}", text)
    text = _AUTH_HEADER_LINE.sub(_mask_auth_header_line, text)
    text = _COOKIE_HEADER_LINE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _JWT.sub(REDACTED, text)
    text = _JWT_SHAPED.sub(_mask_jwt_shaped, text)
    text = _SCHEME_CREDENTIAL.sub(_mask_scheme_credential, text)
    text = _BLOB.sub(_mask_blob, text)
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _JSON_KEY_VALUE.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(3)}", text)
    text = _KEY_EQUALS_VALUE.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    return text


def _json_safe_scalar(value: Any) -> Any:
    """Scalars JSON can carry unchanged; everything else becomes text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Infinity
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def redact(value: Any, known_secrets: Iterable[str] = ()) -> Any:
    """Return a JSON-safe deep copy of ``value`` with secrets removed (rules 1, 3, 4)."""
    secrets = tuple(known_secrets)
    return _redact(value, secrets)


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            skey = str(key)
            if is_sensitive_key(skey) and not isinstance(item, Mapping | list | tuple):
                out[skey] = _redact_sensitive_value(skey, item)
            elif is_sensitive_key(skey):
                out[skey] = REDACTED if item else _redact(item, secrets)
            else:
                out[skey] = _redact(item, secrets)
        return out
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [_redact_item(item, secrets) for item in items]
    scalar = _json_safe_scalar(value)
    if isinstance(scalar, str):
        return redact_text(scalar, secrets)
    return scalar


def _redact_item(item: Any, secrets: tuple[str, ...]) -> Any:
    """List items; a ``(name, value)`` pair is a header or gRPC metadata entry, keyed by its name."""
    if (
        isinstance(item, list | tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and is_sensitive_key(item[0])
        and not isinstance(item[1], Mapping | list | tuple)
    ):
        return [item[0], _redact_sensitive_value(item[0], item[1])]
    return _redact(item, secrets)


def collect_secrets(value: Any) -> set[str]:
    """Secret strings stored under sensitive keys, to scrub wherever else they turn up (rule 2)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if is_sensitive_key(str(key)):
                found |= _all_strings(item)
            else:
                found |= collect_secrets(item)
    elif isinstance(value, list | tuple):
        for item in value:
            if (
                isinstance(item, list | tuple)
                and len(item) == 2
                and isinstance(item[0], str)
                and is_sensitive_key(item[0])
            ):
                found |= _all_strings(item[1])
            else:
                found |= collect_secrets(item)
    return {s for s in found if not ("keytab" in s.lower() and _looks_like_path(s))}


def _all_strings(value: Any) -> set[str]:
    if isinstance(value, str):
        parts = {value}
        match = re.fullmatch(r"\s*[A-Za-z][\w-]*\s+(\S+)\s*", value)
        if match:  # "Bearer abc" -> also scrub "abc" on its own
            parts.add(match.group(1))
        return parts
    if isinstance(value, bytes):
        return {value.decode("utf-8", errors="replace")}
    if isinstance(value, Mapping):
        return set().union(*(_all_strings(v) for v in value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*(_all_strings(v) for v in value)) if value else set()
    return set()


def redact_report(report: RunReport, known_secrets: Iterable[str] = ()) -> RunReport:
    """A copy of ``report`` safe to write: every free-text field redacted.

    ``known_secrets`` adds literal values (e.g. the configured passwords) to scrub;
    secrets found under sensitive keys of ``report.target`` are added automatically.
    IDs, requirements and enums are left alone: they come from the suite, not the target.
    """
    secrets = tuple(set(known_secrets) | collect_secrets(report.target) | collect_secrets(report.machine))
    results = [
        dataclasses.replace(r, message=redact_text(r.message, secrets), evidence=_redact(r.evidence, secrets))
        for r in report.results
    ]
    figures = [
        dataclasses.replace(f, name=redact_text(f.name, secrets), details=_redact(f.details, secrets))
        for f in report.figures
    ]
    return dataclasses.replace(
        report,
        target=_redact(report.target, secrets),
        machine=_redact(report.machine, secrets),
        server_version=redact_text(report.server_version, secrets),
        results=results,
        figures=figures,
        cleanup_problems=[redact_text(p, secrets) for p in report.cleanup_problems],  # also redacted at the source
    )
