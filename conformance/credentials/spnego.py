"""SPNEGO tokens for a real target: from a ccache or a client keytab, for a host-based service.

The embedded realm (``kerberos.py``) knows its users' ccaches; a real deployment's
target file names a ccache (``kinit`` done by the user) or a keytab and principal
instead. Each ``header()`` is a fresh token: servers refuse replays.
"""

from __future__ import annotations

import base64
from typing import Any

SPNEGO_OID = "1.3.6.1.5.5.2"


class SpnegoInitiator:
    def __init__(self, service: str, store: dict[str, str] | None = None, principal: str | None = None) -> None:
        import gssapi

        self._gssapi = gssapi
        self.service = service
        name = gssapi.Name(principal, gssapi.NameType.kerberos_principal) if principal else None
        # gssapi's credential store takes str or bytes keys and values: a copy typed so.
        gss_store: dict[bytes | str, bytes | str] | None = {k: v for k, v in store.items()} if store else None
        self.credentials = gssapi.Credentials(name=name, usage="initiate", store=gss_store)
        self.principal = str(self.credentials.name).split("@", 1)[0]
        self.last_context: Any = None

    def header(self) -> str:
        gssapi = self._gssapi
        flags = gssapi.RequirementFlag.mutual_authentication | gssapi.RequirementFlag.out_of_sequence_detection
        context = gssapi.SecurityContext(
            name=gssapi.Name(self.service, gssapi.NameType.hostbased_service),
            creds=self.credentials,
            usage="initiate",
            mech=gssapi.OID.from_int_seq(SPNEGO_OID),
            flags=flags,
        )
        token = context.step()
        self.last_context = context
        return "Negotiate " + base64.b64encode(token).decode("ascii")
