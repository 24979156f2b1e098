"""grpcio's own logging never prints metadata: credentials with a byte that is not UTF-8.

grpcio decodes every metadata value and, on one that is not valid UTF-8, logs it raw
with a traceback (``Invalid encoding on b'Bearer eyJ...'``), whatever the key. The
reference server runs as its own process (``python -m reference_server``, debug
logging on), is sent such values for ``authorization`` (Bearer and Basic) and an API
key over a raw HTTP/2 connection, and its whole stdout and stderr are searched.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from conformance.throughput.h2reader import Call, CallError
from conformance.throughput.h2socket import connect

SECRETS = [b"eyJhbGciOiJSUzI1NiJ9.sEcReT-t0ken", b"YWxpY2U6cHctc2VjcmV0", b"ApiKey-9x7Vq2Lm"]
VALUES = [
    ("authorization", b"Bearer " + SECRETS[0] + b"\xff"),
    ("authorization", b"Basic " + SECRETS[1] + b"\xfe"),
    ("x-api-key", SECRETS[2] + b"\xff\xfe"),
]


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "reference_server", "--grpc-port", "0", "--http-port", "0", "--log-level", "DEBUG"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "GRPC_VERBOSITY": "DEBUG"},  # the C-core's own log path too
    )
    assert process.stdout is not None
    banner = process.stdout.readline().decode()
    match = re.search(r"gRPC (\S+),", banner)
    assert match, banner
    try:
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def call_with(address: str, key: str, value: bytes) -> str:
    """One GetJobSetEvents call carrying ``key: value``; the status it ended with."""
    call = Call(address, "/api.Event/GetJobSetEvents", b"", ((key, value),))  # type: ignore[arg-type]
    sock = connect(address, tls=False, timeout=10)
    try:
        sock.sendall(call.opening())
        while not call.done:
            data = sock.recv(65536)
            if not data:
                call.closed()
                break
            try:
                reply = call.feed(data)
            except CallError as error:
                return error.code
            if reply:
                sock.sendall(reply)
    finally:
        sock.close()
    return call.status


def test_credentials_that_are_not_utf8_never_reach_the_server_log(
    server: tuple[subprocess.Popen[bytes], str],
) -> None:
    process, address = server
    statuses = [call_with(address, key, value) for key, value in VALUES * 5]
    assert all(statuses), statuses  # every call ended with a status
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    log = out + err
    assert b"stopped" in out
    for secret in SECRETS:
        assert secret not in log, log.decode(errors="replace")[-3000:]
        assert secret[:12] not in log
    assert b"Traceback" not in log
    assert b"not valid UTF-8" in log  # the path was taken: grpcio did meet the values
