"""The Go yardstick (``yardstick/main.go``): built offline, run as a server and as a client.

Built in GOPATH mode from Debian's ``golang-go`` and ``golang-google-grpc-dev`` (which
brings golang/protobuf 1.3 and genproto): no network, no modules. The Go client
unmarshals into generated types, so ``build`` first generates Go code from our
protos with protoc (grpcio-tools) and golang/protobuf's protoc-gen-go, one protoc
run per Go package. ``nox -s benchmark`` installs the packages when run as root;
without them the tests that need Go skip and say what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

SOURCE = Path(__file__).parent / "yardstick"
PROTOS = Path(__file__).parents[2] / "protos"
GOPATH = Path("/usr/share/gocode")
PACKAGES = "golang-go golang-google-grpc-dev golang-github-golang-protobuf-1-3-dev"
# Go import path of each proto file's package (the protoc-gen-go 1.3 ``M`` mapping), grouped per package.
GO_PACKAGES = {
    "api": ("api/event.proto", "api/submit.proto"),
    "k8s.io/api/core/v1": ("k8s.io/api/core/v1/generated.proto",),
    "k8s.io/api/networking/v1": ("k8s.io/api/networking/v1/generated.proto",),
    "k8s.io/apimachinery/pkg/api/resource": ("k8s.io/apimachinery/pkg/api/resource/generated.proto",),
}
WELL_KNOWN = {
    "google/api/annotations.proto": "google.golang.org/genproto/googleapis/api/annotations",
    "google/api/http.proto": "google.golang.org/genproto/googleapis/api/annotations",
    "google/protobuf/empty.proto": "github.com/golang/protobuf/ptypes/empty",
    "google/protobuf/timestamp.proto": "github.com/golang/protobuf/ptypes/timestamp",
}


def missing() -> str:
    """Why the yardstick cannot be built here ("" when it can)."""
    if shutil.which("go") is None:
        return f"no Go toolchain (apt-get install {PACKAGES})"
    for path in ("google.golang.org/grpc", "github.com/golang/protobuf/protoc-gen-go"):
        if not (GOPATH / "src" / path).is_dir():
            return f"no Go sources of {path} in {GOPATH} (apt-get install {PACKAGES})"
    return ""


def build(out_dir: Path) -> Path:
    """Generate the Go types, then build the yardstick; returns the binary."""
    import grpc_tools

    gopath = out_dir / "gopath"
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": f"{gopath}:{GOPATH}",
        "GOFLAGS": "",
        "GOCACHE": str(out_dir / "go-cache"),
    }

    def run(*command: str, cwd: Path = out_dir) -> None:
        subprocess.run(command, cwd=cwd, env=env, check=True, timeout=600, capture_output=True)

    run("go", "build", "-o", str(out_dir / "protoc-gen-go"), "github.com/golang/protobuf/protoc-gen-go")
    mapping = {**WELL_KNOWN, **{f: package for package, files in GO_PACKAGES.items() for f in files}}
    options = ",".join(f"M{f}={package}" for f, package in mapping.items())
    (gopath / "src" / "yardstick").mkdir(parents=True, exist_ok=True)
    includes = Path(grpc_tools.__file__).parent / "_proto"
    for files in GO_PACKAGES.values():
        run(
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{PROTOS}",
            f"-I{includes}",
            f"--plugin=protoc-gen-go={out_dir / 'protoc-gen-go'}",
            f"--go_out={options}:{gopath / 'src'}",
            *files,
        )
    shutil.copy(SOURCE / "main.go", gopath / "src" / "yardstick" / "main.go")
    binary = out_dir / "yardstick"
    run("go", "build", "-o", str(binary), "yardstick")
    return binary


class GoServer:
    """``yardstick serve``: streams the given messages on every GetJobSetEvents call.

    ``raw``: ``serve-raw``, which writes the stored bytes without marshalling them.
    """

    def __init__(self, binary: Path, messages: list[bytes], work_dir: Path, raw: bool = False) -> None:
        self.command = "serve-raw" if raw else "serve"
        self.events_file = work_dir / f"events-{self.command}.bin"
        self.events_file.write_bytes(b"".join(struct.pack(">I", len(m)) + m for m in messages))
        self.binary = binary
        self.port = 0
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> GoServer:
        self._process = subprocess.Popen(
            [str(self.binary), self.command, str(self.events_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
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
    done = subprocess.run(
        [str(binary), "read", address, queue, job_set], capture_output=True, text=True, timeout=600, check=True
    )
    return json.loads(done.stdout)
