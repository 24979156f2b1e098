"""``python -m reference_server``: ready line, clean SIGTERM, and one-line failures with exit 2."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from server_kit import EVENT, ok

from conformance.transport.grpc_client import GrpcClient
from reference_server.faults import CATALOGUE

COMMAND = [sys.executable, "-m", "reference_server"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, timeout=30, check=False)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_starts_prints_one_ready_line_and_stops_on_sigterm() -> None:
    process = subprocess.Popen(
        [*COMMAND, "--grpc-port", "0", "--http-port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        assert "ready" in line and "gRPC 127.0.0.1:" in line and "development mode" in line, line
        target = line.split("gRPC ", 1)[1].split(",", 1)[0]
        with GrpcClient(target, timeout=5) as client:
            ok(client.call(f"{EVENT}/Health", {}))
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.strip() == "armada-reference-server stopped"


@pytest.mark.parametrize(
    "content",
    ["this is [not toml", "[nonsense]\n", "[server]\nfaults = ['no-such-fault']\n"],
    ids=["syntax", "unknown-table", "unknown-fault"],
)
def test_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, content: str) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(content)
    result = run("--config", str(config))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(config) in result.stderr
    assert result.stdout == ""


def test_missing_config_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "does not exist" in result.stderr


def test_unknown_fault_flag_is_one_line_and_exit_2() -> None:
    result = run("--fault", "made-up", "--grpc-port", "0", "--http-port", "0")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "made-up" in result.stderr


def test_list_faults_names_every_fault() -> None:
    result = run("--list-faults")
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == list(CATALOGUE)


def test_help() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "--config" in result.stdout and "--list-faults" in result.stdout


@pytest.mark.parametrize("which", ["--grpc-port", "--http-port"])
def test_busy_port_is_one_clear_line_and_exit_2(busy_port: int, which: str) -> None:
    other = "--http-port" if which == "--grpc-port" else "--grpc-port"
    result = run(which, str(busy_port), other, "0")
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(busy_port) in lines[0], lines[0]
    assert "in use" in lines[0].lower() or "address already" in lines[0].lower(), lines[0]
