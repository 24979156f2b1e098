"""The embedded default target: the reference server with all four auth schemes, for real.

When no target is given, the suite starts a k5test Kerberos realm, an OpenID
provider process and the reference server configured to trust both, plus Basic
users and anonymous access, and describes it as a ``Target`` like any other. Every
piece is stopped on exit, in reverse order, even after a failure.

Identities: ``alice`` (group ``admins``, every global permission) is the main
identity of each scheme, Kerberos included (principals get their groups from the
server's ``[auth.kerberos.groups]``); ``carol`` (no groups) is the low-privilege one.
Anonymous callers are allowed, in group ``everyone`` only, which holds no permission.

Every identity the AUTH checks can use is configured, for the embedded target and in
the target file ``serve`` writes: low-privilege and expired credentials of each
scheme, the OpenID client id (so the audience is checked) and ``test_issuer`` (the
provider signs tokens with chosen claims for the forgery checks). A run against
either has no AUTH check "not configured".
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from conformance.target import (
    DEFAULT_PREFIX,
    DEFAULT_TIMEOUT_S,
    Identity,
    SchemeSettings,
    Target,
    TargetOverrides,
    basic_header,
)
from reference_server.background import BackgroundServer
from reference_server.config import GLOBAL_PERMISSIONS, ServerConfig
from reference_server.flavours import DEFAULT as DEFAULT_FLAVOUR
from reference_server.flavours import flavour as server_flavour

ADMIN, LOW = "alice", "carol"


# The job template every submitted job is made of (conformance.target_jobs), written with its defaults
# so a user sees what to change for a real cluster.
JOBS_TABLE = (
    "[jobs]   # what every job the suite submits is made of; change it to what your cluster runs\n"
    'namespace = "default"\n'
    'image = "busybox:1.36"\n'
    'command = ["true"]   # the short job\n'
    'long_command = ["sleep", "600"]   # a job that runs until the run cancels it\n'
    'fail_command = ["false"]\n'
    'priority_class = ""   # podSpec priorityClassName ("": the cluster default)\n'
    'resources = { cpu = "100m", memory = "64Mi" }\n'
    "node_selector = {}\n"
    "tolerations = []\n"
    "labels = {}\n"
    "annotations = {}\n"
)


def profile_of(flavour: str | None) -> str:
    """The profile to judge an embedded server of ``flavour`` by: the release it is (``contract`` included).

    The server's flavour and the suite's judgement are the same row of conformance/releases.py,
    so the two cannot disagree about what the server has.
    """
    from conformance.eras import canonical

    return canonical(flavour or DEFAULT_FLAVOUR)


class EmbeddedEnvironment:
    def __init__(
        self,
        faults: tuple[str, ...] = (),
        pace_ms: float = 0.0,
        kerberos: bool = True,
        oidc: bool = True,
        realm: KerberosRealm | None = None,
        provider: OpenIDProvider | None = None,
        flavour: str = DEFAULT_FLAVOUR,
        server: dict[str, Any] | None = None,
    ) -> None:
        """``realm`` / ``provider``: already running ones to share (their owner stops them).

        ``server``: further ``[server]`` settings of the reference server (e.g. a shorter
        ``queue_cache_s`` for tests that create many queues in the armada-2026 flavour).

        ``flavour``: what the server is (reference_server.flavours); a release without
        Kerberos (from v0.4.20) gets no KDC and no kerberos scheme.
        """
        self.faults = faults
        self.pace_ms = pace_ms
        self.flavour = flavour
        self.server_settings = dict(server or {})
        offered = "kerberos" in server_flavour(flavour).auth_schemes
        kerberos, realm = kerberos and offered, realm if offered else None
        self.with_kerberos = kerberos and realm is None
        self.with_oidc = oidc and provider is None
        self.passwords = {ADMIN: secrets.token_urlsafe(12), LOW: secrets.token_urlsafe(12)}
        self.realm: KerberosRealm | None = realm
        self.provider: OpenIDProvider | None = provider
        self.server: BackgroundServer | None = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> EmbeddedEnvironment:
        try:
            if self.with_kerberos:
                self.realm = self._stack.enter_context(KerberosRealm(users=(ADMIN, LOW)))
            if self.with_oidc:
                self.provider = self._stack.enter_context(OpenIDProvider())
            self.server = self._stack.enter_context(BackgroundServer(self.server_config(**self.server_settings)))
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()

    def server_config(self, **server: Any) -> ServerConfig:
        auth: dict[str, Any] = {
            "order": ["basic"],
            "anonymous": True,
            "basic": {
                "users": {
                    ADMIN: {"password": self.passwords[ADMIN], "groups": ["admins"]},
                    LOW: {"password": self.passwords[LOW], "groups": []},
                }
            },
        }
        if self.provider:
            auth["order"].append("oidc")
            auth["oidc"] = self.provider.auth_table()
        if self.realm:
            auth["order"].append("kerberos")
            auth["kerberos"] = {**self.realm.auth_table(), "groups": {ADMIN: ["admins"], LOW: []}}
        auth["order"].append("anonymous")
        return ServerConfig.from_dict(
            {
                "server": {"faults": list(self.faults), "pace_ms": self.pace_ms, "flavour": self.flavour, **server},
                "auth": auth,
                "authorization": {"permissions": {p: ["admins"] for p in GLOBAL_PERMISSIONS}},
            },
            source="embedded",
        )

    @property
    def profile(self) -> str:
        return profile_of(self.flavour)

    def target(self, profile: str | None = None, overrides: TargetOverrides | None = None) -> Target:
        """This set-up as a Target judged as ``profile`` (default: the release it is), ``overrides`` applied.

        What the reference server makes true is declared, as a target file would:
        consecutive event ids, its query limit, and every scheme it serves (``served``).
        """
        assert self.server is not None
        given = overrides or TargetOverrides()
        target = Target(
            name="embedded reference server",
            grpc=self.server.grpc_target,
            rest=self.server.rest_url,
            profile=profile or self.profile,
            anonymous_expect="allowed",
            embedded=True,
            intrusive=True,
            consecutive_ids=True,
            max_query_items=self.server.server.config.max_query_items,
            prefix=given.prefix or DEFAULT_PREFIX,
            timeout=given.timeout or DEFAULT_TIMEOUT_S,
        )
        if self.realm and target.release.has("anonymous_before_kerberos"):
            # this server's [auth] order puts anonymous last (server_config), not before Kerberos as the release's
            # default order does: declared as a target file would, so Kerberos is judged
            target.features["anonymous_before_kerberos"] = False
        target.schemes["basic"] = SchemeSettings(
            "basic",
            self._basic(ADMIN, ["admins"]),
            self._basic(LOW, []),
            extras={"username": ADMIN, "password": self.passwords[ADMIN]},
            secrets=list(self.passwords.values()),
            served=True,
        )
        if self.provider:
            provider = self.provider
            admin_token, low_token = provider.id_token(ADMIN, ["admins"]), provider.id_token(LOW, [])
            target.schemes["oidc"] = SchemeSettings(
                "oidc",
                Identity("oidc", ADMIN, lambda: f"Bearer {admin_token}", ("admins",)),
                Identity("oidc", LOW, lambda: f"Bearer {low_token}"),
                extras={
                    "provider": provider,
                    "expired_token": provider.expired_token(ADMIN),
                    "client_id": provider.client_id,
                },
                secrets=[admin_token, low_token],
                served=True,
            )
        if self.realm:
            realm = self.realm
            target.schemes["kerberos"] = SchemeSettings(
                "kerberos",
                Identity("kerberos", ADMIN, lambda: realm.negotiate(ADMIN)),
                Identity("kerberos", LOW, lambda: realm.negotiate(LOW)),
                extras={"realm": realm, "mutual": True},
                served=True,
            )
        return target

    def _basic(self, user: str, groups: list[str]) -> Identity:
        password = self.passwords[user]
        return Identity("basic", user, lambda: basic_header(user, password), tuple(groups))

    # ---- for `armada-conformance serve`: how another tool reaches this set-up ----------

    def credentials_lines(self) -> list[str]:
        """Shell lines exporting the secrets the target file refers to."""
        lines = [
            f"export ARMADA_PW='{self.passwords[ADMIN]}'   # basic: {ADMIN} (admins)",
            f"export ARMADA_GUEST_PW='{self.passwords[LOW]}'   # basic: {LOW} (no permissions)",
        ]
        if self.provider:
            provider = self.provider
            lines += [
                f"export ARMADA_TOKEN='{provider.id_token(ADMIN, ['admins'])}'   # oidc: {ADMIN}",
                f"export ARMADA_GUEST_TOKEN='{provider.id_token(LOW, [])}'   # oidc: {LOW}",
                f"export ARMADA_EXPIRED_TOKEN='{provider.expired_token(ADMIN)}'   # oidc: expired",
            ]
        if self.realm:
            lines += [
                f"export KRB5_CONFIG='{self.realm.krb5_config}'   # kerberos realm {self.realm.realm_name}",
                f"export ARMADA_KRB_EXPIRED='{self.realm.expired_negotiate(ADMIN)}'   # kerberos: expired",
            ]
        return lines

    def target_file(self) -> str:
        """The target file another tool (or ``run --target``) uses to judge this server, [jobs] included."""
        assert self.server is not None
        text = (
            f'[target]\nname = "embedded reference server"\ngrpc = "{self.server.grpc_target}"\n'
            f'rest = "{self.server.rest_url}"\nprofile = "{self.profile}"\n'
            f"max_query_items = {self.server.server.config.max_query_items}\nconsecutive_ids = true\n\n"
            f"{JOBS_TABLE}\n"
            '[auth.anonymous]\nexpect = "allowed"\n\n'
            f'[auth.basic]\nusername = "{ADMIN}"\npassword_env = "ARMADA_PW"\n'
            f'low_privilege = {{ username = "{LOW}", password_env = "ARMADA_GUEST_PW" }}\n'
        )
        if self.provider:
            text += (
                '\n[auth.oidc]\ntoken_env = "ARMADA_TOKEN"\nlow_privilege_token_env = "ARMADA_GUEST_TOKEN"\n'
                f'expired_token_env = "ARMADA_EXPIRED_TOKEN"\nclient_id = "{self.provider.client_id}"\n'
                "test_issuer = true\n"
            )
        if self.realm:
            text += (
                f'\n[auth.kerberos]\nservice = "HTTP@{self.realm.service_host}"\n'
                f'ccache = "{self.realm.tmpdir}/ccache_{ADMIN}"\nmutual = true\n'
                'expired_token_env = "ARMADA_KRB_EXPIRED"\n'
                f'low_privilege = {{ ccache = "{self.realm.tmpdir}/ccache_{LOW}" }}\n'
                # this server tries anonymous last (server_config), whatever release --profile judges it as
                "\n[target.features]\nanonymous_before_kerberos = false\n"
            )
        return text
