"""Issue 13 done-when: ``serve`` + ``run --target`` leaves no AUTH check "not configured".

The way a user does it: ``armada-conformance serve`` in its own process (reference
server, real KDC, real OpenID provider), its printed ``export`` lines as the
environment, and ``run --target`` on the file it wrote, ``--only AUTH --intrusive``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _start_serve(folder: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    # only what serve exports may be judged a secret below, not the caller's own ARMADA_* settings
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("ARMADA_")}, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance.cli", "serve", "--write-target", "t.toml"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("ready:") or not line:
            break
    assert lines[-1].startswith("ready:"), "".join(lines)
    for line in lines:
        if line.startswith("export "):
            key, value = line.split("#")[0].strip()[len("export ") :].split("=", 1)
            env[key] = value.strip("'")
    return process, env


@pytest.mark.parametrize(
    ("profile", "schemes"), [("armada-2026", {"BASIC", "OIDC"}), ("armada-2023", {"BASIC", "OIDC", "KERBEROS"})]
)
def test_serve_then_run_judges_every_auth_check(tmp_path: Path, profile: str, schemes: set[str]) -> None:
    process, env = _start_serve(tmp_path)
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "conformance.cli",
                "run",
                "--target",
                "t.toml",
                "--only",
                "AUTH",
                "--profile",
                profile,
                "--intrusive",
                "--report-dir",
                "r",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    report = json.loads(next((tmp_path / "r").glob("*/report.json")).read_text())
    outcomes = {r["id"]: (r["outcome"], r["message"]) for r in report["results"]}
    assert {i: m for i, (o, m) in outcomes.items() if o == "not configured"} == {}
    assert {i: m for i, (o, m) in outcomes.items() if o == "failed"} == {}, done.stdout[-2000:]
    assert done.returncode == 0
    print({outcome: sum(o == outcome for o, _ in outcomes.values()) for outcome in {o for o, _ in outcomes.values()}})
    judged = {i.split("-")[1] for i, (o, _) in outcomes.items() if o == "passed"}
    assert {*schemes, "MULTIPLE", "OVERSIZE"} <= judged
    target_file = (tmp_path / "t.toml").read_text()
    assert all(value not in target_file for key, value in env.items() if key.startswith("ARMADA_"))
