"""What the suite checks: an Armada endpoint, its transports, TLS and credentials.

Read from a TOML target file, overridden by command-line options; secrets come from
environment variables (``password_env``, ``token_env``) or commands, never from
the file itself. Anything wrong here is a ``TargetError``: the run stops before any
check with one line saying what to fix (exit status 2), not a wall of failures.

Example::

    [target]
    name = "staging"
    grpc = "armada.example.com:50051"
    rest = "https://armada.example.com"
    profile = "v0.19.3"              # the release judged (0.19 = v0.19.0), armada-2023 / armada-2026 (default: newest)
    swagger = "https://armada.example.com/api/swagger.json"   # optional: else <rest>/swagger.json, <rest>/api/...
    queue_ready_timeout = 15         # seconds to wait for a new queue to become usable (queue caches)
    max_query_items = 1000           # the server's api.Jobs limit on ids per request (maxQueryItems), if known
    consecutive_ids = false          # true only if event ids are 1, 2, 3, ... per job set (the reference server)
    tls = { ca_file = "ca.pem" }     # or { insecure = true }; absent: plaintext
                                     # mTLS: add cert_file = "client.pem", key_file = "client.key"
    headers = { "x-tenant" = "blue" }   # sent on every gRPC call and REST request (-H "x-tenant: blue")
    authority = "armada.example.com"    # :authority / Host and TLS server name (--authority)
    timeout = 10                     # seconds per call
    prefix = "conformance"           # prefix of every queue / job set the run creates

    [jobs]                           # what every job the suite submits is made of (conformance.target_jobs)
    namespace = "default"
    image = "busybox:1.36"
    resources = { cpu = "100m", memory = "64Mi" }

    [auth.anonymous]
    expect = "refused"               # or "allowed"

    [auth.basic]
    username = "alice"
    password_env = "ARMADA_PW"
    low_privilege = { username = "guest", password_env = "ARMADA_GUEST_PW" }

    [auth.oidc]
    token_env = "ARMADA_TOKEN"       # or token_command = "get-token --audience armada"
    low_privilege_token_env = "ARMADA_GUEST_TOKEN"
    client_id = "armada"             # the audience the server checks (AUTH-OIDC-WRONGAUD)
    test_issuer = false              # true: the issuer is a test provider that signs chosen claims

    [auth.kerberos]
    service = "HTTP@armada.example.com"
    ccache = "/tmp/krb5cc_1000"      # or keytab = "...", principal = "alice@EXAMPLE.COM"
    mutual = false                   # true if the server promises a mutual-auth reply token
    low_privilege = { ccache = "/tmp/krb5cc_guest" }   # or { keytab = "...", principal = "..." }
    expired_token_env = "ARMADA_KRB_EXPIRED"          # a Negotiate value made with a since-expired ticket

    [target.features]                # a build that differs from its release (conformance/releases.py)
    queue_cache = false
"""

from __future__ import annotations

import base64
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance import eras
from conformance.releases import FEATURES, NEWEST, Release
from conformance.target_jobs import DEFAULT_JOBS, JobsError, JobTemplate, load_jobs
from conformance.transport.connection import Connection, HeaderError, check_authority, connection_from, parse_header
from conformance.transport.grpc_client import TlsSettings

SCHEMES = ("anonymous", "basic", "oidc", "kerberos")


class TargetError(Exception):
    """The target description is unusable; the message is the one line the user sees."""


@dataclass
class Identity:
    """Who the suite acts as: a scheme and a way to produce a fresh ``authorization`` value.

    A function rather than a string because Kerberos tokens are single-use: each call
    needs a new one.
    """

    scheme: str
    principal: str  # expected principal (owner of jobs it submits)
    header: Callable[[], str | None] = field(repr=False)
    groups: tuple[str, ...] = ()

    def metadata(self) -> list[tuple[str, str]]:
        value = self.header()
        return [("authorization", value)] if value else []


@dataclass
class SchemeSettings:
    """One configured auth scheme: its main identity, optional low-privilege one, and extras."""

    name: str
    identity: Identity | None = None
    low_privilege: Identity | None = None
    extras: dict[str, Any] = field(default_factory=dict, repr=False)  # e.g. expired token, mutual flag
    secrets: list[str] = field(default_factory=list, repr=False)  # scrubbed from every report
    served: bool = False  # known to be served (the embedded server's own set-up), not only claimed by a file


DEFAULT_TIMEOUT_S = 10.0  # seconds per call
DEFAULT_PREFIX = "conformance"  # names of everything a run creates start with this


@dataclass(frozen=True)
class TargetOverrides:
    """What the command line changes of any target, the embedded one included (None: keep its own)."""

    prefix: str | None = None
    timeout: float | None = None


@dataclass
class Target:
    name: str
    grpc: str
    rest: str | None
    profile: str = NEWEST  # a release ("v0.19.3"), a preset or "contract" (conformance.releases; aliases resolved)
    tls: TlsSettings | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    prefix: str = DEFAULT_PREFIX
    anonymous_expect: str | None = None  # "allowed" / "refused" / None: not configured
    schemes: dict[str, SchemeSettings] = field(default_factory=dict)
    embedded: bool = False  # the suite's own reference server (reports say so; checks never branch on it)
    intrusive: bool = False  # intrusive checks may run (embedded, or --intrusive)
    consecutive_ids: bool = False  # the server promises event ids 1, 2, 3, ... per job set (the reference server)
    swagger: str | None = None  # explicit swagger URL; None: looked for under rest
    queue_ready_timeout: float = 15.0  # bound on waiting for a new queue to be usable
    max_query_items: int | None = None  # the server's api.Jobs ids-per-request limit, when the file gives it
    connection: Connection = field(default_factory=Connection)  # extra headers, authority override
    jobs: JobTemplate = DEFAULT_JOBS  # [jobs]: what every job the suite submits is made of
    features: dict[str, bool] = field(default_factory=dict)  # [target.features]: single features overridden

    def __post_init__(self) -> None:
        self.profile = eras.canonical(self.profile)

    @property
    def release(self) -> Release:
        """The release judged: the profile's features with ``[target.features]`` applied."""
        return eras.judged(self.profile, self.features)

    def identity(self) -> Identity | None:
        """The identity used by checks that are not about authentication."""
        for scheme in ("basic", "oidc", "kerberos"):
            settings = self.schemes.get(scheme)
            if settings and settings.identity:
                return settings.identity
        return None

    def secrets(self) -> list[str]:
        """Every secret the target description holds, so reports can scrub them wherever they appear."""
        header_values = [value for _, value in self.connection.headers]  # may be a gateway's key
        return [secret for settings in self.schemes.values() for secret in settings.secrets if secret] + header_values

    def describe(self) -> dict[str, Any]:
        """A description for reports: no secrets, only what was configured."""
        return {
            "name": self.name,
            "grpc": self.grpc,
            "rest": self.rest,
            "profile": self.profile,
            "release": self.release.describe(),
            "features": sorted(self.release.features),
            "tls": (
                "ca_file"
                if self.tls and self.tls.ca_file
                else "insecure"
                if self.tls and self.tls.insecure
                else "system roots"
                if self.tls
                else "plaintext"
            ),
            "anonymous": self.anonymous_expect or "not configured",
            "schemes": sorted(self.schemes),
            "embedded": self.embedded,
            "intrusive_checks": self.intrusive,
            **self._connection_facts(),
        }

    def _connection_facts(self) -> dict[str, Any]:
        """Only what was configured: header names (values may be keys), the authority, whether mTLS is on."""
        facts: dict[str, Any] = {}
        if self.tls and self.tls.cert_file:
            facts["client_certificate"] = True
        if self.connection.headers:
            facts["extra_headers"] = [name for name, _ in self.connection.headers]
        if self.connection.authority:
            facts["authority"] = self.connection.authority
        return facts


# Every key a target file may hold, per table: anything else is a typo to report, never to ignore
# (``profil = "current"`` silently running the seed profile is how a gate lies). A new key goes here.
_SECRETS = ("password", "token", "low_privilege_token", "expired_token")
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "": frozenset({"target", "auth", "jobs"}),
    "target": frozenset(
        {
            "name",
            "grpc",
            "rest",
            "profile",
            "tls",
            "timeout",
            "prefix",
            "swagger",
            "queue_ready_timeout",
            "max_query_items",
            "consecutive_ids",
            "headers",
            "authority",
            "follow_redirects",
            "features",
        }
    ),
    "target.features": frozenset(FEATURES),
    "target.tls": frozenset({"ca_file", "insecure", "cert_file", "key_file"}),
    "auth": frozenset(SCHEMES),
    "auth.anonymous": frozenset({"expect"}),
    "auth.basic": frozenset({"username", "low_privilege", *(f"password{s}" for s in ("", "_env", "_command"))}),
    "auth.basic.low_privilege": frozenset({"username", *(f"password{s}" for s in ("", "_env", "_command"))}),
    "auth.oidc": frozenset(
        {"principal", "client_id", "test_issuer", *(f"{k}{s}" for k in _SECRETS[1:] for s in ("", "_env", "_command"))}
    ),
    "auth.kerberos": frozenset(
        {
            "service",
            "ccache",
            "keytab",
            "principal",
            "expected_principal",
            "mutual",
            "low_privilege",
            *(f"expired_token{s}" for s in ("", "_env", "_command")),
        }
    ),
    "auth.kerberos.low_privilege": frozenset({"ccache", "keytab", "principal", "expected_principal"}),
}


def unknown_keys(data: Mapping[str, Any], source: str, table: str = "") -> None:
    """Raise ``TargetError`` naming the first key of ``data`` (recursively) the format does not know."""
    known = KNOWN_KEYS.get(table)
    if known is None:
        return
    for key, value in data.items():
        where = f"{table}.{key}" if table else key
        if key not in known:
            place = f"[{table}]" if table else "the top level"
            raise TargetError(f"{source}: unknown key {key!r} in {place} (known: {', '.join(sorted(known))})")
        if isinstance(value, Mapping):
            unknown_keys(value, source, where)


def load_target(path: str | Path | None, overrides: Mapping[str, Any] | None = None) -> Target:
    """Build a Target from a TOML file (or only from ``overrides`` such as --grpc/--rest)."""
    data: dict[str, Any] = {}
    if path:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise TargetError(f"target file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise TargetError(f"target file {path} is not valid TOML: {exc}") from None
    source = str(path or "command line")
    unknown_keys(data, source)
    unknown = sorted(set(data) - KNOWN_KEYS[""])
    if unknown:
        raise TargetError(
            f"{source}: unknown table(s) [{'], ['.join(unknown)}]; expected [target], [jobs] and [auth.*]"
        )
    section = {**data.get("target", {}), **{k: v for k, v in (overrides or {}).items() if v is not None}}
    grpc_address = section.get("grpc")
    if not grpc_address:
        raise TargetError(
            f"{source}: [target] grpc is missing: a target is its gRPC address (host:port) and, optionally, "
            "its REST URL; the run never fills a missing part with the embedded server"
        )
    grpc_address = _grpc_address(grpc_address, source)
    profile = section.get("profile", NEWEST)
    features = data.get("target", {}).get("features", {})
    if not isinstance(features, dict) or not all(isinstance(v, bool) for v in features.values()):
        raise TargetError(f"{source}: [target.features] must be a table of feature = true / false")
    try:
        eras.judged(str(profile), features)
    except ValueError as exc:
        raise TargetError(f"{source}: profile {profile!r}: {exc}") from None
    rest = section.get("rest")
    if rest is not None and not str(rest).startswith(("http://", "https://")):
        raise TargetError(f"{source}: [target] rest must be an http:// or https:// URL, got {rest!r}")
    swagger = section.get("swagger")
    if swagger is not None and not str(swagger).startswith(("http://", "https://")):
        raise TargetError(f"{source}: [target] swagger must be an http:// or https:// URL, got {swagger!r}")
    ready = section.get("queue_ready_timeout", 15)
    if not isinstance(ready, int | float) or isinstance(ready, bool) or not 0 <= ready <= 600:
        raise TargetError(f"{source}: [target] queue_ready_timeout must be seconds between 0 and 600, got {ready!r}")
    limit = section.get("max_query_items")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100_000):
        raise TargetError(f"{source}: [target] max_query_items must be a whole number from 1 to 100000, got {limit!r}")
    consecutive = section.get("consecutive_ids", False)
    if not isinstance(consecutive, bool):
        raise TargetError(f"{source}: [target] consecutive_ids must be true or false, got {consecutive!r}")
    tls_table = _with_client_certificate(data.get("target", {}).get("tls"), overrides or {})
    target = Target(
        name=str(section.get("name") or grpc_address),
        grpc=str(grpc_address),
        rest=str(rest).rstrip("/") if rest else None,
        profile=profile,
        tls=_tls(tls_table, source, path),
        timeout=_seconds(section.get("timeout", DEFAULT_TIMEOUT_S), "timeout", source),
        prefix=str(section.get("prefix", DEFAULT_PREFIX)),
        swagger=str(swagger) if swagger else None,
        queue_ready_timeout=float(ready),
        max_query_items=limit,
        consecutive_ids=consecutive,
        intrusive=bool((overrides or {}).get("intrusive")),
        connection=_connection(data.get("target", {}), overrides or {}, source),
        jobs=_jobs(data.get("jobs"), source),
        features=dict(features),
    )
    from conformance.target_auth import load_auth  # it builds on this module's types

    load_auth(target, data.get("auth", {}), source, path)
    return target


def _jobs(table: Any, source: str) -> JobTemplate:
    try:
        return load_jobs(table, source)
    except JobsError as exc:
        raise TargetError(str(exc)) from None


def _grpc_address(value: Any, source: str) -> str:
    """``host:port``; a URL (``http://host:port``, what REST takes) is refused saying what to write instead."""
    text = str(value).strip()
    if "://" in text:
        scheme, _, rest = text.partition("://")
        bare = rest.split("/", 1)[0]
        tls = " and tls = { ... } for TLS" if scheme.lower() in ("https", "grpcs") else ""
        raise TargetError(f"{source}: [target] grpc is host:port, not a URL: write grpc = {bare!r}{tls}")
    host, colon, port = text.rpartition(":")
    if not colon or not host or not port.isdigit():
        raise TargetError(f"{source}: [target] grpc must be host:port, got {value!r}")
    return text


def _seconds(value: Any, key: str, source: str) -> float:
    """A number of seconds; a quoted number (``"10"``) is refused, as TOML keeps it a string."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 3600:
        hint = f" (write {key} = {value}, without quotes)" if isinstance(value, str) else ""
        raise TargetError(f"{source}: [target] {key} must be a number of seconds from 0 to 3600, got {value!r}{hint}")
    return float(value)


def _tls(value: Any, source: str, path: Path | str | None) -> TlsSettings | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - KNOWN_KEYS["target.tls"]:
        raise TargetError(
            f'{source}: tls must be {{ ca_file = "ca.pem" }} or {{ insecure = true }}, '
            "optionally with cert_file and key_file (a client certificate)"
        )
    files = {}
    for key in ("ca_file", "cert_file", "key_file"):
        if value.get(key):
            file = relative(value[key], path)
            if not file.is_file():
                raise TargetError(f"{source}: tls {key} {file} does not exist")
            files[key] = str(file)
    if "key_file" in files and "cert_file" not in files:
        raise TargetError(f"{source}: tls key_file needs cert_file (the client certificate it belongs to)")
    return TlsSettings(insecure=bool(value.get("insecure", False)), **files)


def _with_client_certificate(tls: Any, overrides: Mapping[str, Any]) -> Any:
    """The file's tls table with --client-cert / --client-key applied (TLS with system roots if none)."""
    given = {k: overrides.get(f"client_{k[:-5]}") for k in ("cert_file", "key_file")}
    given = {k: v for k, v in given.items() if v}
    if not given:
        return tls
    return {**(tls if isinstance(tls, dict) else {}), **given}


def _connection(section: Mapping[str, Any], overrides: Mapping[str, Any], source: str) -> Connection:
    """The file's headers and authority, then -H / --authority; a mistake is blamed on where it was made."""
    flags = overrides.get("headers") or ()
    for header in flags:
        try:
            parse_header(header)
        except HeaderError as exc:
            raise TargetError(f"-H / --header {header!r}: {exc}") from None
    if overrides.get("authority"):
        try:
            check_authority(str(overrides["authority"]))
        except HeaderError as exc:
            raise TargetError(f"--authority: {exc}") from None
    try:
        return connection_from(section, flags, overrides.get("authority"))
    except HeaderError as exc:
        raise TargetError(f"{source}: {exc}") from None


def relative(value: str, path: Path | str | None) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() or not path else Path(path).parent / candidate


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
