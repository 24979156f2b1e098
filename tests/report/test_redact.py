"""Secrets never reach a written report."""

from __future__ import annotations

import base64
import json

from report_samples import BASIC_HEADER, BASIC_PASSWORD, BEARER, CLIENT_SECRET, SECRETS, URL_PASSWORD, make_report

from conformance.report import REDACTED, redact, redact_report, redact_text, report_to_json
from conformance.report.redact import collect_secrets, is_sensitive_key


def test_values_under_sensitive_keys_are_replaced_whole() -> None:
    data = {"password": "pw1", "Client-Secret": "cs", "api_key": "k", "X-Auth-Token": "t",
            "credentials": {"username": "a", "password": "b"}, "cookie": "sid=1", "pin_password": 1234}
    out = redact(data)
    assert out == {"password": REDACTED, "Client-Secret": REDACTED, "api_key": REDACTED,
                   "X-Auth-Token": REDACTED, "credentials": REDACTED, "cookie": REDACTED,
                   "pin_password": REDACTED}


def test_harmless_neighbours_of_secrets_stay_readable() -> None:
    data = {"token_endpoint": "https://idp/token", "password_env": "ARMADA_PW", "token_type": "Bearer",
            "keytab": "/etc/krb5.keytab", "keytab_path": "/k.keytab", "password": "", "token": None,
            "username": "alice", "has_secret": True}
    assert redact(data) == data


def test_keytab_contents_are_redacted_but_its_path_is_not() -> None:
    contents = base64.b64encode(b"\x05\x02\x00\x00\x00\x41binary keytab").decode()
    out = redact({"keytab": contents, "kerberos": {"keytab": b"\x05\x02raw"}, "keytab_file": "/a/b"})
    assert out == {"keytab": REDACTED, "kerberos": {"keytab": REDACTED}, "keytab_file": "/a/b"}


def test_authorization_header_keeps_scheme_drops_credential() -> None:
    out = redact({"headers": {"Authorization": BASIC_HEADER, "proxy-authorization": "Negotiate YIIabc",
                              "authorization-raw": "opaque"}})
    assert out["headers"] == {"Authorization": f"Basic {REDACTED}",
                              "proxy-authorization": f"Negotiate {REDACTED}",
                              "authorization-raw": REDACTED}


def test_grpc_metadata_pairs_are_treated_as_keyed_values() -> None:
    out = redact({"metadata": [("authorization", "Bearer abc"), ("x-request-id", "r1")]})
    assert out == {"metadata": [["authorization", f"Bearer {REDACTED}"], ["x-request-id", "r1"]]}


def test_credentials_inside_free_text_are_masked() -> None:
    text = (f"GET /v1/queue HTTP/1.1\r\nAuthorization: {BASIC_HEADER}\r\nCookie: session=abc\r\n\r\n"
            f"then Bearer {BEARER} at https://bob:{URL_PASSWORD}@host:8080/x?access_token=tok123&q=1 "
            f'and {{"client_secret": "{CLIENT_SECRET}"}} and a bare JWT {BEARER}')
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
    text = ('Basic authentication rejected the Bearer token; challenge was Bearer realm="armada", '
            "Negotiate required. expected status 401 for an expired token: got 200")
    assert redact_text(text) == text


def test_known_secret_literals_are_scrubbed_everywhere() -> None:
    out = redact({"message": f"login with {BASIC_PASSWORD} failed"}, known_secrets=[BASIC_PASSWORD, "ab"])
    assert out == {"message": f"login with {REDACTED} failed"}
    # Too short to scrub blindly (would shred unrelated text); key rules still cover it.
    assert redact_text("abc", ["ab"]) == "abc"


def test_collect_secrets_finds_values_under_sensitive_keys() -> None:
    found = collect_secrets({"auth": {"password": "pw-1234", "token": "Bearer tok-5678"},
                             "keytab": "/etc/k.keytab", "name": "x"})
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
