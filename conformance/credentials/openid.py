"""A real OpenID provider process (``oidc-provider-mock``) and the tokens tests need.

The provider runs as a subprocess through its own command line
(``python -m oidc_provider_mock``) on a free 127.0.0.1 port. Valid ID tokens come from
its real authorization-code flow: set the user's claims (``PUT /users/<sub>``), post
the authorization form, exchange the code at the token endpoint.

Bad tokens, as honestly as the provider allows:

* expired, not-yet-valid, wrong issuer: the provider copies a user's extra claims into
  the ID token after its own (``payload.update(user_info)``), so giving the user an
  ``exp`` in the past, an ``nbf`` in the future or another ``iss`` makes the provider
  itself sign such a token with its published key; no key of ours is involved.
* wrong audience: the real flow with another client id (the provider accepts any).
* other key, ``alg: none``, HMAC keyed with the provider's public key: forged here,
  since by definition the provider does not make them.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import IO, Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

REDIRECT_URI = "http://127.0.0.1:9/callback"  # never visited: the code is read from the redirect


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _HttpOnlyOpener:
    """An opener that opens only http(s) URLs (a provider's endpoints come from its discovery document:
    a ``file://`` one is refused) and reads at most ``MAX_KEY_DOCUMENT_BYTES`` of an answer."""

    def __init__(self, opener: urllib.request.OpenerDirector) -> None:
        self._opener = opener

    def open(self, url: str | urllib.request.Request, data: bytes | None = None, timeout: float = 10) -> Any:
        from conformance.transport.bounds import require_http

        require_http(url.full_url if isinstance(url, urllib.request.Request) else url, "the provider's endpoint")
        return self._opener.open(url, data=data, timeout=timeout)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class OpenIDProvider:
    """A running provider process; a context manager (the process ends on exit)."""

    def __init__(self, client_id: str = "armada", groups_claim: str = "groups", start_timeout: float = 20.0) -> None:
        self.client_id = client_id
        self.groups_claim = groups_claim
        self.start_timeout = start_timeout
        self.issuer = ""
        self.discovery: dict[str, Any] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._opener = _HttpOnlyOpener(urllib.request.build_opener(_NoRedirect))

    # -- life cycle -------------------------------------------------------------------

    def __enter__(self) -> OpenIDProvider:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @classmethod
    def attach(cls, issuer: str, client_id: str = "armada", groups_claim: str = "groups") -> OpenIDProvider:
        """A provider already running at ``issuer`` (e.g. one ``serve`` started), to ask for tokens.

        Nothing is started, so ``stop`` has nothing to end. ValueError/OSError when the
        issuer does not answer its discovery document.
        """
        provider = cls(client_id=client_id, groups_claim=groups_claim)
        provider.discovery = provider._get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
        provider.issuer = provider.discovery["issuer"]
        return provider

    def start(self) -> None:
        """Start the process and wait for its discovery document (retrying a lost port race)."""
        for _attempt in range(3):
            port = _free_port()
            self._spawn(port)
            if self._wait_ready(f"http://127.0.0.1:{port}"):
                return
            self.stop()
        raise RuntimeError(f"the OpenID provider did not start; see its log: {self.log_tail()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._log.name)
            self._log = None

    def log_tail(self, size: int = 2000) -> str:
        if self._log is None:
            return "(no log)"
        with open(self._log.name, "rb") as log:
            return log.read()[-size:].decode("utf-8", "replace")

    def _spawn(self, port: int) -> None:
        if self._log is None:
            self._log = tempfile.NamedTemporaryFile(prefix="oidc-provider-", suffix=".log", delete=False)  # noqa: SIM115
        env = {**os.environ, "NO_COLOR": "1"}
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "oidc_provider_mock",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-refresh-token",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def _wait_ready(self, base: str) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            try:
                self.discovery = self._get_json(base + "/.well-known/openid-configuration")
            except (OSError, ValueError):
                time.sleep(0.05)
                continue
            self.issuer = self.discovery["issuer"]
            return True
        return False

    # -- configuration ----------------------------------------------------------------

    def auth_table(self, **overrides: Any) -> dict[str, Any]:
        """An ``[auth.oidc]`` table trusting this provider."""
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "groups_claim": self.groups_claim,
            "algorithms": ["RS256"],
            "leeway_seconds": 0,
            **overrides,
        }

    @property
    def public_jwks(self) -> dict[str, Any]:
        return self._get_json(self.discovery["jwks_uri"])

    # -- genuine tokens ---------------------------------------------------------------

    def id_token(
        self,
        sub: str,
        groups: list[str] | None = None,
        *,
        client_id: str | None = None,
        extra_claims: dict[str, Any] | None = None,
    ) -> str:
        """An ID token signed by the provider for ``sub`` through the authorization-code flow."""
        claims: dict[str, Any] = dict(extra_claims or {})
        if groups is not None:
            claims[self.groups_claim] = groups
        self._set_user(sub, claims)
        client = client_id or self.client_id
        code = self._authorize(sub, client)
        return self._exchange(code, client)

    def bearer(self, sub: str, groups: list[str] | None = None) -> str:
        """A valid ``Bearer <token>`` header value."""
        return f"Bearer {self.id_token(sub, groups)}"

    def expired_token(self, sub: str, seconds_ago: int = 3600) -> str:
        now = int(time.time())
        return self.id_token(
            sub,
            [],
            extra_claims={"exp": now - seconds_ago, "iat": now - seconds_ago - 60, "auth_time": now - seconds_ago - 60},
        )

    def not_yet_valid_token(self, sub: str, seconds_ahead: int = 3600) -> str:
        return self.id_token(sub, [], extra_claims={"nbf": int(time.time()) + seconds_ahead})

    def wrong_audience_token(self, sub: str) -> str:
        return self.id_token(sub, [], client_id=f"not-{self.client_id}")

    def wrong_issuer_token(self, sub: str) -> str:
        return self.id_token(sub, [], extra_claims={"iss": "https://issuer.invalid"})

    # -- forged tokens ----------------------------------------------------------------

    def genuine_claims(self, sub: str, groups: list[str] | None = None) -> dict[str, Any]:
        """Claims a genuine token for ``sub`` would carry, for forging variants of it."""
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": [self.client_id],
            "sub": sub,
            "iat": now,
            "exp": now + 600,
            self.groups_claim: groups or [],
        }

    def other_key_token(self, sub: str, kid: str | None = None) -> str:
        """Right claims, signed by a key the provider never published (optionally claiming ``kid``)."""
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        headers = {"kid": kid} if kid else None
        return jwt.encode(self.genuine_claims(sub, ["admins"]), key, algorithm="RS256", headers=headers)

    def alg_none_token(self, sub: str) -> str:
        """Right claims, ``alg: none`` and no signature."""
        header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps(self.genuine_claims(sub, ["admins"])).encode())
        return f"{header}.{payload}."

    def hmac_with_public_key_token(self, sub: str) -> str:
        """The algorithm-confusion forgery: HS256 keyed with the provider's public key (PEM)."""
        public = jwt.PyJWK(self.public_jwks["keys"][0]).key
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64url(json.dumps(self.genuine_claims(sub, ["admins"])).encode())
        signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64url(signature)}"

    def tampered_token(self, sub: str) -> str:
        """A genuine token whose payload was edited (groups elevated) after signing."""
        header, _payload, signature = self.id_token(sub, []).split(".")
        forged = _b64url(json.dumps(self.genuine_claims(sub, ["admins"])).encode())
        return f"{header}.{forged}.{signature}"

    # -- HTTP -------------------------------------------------------------------------

    def _set_user(self, sub: str, claims: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.issuer}/users/{urllib.parse.quote(sub, safe='')}",
            data=json.dumps(claims).encode(),
            method="PUT",
            headers={"content-type": "application/json"},
        )
        with self._opener.open(request, timeout=10):
            pass

    def _authorize(self, sub: str, client_id: str) -> str:
        query = urllib.parse.urlencode(
            {"client_id": client_id, "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "openid"}
        )
        form = urllib.parse.urlencode({"sub": sub}).encode()
        try:
            with self._opener.open(f"{self.discovery['authorization_endpoint']}?{query}", data=form, timeout=10):
                pass
        except urllib.error.HTTPError as redirect:
            if redirect.code != 302:
                raise
            location = redirect.headers["location"]
        else:
            raise RuntimeError("the provider's authorization endpoint did not redirect")
        params = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
        if "code" not in params:
            raise RuntimeError(f"authorization failed: {params.get('error')}")
        return params["code"][0]

    def _exchange(self, code: str, client_id: str) -> str:
        form = urllib.parse.urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "client_id": client_id,
                "client_secret": "unused",
            }
        ).encode()
        from conformance.transport.bounds import MAX_KEY_DOCUMENT_BYTES, parse_json

        with self._opener.open(self.discovery["token_endpoint"], data=form, timeout=10) as response:
            return parse_json(response.read(MAX_KEY_DOCUMENT_BYTES))["id_token"]

    def _get_json(self, url: str) -> dict[str, Any]:
        """A discovery or key document: http(s) only, no redirect, size-capped, within 2 s overall."""
        from conformance.transport.bounds import fetch_json

        document = fetch_json(url, "the provider's document", timeout=2)
        if not isinstance(document, dict):
            raise ValueError(f"{url} is not a JSON object")
        return document
