"""Issue 13 items 1/11 in the auth chain: a scheme that crashes logs one line, no traceback, no secret.

The crashing scheme is a deliberately buggy scheme object (the subject here is the
chain's handling of a bug, not any real scheme); its exception message carries the
header value, as a careless ``ValueError(f"bad {value}")`` would.
"""

from __future__ import annotations

import logging

import pytest

from reference_server.auth import AuthenticationError, AuthOutcome, Credentials
from reference_server.auth.chain import AuthChain

SECRET = "s3cret-token-value-0123456789"


class CrashingScheme:
    name = "crashing"
    challenge = None

    async def authenticate(self, credentials: Credentials | None) -> AuthOutcome | None:
        raise ValueError(f"cannot parse {credentials.value if credentials else ''}")

    def describe(self) -> str:
        return "crashing"


async def test_a_crashing_scheme_costs_one_log_line_without_traceback_or_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chain = AuthChain([CrashingScheme()])
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            with pytest.raises(AuthenticationError) as refusal:
                await chain.authenticate(f"Bearer {SECRET}")
            assert SECRET not in str(refusal.value)
    records = [r for r in caplog.records if r.name.startswith("reference_server")]
    assert len(records) == 3  # one per request
    for record in records:
        assert record.exc_info is None and record.exc_text is None
        assert SECRET not in record.getMessage()
        assert "ValueError" in record.getMessage()  # still enough to find the bug


async def test_several_values_are_refused_before_any_scheme_runs() -> None:
    chain = AuthChain([CrashingScheme()])
    with pytest.raises(AuthenticationError, match="2 Authorization values given"):
        await chain.authenticate_values([f"Bearer {SECRET}", "Basic x"])
