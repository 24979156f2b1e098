"""Secrets never reach a written report."""

from __future__ import annotations

import base64
import json

import pytest
from report_samples import BASIC_HEADER, BASIC_PASSWORD, BEARER, CLIENT_SECRET, SECRETS, URL_PASSWORD, make_report

from conformance.report import REDACTED, redact, redact_report, redact_text, report_to_json
from conformance.report.redact import collect_secrets, is_sensitive_key


def test_values_under_sensitive_keys_are_replaced_whole() -> None:
    data = {
        "password": "pw1",
        "Client-Secret": "cs",
        "api_key": "k",
        "X-Auth-Token": "t",
        "credentials": {"username": "a", "password": "b"},
        "cookie": "sid=1",
        "pin_password": 1234,
    }
    out = redact(data)
    assert out == {
        "password": REDACTED,
        "Client-Secret": REDACTED,
        "api_key": REDACTED,
        "X-Auth-Token": REDACTED,
        "credentials": REDACTED,
        "cookie": REDACTED,
        "pin_password": REDACTED,
    }


def test_harmless_neighbours_of_secrets_stay_readable() -> None:
    data = {
        "token_endpoint": "https://idp/token",
        "password_env": "ARMADA_PW",
        "token_type": "Bearer",
        "keytab": "/etc/krb5.keytab",
        "keytab_path": "/k.keytab",
        "password": "",
        "token": None,
        "username": "alice",
        "has_secret": True,
    }
    assert redact(data) == data


def test_keytab_contents_are_redacted_but_its_path_is_not() -> None:
    contents = base64.b64encode(b"\x05\x02\x00\x00\x00\x41binary keytab").decode()
    out = redact({"keytab": contents, "kerberos": {"keytab": b"\x05\x02raw"}, "keytab_file": "/a/b"})
    assert out == {"keytab": REDACTED, "kerberos": {"keytab": REDACTED}, "keytab_file": "/a/b"}


def test_authorization_header_keeps_scheme_drops_credential() -> None:
    out = redact(
        {
            "headers": {
                "Authorization": BASIC_HEADER,
                "proxy-authorization": "Negotiate YIIabc",
                "authorization-raw": "opaque",
            }
        }
    )
    assert out["headers"] == {
        "Authorization": f"Basic {REDACTED}",
        "proxy-authorization": f"Negotiate {REDACTED}",
        "authorization-raw": REDACTED,
    }


def test_grpc_metadata_pairs_are_treated_as_keyed_values() -> None:
    out = redact({"metadata": [("authorization", "Bearer abc"), ("x-request-id", "r1")]})
    assert out == {"metadata": [["authorization", f"Bearer {REDACTED}"], ["x-request-id", "r1"]]}


def test_credentials_inside_free_text_are_masked() -> None:
    text = (
        f"GET /v1/queue HTTP/1.1\r\nAuthorization: {BASIC_HEADER}\r\nCookie: session=abc\r\n\r\n"
        f"then Bearer {BEARER} at https://bob:{URL_PASSWORD}@host:8080/x?access_token=tok123&q=1 "
        f'and {{"client_secret": "{CLIENT_SECRET}"}} and a bare JWT {BEARER}'
    )
    out = redact_text(text)
    for secret in (*SECRETS, "tok123", "session=abc"):
        assert secret not in out, secret
    assert "Authorization: Basic <redacted>" in out
    assert "https://bob:<redacted>@host:8080/x" in out
    assert "&q=1" in out


def test_pem_private_keys_are_masked() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----"
    out = redact_text(f"key:\n{pem}\ndone")
    assert "MIIEow" not in out and out.endswith("done")


def test_prose_is_not_mangled() -> None:
    text = (
        'Basic authentication rejected the Bearer token; challenge was Bearer realm="armada", '
        "Negotiate required. expected status 401 for an expired token: got 200"
    )
    assert redact_text(text) == text


def test_known_secret_literals_are_scrubbed_everywhere() -> None:
    out = redact({"message": f"login with {BASIC_PASSWORD} failed"}, known_secrets=[BASIC_PASSWORD, "ab"])
    assert out == {"message": f"login with {REDACTED} failed"}
    # Too short to scrub blindly (would shred unrelated text); key rules still cover it.
    assert redact_text("abc", ["ab"]) == "abc"


def test_collect_secrets_finds_values_under_sensitive_keys() -> None:
    found = collect_secrets(
        {"auth": {"password": "pw-1234", "token": "Bearer tok-5678"}, "keytab": "/etc/k.keytab", "name": "x"}
    )
    assert found == {"pw-1234", "Bearer tok-5678", "tok-5678"}


def test_output_is_json_safe() -> None:
    out = redact({"body": b"\xffbinary", "tuple": (1, 2), "set": {"b", "a"}, "nan": float("nan"), 3: "k"})
    json.dumps(out, allow_nan=False)
    assert out["tuple"] == [1, 2] and out["set"] == ["a", "b"] and out["3"] == "k"


def test_is_sensitive_key() -> None:
    assert is_sensitive_key("Authorization") and is_sensitive_key("refresh_token")
    assert not is_sensitive_key("token_endpoint") and not is_sensitive_key("transport")


def test_redact_report_leaves_no_secret_anywhere_in_report_json() -> None:
    report = make_report()
    report.results[0].message = f"echoed password {BASIC_PASSWORD} and secret {CLIENT_SECRET}"
    report.figures[0].details["auth"] = {"Authorization": f"Bearer {BEARER}"}
    text = report_to_json(redact_report(report))
    for secret in SECRETS:
        assert secret not in text, secret
    data = json.loads(text)
    assert data["target"]["auth"]["basic"]["username"] == "alice"
    assert data["target"]["rest"] == f"https://admin:{REDACTED}@armada.example.com/api"
    # IDs and requirements are the suite's own text and stay intact.
    assert [r["id"] for r in data["results"]] == [r.id for r in report.results]


def test_redact_report_does_not_modify_its_input() -> None:
    report = make_report()
    redact_report(report)
    assert report.target["auth"]["basic"]["password"] == BASIC_PASSWORD


# ---- issue 13 item 13: case-insensitive schemes and scheme-less shapes ----------------

_B64 = base64.b64encode
_SPNEGO = _B64(b"\x60\x82\x02\x10\x06\x06\x2b\x06\x01\x05\x05\x02\xa0\x82" + bytes(range(64))).decode()
_JWT_SPACED = (
    base64.urlsafe_b64encode(b'{ "alg": "RS256" }').decode().rstrip("=")
    + "."
    + base64.urlsafe_b64encode(b'{"sub": "alice"}').decode().rstrip("=")
    + ".c2lnbmF0dXJlLWJ5dGVz"
)
_RANDOM = "q8Zr3Kx0Vb7Lm2Np5Tw9Yd"  # 22 chars of random-looking base64

# (text, secret that must not survive or None when the text must come back unchanged)
SHAPES = [
    ("negotiate " + _SPNEGO, _SPNEGO),
    ("NEGOTIATE " + _SPNEGO, _SPNEGO),
    ("basic " + _B64(b"alice:s3cret").decode(), _B64(b"alice:s3cret").decode()),
    ("BASIC " + _B64(b"alice:s3cret").decode(), _B64(b"alice:s3cret").decode()),
    ("bearer " + _RANDOM, _RANDOM),
    ("Token " + _RANDOM, _RANDOM),  # any scheme word
    ("KubernetesAuth " + _RANDOM + "==", _RANDOM),
    ("value was " + _SPNEGO, _SPNEGO),  # SPNEGO without its scheme
    ("got " + _B64(b"alice:s3cret").decode() + " back", _B64(b"alice:s3cret").decode()),  # bare Basic payload
    ("TlRMTVNTUAABAAAAB4IIog==", "TlRMTVNTUAABAAAAB4IIog"),  # NTLM without its scheme
    ("header " + _JWT_SPACED, _JWT_SPACED),  # JWT whose header is not 'eyJ'
    ("token=" + _RANDOM, _RANDOM),
    # prose, identifiers, names and paths stay readable
    ("Basic authentication failed for the Bearer token", None),
    ("bearer token rejected: token has expired", None),
    ('challenge Negotiate, Basic realm="armada"', None),
    ("AUTH-OIDC-KEYCONFUSION-GRPC failed: expected UNAUTHENTICATED / 401, got OK", None),
    ("queue conformance-11300a1b-q-12 does not exist", None),
    ("job 01HZX4K7Q2M8N9P3R5T6V7W8Y9 submitted", None),
    ("field JobSubmitRequestItem.podSpec is required", None),
    ("GET /v1/queue/conformance-0130-q-3/info answered 404", None),
    ("the request is not a valid api.QueueGetRequest message", None),
    ("the REST answer of Event/GetJobSetEvents is not valid JSON", None),
    ("QueueService/CreateQueue answered UNIMPLEMENTED", None),
    ("sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", None),
    ("host www.example.com.internal resolved", None),
]


@pytest.mark.parametrize(("text", "secret"), SHAPES)
def test_credential_shapes_are_masked_and_prose_is_not(text: str, secret: str | None) -> None:
    out = redact_text(text)
    if secret is None:
        assert out == text
    else:
        assert secret not in out and REDACTED in out


def test_names_the_suite_makes_stay_readable_while_random_tokens_do_not() -> None:
    """Figure and check IDs mix case and digits like a token, but are words joined by - _ .: kept."""
    from conformance.report.redact import redact_text

    kept = "THROUGHPUT-Live-GRPC-p99 6.2 ms; AUTH-BASIC-NOCOLON-REST; SWAGGER-Jobs.GetJobStatus-REST"
    assert redact_text(kept) == kept
    assert "aB3xY9zQwLk2mN8pR4" not in redact_text("token aB3xY9zQwLk2mN8pR4 given")


def test_known_secrets_cover_what_an_echoing_server_writes_back() -> None:
    """Configured values, Basic's user:password, its base64 and the decoded password, -H values, encodings."""
    import base64

    from conformance.report.scrub import known_secrets
    from conformance.target import Identity, SchemeSettings, Target, basic_header
    from conformance.transport.connection import Connection

    target = Target(name="t", grpc="h:1", rest=None, connection=Connection((("x-api-key", "K3y/Value+1"),)))
    target.schemes["basic"] = SchemeSettings(
        "basic", Identity("basic", "alice", lambda: basic_header("alice", "Pw d!")), secrets=["Pw d!"]
    )
    found = set(known_secrets(target))
    assert {"Pw d!", "alice:Pw d!", base64.b64encode(b"alice:Pw d!").decode(), "K3y/Value+1"} <= found
    assert "Pw%20d%21" in found and "K3y%2FValue%2B1" in found
