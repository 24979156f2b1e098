"""The Go yardstick (``yardstick/main.go``): built offline, run as a server and as a client.

Built in GOPATH mode from Debian's ``golang-go`` and ``golang-google-grpc-dev`` (no
network, no modules). ``nox -s benchmark`` installs both when run as root; without
them the tests that need Go skip and say what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).parent / "yardstick"
GOPATH = Path("/usr/share/gocode")
PACKAGES = "golang-go golang-google-grpc-dev"


def missing() -> str:
    """Why the yardstick cannot be built here ("" when it can)."""
    if shutil.which("go") is None:
        return f"no Go toolchain (apt-get install {PACKAGES})"
    if not (GOPATH / "src/google.golang.org/grpc").is_dir():
        return f"no Go gRPC sources in {GOPATH} (apt-get install golang-google-grpc-dev)"
    return ""


def build(out_dir: Path) -> Path:
    binary = out_dir / "yardstick"
    env = {**os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOFLAGS": "",
           "GOCACHE": str(out_dir / "go-cache")}
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=SOURCE, env=env, check=True, timeout=600,
                   capture_output=True)
    return binary


class GoServer:
    """``yardstick serve``: streams the given serialized messages on every GetJobSetEvents call."""

    def __init__(self, binary: Path, messages: list[bytes], work_dir: Path) -> None:
        self.events_file = work_dir / "events.bin"
        self.events_file.write_bytes(b"".join(struct.pack(">I", len(m)) + m for m in messages))
        self.binary = binary
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> GoServer:
        self._process = subprocess.Popen([str(self.binary), "serve", str(self.events_file)], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().split()
        if len(line) != 2 or line[0] != "PORT":
            self.__exit__()
            raise RuntimeError(f"the Go yardstick server did not start: {line}")
        self.port = int(line[1])
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            assert self._process.stdin is not None
            self._process.stdin.close()  # the server stops when its stdin closes
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def go_read(binary: Path, address: str, queue: str, job_set: str) -> dict[str, Any]:
    """``yardstick read``: count, seconds, cpu_seconds, last_id, increasing."""
    done = subprocess.run([str(binary), "read", address, queue, job_set], capture_output=True, text=True,
                          timeout=600, check=True)
    return json.loads(done.stdout)
