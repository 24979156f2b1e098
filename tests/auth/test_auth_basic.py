"""Basic against users from the config: valid, wrong, unknown, malformed."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from auth_kit import basic_header, refusal

from reference_server.auth import build_chain
from reference_server.config import ConfigError


@pytest.fixture
def chain(basic_table: dict[str, Any]):
    return build_chain({"order": ["basic"], "basic": basic_table})


@pytest.mark.parametrize("scheme", ["Basic", "basic", "BASIC", "bAsIc"])
async def test_valid_password_any_scheme_case(chain, scheme: str) -> None:
    outcome = await chain.authenticate(basic_header("alice", "alice-password", scheme))
    assert outcome.principal.name == "alice"
    assert outcome.principal.scheme == "basic"
    assert outcome.principal.groups == {"admins", "everyone"}
    assert outcome.response_headers == {}


async def test_user_without_groups_is_in_everyone(chain) -> None:
    outcome = await chain.authenticate(basic_header("bob", "bob-password"))
    assert outcome.principal.groups == {"everyone"}


async def test_password_may_contain_colons(basic_table: dict[str, Any]) -> None:
    basic_table["users"]["carol"] = {"password": "a:b:c", "groups": []}
    chain = build_chain({"basic": basic_table})
    assert (await chain.authenticate(basic_header("carol", "a:b:c"))).principal.name == "carol"


async def test_wrong_password_and_unknown_user_look_the_same(chain) -> None:
    wrong = await refusal(chain, basic_header("alice", "bob-password"))
    unknown = await refusal(chain, basic_header("mallory", "alice-password"))
    assert str(wrong) == str(unknown)
    assert wrong.www_authenticate == unknown.www_authenticate == 'Basic realm="armada"'
    for secret in ("alice-password", "bob-password", "mallory"):
        assert secret not in str(wrong) and secret not in str(unknown)


async def test_wrong_case_password_refused(chain) -> None:
    await refusal(chain, basic_header("alice", "ALICE-PASSWORD"))


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "!!!",
        base64.b64encode(b"alice").decode(),
        base64.b64encode(b":alice-password").decode(),
        base64.b64encode(b"\xff:\xfe").decode(),
        "YWxpY2U6"[:-1],
    ],
)
async def test_malformed_payload_refused(chain, payload: str) -> None:
    error = await refusal(chain, f"Basic {payload}".strip())
    assert "malformed" in str(error)


async def test_missing_header_refused_without_anonymous(chain) -> None:
    error = await refusal(chain, None)
    assert error.www_authenticate == 'Basic realm="armada"'


@pytest.mark.parametrize(
    "table, needle",
    [
        ({}, "no users"),
        ({"users": {"a:b": {"password": "s3cr3t-value"}}}, "cannot contain ':'"),
        ({"users": {"alice": {"groups": []}}}, "password is required"),
        ({"users": {"alice": {"password": "s3cr3t-value", "groups": "admins"}}}, "list of non-empty strings"),
        ({"users": {"alice": {"password": "s3cr3t-value", "passwrd": "s3cr3t-value"}}}, "unknown key(s) passwrd"),
        ({"users": {"alice": "s3cr3t-value"}}, "must be a table"),
        ({"users": {"alice": {"password": ""}}}, "password must be a non-empty string"),
    ],
)
def test_bad_config_is_config_error(table: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build_chain({"basic": table})
    assert needle in str(raised.value)
    assert "s3cr3t-value" not in str(raised.value)


def test_describe_names_no_secret(basic_table: dict[str, Any]) -> None:
    text = build_chain({"basic": basic_table, "anonymous": True}).describe()
    assert text == "basic (2 users), then anonymous"
    assert "password" not in text
