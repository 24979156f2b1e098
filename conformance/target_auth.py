"""The [auth.*] tables of a target file: who the suite is on the target, scheme by scheme.

Each configured scheme becomes a ``SchemeSettings``: its main identity (a function
making a fresh ``authorization`` value: Kerberos tokens are single-use), an optional
low-privilege identity, and what its checks need besides (an expired token, the
audience, an initiator to verify mutual authentication with). Secrets come from
``<key>_env`` or ``<key>_command``, never from the file; anything wrong is a
``TargetError`` naming the table and the key.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, overload

from conformance.target import SCHEMES, Identity, SchemeSettings, Target, TargetError, basic_header, relative


def load_auth(target: Target, auth: dict[str, Any], source: str, path: Path | str | None) -> None:
    """The [auth.*] tables onto ``target``: anonymous access expected, and each scheme's identities."""
    unknown = sorted(set(auth) - set(SCHEMES))
    if unknown:
        raise TargetError(f"{source}: unknown auth scheme(s) {', '.join(unknown)}; known: {', '.join(SCHEMES)}")
    if "anonymous" in auth:
        expect = auth["anonymous"].get("expect")
        if expect not in ("allowed", "refused"):
            raise TargetError(f'{source}: [auth.anonymous] expect must be "allowed" or "refused"')
        target.anonymous_expect = expect
    for scheme, loader in (("basic", _basic), ("oidc", _oidc), ("kerberos", _kerberos)):
        if scheme in auth:
            target.schemes[scheme] = loader(auth[scheme], f"{source}: [auth.{scheme}]", path)


@overload
def secret(table: Mapping[str, Any], key: str, where: str, required: Literal[True] = True) -> str: ...


@overload
def secret(table: Mapping[str, Any], key: str, where: str, required: bool) -> str | None: ...


def secret(table: Mapping[str, Any], key: str, where: str, required: bool = True) -> str | None:
    """A secret from ``<key>_env`` (an environment variable) or ``<key>_command`` (a command's output)."""
    env_name = table.get(f"{key}_env")
    if env_name:
        value = os.environ.get(env_name)
        if not value:
            raise TargetError(f"{where}: environment variable {env_name} (from {key}_env) is not set")
        return value
    command = table.get(f"{key}_command")
    if command:
        try:
            done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60, check=True)
        except (OSError, subprocess.SubprocessError) as exc:
            raise TargetError(f"{where}: {key}_command failed: {exc}") from None
        return done.stdout.strip()
    if key in table:
        raise TargetError(f"{where}: put secrets in {key}_env or {key}_command, not in the file")
    if required:
        raise TargetError(f"{where}: {key}_env (or {key}_command) is required")
    return None


def _basic(table: dict[str, Any], where: str, path: Path | str | None) -> SchemeSettings:
    username = table.get("username")
    if not username:
        raise TargetError(f"{where}: username is required")
    password = secret(table, "password", where)
    settings = SchemeSettings(
        "basic",
        Identity("basic", username, lambda: basic_header(username, password)),
        extras={"username": username, "password": password},
        secrets=[password],
    )
    low = table.get("low_privilege")
    if low:
        low_user, low_password = low.get("username"), secret(low, "password", f"{where} low_privilege")
        if not low_user:
            raise TargetError(f"{where} low_privilege: username is required")
        settings.low_privilege = Identity("basic", low_user, lambda: basic_header(low_user, low_password))
        settings.secrets.append(low_password)
    return settings


def bearer_subject(token: str) -> str:
    """The ``sub`` claim of a JWT, read without verification (only to know the expected principal)."""
    import jwt

    try:
        return str(jwt.decode(token, options={"verify_signature": False}).get("sub", ""))
    except jwt.PyJWTError:
        return ""


def _oidc(table: dict[str, Any], where: str, path: Path | str | None) -> SchemeSettings:
    token = secret(table, "token", where)
    principal = table.get("principal") or bearer_subject(token)
    settings = SchemeSettings("oidc", Identity("oidc", principal, lambda: f"Bearer {token}"), secrets=[token])
    low = secret(table, "low_privilege_token", where, required=False)
    if low:
        settings.low_privilege = Identity("oidc", bearer_subject(low), lambda: f"Bearer {low}")
        settings.secrets.append(low)
    expired = secret(table, "expired_token", where, required=False)
    if expired:
        settings.extras["expired_token"] = expired
        settings.secrets.append(expired)
    if table.get("client_id"):
        settings.extras["client_id"] = str(table["client_id"])
    if table.get("test_issuer"):
        settings.extras["provider"] = _test_issuer(token or "", table, where)
    return settings


def _test_issuer(token: str, table: Mapping[str, Any], where: str) -> Any:
    """The token's issuer as a test provider the suite may ask for tokens (``test_issuer = true``)."""
    import jwt

    from conformance.credentials.openid import OpenIDProvider

    try:
        issuer = str(jwt.decode(token, options={"verify_signature": False}).get("iss", ""))
        return OpenIDProvider.attach(issuer, client_id=str(table.get("client_id") or "armada"))
    except (jwt.PyJWTError, OSError, ValueError, KeyError) as exc:
        raise TargetError(
            f"{where}: test_issuer = true but the token's issuer does not answer as a test "
            f"provider: {type(exc).__name__}"
        ) from None


def _kerberos(table: dict[str, Any], where: str, path: Path | str | None) -> SchemeSettings:
    service = table.get("service")
    if not service or "@" not in service:
        raise TargetError(f'{where}: service must be a host-based name like "HTTP@armada.example.com"')
    store: dict[str, str] = {}
    if table.get("ccache"):
        store["ccache"] = str(relative(table["ccache"], path))
    if table.get("keytab"):
        store["client_keytab"] = str(relative(table["keytab"], path))
    from conformance.credentials.spnego import SpnegoInitiator

    try:
        initiator = SpnegoInitiator(service, store=store, principal=table.get("principal"))
    except Exception as exc:  # gssapi's errors are long and raw: say what to do instead
        raise TargetError(f"{where}: {kerberos_problem(exc, store)}") from None
    principal = table.get("expected_principal") or initiator.principal
    settings = SchemeSettings(
        "kerberos",
        Identity("kerberos", principal, initiator.header),
        extras={"mutual": bool(table.get("mutual", False)), "initiator": initiator},
    )
    low = table.get("low_privilege")
    if low:
        settings.low_privilege = _kerberos_identity(service, low, f"{where} low_privilege", path)
    expired = secret(table, "expired_token", where, required=False)
    if expired:
        settings.extras["expired_token"] = expired
        settings.secrets.append(expired)
    return settings


def _kerberos_identity(service: str, table: Any, where: str, path: Path | str | None) -> Identity:
    """Another Kerberos identity (e.g. the low-privilege one): its own ccache, or keytab and principal."""
    if not isinstance(table, dict) or not (table.get("ccache") or table.get("keytab")):
        raise TargetError(f'{where}: must be {{ ccache = "..." }} or {{ keytab = "...", principal = "..." }}')
    store = (
        {"ccache": str(relative(table["ccache"], path))}
        if table.get("ccache")
        else {"client_keytab": str(relative(table["keytab"], path))}
    )
    from conformance.credentials.spnego import SpnegoInitiator

    try:
        initiator = SpnegoInitiator(service, store=store, principal=table.get("principal"))
    except Exception as exc:  # gssapi's errors are long and raw: say what to do instead
        raise TargetError(f"{where}: {kerberos_problem(exc, store)}") from None
    return Identity("kerberos", table.get("expected_principal") or initiator.principal, initiator.header)


_GSS_MINOR = re.compile(r"Minor \(\d+\):\s*(.+)")


def kerberos_problem(exc: BaseException, store: Mapping[str, str]) -> str:
    """Why no Kerberos credentials could be had, as one line a person can act on (no raw GSSAPI codes)."""
    if isinstance(exc, ImportError):
        return (
            "Kerberos needs the kerberos extra (gssapi): pip install 'armada-conformance[kerberos]' "
            "(it builds against libkrb5-dev)"
        )
    ccache = store.get("ccache", "")
    if ccache and not Path(ccache.removeprefix("FILE:")).exists():
        return (
            f"ccache {ccache} does not exist: run kinit first (KRB5CCNAME={ccache} kinit USER), "
            "or give keytab and principal"
        )
    keytab = store.get("client_keytab", "")
    if keytab and not Path(keytab).exists():
        return f"keytab {keytab} does not exist"
    text = " ".join(str(exc).split())
    minor = _GSS_MINOR.search(text)
    reason = (minor.group(1) if minor else text.split(", Minor")[0]).rstrip(". ") or "no reason given"
    where = f"ccache {ccache}" if ccache else f"keytab {keytab}" if keytab else "the default ccache"
    return f"cannot get Kerberos credentials from {where}: {reason} (kinit again? expired or wrong principal?)"
