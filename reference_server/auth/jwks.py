"""The OpenID provider's signing keys, fetched from its discovery document and cached.

Fetched lazily (the server may start before the provider) with aiohttp, so the event
loop is never blocked. An unknown ``kid`` triggers a refetch, because providers rotate
keys; refetches are rate-limited so that tokens with made-up ``kid`` values cannot turn
the server into a traffic generator against the provider.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

_LOG = logging.getLogger(__name__)
DISCOVERY_PATH = "/.well-known/openid-configuration"


class KeysUnavailable(Exception):
    """The provider's discovery document or keys could not be fetched or made sense of."""


class JwksCache:
    def __init__(
        self,
        issuer: str,
        *,
        min_refetch_seconds: float = 10.0,
        max_age_seconds: float = 3600.0,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.issuer = issuer
        self.min_refetch_seconds = min_refetch_seconds
        self._max_age = max_age_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._keys: list[dict[str, Any]] = []
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self.fetch_count = 0  # how many times the provider was asked; tests check the rate limit
        self._lock: asyncio.Lock | None = None

    async def keys(self, kid: str | None) -> list[dict[str, Any]]:
        """JWKs that may have signed a token with this ``kid`` (all keys when it has none)."""
        wanted = self._stale() or (kid is not None and not self._select(kid))
        if wanted and self._may_refetch():
            await self._refresh(kid)
        if self._fetched_at is None:
            raise KeysUnavailable(f"keys of {self.issuer} not fetched yet (last attempt failed)")
        return self._select(kid)

    def _select(self, kid: str | None) -> list[dict[str, Any]]:
        if kid is None:
            return list(self._keys)
        return [key for key in self._keys if key.get("kid") == kid]

    def _stale(self) -> bool:
        return self._fetched_at is None or time.monotonic() - self._fetched_at > self._max_age

    def _may_refetch(self) -> bool:
        return self._attempted_at is None or time.monotonic() - self._attempted_at >= self.min_refetch_seconds

    async def _refresh(self, kid: str | None) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        attempted_before = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted_before:
                return  # another request fetched while this one waited
            self._attempted_at = time.monotonic()
            self.fetch_count += 1
            self._keys = await self._fetch()
            self._fetched_at = time.monotonic()
            # The kid is the caller's text (part of a token): the log says only why keys were fetched.
            _LOG.info(
                "fetched %d signing key(s) from %s (%s)",
                len(self._keys),
                self.issuer,
                "for an unknown key id" if kid is not None else "first use or expiry",
            )

    async def _fetch(self) -> list[dict[str, Any]]:
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as session:
                discovery = await _get_json(session, self.issuer.rstrip("/") + DISCOVERY_PATH)
                if discovery.get("issuer") != self.issuer:
                    raise KeysUnavailable(
                        f"discovery document names issuer {discovery.get('issuer')!r}, "
                        f"configured issuer is {self.issuer!r}"
                    )
                jwks_uri = discovery.get("jwks_uri")
                if not isinstance(jwks_uri, str):
                    raise KeysUnavailable("discovery document has no jwks_uri")
                jwks = await _get_json(session, jwks_uri)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise KeysUnavailable(f"cannot fetch keys of {self.issuer}: {type(exc).__name__}: {exc}") from None
        keys = jwks.get("keys")
        if not isinstance(keys, list):
            raise KeysUnavailable(f"JWKS of {self.issuer} has no 'keys' list")
        return [key for key in keys if isinstance(key, dict)]


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as response:
        response.raise_for_status()
        body = await response.json(content_type=None)
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not return a JSON object")
    return body
