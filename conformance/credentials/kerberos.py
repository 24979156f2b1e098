"""A throw-away MIT Kerberos realm (k5test) with users, an HTTP service and its keytab.

The KDC listens on 127.0.0.1 only, on a free port; host name canonicalisation is off
(``rdns = false``, ``dns_canonicalize_hostname = false``) so ``HTTP/localhost`` means
exactly that. The realm's ``krb5.conf`` sets a small ``clockskew`` so that a ticket
with a 1 s lifetime is genuinely refused a few seconds later (with the default 300 s
the acceptor would still take it for five minutes).

GSSAPI finds the KDC through ``KRB5_CONFIG``; there is no per-call way to name a
krb5.conf, so while the realm runs ``KRB5_CONFIG`` (and ``KRB5RCACHEDIR``, to keep the
replay cache in the realm's directory) are set in this process and restored on stop.
User credentials are chosen per call through the GSSAPI credential store (a ccache
per user), never through the default ccache.
"""

from __future__ import annotations

import base64
import os
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Any

SPNEGO_OID = "1.3.6.1.5.5.2"
DEFAULT_USERS = ("alice", "bob", "carol")  # carol: the low-privilege user in suites


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
        tcp.bind(("127.0.0.1", 0))
        port = tcp.getsockname()[1]
        udp.bind(("127.0.0.1", port))  # the KDC wants the same port on UDP and TCP
        return port


@dataclass
class NegotiateAttempt:
    """A client's first SPNEGO leg: the header to send and the context that checks the reply."""

    header: str
    context: Any  # gssapi.SecurityContext, initiator side

    def verify_reply(self, www_authenticate: str) -> None:
        """Check the server's mutual-auth reply (``Negotiate <b64>``); raise if it is not genuine."""
        scheme, _, token = www_authenticate.partition(" ")
        if scheme.lower() != "negotiate" or not token.strip():
            raise ValueError(f"not a Negotiate reply: {www_authenticate[:40]!r}")
        self.context.step(base64.b64decode(token.strip(), validate=True))
        if not self.context.complete:
            raise ValueError("the reply token did not complete mutual authentication")


class KerberosRealm:
    """A running KDC with user principals and ``HTTP/<service_host>``; a context manager."""

    def __init__(
        self,
        users: tuple[str, ...] = DEFAULT_USERS,
        realm: str = "KRBTEST.COM",
        service_host: str = "localhost",
        clockskew_seconds: int = 2,
    ) -> None:
        self.users = users
        self.realm_name = realm
        self.service_host = service_host
        self.clockskew_seconds = clockskew_seconds
        self.service_principal = f"HTTP/{service_host}@{realm}"
        self.other_service_principal = f"HTTP/elsewhere.invalid@{realm}"
        self._realm: Any = None
        self._saved_env: dict[str, str | None] = {}
        self._passwords: dict[str, str] = {}
        self._expired: str | None = None

    # -- life cycle -------------------------------------------------------------------

    def __enter__(self) -> KerberosRealm:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        import k5test

        port = _free_port()
        self._realm = k5test.K5Realm(
            realm=self.realm_name,
            portbase=port,
            create_user=False,
            create_host=False,
            get_creds=False,
            krb5_conf=self._krb5_conf(),
            kdc_conf=self._kdc_conf(),
        )
        try:
            self._set_env()
            self._populate()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the KDC, delete the realm's files and restore the environment (idempotent)."""
        realm, self._realm = self._realm, None
        try:
            if realm is not None:
                realm.stop()
        finally:
            for key, value in self._saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._saved_env = {}

    def _krb5_conf(self) -> dict[str, Any]:
        return {
            "libdefaults": {
                "rdns": "false",
                "dns_canonicalize_hostname": "false",
                "dns_lookup_realm": "false",
                "clockskew": str(self.clockskew_seconds),
                "udp_preference_limit": "1",
            },
            "realms": {"$realm": {"kdc": "127.0.0.1:$port0", "admin_server": None, "kpasswd_server": None}},
        }

    @staticmethod
    def _kdc_conf() -> dict[str, Any]:
        # Listen on loopback only; no kadmind, kpasswd or iprop ports.
        return {
            "realms": {
                "$realm": {
                    "kdc_ports": None,
                    "kdc_tcp_ports": None,
                    "kadmind_port": None,
                    "kpasswd_port": None,
                    "iprop_port": None,
                    "kdc_listen": "127.0.0.1:$port0",
                    "kdc_tcp_listen": "127.0.0.1:$port0",
                }
            }
        }

    def _set_env(self) -> None:
        wanted = {"KRB5_CONFIG": self._realm.env["KRB5_CONFIG"], "KRB5RCACHEDIR": self._realm.tmpdir}
        self._saved_env = {key: os.environ.get(key) for key in wanted}
        os.environ.update(wanted)

    def _populate(self) -> None:
        for user in self.users:
            self._passwords[user] = secrets.token_urlsafe(12)
            self._realm.addprinc(self.principal(user), self._passwords[user])
            self._realm.kinit(self.principal(user), self._passwords[user], flags=["-c", self._ccache(user)])
        self._realm.addprinc(self.service_principal)
        self._realm.addprinc(self.other_service_principal)
        self._realm.extract_keytab(self.service_principal, self.keytab)

    # -- facts ------------------------------------------------------------------------

    @property
    def tmpdir(self) -> str:
        self._require_running()
        return self._realm.tmpdir

    @property
    def keytab(self) -> str:
        """Keytab holding only the service principal's keys."""
        return os.path.join(self.tmpdir, "http.keytab")

    @property
    def krb5_config(self) -> str:
        return self._realm.env["KRB5_CONFIG"]

    def principal(self, user: str) -> str:
        return f"{user}@{self.realm_name}"

    def auth_table(self, *, strip_realm: bool = True, send_reply_token: bool = True) -> dict[str, Any]:
        """An ``[auth.kerberos]`` table for this realm's service."""
        return {
            "keytab": self.keytab,
            "service_principal": self.service_principal,
            "strip_realm": strip_realm,
            "send_reply_token": send_reply_token,
        }

    def _ccache(self, user: str) -> str:
        return os.path.join(self.tmpdir, f"ccache_{user}")

    def _require_running(self) -> None:
        if self._realm is None:
            raise RuntimeError("the Kerberos realm is not running; use it inside `with KerberosRealm() as realm:`")

    # -- tokens -----------------------------------------------------------------------

    def initiate(self, user: str, service_principal: str | None = None, ccache: str | None = None) -> NegotiateAttempt:
        """A fresh SPNEGO token (mutual auth requested) from ``user`` for a service."""
        import gssapi

        self._require_running()
        creds = gssapi.Credentials(usage="initiate", store={"ccache": f"FILE:{ccache or self._ccache(user)}"})
        target = gssapi.Name(service_principal or self.service_principal, gssapi.NameType.kerberos_principal)
        flags = gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.out_of_sequence_detection
        context = gssapi.SecurityContext(
            name=target, creds=creds, usage="initiate", mech=gssapi.OID.from_int_seq(SPNEGO_OID), flags=flags
        )
        token = context.step()
        return NegotiateAttempt(header=f"Negotiate {base64.b64encode(token).decode('ascii')}", context=context)

    def negotiate(self, user: str) -> str:
        """A valid ``Negotiate <b64>`` header value for ``user`` (a new token every call)."""
        return self.initiate(user).header

    def negotiate_for_wrong_service(self, user: str) -> str:
        """A genuine token for another service (``HTTP/elsewhere.invalid``), not in the keytab."""
        return self.initiate(user, self.other_service_principal).header

    def expired_negotiate(self, user: str = "alice") -> str:
        """A token made with a ticket that has since expired (built once: it costs a few seconds).

        The ticket lives 1 s; the wait covers its end plus the clock skew. MIT checks the
        authenticator's age too, so the refusal may say "clock skew" rather than "ticket
        expired": an expired ticket cannot be presented with a fresh authenticator, since
        clients refuse to use it.
        """
        if self._expired is None:
            ccache = os.path.join(self.tmpdir, f"ccache_{user}_short")
            self._realm.kinit(self.principal(user), self._passwords[user], flags=["-l", "1s", "-c", ccache])
            self._expired = self.initiate(user, ccache=ccache).header
            time.sleep(1 + self.clockskew_seconds + 1.2)
        return self._expired
