"""Done-when of issue 13: 10,000 random ``authorization`` values per transport give only 401s.

Over real loopback sockets against a server with Basic, OpenID and Kerberos (real KDC
and provider) and no anonymous access: every value must be refused with
UNAUTHENTICATED / 401 (400 only for header bytes HTTP cannot carry), never a 5xx,
never accepted; and no log line or answer may contain any part of a value (the
canary) or a configured password. ``FUZZ_COUNT`` lowers the count for a quick run.
The values come from a seeded generator, so a failure is reproducible.
"""

from __future__ import annotations

import http.client
import logging
import os
import random
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urlsplit

import grpc
import pytest
from authorization_fuzz import CANARY, ascii_value, http_value
from grpc_kit import PASSWORD

from conformance.credentials.kerberos import KerberosRealm
from conformance.credentials.openid import OpenIDProvider
from reference_server.background import BackgroundServer
from reference_server.config import GLOBAL_PERMISSIONS, ServerConfig

COUNT = int(os.environ.get("FUZZ_COUNT", "10000"))
SEED = 13
QUEUE_REQUEST = b"\x0a\x06absent"


@pytest.fixture(scope="module")
def server(kerberos_realm: KerberosRealm, openid_provider: OpenIDProvider) -> Iterator[BackgroundServer]:
    auth = {
        "order": ["basic", "oidc", "kerberos"],
        "anonymous": False,
        "basic": {"users": {"alice": {"password": PASSWORD, "groups": ["admins"]}}},
        "oidc": openid_provider.auth_table(),
        "kerberos": kerberos_realm.auth_table(),
    }
    config = ServerConfig.from_dict(
        {"auth": auth, "authorization": {"permissions": {p: ["admins"] for p in GLOBAL_PERMISSIONS}}}, source="fuzz"
    )
    with BackgroundServer(config) as running:
        yield running


def _assert_quiet(caplog: pytest.LogCaptureFixture, requests_sent: int) -> None:
    records = [r for r in caplog.records if r.name.startswith(("reference_server", "aiohttp", "grpc"))]
    assert len(records) <= requests_sent
    for record in records:
        text = record.getMessage()
        assert record.exc_info is None, text
        assert CANARY not in text and PASSWORD not in text, text


def test_grpc_refuses_every_random_value(server: BackgroundServer, caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(SEED)
    statuses: Counter[str] = Counter()
    with caplog.at_level(logging.INFO), grpc.insecure_channel(server.grpc_target) as channel:
        call = channel.unary_unary(
            "/api.Submit/GetQueue", request_serializer=lambda raw: raw, response_deserializer=lambda raw: raw
        )
        for _ in range(COUNT):
            value = ascii_value(rng)
            try:
                call(QUEUE_REQUEST, metadata=[("authorization", value)], timeout=10)
                statuses["OK"] += 1
            except grpc.RpcError as exc:
                statuses[exc.code().name] += 1
                assert CANARY not in (exc.details() or "") and PASSWORD not in (exc.details() or "")
    assert statuses == {"UNAUTHENTICATED": COUNT}, statuses
    _assert_quiet(caplog, COUNT)


def test_rest_refuses_every_random_value(server: BackgroundServer, caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(SEED + 1)
    url = urlsplit(server.rest_url)
    statuses: Counter[int] = Counter()
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    with caplog.at_level(logging.INFO):
        for _ in range(COUNT):
            value = http_value(rng)
            connection.putrequest("GET", "/v1/queue/absent")
            connection.putheader("Authorization", value)
            connection.endheaders()
            answer = connection.getresponse()
            body = answer.read()
            statuses[answer.status] += 1
            assert CANARY.encode() not in body and PASSWORD.encode() not in body
            if answer.status == 400:
                assert any(b < 0x20 for b in value), value  # only header bytes HTTP cannot carry are 400
            if answer.will_close:
                connection.close()
                connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.close()
    assert set(statuses) <= {401, 400}, statuses
    assert statuses[401] > COUNT * 0.8
    _assert_quiet(caplog, COUNT)
