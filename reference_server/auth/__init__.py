"""Authentication for the reference server, independent of the transport.

The gRPC layer calls ``AuthChain.authenticate`` once per call with the value of the
``authorization`` metadata (REST reaches it through the gateway, which forwards the
HTTP ``Authorization`` header), and turns AuthenticationError into UNAUTHENTICATED.

    chain = build_chain(config.auth)        # ConfigError on a bad [auth] table
    outcome = await chain.authenticate(header_or_none)
    outcome.principal.name, outcome.principal.groups, outcome.response_headers
"""

from reference_server.auth.base import EVERYONE, AuthenticationError, AuthOutcome, Credentials, Principal, Scheme
from reference_server.auth.chain import AuthChain, build_chain

__all__ = [
    "EVERYONE",
    "AuthChain",
    "AuthOutcome",
    "AuthenticationError",
    "Credentials",
    "Principal",
    "Scheme",
    "build_chain",
]
