"""No secret in anything a run writes or prints, against a target that echoes every credential back.

The target (``fakes.echo_fakes``) quotes every header it receives, and the password it
decodes from a Basic value, in every error: gRPC details, REST JSON bodies and a
response header. The suite runs against it as the CLI (stdout, stderr, the report
folder, ``--output json``, ``--json``) and as the pytest plugin (its output and pytest's
own ``--junitxml``), and then every byte is searched for every form of the secrets.
A preflight that fails (``UNAVAILABLE`` quoting the credentials) must not leak them in
its exit-2 line either.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakes.echo_fakes import CredentialEchoGrpcServer, CredentialEchoHttpServer

PASSWORD = "Pw-9f3kQ7zLx2"
LOW_PASSWORD = "LowPw-4hT8mV1c"
TOKEN = "tok.Zq81xY3nWpL0aB7cD"  # not JWT-shaped on purpose: only the literal rule can catch it
FILE_HEADER = "FileKey-7Gh2Lp9Qz"
FLAG_HEADER = "FlagKey-3Vb8Nm6Tx"
SECRETS = {
    "password": PASSWORD,
    "low password": LOW_PASSWORD,
    "user:password": f"alice:{PASSWORD}",
    "base64 user:password": base64.b64encode(f"alice:{PASSWORD}".encode()).decode(),
    "base64 low user:password": base64.b64encode(f"carol:{LOW_PASSWORD}".encode()).decode(),
    "token": TOKEN,
    "file header": FILE_HEADER,
    "-H header": FLAG_HEADER,
}
FAST = ("--events", "20", "--jobs", "5", "--watchers", "2", "--batch-size", "5")


def target_file(folder: Path, grpc: str, rest: str) -> Path:
    path = folder / "t.toml"
    path.write_text(
        f"""
[target]
name = "echo"
grpc = "{grpc}"
rest = "{rest}"
timeout = 2
queue_ready_timeout = 1
headers = {{ "x-api-key" = "{FILE_HEADER}" }}

[auth.anonymous]
expect = "refused"

[auth.basic]
username = "alice"
password_env = "ECHO_PASSWORD"
low_privilege = {{ username = "carol", password_env = "ECHO_LOW_PASSWORD" }}

[auth.oidc]
principal = "alice"
token_env = "ECHO_TOKEN"
"""
    )
    return path


def environment() -> dict[str, str]:
    return {
        **os.environ,
        "CI": "true",
        "ECHO_PASSWORD": PASSWORD,
        "ECHO_LOW_PASSWORD": LOW_PASSWORD,
        "ECHO_TOKEN": TOKEN,
    }


def leaks(*texts: str | bytes, folder: Path | None = None) -> dict[str, list[str]]:
    """Which secret turns up where ('stdout', 'stderr', or a file's path)."""
    places = {f"output {n}": t.encode() if isinstance(t, str) else t for n, t in enumerate(texts)}
    if folder is not None:
        places |= {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != "t.toml"}
    return {
        name: [where for where, data in places.items() if secret.encode() in data]
        for name, secret in SECRETS.items()
        if any(secret.encode() in data for data in places.values())
    }


@pytest.fixture(scope="module")
def echo_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("echo")
    with CredentialEchoGrpcServer() as grpc_server, CredentialEchoHttpServer() as http_server:
        target_file(folder, grpc_server.target, http_server.url)
        yield folder


def test_the_fake_does_echo_the_secrets() -> None:
    """The premise: the target really repeats every secret (else the test below proves nothing)."""
    from fakes.echo_fakes import echo_of

    basic = "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    said = echo_of([("authorization", basic), ("x-api-key", FLAG_HEADER)])
    assert PASSWORD in said and f"alice:{PASSWORD}" in said and FLAG_HEADER in said


def test_a_cli_run_writes_and_prints_no_secret(echo_target: Path) -> None:
    out = echo_target / "cli"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--target", str(echo_target / "t.toml"),
         "-H", f"x-gateway-key: {FLAG_HEADER}", "--output", "json", "--report-dir", str(out / "reports"),
         "--json", str(out / "fixed.json"), *FAST],
        cwd=out, capture_output=True, timeout=900, env=environment(),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    assert b'"outcome"' in done.stdout  # --output json printed its lines
    [report] = out.glob("reports/*/report.json")
    assert b"cleanup_problems" in report.read_bytes() and b"you sent" in report.read_bytes()  # echoes were kept
    assert leaks(done.stdout, done.stderr, folder=out) == {}


def test_a_pytest_run_and_its_junitxml_hold_no_secret(echo_target: Path) -> None:
    out = echo_target / "pytest"
    out.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rA",
         "--armada-target", str(echo_target / "t.toml"), "--armada-header", f"x-gateway-key: {FLAG_HEADER}",
         "--armada-only", "AUTH,SURFACE,PARITY,SEMANTICS,SWAGGER", "--armada-report-dir", str(out / "reports"),
         "--junitxml", str(out / "pytest-junit.xml")],
        cwd=out, capture_output=True, timeout=900, env=environment(),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout.decode()[-2000:]
    assert (out / "pytest-junit.xml").stat().st_size > 1000
    assert leaks(done.stdout, done.stderr, folder=out) == {}


def test_a_failing_preflight_prints_no_secret(tmp_path: Path) -> None:
    """UNAVAILABLE quoting the credentials: the exit-2 line names the cause, not the secrets."""
    with CredentialEchoGrpcServer(unavailable=True) as grpc_server, CredentialEchoHttpServer() as http_server:
        target_file(tmp_path, grpc_server.target, http_server.url)
        done = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--target", str(tmp_path / "t.toml"),
             "-H", f"x-gateway-key: {FLAG_HEADER}", "--report-dir", str(tmp_path / "reports")],
            cwd=tmp_path, capture_output=True, timeout=120, env=environment(),
        )  # fmt: skip
    assert done.returncode == 2
    assert b"UNAVAILABLE" in done.stderr and b"<redacted>" in done.stderr
    assert leaks(done.stdout, done.stderr, folder=tmp_path) == {}
