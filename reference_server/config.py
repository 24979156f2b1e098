"""The reference server's configuration, read from a TOML file.

Example (every table optional)::

    [server]
    host = "127.0.0.1"
    grpc_port = 50051
    http_port = 8080
    pace_ms = 0                # simulated executor: delay between job life steps
    max_message_bytes = 4194304
    max_query_items = 1000     # api.Jobs: most job / run ids one request may name
    faults = []                # names from reference_server.faults.CATALOGUE
    flavour = "contract"       # or a release ("v0.8.7"), "armada-2023" or "armada-2026": reference_server/flavours.py
                               # (a release from v0.4.20 refuses a config enabling kerberos: it has none)
    queue_cache_s = 2.0        # releases from v0.4.48 only: the queue cache's refresh period (Armada: 10)

    [cors]
    allowed_origins = ["https://ui.example.com"]

    [auth]
    order = ["basic", "oidc", "kerberos", "anonymous"]   # schemes tried in this order
    anonymous = true

    [auth.basic.users.alice]
    password = "secret"
    groups = ["admins"]

    [auth.oidc]
    issuer = "http://127.0.0.1:9400"
    client_id = "armada"
    skip_audience_check = false
    groups_claim = "groups"
    algorithms = ["RS256", "ES256"]
    leeway_seconds = 30

    [auth.kerberos]
    keytab = "/path/to/http.keytab"
    service_principal = "HTTP/localhost@EXAMPLE.COM"
    strip_realm = true
    send_reply_token = true

    [authorization.permissions]   # global permission -> groups holding it
    submit_any_jobs = ["admins"]
    create_queue = ["admins"]

With no file at all the server allows anonymous callers and grants every global
permission to the group ``everyone``, as Armada's local development set-up does.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reference_server.faults import Faults
from reference_server.flavours import DEFAULT, DEFAULT_QUEUE_CACHE_S, flavour

GLOBAL_PERMISSIONS = (
    "submit_any_jobs",
    "create_queue",
    "delete_queue",
    "cancel_any_jobs",
    "reprioritize_any_jobs",
    "watch_all_events",
    "watch_events",  # armada-2023: with a queue's watch verb, what reading its job sets needs
    "preempt_any_jobs",  # real Armada from v0.4.41: PreemptJobs / PreemptOnQueue
    "cordon_queue",  # real Armada from v0.9.8: CordonQueue / UncordonQueue
    "create_retry_policy",
    "update_retry_policy",
    "delete_retry_policy",
)

DEVELOPMENT_AUTH: dict[str, Any] = {"order": ["anonymous"], "anonymous": True}
DEVELOPMENT_AUTHORIZATION: dict[str, Any] = {"permissions": {p: ["everyone"] for p in GLOBAL_PERMISSIONS}}


class ConfigError(ValueError):
    """A configuration a person must fix; the message says what and where."""


@dataclass
class ServerConfig:
    host: str = "127.0.0.1"
    grpc_port: int = 0  # 0: pick a free port
    http_port: int = 0
    pace_ms: float = 0.0
    max_message_bytes: int = 4 * 1024 * 1024
    max_query_items: int = 1000
    faults: Faults = field(default_factory=Faults)
    cors_origins: list[str] = field(default_factory=list)
    auth: dict[str, Any] = field(default_factory=lambda: dict(DEVELOPMENT_AUTH))
    authorization: dict[str, Any] = field(default_factory=lambda: dict(DEVELOPMENT_AUTHORIZATION))
    development_mode: bool = True  # no config file: anonymous allowed, all granted
    flavour: str = DEFAULT  # contract, a release or a preset (reference_server.flavours)
    queue_cache_s: float = DEFAULT_QUEUE_CACHE_S

    def check_flavour(self, source: str = "<config>") -> None:
        """Refuse a flavour we do not know, or auth schemes the flavour's era does not offer.

        Kerberos on a release from v0.4.20 is refused rather than quietly dropped: a set-up
        that asks for it expects something real Armada of that release cannot do.
        """
        try:
            chosen = flavour(self.flavour)
        except ValueError as exc:
            raise ConfigError(f"{source}: [server] flavour: {exc}") from None
        if self.queue_cache_s <= 0:
            raise ConfigError(f"{source}: [server] queue_cache_s must be > 0 seconds, not {self.queue_cache_s}")
        asked = {str(name) for name in self.auth.get("order", [])}
        asked |= {name for name in ("basic", "oidc", "kerberos") if name in self.auth}
        refused = sorted(asked - chosen.auth_schemes)
        if refused:
            raise ConfigError(
                f"{source}: [auth] {', '.join(refused)} is not offered by flavour {chosen.name} "
                f"(offered: {', '.join(sorted(chosen.auth_schemes))}); "
                "use flavour armada-2023 (or a release before v0.4.20) or contract for Kerberos"
            )

    @classmethod
    def from_toml(cls, path: str | Path) -> ServerConfig:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        return cls.from_dict(data, source=str(path))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<config>") -> ServerConfig:
        unknown = sorted(set(data) - {"server", "cors", "auth", "authorization"})
        if unknown:
            raise ConfigError(f"{source}: unknown table(s) {', '.join(unknown)}")
        server = data.get("server", {})
        try:
            faults = Faults(server.get("faults", []))
        except ValueError as exc:
            raise ConfigError(f"{source}: [server] faults: {exc}") from None
        permissions = data.get("authorization", {}).get("permissions", {})
        bad = sorted(set(permissions) - set(GLOBAL_PERMISSIONS))
        if bad:
            raise ConfigError(
                f"{source}: [authorization.permissions] unknown permission(s) {', '.join(bad)}; "
                f"known: {', '.join(GLOBAL_PERMISSIONS)}"
            )
        config = cls(
            host=str(server.get("host", "127.0.0.1")),
            grpc_port=int(server.get("grpc_port", 0)),
            http_port=int(server.get("http_port", 0)),
            pace_ms=float(server.get("pace_ms", 0.0)),
            max_message_bytes=int(server.get("max_message_bytes", 4 * 1024 * 1024)),
            max_query_items=int(server.get("max_query_items", 1000)),
            faults=faults,
            cors_origins=list(data.get("cors", {}).get("allowed_origins", [])),
            auth=data.get("auth", {"order": [], "anonymous": False}),
            authorization=data.get("authorization", {"permissions": {}}),
            development_mode=False,
            flavour=str(server.get("flavour", DEFAULT)),
            queue_cache_s=float(server.get("queue_cache_s", DEFAULT_QUEUE_CACHE_S)),
        )
        config.check_flavour(source)
        return config
